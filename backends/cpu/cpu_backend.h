// CpuBackend: the Backend for DeviceType::CPU. Memory comes from a CachingAllocator; kernels
// are strided loops templated over dtype (elementwise.cc, copy.cc, reduce.cc) and OpenBLAS
// GEMM (matmul.cc), parallelised with OpenMP, the same pool the OpenMP build of OpenBLAS uses.
#pragma once

#include <string>

#include "backends/cpu/caching_allocator.h"
#include "needle/backend.h"

namespace needle::cpu_backend {

class CpuBackend : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  DeviceType device_type() const override { return DeviceType::CPU; }
  int device_count() const override { return 1; }
  std::string availability() const override { return "cpu"; }

  void* allocate(size_t nbytes, const Device& device) override;
  void deallocate(void* ptr, size_t nbytes, const Device& device) override;
  MemoryStats memory_stats(const Device& device) const override;
  void empty_cache() override;
  void synchronize(const Device&) override {}
  void copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                      const Device& device) override;
  void copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                    const Device& device) override;

  bool supports(BackendFeature feature) const override {
    return feature == BackendFeature::Conv2d || feature == BackendFeature::FusedBatchNorm;
  }

 protected:
  void do_copy(const StridedView& src, const StridedView& dst) override;
  void do_fill(const StridedView& dst, double value) override;
  void do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                         double high) override;
  void do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                        double std) override;

  void do_unary(UnaryOp op, const StridedView& a, const StridedView& out) override;
  void do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                 const StridedView& out) override;
  void do_binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                        const StridedView& out) override;
  void do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                const StridedView& out) override;

  void do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                 const StridedView& out) override;

  void do_matmul(const StridedView& a, const StridedView& b, const StridedView& out) override;
  void do_softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) override;
  void do_softmax_backward(const StridedView& out, const StridedView& grad_out, int64_t axis,
                           bool log, const StridedView& grad_input) override;

  // One pass for the statistics, one for the output; parallel over channels (batch_norm.cc).
  void do_batch_norm_forward(const StridedView& x, const StridedView& weight,
                             const StridedView& bias, double eps, const StridedView& y,
                             const StridedView& mean, const StridedView& var) override;
  void do_batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                              const StridedView& mean, const StridedView& invstd,
                              const StridedView& weight, const StridedView& grad_input,
                              const StridedView& grad_weight,
                              const StridedView& grad_bias) override;

  // im2col + OpenBLAS GEMM, parallel over the batch (conv2d.cc). With save_for_backward the
  // forward keeps the unfolded input when it fits kKeptColumnsBudgetBytes; the two separate
  // gradients are the fused backward pass asked for one gradient each.
  Conv2dSaved do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                const StridedView& bias, const StridedView& out,
                                const Conv2dParams& params, bool save_for_backward) override;
  void do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                const StridedView& grad_input, const Conv2dParams& params) override;
  void do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                 const StridedView& grad_weight,
                                 const Conv2dParams& params) override;
  void do_conv2d_backward(const StridedView& grad_out, const StridedView& input,
                          const StridedView& weight, const StridedView& grad_input,
                          const StridedView& grad_weight, const StridedView& grad_bias,
                          const Conv2dParams& params, const Conv2dSaved& saved) override;

  // Fused in-place optimizer updates (optimizer_steps.cc).
  void do_sgd_step(const StridedView& param, const StridedView& grad,
                   const StridedView& momentum_buf, const SgdStepArgs& args) override;
  void do_adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
                    const StridedView& exp_avg_sq, const AdamStepArgs& args) override;

 private:
  CachingAllocator allocator_;
};

}  // namespace needle::cpu_backend

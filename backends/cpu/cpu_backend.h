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

  void copy(const StridedView& src, const StridedView& dst) override;
  void fill(const StridedView& dst, double value) override;
  void random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                      double high) override;
  void random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                     double std) override;

  void unary(UnaryOp op, const StridedView& a, const StridedView& out) override;
  void binary(BinaryOp op, const StridedView& a, const StridedView& b,
              const StridedView& out) override;
  void binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                     const StridedView& out) override;
  void where(const StridedView& cond, const StridedView& a, const StridedView& b,
             const StridedView& out) override;

  void reduce(ReduceOp op, const StridedView& a, const Axes& axes, const StridedView& out) override;

  void matmul(const StridedView& a, const StridedView& b, const StridedView& out) override;

  // One pass for the statistics, one for the output; parallel over channels (batch_norm.cc).
  bool batch_norm_forward(const StridedView& x, const StridedView& weight, const StridedView& bias,
                          double eps, const StridedView& y, const StridedView& mean,
                          const StridedView& var) override;
  bool batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                           const StridedView& mean, const StridedView& invstd,
                           const StridedView& weight, const StridedView& grad_input,
                           const StridedView& grad_weight, const StridedView& grad_bias) override;

  // im2col + OpenBLAS GEMM, parallel over the batch (conv2d.cc).
  void conv2d_forward(const StridedView& input, const StridedView& weight, const StridedView& bias,
                      const StridedView& out, const Conv2dParams& params) override;
  void conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                             const StridedView& grad_input, const Conv2dParams& params) override;
  void conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                              const StridedView& grad_weight, const Conv2dParams& params) override;
  // Keeps the forward's columns when they fit kKeptColumnsBudgetBytes (conv2d.cc); the two
  // separate gradients above are this fused pass asked for one gradient each.
  void conv2d_backward(const StridedView& grad_out, const StridedView& input,
                       const StridedView& weight, const StridedView& grad_input,
                       const StridedView& grad_weight, const StridedView& grad_bias,
                       const Conv2dParams& params, const StridedView& columns) override;
  int64_t conv2d_columns_size(const Shape& input, const Shape& weight, const Shape& out,
                              const Conv2dParams& params, DType dtype) override;
  void conv2d_forward_keeping_columns(const StridedView& input, const StridedView& weight,
                                      const StridedView& bias, const StridedView& out,
                                      const Conv2dParams& params,
                                      const StridedView& columns) override;

  // Fused in-place optimizer updates (optimizer_steps.cc).
  void sgd_step(const StridedView& param, const StridedView& grad, const StridedView& momentum_buf,
                const SgdStepArgs& args) override;
  void adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
                 const StridedView& exp_avg_sq, const AdamStepArgs& args) override;

 private:
  CachingAllocator allocator_;
};

}  // namespace needle::cpu_backend

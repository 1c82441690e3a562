// ReferenceBackend: the seam's contract written out as plainly as possible, for the conformance
// suite (tests/conformance) to compare every real backend against. Memory is host memory (the
// device type is CPU, so it serves views of cpu()); every kernel is a loop over multi-indices
// that reads and writes each element through its view's strides and computes with the one
// scalar formula per op (backends/common/scalar_ops.h). Floating reductions, matmul,
// convolutions and batch-norm statistics accumulate in double. No fast paths, no threads, no
// BLAS: slow and obviously right. The optimizer steps, the all-gradients convolution and the
// index check are left to the Backend's composed defaults, so the suite exercises those too.
//
// It is compiled only into the tests (the needle_reference_backend library of
// tests/CMakeLists.txt) and is not registered for any device: tests construct it directly.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "needle/backend.h"

namespace needle::reference_backend {

class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  DeviceType device_type() const override { return DeviceType::CPU; }
  int device_count() const override { return 1; }
  std::string availability() const override { return "reference (host memory)"; }
  bool supports(BackendFeature feature) const override {
    return feature == BackendFeature::Conv2d || feature == BackendFeature::FusedBatchNorm;
  }

  // aligned_alloc(64), no cache: `reserved` is always `allocated`.
  void* allocate(size_t nbytes, const Device& device) override;
  void deallocate(void* ptr, size_t nbytes, const Device& device) override;
  MemoryStats memory_stats(const Device& device) const override;
  void empty_cache() override {}
  void synchronize(const Device&) override {}
  void copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                      const Device& device) override;
  void copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                    const Device& device) override;

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

  // Direct convolution loops; nothing is saved for the backward pass.
  Conv2dSaved do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                const StridedView& bias, const StridedView& out,
                                const Conv2dParams& params, bool save_for_backward) override;
  void do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                const StridedView& grad_input, const Conv2dParams& params) override;
  void do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                 const StridedView& grad_weight,
                                 const Conv2dParams& params) override;

  // The formulas of backend.h, per channel, in double.
  void do_batch_norm_forward(const StridedView& x, const StridedView& weight,
                             const StridedView& bias, double eps, const StridedView& y,
                             const StridedView& mean, const StridedView& var) override;
  void do_batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                              const StridedView& mean, const StridedView& invstd,
                              const StridedView& weight, const StridedView& grad_input,
                              const StridedView& grad_weight,
                              const StridedView& grad_bias) override;

 private:
  mutable std::mutex mutex_;
  MemoryStats stats_;
};

}  // namespace needle::reference_backend

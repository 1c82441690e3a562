// CudaBackend: the Backend for DeviceType::CUDA. Memory comes from a CachingAllocator; every
// kernel, copy, cuBLAS and cuDNN call of a GPU is queued on that GPU's one stream (stream.h),
// and nothing synchronises except copy_to_host and synchronize(), which are also where deferred
// index checks throw (index_checks.h). Every host wait goes through host_sync.h and is counted;
// NEEDLE_CUDA_SYNC=1 adds one, uncounted, after each queued call (cuda_check.h). Kernels live
// in kernels/*.cu; this class receives arguments the dispatch front has checked, turns views
// into kernel index structs (layout.h) and launches them, one host file per kernel family as in
// backends/cpu/.
// Registered at library load, but no CUDA call happens until a GPU is first used, so a machine
// without a GPU or driver loads the library and simply reports device_count() == 0.
#pragma once

#include <atomic>
#include <mutex>
#include <span>
#include <string>

#include "backends/cuda/caching_allocator.h"
#include "backends/cuda/index_checks.h"
#include "backends/cuda/pinned_staging.h"
#include "needle/backend.h"

namespace needle::cuda_backend {

class CudaBackend : public Backend {
 public:
  std::string name() const override { return "cuda"; }
  DeviceType device_type() const override { return DeviceType::CUDA; }
  int device_count() const override;
  std::string availability() const override;
  // Convolution always (a build without cuDNN reports that, with how to fix it, when one is
  // run), pinned host memory when a GPU is present (without a driver there is nothing to pin
  // with, and callers stay pageable); batch normalization is composed by its caller.
  bool supports(BackendFeature feature) const override;

  void* allocate(size_t nbytes, const Device& device) override;
  void deallocate(void* ptr, size_t nbytes, const Device& device) override;
  MemoryStats memory_stats(const Device& device) const override;
  void empty_cache() override;
  void synchronize(const Device& device) override;
  void set_allow_tf32(bool allow) override { allow_tf32_.store(allow); }
  bool allow_tf32() const override { return allow_tf32_.load(); }

  void copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                      const Device& device) override;
  void copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                    const Device& device) override;

  // Uploads on a copy stream per GPU ordered with its compute stream by events
  // (async_upload.h), from cudaHostAlloc'ed memory (do_allocate_pinned_host).
  UploadTicket upload_async(std::span<const HostToDeviceCopy> copies,
                            const Device& device) override;
  void order_after_upload(const UploadTicket& ticket) override;
  bool upload_finished(const UploadTicket& ticket) override;
  void wait_upload(const UploadTicket& ticket) override;

  uint64_t host_sync_count() const override;

  // Scratch memory for one operation, returned to the cache when the guard dies. Safe to free
  // right after the launches that use it are queued: later work on the stream runs after them.
  class Scratch {
   public:
    Scratch(CudaBackend& backend, size_t nbytes, int device);
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    void* get() const { return ptr_; }

   private:
    CudaBackend& backend_;
    void* ptr_;
    int device_;
  };

 protected:
  void* do_allocate_pinned_host(size_t nbytes) override;
  void do_free_pinned_host(void* ptr) override;

  // copy.cc: copies within a GPU and between GPUs, fills and the Philox random fills.
  void do_copy(const StridedView& src, const StridedView& dst) override;
  void do_fill(const StridedView& dst, double value) override;
  void do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                         double high) override;
  void do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                        double std) override;

  // elementwise.cc
  void do_unary(UnaryOp op, const StridedView& a, const StridedView& out) override;
  void do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                 const StridedView& out) override;
  void do_binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                        const StridedView& out) override;
  void do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                const StridedView& out) override;

  // reduce.cc
  void do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                 const StridedView& out) override;

  // matmul.cc: cuBLAS.
  void do_matmul(const StridedView& a, const StridedView& b, const StridedView& out) override;
  void do_softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) override;
  void do_softmax_backward(const StridedView& out, const StridedView& grad_out, int64_t axis,
                           bool log, const StridedView& grad_input) override;

  // conv2d.cc: cuDNN; in a build without cuDNN they throw DeviceError saying so.
  Conv2dSaved do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                const StridedView& bias, const StridedView& out,
                                const Conv2dParams& params, bool save_for_backward) override;
  void do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                const StridedView& grad_input, const Conv2dParams& params) override;
  void do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                 const StridedView& grad_weight,
                                 const Conv2dParams& params) override;

  // index_checks.h: on the device, thrown at the next copy_to_host or synchronize.
  void do_check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                            IndexErrorMessage message) override;

  // optimizer_steps.cc: one fused kernel per step for dense parameters.
  void do_sgd_step(const StridedView& param, const StridedView& grad,
                   const StridedView& momentum_buf, const SgdStepArgs& args) override;
  void do_adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
                    const StridedView& exp_avg_sq, const AdamStepArgs& args) override;

 private:
  // Throws DeviceError unless `device` names an existing GPU; returns its index.
  int checked_index(const Device& device, const char* op) const;
  void probe() const;

  CachingAllocator allocator_;
  PinnedStaging staging_;
  IndexChecks index_checks_;
  std::atomic<bool> allow_tf32_{false};
  mutable std::once_flag probe_once_;
  mutable int count_ = 0;
  mutable std::string status_;
};

// Internal, for tests only (not part of the public API, and tests/cuda/conv2d_test.cc declares
// them itself, weakly, because it cannot include this CUDA-dependent header): how many
// convolution algorithm choices conv2d.cc has cached, and how many lookups found one. Both stay
// 0 in a build without cuDNN.
size_t conv_algorithm_cache_size();
size_t conv_algorithm_cache_hits();
// Likewise for tests/cuda/data_loader_test.cc: uploads started on copy streams, pinned host
// buffers allocated and not yet freed, and GPU `device`'s copy and compute streams as opaque
// handles (the copy stream is created by the call).
size_t async_uploads_started();
size_t pinned_host_buffers_live();
const void* copy_stream_handle(int device);
const void* compute_stream_handle(int device);

}  // namespace needle::cuda_backend

// The dispatch seam. A Backend implements every kernel for one device type; NDArray calls
// backend_for(device) and never names a device-specific library. Kernels receive StridedViews:
// arbitrary (also negative or zero) strides, so transposed, sliced, flipped and broadcast
// inputs are read in place. A new device is a new folder under backends/ that implements this
// interface and registers itself with register_backend().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/op_codes.h"
#include "needle/shape.h"

namespace needle {

// A non-owning description of an array's elements: element (i0, i1, ...) lives at
// data + (offset + sum_k i_k * strides[k]) * dtype_size(dtype).
struct StridedView {
  void* data = nullptr;  // the storage's base pointer (not offset-adjusted)
  int64_t offset = 0;    // in elements
  Shape shape;
  Strides strides;  // in elements
  DType dtype = DType::Float32;
  Device device;

  int64_t ndim() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return needle::numel(shape); }
  template <typename T>
  T* ptr() const {
    return static_cast<T*>(data) + offset;
  }
  // Row-major dense from `offset` (any stride is fine along size-1 axes).
  bool is_contiguous() const;
};

// The op codes (UnaryOp, BinaryOp, ReduceOp), their names and dtype rules: needle/op_codes.h.

// Formats the IndexError of a failed Backend::check_index_range from the offending value and
// its row-major position.
using IndexErrorMessage = std::function<std::string(int64_t value, int64_t position)>;

struct MemoryStats {
  size_t allocated = 0;       // bytes in live arrays
  size_t reserved = 0;        // bytes held from the system, cached blocks included
  size_t peak_allocated = 0;  // high-water mark of `allocated`
  size_t live_buffers = 0;    // blocks handed out and not yet returned
};

// Hyper-parameters of one fused SGD step (optim/sgd.h documents the convention, which is the
// lecture's: the momentum buffer is an exponential moving average of the gradient).
struct SgdStepArgs {
  double lr = 0.01;
  double momentum = 0.0;      // 0: plain SGD, momentum_buf is not read (may be empty)
  double weight_decay = 0.0;  // L2 folded into the gradient: g' = g + weight_decay * w
  bool nesterov = false;      // update = momentum * u + (1 - momentum) * g' instead of u
};

// Hyper-parameters of one fused Adam/AdamW step; `step` is the 1-based global step count t.
struct AdamStepArgs {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  // AdamW: w <- w - lr * wd * w before the Adam update
  int64_t step = 1;
};

// Geometry of one 2-D convolution (NCHW input, weight (out, in / groups, kh, kw), as PyTorch).
// The output is (N, out, Ho, Wo) with Ho = (H + 2 pad_h - dilation_h (kh - 1) - 1) / stride_h + 1.
struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  bool operator==(const Conv2dParams&) const = default;
};

// One host -> device copy of an asynchronous upload (Backend::upload_async).
struct HostToDeviceCopy {
  const void* host = nullptr;  // pinned memory from Backend::allocate_pinned_host
  void* device_ptr = nullptr;  // into the backend's memory on the upload's device
  size_t nbytes = 0;
};

// An upload in flight, opaque above the seam: the backend keeps its own state (for CUDA, the
// copy's completion event) behind it and releases it with the last copy of the ticket. An empty
// ticket is an upload that already finished (what a backend without asynchronous uploads gives).
class UploadTicket {
 public:
  UploadTicket() = default;
  explicit UploadTicket(std::shared_ptr<void> state) : state_(std::move(state)) {}
  explicit operator bool() const { return state_ != nullptr; }
  // For the backend that made it.
  void* state() const { return state_.get(); }

 private:
  std::shared_ptr<void> state_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // How many devices of this type exist (1 for the CPU; 0 when no GPU is present).
  virtual int device_count() const = 0;
  // Why device_count() is what it is, in words, for error messages and cuda_status().
  virtual std::string availability() const = 0;

  // --- memory -------------------------------------------------------------------------------
  // Returns at least `nbytes` of device memory, 64-byte aligned (never null; nbytes may be 0).
  virtual void* allocate(size_t nbytes, const Device& device) = 0;
  virtual void deallocate(void* ptr, size_t nbytes, const Device& device) = 0;
  virtual MemoryStats memory_stats(const Device& device) const = 0;
  // Returns cached, unused blocks to the system.
  virtual void empty_cache() = 0;
  // Waits until all queued work on `device` is done.
  virtual void synchronize(const Device& device) = 0;
  // Whether float32 matmuls and convolutions may use TF32 tensor cores
  // (needle::cuda_set_allow_tf32). Backends without such a mode keep the defaults: the switch is
  // ignored and reads false.
  virtual void set_allow_tf32(bool allow) { (void)allow; }
  virtual bool allow_tf32() const { return false; }

  // Host <-> device copies of `nbytes`; `device_ptr` is a pointer into this backend's memory.
  virtual void copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                              const Device& device) = 0;
  virtual void copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                            const Device& device) = 0;

  // --- pinned host memory and asynchronous uploads (optional; DataLoader's pin_memory) -------
  // Page-locked host memory of at least `nbytes` that every device of this backend can DMA
  // from without a staging copy, or nullptr when the backend has none (the default, and the
  // CPU's answer: its memory is the host's) or no device is present. Slow to allocate and free
  // (freeing may synchronise the device): callers keep such buffers in a pool.
  virtual void* allocate_pinned_host(size_t nbytes) { return nullptr; }
  virtual void free_pinned_host(void* ptr) {}
  // Starts `copies` to `device` and returns without waiting: the copies run after the device's
  // work queued so far (so the destinations may be blocks just reused from that work) but are
  // not ordered with work queued later. Until order_after_upload(ticket) nothing may read the
  // destinations; until upload_finished(ticket) the host memory must stay untouched. The
  // default copies with copy_from_host and returns an empty (finished) ticket.
  virtual UploadTicket upload_async(std::span<const HostToDeviceCopy> copies, const Device& device);
  // Orders the device's work queued from now on after the upload, without a host wait.
  virtual void order_after_upload(const UploadTicket& ticket) {}
  // Whether the upload has finished reading its host memory; never blocks.
  virtual bool upload_finished(const UploadTicket& ticket) { return true; }
  // Blocks the calling thread until it has.
  virtual void wait_upload(const UploadTicket& ticket) {}

  // --- data movement ------------------------------------------------------------------------
  // dst[i] = cast<dst.dtype>(src[i]) for every multi-index i; equal shapes, any dtypes, any
  // strides. This is compact(), astype(), contiguous copies and slice assignment in one.
  virtual void copy(const StridedView& src, const StridedView& dst) = 0;
  // Every element of dst (strided) = value cast to dst.dtype.
  virtual void fill(const StridedView& dst, double value) = 0;
  // dst (compact) = uniform [low, high) or normal(mean, std) from Philox counters
  // offset, offset+1, ... under `seed` (backends/common/philox.h).
  virtual void random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                              double high) = 0;
  virtual void random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                             double std) = 0;

  // --- elementwise --------------------------------------------------------------------------
  // All views have out's shape (broadcasting is already expressed as zero strides). `a` and
  // `out` share a dtype, except LogicalNot whose output is Bool.
  virtual void unary(UnaryOp op, const StridedView& a, const StridedView& out) = 0;
  // a and b share a dtype; out has it too, or Bool for comparisons.
  virtual void binary(BinaryOp op, const StridedView& a, const StridedView& b,
                      const StridedView& out) = 0;
  // out = a op scalar, or scalar op a when `scalar_first` (for 1 - x, 2 / x, 2 ** x).
  virtual void binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                             const StridedView& out) = 0;
  // out = cond ? a : b, cond Bool, a/b/out one dtype, all of out's shape.
  virtual void where(const StridedView& cond, const StridedView& a, const StridedView& b,
                     const StridedView& out) = 0;

  // --- reductions ---------------------------------------------------------------------------
  // Reduces `a` over `axes` (sorted, unique, non-empty) into `out`, which is compact and has
  // a's shape with those axes set to 1. Argmax/Argmin take one axis and write Int64 indices
  // (the first maximum wins, as in NumPy).
  virtual void reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                      const StridedView& out) = 0;

  // --- linear algebra -----------------------------------------------------------------------
  // out (..., m, n) = a (..., m, k) @ b (..., k, n); the batch dims of a and b already have
  // out's batch shape (zero strides where broadcast); out is compact. Float32 and Float64.
  // A view whose last two axes are transposed is passed to BLAS as a transpose flag.
  virtual void matmul(const StridedView& a, const StridedView& b, const StridedView& out) = 0;

  // --- convolution --------------------------------------------------------------------------
  // Callers (src/autograd/ops/conv.cc) validate shapes and pass compact views of one floating
  // dtype; outputs are compact and fully overwritten. Not pure: a backend without convolution
  // still builds, and these throw DeviceError("conv2d is not supported by the <name> backend").
  // out (N, O, Ho, Wo) = conv(input (N, C, H, W), weight (O, C / groups, kh, kw)) + bias (O);
  // bias.data == nullptr means no bias.
  virtual void conv2d_forward(const StridedView& input, const StridedView& weight,
                              const StridedView& bias, const StridedView& out,
                              const Conv2dParams& params);
  // grad_input (N, C, H, W) = d<out, grad_out>/d input for the given weight.
  virtual void conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                     const StridedView& grad_input, const Conv2dParams& params);
  // grad_weight (O, C / groups, kh, kw) = d<out, grad_out>/d weight for the given input.
  virtual void conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                      const StridedView& grad_weight, const Conv2dParams& params);

  // --- convolution: all gradients at once, and the unfolded input kept for them --------------
  // All of a convolution's gradients in one call: grad_input (as conv2d_backward_input, needs
  // `weight`), grad_weight (as conv2d_backward_weight, needs `input`) and grad_bias (O) =
  // grad_out summed over N, H and W. Views with data == nullptr are gradients not asked for (or
  // inputs not needed); `columns` is described below. The default makes the separate calls
  // (and a sum reduction for the bias); a backend can fuse them into one pass over grad_out.
  virtual void conv2d_backward(const StridedView& grad_out, const StridedView& input,
                               const StridedView& weight, const StridedView& grad_input,
                               const StridedView& grad_weight, const StridedView& grad_bias,
                               const Conv2dParams& params, const StridedView& columns);
  // A backend that convolves by unfolding the input into a column matrix (im2col + GEMM) would
  // unfold the same input twice per training step: in the forward pass and again for the weight
  // gradient. The autograd op can instead keep the forward's columns until the backward pass.
  // conv2d_columns_size is that buffer's element count (of `dtype`) for these shapes, or 0
  // when the backend keeps none: the default, and a backend's answer when they would take too
  // much memory. Only when it is nonzero does the op call conv2d_forward_keeping_columns, with a
  // compact buffer of that many elements, and then pass the same buffer as conv2d_backward's
  // `columns` for the same, unchanged input (otherwise `columns` has data == nullptr).
  virtual int64_t conv2d_columns_size(const Shape& input, const Shape& weight, const Shape& out,
                                      const Conv2dParams& params, DType dtype) {
    return 0;
  }
  // conv2d_forward that also leaves the input's columns in `columns`.
  virtual void conv2d_forward_keeping_columns(const StridedView& input, const StridedView& weight,
                                              const StridedView& bias, const StridedView& out,
                                              const Conv2dParams& params,
                                              const StridedView& columns) {
    conv2d_forward(input, weight, bias, out, params);
  }

  // --- fused batch normalization (optional) --------------------------------------------------
  // x is a compact (N, C, ...) array; statistics are per channel (axis 1) over every other axis,
  // n = numel / C values each; weight, bias, mean, var, invstd, dweight and dbias are compact (C)
  // arrays of x's dtype. A backend that does not fuse these returns false, and the caller
  // (src/autograd/ops/batch_norm.cc) composes them from the primitives above instead.
  // Forward: mean, biased var, and y = (x - mean) / sqrt(var + eps) * weight + bias.
  virtual bool batch_norm_forward(const StridedView& x, const StridedView& weight,
                                  const StridedView& bias, double eps, const StridedView& y,
                                  const StridedView& mean, const StridedView& var) {
    return false;
  }
  // Backward, given invstd = 1 / sqrt(var + eps) and xhat = (x - mean) * invstd: dbias = sum(g),
  // dweight = sum(g * xhat), dx = weight * invstd * (g - dbias / n - xhat * dweight / n). dx may
  // be absent (data == nullptr) when x needs no gradient.
  virtual bool batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                                   const StridedView& mean, const StridedView& invstd,
                                   const StridedView& weight, const StridedView& grad_input,
                                   const StridedView& grad_weight, const StridedView& grad_bias) {
    return false;
  }

  // --- fused optimizer updates (optim/) ------------------------------------------------------
  // In-place parameter updates: `param`, `momentum_buf`, `exp_avg` and `exp_avg_sq` are written,
  // `grad` is only read; all views share param's shape and dtype. The defaults
  // (src/optim/backend_optimizer_steps.cc) compose the primitives above with scratch buffers,
  // so every backend is correct; a backend overrides them with a single fused pass.
  virtual void sgd_step(const StridedView& param, const StridedView& grad,
                        const StridedView& momentum_buf, const SgdStepArgs& args);
  virtual void adam_step(const StridedView& param, const StridedView& grad,
                         const StridedView& exp_avg, const StridedView& exp_avg_sq,
                         const AdamStepArgs& args);

  // --- index checks and host waits ----------------------------------------------------------
  // Checks lo <= v < hi for every element v of the integer array `values` (class labels,
  // gather indices) and throws IndexError(message(v, i)) for the first offending element in
  // row-major order, i being its row-major position. The default
  // (src/backend/check_index_range.cc) reads the values to the host and throws at once. A
  // backend whose work is queued asynchronously may check on the device instead and throw at
  // the next point where the host waits for that device anyway (copy_to_host, synchronize), so
  // that a training step needs no host round trip for its labels: the CUDA backend does.
  // `message` is kept until then; the views' memory need not be.
  virtual void check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                 IndexErrorMessage message);
  // How many times the host has waited for this backend's devices so far: every stream or
  // device synchronisation and every device-to-host copy it made (needle::cuda_host_sync_count).
  // 0 for a backend whose work is never queued (the CPU).
  virtual uint64_t host_sync_count() const { return 0; }
};

// The backend serving `type`; throws DeviceError when none is registered (e.g. CUDA in a
// CPU-only build).
Backend& backend_for(DeviceType type);
inline Backend& backend_for(const Device& device) {
  return backend_for(device.type);
}
bool has_backend(DeviceType type);
// Called once per device type at library load (a static registrar in each backend).
void register_backend(DeviceType type, std::unique_ptr<Backend> backend);

// Device memory owned by one backend, shared by every NDArray that views it.
class Storage {
 public:
  Storage(size_t nbytes, const Device& device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  const Device& device() const { return device_; }
  // Storages alive in this process: tests use it to prove that graphs and arrays are freed.
  static int64_t live_count();

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Backend* backend_ = nullptr;
};

}  // namespace needle

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

// Output spatial size of a convolution along one axis, or a ShapeError naming `op` when the
// (dilated) kernel does not fit in the padded input.
int64_t conv_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, const char* op = "conv2d");

// The output shape (N, O, Ho, Wo) of convolving an input of shape `input` (N, C, H, W) with a
// weight of shape `weight` (O, C / groups, kh, kw), or a ShapeError naming `op` when they do not
// fit: wrong ranks, non-positive stride or dilation, negative padding, groups that do not divide
// the channels, mismatched channels, an empty kernel, a kernel larger than the padded input.
// conv2d and the dispatch front's convolution entry points check with it
// (src/backend/conv2d_shape.cc).
Shape conv2d_output_shape(const Shape& input, const Shape& weight, const Conv2dParams& params,
                          const char* op = "conv2d");

// A compact array seen around one of its axes as (outer, n, inner): n values along `axis`,
// inner apart, at each of outer * inner positions. How the softmax kernels walk their rows.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
  int64_t rows() const { return outer * inner; }
};
AxisSplit split_at_axis(const Shape& shape, int64_t axis);

// One host -> device copy of an asynchronous upload (Backend::upload_async).
struct HostToDeviceCopy {
  const void* host = nullptr;  // pinned memory from Backend::allocate_pinned_host
  void* device_ptr = nullptr;  // into the backend's memory on the upload's device
  size_t nbytes = 0;
};

// State a backend hands out and takes back later, opaque above the seam: the backend keeps
// whatever it needs behind it and releases it with the last copy. An empty one means the backend
// kept nothing. `Tag` only keeps the different kinds of state apart as types.
template <typename Tag>
class OpaqueBackendState {
 public:
  OpaqueBackendState() = default;
  explicit OpaqueBackendState(std::shared_ptr<void> state) : state_(std::move(state)) {}
  explicit operator bool() const { return state_ != nullptr; }
  // For the backend that made it.
  void* state() const { return state_.get(); }

 private:
  std::shared_ptr<void> state_;
};

// An upload in flight (for CUDA, the copy's completion event). An empty ticket is an upload that
// already finished, which is what a backend without asynchronous uploads gives.
using UploadTicket = OpaqueBackendState<struct UploadTicketTag>;
// What a convolution's forward pass kept for its backward pass over the same, unchanged input
// (the CPU keeps the input unfolded into im2col columns when they fit its memory budget).
using Conv2dSaved = OpaqueBackendState<struct Conv2dSavedTag>;

// The most axes a view may have on any backend. The dispatch front rejects more with a
// ShapeError, so every backend sizes its index structs for this many (kernels/kernels.cuh, the
// CPU's strided_loop.h) and never checks again.
inline constexpr int kMaxDims = 16;

// The optional parts of the Backend interface. A backend says which it implements by
// overriding supports(); the dispatch front throws DeviceError("<what> is not supported by the
// <name> backend") when one that is not supported is called, and callers with a fallback ask
// first.
enum class BackendFeature : uint8_t {
  Conv2d,            // conv2d_forward, conv2d_backward_input, conv2d_backward_weight
  FusedBatchNorm,    // batch_norm_forward, batch_norm_backward (callers compose otherwise)
  PinnedHostMemory,  // allocate_pinned_host and free_pinned_host
};
const char* feature_name(BackendFeature feature);

// A Backend implements every kernel for one device type. The public kernel entry points are a
// non-virtual front (src/backend/): it validates the arguments once, for every backend (shapes,
// dtypes, ranks, devices, op codes, the feature being supported), skips work on empty outputs
// where nothing is to be done, and then calls the protected do_* method that the backend
// implements. A backend therefore receives checked arguments and never re-validates them; its
// own errors are about what only it knows (memory, device failures, a layout it cannot run).
// backends/README.md describes how a backend plugs in and how to run the conformance suite on it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // The device type whose memory this backend's views live in.
  virtual DeviceType device_type() const = 0;
  // How many devices of this type exist (1 for the CPU; 0 when no GPU is present).
  virtual int device_count() const = 0;
  // Why device_count() is what it is, in words, for error messages and cuda_status().
  virtual std::string availability() const = 0;
  // Whether this backend implements an optional part of the interface (none by default).
  virtual bool supports(BackendFeature feature) const { return false; }

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

  // --- pinned host memory and asynchronous uploads (DataLoader's pin_memory) -----------------
  // Page-locked host memory of at least `nbytes` that every device of this backend can DMA
  // from without a staging copy (BackendFeature::PinnedHostMemory; the CPU has none, its memory
  // is the host's). Slow to allocate and free (freeing may synchronise the device): callers
  // keep such buffers in a pool.
  void* allocate_pinned_host(size_t nbytes);
  void free_pinned_host(void* ptr);
  // Starts `copies` to `device` and returns without waiting: the copies run after the device's
  // work queued so far (so the destinations may be blocks just reused from that work) but are
  // not ordered with work queued later. Until order_after_upload(ticket) nothing may read the
  // destinations; until upload_finished(ticket) the host memory must stay untouched. The
  // default (src/backend/upload_defaults.cc) copies with copy_from_host and returns an empty,
  // finished ticket, for which the three calls below have nothing to wait for.
  virtual UploadTicket upload_async(std::span<const HostToDeviceCopy> copies, const Device& device);
  // Orders the device's work queued from now on after the upload, without a host wait.
  virtual void order_after_upload(const UploadTicket& ticket) {}
  // Whether the upload has finished reading its host memory; never blocks.
  virtual bool upload_finished(const UploadTicket& ticket) { return true; }
  // Blocks the calling thread until it has.
  virtual void wait_upload(const UploadTicket& ticket) {}

  // The kernel entry points below are the checking front: every view must have at most
  // kMaxDims axes, one stride per axis and a device of this backend that exists, and all views of
  // one call must be on the same device (copy excepted, which may join two devices of this
  // backend).

  // --- data movement ------------------------------------------------------------------------
  // dst[i] = cast<dst.dtype>(src[i]) for every multi-index i; equal shapes, any dtypes, any
  // strides. This is compact(), astype(), contiguous copies and slice assignment in one.
  void copy(const StridedView& src, const StridedView& dst);
  // Every element of dst (strided) = value cast to dst.dtype.
  void fill(const StridedView& dst, double value);
  // dst (floating, any strides) = uniform [low, high) or normal(mean, std) from Philox counters
  // offset, offset+1, ... under `seed`, in dst's row-major order (src/core/philox.h): the same
  // seed gives the same numbers on every backend.
  void random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                      double high);
  void random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                     double std);

  // --- elementwise --------------------------------------------------------------------------
  // All views have out's shape (broadcasting is already expressed as zero strides). `a` has a
  // dtype the op accepts (op_domain) and out has result_dtype(op_result(op), a.dtype).
  void unary(UnaryOp op, const StridedView& a, const StridedView& out);
  // a and b share a dtype; out has it too, or Bool for comparisons.
  void binary(BinaryOp op, const StridedView& a, const StridedView& b, const StridedView& out);
  // out = a op scalar, or scalar op a when `scalar_first` (for 1 - x, 2 / x, 2 ** x).
  void binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                     const StridedView& out);
  // out = cond ? a : b, cond Bool, a/b/out one dtype, all of out's shape.
  void where(const StridedView& cond, const StridedView& a, const StridedView& b,
             const StridedView& out);

  // --- reductions ---------------------------------------------------------------------------
  // Reduces `a` over `axes` (sorted, unique, non-empty) into `out`, which is compact and has
  // a's shape with those axes set to 1. Argmax/Argmin take one axis and write Int64 indices
  // (the first maximum wins, as in NumPy); only Sum may reduce an empty axis (to 0).
  void reduce(ReduceOp op, const StridedView& a, const Axes& axes, const StridedView& out);

  // --- linear algebra -----------------------------------------------------------------------
  // out (..., m, n) = a (..., m, k) @ b (..., k, n); the batch dims of a and b already have
  // out's batch shape (zero strides where broadcast); out is compact. Float32 and Float64.
  // A view whose last two axes are transposed is passed to BLAS as a transpose flag.
  void matmul(const StridedView& a, const StridedView& b, const StridedView& out);

  // --- softmax ------------------------------------------------------------------------------
  // out = softmax(a) along `axis` (exp(a - max) / sum(exp(a - max)), each row shifted by its
  // maximum so no exp overflows), or log_softmax(a) = a - max - log(sum(exp(a - max))) with
  // `log`. a and out are compact, of one shape and one floating dtype; 0 <= axis < ndim. A row
  // holding +inf or only -inf gives NaN, as in PyTorch.
  void softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out);
  // The gradient through it from its output: with y = out of softmax,
  // grad_input = y * (grad_out - sum(grad_out * y)); with y = out of log_softmax,
  // grad_input = grad_out - exp(y) * sum(grad_out), sums along `axis`. All views compact, of
  // one shape and floating dtype.
  void softmax_backward(const StridedView& out, const StridedView& grad_out, int64_t axis, bool log,
                        const StridedView& grad_input);

  // --- convolution (BackendFeature::Conv2d) --------------------------------------------------
  // Compact views of one floating dtype, shapes as conv2d_output_shape says; outputs are fully
  // overwritten. out (N, O, Ho, Wo) = conv(input (N, C, H, W), weight (O, C / groups, kh, kw)) +
  // bias (O); bias.data == nullptr means no bias. With `save_for_backward` the backend may keep
  // what its backward pass would otherwise recompute; the caller passes the result to
  // conv2d_backward for the same, unchanged input, or drops it.
  Conv2dSaved conv2d_forward(const StridedView& input, const StridedView& weight,
                             const StridedView& bias, const StridedView& out,
                             const Conv2dParams& params, bool save_for_backward = false);
  // grad_input (N, C, H, W) = d<out, grad_out>/d input for the given weight.
  void conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                             const StridedView& grad_input, const Conv2dParams& params);
  // grad_weight (O, C / groups, kh, kw) = d<out, grad_out>/d weight for the given input.
  void conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                              const StridedView& grad_weight, const Conv2dParams& params);
  // All of a convolution's gradients in one call: grad_input (needs `weight`), grad_weight
  // (needs `input`) and grad_bias (O) = grad_out summed over N, H and W. Views with
  // data == nullptr are gradients not asked for (or inputs not needed); `saved` is what
  // conv2d_forward returned for this input, or empty.
  void conv2d_backward(const StridedView& grad_out, const StridedView& input,
                       const StridedView& weight, const StridedView& grad_input,
                       const StridedView& grad_weight, const StridedView& grad_bias,
                       const Conv2dParams& params, const Conv2dSaved& saved = {});

  // --- fused batch normalization (BackendFeature::FusedBatchNorm) ----------------------------
  // x is a compact (N, C, ...) array; statistics are per channel (axis 1) over every other axis,
  // n = numel / C values each; weight, bias, mean, var, invstd, dweight and dbias are compact (C)
  // arrays of x's dtype (weight and bias may be absent, data == nullptr). A backend without the
  // feature leaves the caller (src/autograd/ops/batch_norm.cc) to compose them from the
  // primitives above. Forward: mean, biased var, y = (x - mean) / sqrt(var + eps) * weight + bias.
  void batch_norm_forward(const StridedView& x, const StridedView& weight, const StridedView& bias,
                          double eps, const StridedView& y, const StridedView& mean,
                          const StridedView& var);
  // Backward, given invstd = 1 / sqrt(var + eps) and xhat = (x - mean) * invstd: dbias = sum(g),
  // dweight = sum(g * xhat), dx = weight * invstd * (g - dbias / n - xhat * dweight / n). dbias
  // and dweight are always written; dx may be absent (data == nullptr) when x needs no gradient,
  // and weight when it is all ones.
  void batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                           const StridedView& mean, const StridedView& invstd,
                           const StridedView& weight, const StridedView& grad_input,
                           const StridedView& grad_weight, const StridedView& grad_bias);

  // --- optimizer updates (optim/) ------------------------------------------------------------
  // In-place parameter updates: `param`, `momentum_buf`, `exp_avg` and `exp_avg_sq` are written,
  // `grad` is only read; all views share param's shape and floating dtype (momentum_buf may be
  // absent without momentum). The defaults (src/backend/composed_optimizer_steps.cc) compose the
  // primitives above, so every backend is correct; a backend may override them with one fused
  // pass.
  void sgd_step(const StridedView& param, const StridedView& grad, const StridedView& momentum_buf,
                const SgdStepArgs& args);
  void adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
                 const StridedView& exp_avg_sq, const AdamStepArgs& args);

  // --- index checks and host waits ----------------------------------------------------------
  // Checks lo <= v < hi for every element v of the integer array `values` (class labels,
  // gather indices) and throws IndexError(message(v, i)) for the first offending element in
  // row-major order, i being its row-major position. The default
  // (src/backend/check_index_range.cc) reads the values to the host and throws at once. A
  // backend whose work is queued asynchronously may check on the device instead and throw at
  // the next point where the host waits for that device anyway (copy_to_host, synchronize), so
  // that a training step needs no host round trip for its labels: the CUDA backend does.
  // `message` is kept until then; the views' memory need not be.
  void check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                         IndexErrorMessage message);
  // How many times the host has waited for this backend's devices so far: every stream or
  // device synchronisation and every device-to-host copy it made (needle::cuda_host_sync_count).
  // 0 for a backend whose work is never queued (the CPU).
  virtual uint64_t host_sync_count() const { return 0; }

 protected:
  // What a backend implements, called by the front above with checked arguments (the same
  // contract, minus the checks) and never with an empty output, except where noted. The
  // optional ones have bodies that throw the front's "not supported" error, for a backend
  // whose supports() claims a feature it does not implement.
  virtual void do_copy(const StridedView& src, const StridedView& dst) = 0;
  virtual void do_fill(const StridedView& dst, double value) = 0;
  virtual void do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                                 double high) = 0;
  virtual void do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                                double std) = 0;
  virtual void do_unary(UnaryOp op, const StridedView& a, const StridedView& out) = 0;
  virtual void do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                         const StridedView& out) = 0;
  virtual void do_binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                                const StridedView& out) = 0;
  virtual void do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                        const StridedView& out) = 0;
  // Never called with an empty output or (for Sum, the only op that may) an empty reduced axis:
  // the front fills those outputs itself.
  virtual void do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                         const StridedView& out) = 0;
  // Never called with k == 0 either (the front writes the zeros).
  virtual void do_matmul(const StridedView& a, const StridedView& b, const StridedView& out) = 0;

  virtual void do_softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) = 0;
  virtual void do_softmax_backward(const StridedView& out, const StridedView& grad_out,
                                   int64_t axis, bool log, const StridedView& grad_input) = 0;

  virtual void* do_allocate_pinned_host(size_t nbytes);
  virtual void do_free_pinned_host(void* ptr);

  virtual Conv2dSaved do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                        const StridedView& bias, const StridedView& out,
                                        const Conv2dParams& params, bool save_for_backward);
  virtual void do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                        const StridedView& grad_input, const Conv2dParams& params);
  virtual void do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                         const StridedView& grad_weight,
                                         const Conv2dParams& params);
  // Composed from the two above and a Sum reduction (src/backend/conv2d_composed.cc); a
  // backend may fuse them into one pass over grad_out and use what its forward saved.
  virtual void do_conv2d_backward(const StridedView& grad_out, const StridedView& input,
                                  const StridedView& weight, const StridedView& grad_input,
                                  const StridedView& grad_weight, const StridedView& grad_bias,
                                  const Conv2dParams& params, const Conv2dSaved& saved);

  virtual void do_batch_norm_forward(const StridedView& x, const StridedView& weight,
                                     const StridedView& bias, double eps, const StridedView& y,
                                     const StridedView& mean, const StridedView& var);
  virtual void do_batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                                      const StridedView& mean, const StridedView& invstd,
                                      const StridedView& weight, const StridedView& grad_input,
                                      const StridedView& grad_weight, const StridedView& grad_bias);

  virtual void do_sgd_step(const StridedView& param, const StridedView& grad,
                           const StridedView& momentum_buf, const SgdStepArgs& args);
  virtual void do_adam_step(const StridedView& param, const StridedView& grad,
                            const StridedView& exp_avg, const StridedView& exp_avg_sq,
                            const AdamStepArgs& args);

  virtual void do_check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                    IndexErrorMessage message);

  // The front's error for an optional part this backend does not implement.
  [[noreturn]] void throw_unsupported(BackendFeature feature) const;
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

// CudaBackend: argument checks, view -> kernel-struct conversion and launches for everything
// but matmul (matmul.cc). See cuda_backend.h.
#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "backends/cuda/async_upload.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

struct Registrar {
  Registrar() { register_backend(DeviceType::CUDA, std::make_unique<CudaBackend>()); }
};
const Registrar registrar;

// Pinned host buffers allocated and not yet freed (pinned_host_buffers_live, for tests).
std::atomic<size_t> pinned_host_live{0};

StridedView dense_like(const StridedView& v, void* data) {
  return StridedView{data, 0, v.shape, compact_strides(v.shape), v.dtype, v.device};
}

}  // namespace

// --- devices ------------------------------------------------------------------------------------

void CudaBackend::probe() const {
  std::call_once(probe_once_, [this] {
    int n = 0;
    const cudaError_t status = cudaGetDeviceCount(&n);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      count_ = 0;
      status_ = fmt::format("no CUDA device: {} ({})", cudaGetErrorString(status),
                            cudaGetErrorName(status));
      return;
    }
    if (n <= 0) {
      status_ = "no CUDA device: the driver reports none";
      return;
    }
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
      cudaDeviceProp p{};
      if (cudaGetDeviceProperties(&p, i) == cudaSuccess) {
        names.push_back(fmt::format("cuda:{} {} (sm_{}{}, {} MiB)", i, p.name, p.major, p.minor,
                                    p.totalGlobalMem >> 20));
      } else {
        (void)cudaGetLastError();
        names.push_back(fmt::format("cuda:{}", i));
      }
    }
    count_ = n;
    status_ = fmt::format("{} CUDA device(s): {}", n, fmt::join(names, ", "));
  });
}

int CudaBackend::device_count() const {
  probe();
  return count_;
}

std::string CudaBackend::availability() const {
  probe();
  return status_;
}

int CudaBackend::checked_index(const Device& device, const char* op) const {
  probe();
  NEEDLE_CHECK_AS(DeviceError, device.is_cuda() && device.index >= 0 && device.index < count_,
                  "{}: {} is not an available CUDA device ({})", op, device.str(), status_);
  return device.index;
}

// --- memory -------------------------------------------------------------------------------------

void* CudaBackend::allocate(size_t nbytes, const Device& device) {
  return allocator_.allocate(nbytes, checked_index(device, "allocate"));
}

void CudaBackend::deallocate(void* ptr, size_t /*nbytes*/, const Device& device) {
  // Not checked_index: a pointer returned by allocate() has an existing device, and freeing
  // must not need the driver. A pointer that is not live here is a caller's bug (a double
  // free, or memory from elsewhere): say so rather than corrupt the cache.
  NEEDLE_CHECK_AS(DeviceError, device.is_cuda() && device.index >= 0,
                  "deallocate: {} is not a CUDA device", device.str());
  NEEDLE_CHECK_AS(DeviceError, allocator_.deallocate(ptr, device.index),
                  "deallocate: {} on {} was not allocated by the CUDA backend or was already "
                  "freed",
                  fmt::ptr(ptr), device.str());
}

MemoryStats CudaBackend::memory_stats(const Device& device) const {
  return allocator_.stats(checked_index(device, "memory_stats"));
}

void CudaBackend::empty_cache() {
  if (device_count() > 0) allocator_.empty_cache();
}

void CudaBackend::synchronize(const Device& device) {
  const int index = checked_index(device, "synchronize");
  DeviceGuard guard(index);
  stream_synchronize(stream_for(index));
  synchronize_uploads(index);
  index_checks_.raise_failed(index);
}

CudaBackend::Scratch::Scratch(CudaBackend& backend, size_t nbytes, int device)
    : backend_(backend), ptr_(backend.allocator_.allocate(nbytes, device)), device_(device) {}

CudaBackend::Scratch::~Scratch() {
  if (!backend_.allocator_.deallocate(ptr_, device_)) {
    // Cannot happen (the block came from this allocator); a destructor must not throw.
    fmt::print(stderr, "needle: CUDA scratch block {} on cuda:{} was not live when freed\n",
               fmt::ptr(ptr_), device_);
  }
}

void CudaBackend::copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                                 const Device& device) {
  staging_.copy_from_host(host, device_ptr, nbytes, checked_index(device, "copy_from_host"));
}

void CudaBackend::copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                               const Device& device) {
  const int index = checked_index(device, "copy_to_host");
  staging_.copy_to_host(device_ptr, host, nbytes, index);
  index_checks_.raise_failed(index);  // the host has just waited for the device anyway
}

// --- pinned host memory and asynchronous uploads ------------------------------------------------

void* CudaBackend::allocate_pinned_host(size_t nbytes) {
  if (device_count() == 0) return nullptr;  // no driver to pin with: callers stay pageable
  void* ptr = nullptr;
  // Portable: pinned for every GPU's context, whichever device the loader targets.
  NEEDLE_CUDA_CHECK(cudaHostAlloc(&ptr, std::max<size_t>(nbytes, 1), cudaHostAllocPortable));
  pinned_host_live.fetch_add(1);
  return ptr;
}

void CudaBackend::free_pinned_host(void* ptr) {
  if (ptr == nullptr) return;
  NEEDLE_CUDA_CHECK(cudaFreeHost(ptr));
  pinned_host_live.fetch_sub(1);
}

UploadTicket CudaBackend::upload_async(std::span<const HostToDeviceCopy> copies,
                                       const Device& device) {
  const int index = checked_index(device, "upload_async");
  if (copies.empty()) return UploadTicket();
  return cuda_backend::upload_async(copies, index);
}

void CudaBackend::order_after_upload(const UploadTicket& ticket) {
  cuda_backend::order_after_upload(ticket);
}

bool CudaBackend::upload_finished(const UploadTicket& ticket) {
  return cuda_backend::upload_finished(ticket);
}

void CudaBackend::wait_upload(const UploadTicket& ticket) {
  cuda_backend::wait_upload(ticket);
}

size_t async_uploads_started() {
  return uploads_started();
}

size_t pinned_host_buffers_live() {
  return pinned_host_live.load();
}

const void* copy_stream_handle(int device) {
  return copy_stream_for(device);
}

const void* compute_stream_handle(int device) {
  return stream_for(device);
}

// --- data movement ------------------------------------------------------------------------------

void CudaBackend::copy(const StridedView& src, const StridedView& dst) {
  const int dst_index = checked_index(dst.device, "copy");
  const int src_index = checked_index(src.device, "copy");
  NEEDLE_CHECK_AS(ShapeError, src.shape == dst.shape, "copy: source shape {} differs from {}",
                  shape_str(src.shape), shape_str(dst.shape));
  if (src.numel() == 0) return;
  DeviceGuard guard(dst_index);
  if (src.dtype == dst.dtype && src.is_contiguous() && dst.is_contiguous()) {
    const size_t bytes = static_cast<size_t>(src.numel()) * dtype_size(src.dtype);
    void* d = first_element(dst);
    const void* s = first_element(src);
    if (src_index == dst_index) {
      if (d != s) {
        NEEDLE_CUDA_CHECK(
            cudaMemcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice, stream_for(dst_index)));
        NEEDLE_CUDA_QUEUED(stream_for(dst_index), "copy (cudaMemcpyAsync)");
      }
    } else {
      // The source's queued writes must land before another device's stream reads it.
      stream_synchronize(stream_for(src_index));
      NEEDLE_CUDA_CHECK(
          cudaMemcpyPeerAsync(d, dst_index, s, src_index, bytes, stream_for(dst_index)));
      // The source block may be freed as soon as this returns, and the caching allocator then
      // hands it to the next request on the source device's stream, which does not wait for the
      // destination's: the copy must have read it by then. (Cross-device copies are rare; a
      // wait here is simpler than cross-stream bookkeeping of every freed block.)
      stream_synchronize(stream_for(dst_index));
    }
    return;
  }
  NEEDLE_CHECK_AS(DeviceError, src_index == dst_index,
                  "copy: a strided or converting copy between {} and {} is not supported; copy "
                  "densely first",
                  src.device.str(), dst.device.str());
  const kernels::ElementwiseArgs args = make_elementwise_args("copy", {&dst, &src});
  kernels::launch_copy(args, stream_for(dst_index));
}

void CudaBackend::fill(const StridedView& dst, double value) {
  const int index = checked_index(dst.device, "fill");
  if (dst.numel() == 0) return;
  DeviceGuard guard(index);
  if (dst.is_contiguous() && value == 0.0 && !std::signbit(value)) {
    NEEDLE_CUDA_CHECK(cudaMemsetAsync(first_element(dst), 0,
                                      static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype),
                                      stream_for(index)));
    NEEDLE_CUDA_QUEUED(stream_for(index), "fill (cudaMemsetAsync)");
    return;
  }
  kernels::launch_fill(make_elementwise_args("fill", {&dst}), value, stream_for(index));
}

void CudaBackend::random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                                 double high) {
  const int index = checked_index(dst.device, "random_uniform");
  if (dst.numel() == 0) return;
  DeviceGuard guard(index);
  if (!dst.is_contiguous()) {
    // Draw densely in row-major order (counter offset + i for element i), then scatter.
    Scratch dense(*this, static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype), index);
    const StridedView view = dense_like(dst, dense.get());
    random_uniform(view, seed, offset, low, high);
    copy(view, dst);
    return;
  }
  kernels::launch_random_uniform(dst.dtype, first_element(dst), dst.numel(), seed, offset, low,
                                 high, stream_for(index));
}

void CudaBackend::random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                                double std) {
  const int index = checked_index(dst.device, "random_normal");
  if (dst.numel() == 0) return;
  DeviceGuard guard(index);
  if (!dst.is_contiguous()) {
    Scratch dense(*this, static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype), index);
    const StridedView view = dense_like(dst, dense.get());
    random_normal(view, seed, offset, mean, std);
    copy(view, dst);
    return;
  }
  kernels::launch_random_normal(dst.dtype, first_element(dst), dst.numel(), seed, offset, mean, std,
                                stream_for(index));
}

// --- elementwise --------------------------------------------------------------------------------

void CudaBackend::unary(UnaryOp op, const StridedView& a, const StridedView& out) {
  const char* name = op_name(op);
  const int index = check_devices(name, {&out, &a});
  checked_index(out.device, name);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  NEEDLE_CHECK_AS(DTypeError, !requires_floating(op) || is_floating(a.dtype),
                  "{}: dtype {} is not supported (float32 or float64 expected)", name,
                  dtype_name(a.dtype));
  const kernels::ElementwiseArgs args = make_elementwise_args(name, {&out, &a});
  if (args.numel == 0) return;
  DeviceGuard guard(index);
  kernels::launch_unary(op, args, name, stream_for(index));
}

void CudaBackend::binary(BinaryOp op, const StridedView& a, const StridedView& b,
                         const StridedView& out) {
  const char* name = op_name(op);
  const int index = check_devices(name, {&out, &a, &b});
  checked_index(out.device, name);
  check_dtype(name, "rhs", b, a.dtype);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  const kernels::ElementwiseArgs args = make_elementwise_args(name, {&out, &a, &b});
  if (args.numel == 0) return;
  DeviceGuard guard(index);
  kernels::launch_binary(op, args, name, stream_for(index));
}

void CudaBackend::binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                                const StridedView& out) {
  const char* name = op_name(op);
  const int index = check_devices(name, {&out, &a});
  checked_index(out.device, name);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  const kernels::ElementwiseArgs args = make_elementwise_args(name, {&out, &a});
  if (args.numel == 0) return;
  DeviceGuard guard(index);
  kernels::launch_binary_scalar(op, args, scalar, scalar_first, name, stream_for(index));
}

void CudaBackend::where(const StridedView& cond, const StridedView& a, const StridedView& b,
                        const StridedView& out) {
  const int index = check_devices("where", {&out, &cond, &a, &b});
  checked_index(out.device, "where");
  check_dtype("where", "condition", cond, DType::Bool);
  check_dtype("where", "lhs", a, out.dtype);
  check_dtype("where", "rhs", b, out.dtype);
  const kernels::ElementwiseArgs args = make_elementwise_args("where", {&out, &cond, &a, &b});
  if (args.numel == 0) return;
  DeviceGuard guard(index);
  kernels::launch_where(args, stream_for(index));
}

// --- reductions ---------------------------------------------------------------------------------

void CudaBackend::reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                         const StridedView& out) {
  const char* name = op_name(op);
  const int index = check_devices(name, {&a, &out});
  checked_index(a.device, name);
  const bool arg = op == ReduceOp::Argmax || op == ReduceOp::Argmin;
  NEEDLE_CHECK_AS(ShapeError, !axes.empty(), "{}: no axes to reduce over", name);
  std::vector<bool> reduced(a.shape.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    NEEDLE_CHECK_AS(ShapeError, axes[i] >= 0 && axes[i] < a.ndim(),
                    "{}: axis {} out of range for {} dimensions", name, axes[i], a.ndim());
    NEEDLE_CHECK_AS(ShapeError, i == 0 || axes[i] > axes[i - 1],
                    "{}: axes must be sorted and unique", name);
    reduced[static_cast<size_t>(axes[i])] = true;
  }
  NEEDLE_CHECK_AS(ShapeError, !arg || axes.size() == 1, "{}: takes exactly one axis, got {}", name,
                  axes.size());
  Shape expected = a.shape;
  for (int64_t ax : axes)
    expected[static_cast<size_t>(ax)] = 1;
  NEEDLE_CHECK_AS(ShapeError, out.shape == expected, "{}: output shape {} should be {}", name,
                  shape_str(out.shape), shape_str(expected));
  NEEDLE_CHECK_AS(ShapeError, out.is_contiguous(), "{}: output must be compact", name);
  if (arg) {
    check_dtype(name, "output", out, DType::Int64);
  } else {
    check_dtype(name, "output", out, a.dtype);
  }

  kernels::ReduceArgs args;
  args.in = first_element(a);
  args.in_dtype = a.dtype;
  args.out = first_element(out);
  args.out_dtype = out.dtype;
  args.M = 1;
  args.R = 1;
  // Outer-to-inner runs of kept and of reduced axes, merged where memory allows.
  std::vector<int64_t> ks, kst, rs, rst;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    const int64_t size = a.shape[d], stride = a.strides[d];
    (reduced[d] ? args.R : args.M) *= size;
    if (size == 1) continue;
    auto& sizes = reduced[d] ? rs : ks;
    auto& strides = reduced[d] ? rst : kst;
    if (!sizes.empty() && strides.back() == stride * size) {
      sizes.back() *= size;
      strides.back() = stride;
    } else {
      sizes.push_back(size);
      strides.push_back(stride);
    }
  }
  if (args.M == 0) return;
  if (args.R == 0) {
    NEEDLE_CHECK_AS(ShapeError, op == ReduceOp::Sum,
                    "{}: cannot reduce an empty axis (input shape {})", name, shape_str(a.shape));
    fill(out, 0.0);
    return;
  }
  NEEDLE_CHECK_AS(ShapeError,
                  ks.size() <= size_t(kernels::kMaxDims) && rs.size() <= size_t(kernels::kMaxDims),
                  "{}: the CUDA backend supports at most {} non-mergeable axes, got shape {}", name,
                  kernels::kMaxDims, shape_str(a.shape));
  int64_t span = 0;
  args.kept_ndim = static_cast<int>(ks.size());
  for (int d = 0; d < args.kept_ndim; ++d) {
    args.kept_sizes[d] = ks[ks.size() - 1 - d];
    args.kept_strides[d] = kst[ks.size() - 1 - d];
    span += std::llabs(args.kept_strides[d]) * (args.kept_sizes[d] - 1);
  }
  args.red_ndim = static_cast<int>(rs.size());
  for (int d = 0; d < args.red_ndim; ++d) {
    args.red_sizes[d] = rs[rs.size() - 1 - d];
    args.red_strides[d] = rst[rs.size() - 1 - d];
    span += std::llabs(args.red_strides[d]) * (args.red_sizes[d] - 1);
  }
  args.index32 = args.M * args.R <= (int64_t(1) << 30) && span < (int64_t(1) << 31);

  DeviceGuard guard(index);
  DeviceContext& ctx = device_context(index);
  const kernels::ReducePlan plan = kernels::plan_reduce(op, args, ctx.props.multiProcessorCount);
  if (plan.workspace_bytes > 0) {
    Scratch workspace(*this, plan.workspace_bytes, index);
    kernels::launch_reduce(op, args, plan, workspace.get(), name, ctx.stream);
  } else {
    kernels::launch_reduce(op, args, plan, nullptr, name, ctx.stream);
  }
}

// --- index checks and host waits ---------------------------------------------------------------

void CudaBackend::check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                    IndexErrorMessage message) {
  const int index = checked_index(values.device, "check_index_range");
  index_checks_.check(values, lo, hi, std::move(message), index);
}

uint64_t CudaBackend::host_sync_count() const {
  return cuda_backend::host_sync_count();
}

// --- fused optimizer updates --------------------------------------------------------------------

namespace {
bool dense_as(const StridedView& param, const StridedView& v) {
  return v.data != nullptr && v.shape == param.shape && v.dtype == param.dtype &&
         v.device == param.device && v.is_contiguous();
}
}  // namespace

void CudaBackend::sgd_step(const StridedView& param, const StridedView& grad,
                           const StridedView& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;
  if (!is_floating(param.dtype) || !param.is_contiguous() || !dense_as(param, grad) ||
      (use_momentum && !dense_as(param, momentum_buf))) {
    Backend::sgd_step(param, grad, momentum_buf, args);  // composed from the primitives
    return;
  }
  const int index = checked_index(param.device, "sgd_step");
  DeviceGuard guard(index);
  kernels::launch_sgd_step(param.dtype, first_element(param), first_element(grad),
                           use_momentum ? first_element(momentum_buf) : nullptr, param.numel(),
                           args.lr, args.weight_decay, args.momentum, args.nesterov,
                           stream_for(index));
}

void CudaBackend::adam_step(const StridedView& param, const StridedView& grad,
                            const StridedView& exp_avg, const StridedView& exp_avg_sq,
                            const AdamStepArgs& args) {
  if (!is_floating(param.dtype) || !param.is_contiguous() || !dense_as(param, grad) ||
      !dense_as(param, exp_avg) || !dense_as(param, exp_avg_sq) || args.step < 1) {
    Backend::adam_step(param, grad, exp_avg, exp_avg_sq, args);
    return;
  }
  const int index = checked_index(param.device, "adam_step");
  DeviceGuard guard(index);
  const double t = static_cast<double>(args.step);
  const double step_size = args.lr / (1.0 - std::pow(args.beta1, t));
  const double inv_bc2 = 1.0 / (1.0 - std::pow(args.beta2, t));
  const bool decoupled = args.decoupled_weight_decay;
  kernels::launch_adam_step(param.dtype, first_element(param), first_element(grad),
                            first_element(exp_avg), first_element(exp_avg_sq), param.numel(),
                            args.beta1, args.beta2, step_size, inv_bc2, args.eps,
                            decoupled ? 0.0 : args.weight_decay,
                            decoupled ? 1.0 - args.lr * args.weight_decay : 1.0, stream_for(index));
}

}  // namespace needle::cuda_backend

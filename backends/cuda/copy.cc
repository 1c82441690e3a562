// CudaBackend's data movement: copies within one GPU (cudaMemcpyAsync when dense, the copy kernel
// when strided or converting) and between GPUs (peer copies), fills (cudaMemsetAsync for zeros),
// and the Philox random fills (kernels/random.cu), drawn densely and scattered for strided
// destinations so that element i always gets counter offset + i in row-major order.
#include <cmath>

#include <cuda_runtime.h>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"
#include "needle/error.h"

namespace needle::cuda_backend {

void CudaBackend::do_copy(const StridedView& src, const StridedView& dst) {
  const int dst_index = dst.device.index;
  const int src_index = src.device.index;
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
  const kernels::ElementwiseArgs args = make_elementwise_args({&dst, &src});
  kernels::launch_copy(args, stream_for(dst_index));
}

void CudaBackend::do_fill(const StridedView& dst, double value) {
  const int index = dst.device.index;
  DeviceGuard guard(index);
  if (dst.is_contiguous() && value == 0.0 && !std::signbit(value)) {
    NEEDLE_CUDA_CHECK(cudaMemsetAsync(first_element(dst), 0,
                                      static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype),
                                      stream_for(index)));
    NEEDLE_CUDA_QUEUED(stream_for(index), "fill (cudaMemsetAsync)");
    return;
  }
  kernels::launch_fill(make_elementwise_args({&dst}), value, stream_for(index));
}

void CudaBackend::do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset,
                                    double low, double high) {
  const int index = dst.device.index;
  DeviceGuard guard(index);
  if (!dst.is_contiguous()) {
    // Draw densely in row-major order (counter offset + i for element i), then scatter.
    Scratch dense(*this, static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype), index);
    const StridedView view = dense_like(dst, dense.get());
    do_random_uniform(view, seed, offset, low, high);
    do_copy(view, dst);
    return;
  }
  kernels::launch_random_uniform(dst.dtype, first_element(dst), dst.numel(), seed, offset, low,
                                 high, stream_for(index));
}

void CudaBackend::do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset,
                                   double mean, double std) {
  const int index = dst.device.index;
  DeviceGuard guard(index);
  if (!dst.is_contiguous()) {
    Scratch dense(*this, static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype), index);
    const StridedView view = dense_like(dst, dense.get());
    do_random_normal(view, seed, offset, mean, std);
    do_copy(view, dst);
    return;
  }
  kernels::launch_random_normal(dst.dtype, first_element(dst), dst.numel(), seed, offset, mean, std,
                                stream_for(index));
}

}  // namespace needle::cuda_backend

// Counter-based random fills. Element i uses Philox counter offset + i and exactly the CPU
// backend's arithmetic (backends/cpu/copy.cc), so a seed gives the same array on both devices:
// uniform values are bit-identical; normal values may differ in the last bits only where the
// GPU's double log/cos round differently from glibc's. The _rn intrinsics stop nvcc from fusing
// `low + span * u` into an FMA, which the CPU build never does.
#include "kernels/common.cuh"
#include "src/core/philox.h"

namespace needle::kernels {
namespace {

template <typename T>
__global__ void __launch_bounds__(kThreads)
    uniform_kernel(T* dst, int64_t n, uint64_t seed, uint64_t offset, double low, double span,
                   double high) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const double u = philox::uniform(seed, offset + static_cast<uint64_t>(i));
    T r = static_cast<T>(__dadd_rn(low, __dmul_rn(span, u)));
    // Rounding to a narrow type can land on `high`; keep [low, high) as the CPU does.
    if constexpr (kIsFloat<T>) {
      if (high > low && r >= static_cast<T>(high)) {
        if constexpr (std::is_same<T, float>::value) {
          r = nextafterf(static_cast<float>(high), static_cast<float>(low));
        } else {
          r = nextafter(high, low);
        }
      }
    }
    dst[i] = r;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    normal_kernel(T* dst, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const double z = philox::normal(seed, offset + static_cast<uint64_t>(i));
    dst[i] = static_cast<T>(__dadd_rn(mean, __dmul_rn(std, z)));
  }
}

}  // namespace

void launch_random_uniform(DType dtype, void* dst, int64_t n, uint64_t seed, uint64_t offset,
                           double low, double high, cudaStream_t stream) {
  if (n == 0) return;
  const double span = high - low;
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    uniform_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(dst), n, seed,
                                                                      offset, low, span, high);
  });
  NEEDLE_CHECK_LAUNCH("random_uniform", stream);
}

void launch_random_normal(DType dtype, void* dst, int64_t n, uint64_t seed, uint64_t offset,
                          double mean, double std, cudaStream_t stream) {
  if (n == 0) return;
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    normal_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(dst), n, seed,
                                                                     offset, mean, std);
  });
  NEEDLE_CHECK_LAUNCH("random_normal", stream);
}

}  // namespace needle::kernels

// Device-side building blocks shared by the kernel files: dtype dispatch on the host side of a
// .cu file, strided offset calculation, launch sizing and value casts. C++17 only.
#pragma once

#include <cstdint>
#include <type_traits>

#include <cuda_runtime.h>

#include "kernels/kernels.cuh"

namespace needle::kernels {

constexpr int kThreads = 256;

// Calls fn(TypeTag<T>{}) for the C++ type of `dt` (bool stored as one byte, like the CPU side).
template <typename Fn>
inline void dispatch(DType dt, Fn&& fn) {
  if (!visit_dtype(dt, fn)) throw_unknown_code("dtype", static_cast<int>(dt));
}

template <typename T>
constexpr bool kIsFloat = std::is_floating_point<T>::value;

// dtype conversion with the CPU's meaning: anything -> bool is "!= 0".
template <typename To, typename From>
__device__ __forceinline__ To cast_to(From v) {
  if constexpr (std::is_same<To, bool>::value) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

template <typename T>
__device__ __forceinline__ bool is_nan(T x) {
  if constexpr (kIsFloat<T>) {
    return x != x;
  } else {
    return false;
  }
}

// Offsets of each operand for a linear (row-major) element index. Dims are innermost first;
// the loop is unrolled so every array position is a compile-time constant.
template <typename IndexT, int N>
struct Offsets {
  IndexT off[N];
};

template <typename IndexT, int N>
__device__ __forceinline__ Offsets<IndexT, N> offsets_of(const ElementwiseArgs& a, IndexT idx) {
  Offsets<IndexT, N> o;
#pragma unroll
  for (int k = 0; k < N; ++k)
    o.off[k] = 0;
#pragma unroll
  for (int d = 0; d < kMaxDims; ++d) {
    if (d == a.ndim) break;
    const IndexT size = static_cast<IndexT>(a.sizes[d]);
    const IndexT q = idx / size;
    const IndexT r = idx - q * size;
    idx = q;
#pragma unroll
    for (int k = 0; k < N; ++k)
      o.off[k] += r * static_cast<IndexT>(a.strides[k][d]);
  }
  return o;
}

// Grid for a grid-stride loop over n items: enough blocks to fill the GPU several times over,
// never more than the hardware's grid limit.
inline unsigned grid_for(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  const int64_t cap = int64_t(1) << 20;
  if (blocks > cap) blocks = cap;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks);
}

}  // namespace needle::kernels

// Softmax and log_softmax along one axis of a compact array, seen as (outer, n, inner): one block
// per row (n elements, inner apart), its threads striding over the row, block-wide reductions in
// shared memory for the maximum and the sum. The input is read three times, from cache for rows
// of a few thousand elements; a float row sums in float, as PyTorch's kernel does.
#include <cmath>

#include "kernels/common.cuh"

namespace needle::kernels {
namespace {

struct MaxSkippingNaN {
  // Leaves NaN out of the maximum, as std::max(m, x) does on the CPU: the NaN then reaches the
  // sum through exp and makes the whole row NaN on both devices.
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a < b ? b : a;
  }
};
struct Plus {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

// Every thread of the block gets op over all threads' v; `shared` holds kThreads values.
template <typename T, typename Op>
__device__ T block_reduce(T v, T* shared, Op op) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (static_cast<int>(threadIdx.x) < s)
      shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const T result = shared[0];
  __syncthreads();  // the next reduction reuses `shared`
  return result;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    softmax_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t n,
                   int64_t inner, bool log) {
  __shared__ T shared[kThreads];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const int64_t o = row / inner, base = o * n * inner + (row - o * inner);
    const T* xr = x + base;
    T* yr = y + base;
    T m = -T(INFINITY);
    for (int64_t j = threadIdx.x; j < n; j += kThreads)
      m = MaxSkippingNaN{}(m, xr[j * inner]);
    m = block_reduce(m, shared, MaxSkippingNaN{});
    T s = T(0);
    for (int64_t j = threadIdx.x; j < n; j += kThreads)
      s += std::exp(xr[j * inner] - m);
    s = block_reduce(s, shared, Plus{});
    if (log) {
      const T log_s = std::log(s);
      for (int64_t j = threadIdx.x; j < n; j += kThreads)
        yr[j * inner] = (xr[j * inner] - m) - log_s;
    } else {
      const T inv_s = T(1) / s;
      for (int64_t j = threadIdx.x; j < n; j += kThreads)
        yr[j * inner] = std::exp(xr[j * inner] - m) * inv_s;
    }
  }
}

// softmax: gx = y (g - sum(g y)); log_softmax: gx = g - exp(y) sum(g).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    softmax_backward_kernel(const T* __restrict__ y, const T* __restrict__ g, T* __restrict__ gx,
                            int64_t rows, int64_t n, int64_t inner, bool log) {
  __shared__ T shared[kThreads];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const int64_t o = row / inner, base = o * n * inner + (row - o * inner);
    T s = T(0);
    for (int64_t j = threadIdx.x; j < n; j += kThreads) {
      const int64_t at = base + j * inner;
      s += log ? g[at] : g[at] * y[at];
    }
    s = block_reduce(s, shared, Plus{});
    for (int64_t j = threadIdx.x; j < n; j += kThreads) {
      const int64_t at = base + j * inner;
      gx[at] = log ? g[at] - std::exp(y[at]) * s : y[at] * (g[at] - s);
    }
  }
}

unsigned row_grid(int64_t rows) {
  const int64_t cap = int64_t(1) << 20;
  return static_cast<unsigned>(rows < cap ? rows : cap);
}

template <typename Fn>
void dispatch_floating(DType dtype, Fn&& fn) {
  if (dtype == DType::Float32) {
    fn(TypeTag<float>{});
  } else {
    fn(TypeTag<double>{});
  }
}

}  // namespace

void launch_softmax(DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner,
                    bool log, cudaStream_t stream) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    softmax_kernel<T><<<row_grid(rows), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), rows, n, inner, log);
  });
  NEEDLE_CHECK_LAUNCH(log ? "log_softmax" : "softmax", stream);
}

void launch_softmax_backward(DType dtype, const void* y, const void* g, void* gx, int64_t outer,
                             int64_t n, int64_t inner, bool log, cudaStream_t stream) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    softmax_backward_kernel<T><<<row_grid(rows), kThreads, 0, stream>>>(
        static_cast<const T*>(y), static_cast<const T*>(g), static_cast<T*>(gx), rows, n, inner,
        log);
  });
  NEEDLE_CHECK_LAUNCH(log ? "log_softmax_backward" : "softmax_backward", stream);
}

}  // namespace needle::kernels

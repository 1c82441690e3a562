// Fused SGD and Adam updates: one pass reads the gradient and the state once and writes the
// parameter and the state in place, instead of the dozen primitive kernels (and scratch
// arrays) the composed Backend defaults take.
#include "kernels/common.cuh"

namespace needle::kernels {
namespace {

template <typename T>
__global__ void __launch_bounds__(kThreads)
    sgd_kernel(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ u, int64_t n, T lr, T wd,
               T beta, T one_minus_beta, bool nesterov) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    T gi = g[i] + wd * w[i];
    if (u != nullptr) {
      const T ui = beta * u[i] + one_minus_beta * gi;
      u[i] = ui;
      gi = nesterov ? beta * ui + one_minus_beta * gi : ui;
    }
    w[i] -= lr * gi;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    adam_kernel(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                int64_t n, T b1, T b2, T one_minus_b1, T one_minus_b2, T step_size, T inv_bc2,
                T eps, T l2, T shrink) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const T wi = w[i];
    const T gi = g[i] + l2 * wi;
    const T mi = b1 * m[i] + one_minus_b1 * gi;
    const T vi = b2 * v[i] + one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi * shrink - step_size * mi / (sqrt(vi * inv_bc2) + eps);
  }
}

}  // namespace

void launch_sgd_step(DType dtype, void* w, const void* g, void* u, int64_t n, double lr,
                     double weight_decay, double momentum, bool nesterov, cudaStream_t stream) {
  if (n == 0) return;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    sgd_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(
        static_cast<T*>(w), static_cast<const T*>(g), static_cast<T*>(u), n, T(lr), T(weight_decay),
        T(momentum), T(1.0 - momentum), nesterov);
  };
  if (dtype == DType::Float32) {
    run(TypeTag<float>{});
  } else {
    run(TypeTag<double>{});
  }
  NEEDLE_CHECK_LAUNCH("sgd_step", stream);
}

void launch_adam_step(DType dtype, void* w, const void* g, void* m, void* v, int64_t n,
                      double beta1, double beta2, double step_size, double inv_bc2, double eps,
                      double l2, double shrink, cudaStream_t stream) {
  if (n == 0) return;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    adam_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(
        static_cast<T*>(w), static_cast<const T*>(g), static_cast<T*>(m), static_cast<T*>(v), n,
        T(beta1), T(beta2), T(1.0 - beta1), T(1.0 - beta2), T(step_size), T(inv_bc2), T(eps), T(l2),
        T(shrink));
  };
  if (dtype == DType::Float32) {
    run(TypeTag<float>{});
  } else {
    run(TypeTag<double>{});
  }
  NEEDLE_CHECK_LAUNCH("adam_step", stream);
}

}  // namespace needle::kernels

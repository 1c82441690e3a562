// CpuBackend's fused optimizer updates: one OpenMP pass over the parameter reads the gradient
// and state once and writes the parameter and state in place, with no scratch memory. Views
// that are not dense (a broadcast gradient, say) go through the composed Backend defaults.
#include <omp.h>

#include <cmath>
#include <cstdint>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/strided_loop.h"
#include "needle/dtype.h"

namespace needle::cpu_backend {
namespace {

bool dense_like(const StridedView& param, const StridedView& v) {
  return v.data != nullptr && v.shape == param.shape && v.dtype == param.dtype && v.is_contiguous();
}

}  // namespace

void CpuBackend::sgd_step(const StridedView& param, const StridedView& grad,
                          const StridedView& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;
  if (!is_floating(param.dtype) || !param.is_contiguous() || !dense_like(param, grad) ||
      (use_momentum && !dense_like(param, momentum_buf))) {
    Backend::sgd_step(param, grad, momentum_buf, args);
    return;
  }
  dispatch_floating(param.dtype, "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* w = param.ptr<T>();
    const T* g = grad.ptr<T>();
    T* u = use_momentum ? momentum_buf.ptr<T>() : nullptr;
    const T lr = static_cast<T>(args.lr);
    const T wd = static_cast<T>(args.weight_decay);
    const T beta = static_cast<T>(args.momentum);
    const T one_minus_beta = static_cast<T>(1.0 - args.momentum);
    const bool nesterov = args.nesterov;
    const int64_t n = param.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) {
      T gi = g[i] + wd * w[i];
      if (u != nullptr) {
        const T ui = beta * u[i] + one_minus_beta * gi;
        u[i] = ui;
        gi = nesterov ? beta * ui + one_minus_beta * gi : ui;
      }
      w[i] -= lr * gi;
    }
  });
}

void CpuBackend::adam_step(const StridedView& param, const StridedView& grad,
                           const StridedView& exp_avg, const StridedView& exp_avg_sq,
                           const AdamStepArgs& args) {
  if (!is_floating(param.dtype) || !param.is_contiguous() || !dense_like(param, grad) ||
      !dense_like(param, exp_avg) || !dense_like(param, exp_avg_sq) || args.step < 1) {
    Backend::adam_step(param, grad, exp_avg, exp_avg_sq, args);
    return;
  }
  dispatch_floating(param.dtype, "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* w = param.ptr<T>();
    const T* g = grad.ptr<T>();
    T* m = exp_avg.ptr<T>();
    T* v = exp_avg_sq.ptr<T>();
    const double t = static_cast<double>(args.step);
    const T b1 = static_cast<T>(args.beta1);
    const T b2 = static_cast<T>(args.beta2);
    const T one_minus_b1 = static_cast<T>(1.0 - args.beta1);
    const T one_minus_b2 = static_cast<T>(1.0 - args.beta2);
    const T step_size = static_cast<T>(args.lr / (1.0 - std::pow(args.beta1, t)));
    const T inv_bc2 = static_cast<T>(1.0 / (1.0 - std::pow(args.beta2, t)));
    const T eps = static_cast<T>(args.eps);
    const bool decoupled = args.decoupled_weight_decay;
    const T l2 = decoupled ? T(0) : static_cast<T>(args.weight_decay);
    const T shrink = decoupled ? static_cast<T>(1.0 - args.lr * args.weight_decay) : T(1);
    const int64_t n = param.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) {
      const T wi = w[i];
      const T gi = g[i] + l2 * wi;
      const T mi = b1 * m[i] + one_minus_b1 * gi;
      const T vi = b2 * v[i] + one_minus_b2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = wi * shrink - step_size * mi / (std::sqrt(vi * inv_bc2) + eps);
    }
  });
}

}  // namespace needle::cpu_backend

// CpuBackend's fused optimizer updates: one OpenMP pass over the parameter reads the gradient
// and state once and writes the parameter and state in place. A 1-D or 2-D strided gradient
// (the transposed gradient of a Linear weight) is read row by row through a per-thread buffer
// that is reused across steps; other layouts (a broadcast N-D gradient, say) go through the
// composed Backend defaults.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/region_errors.h"
#include "needle/dtype.h"

// x86-64 always has SSE2. GCC keeps std::sqrt a scalar libm call unless -fno-math-errno (which
// neither the optimize attribute nor a pragma turns on for a builtin here), so Adam's float loop
// is written with SSE intrinsics; other targets and float64 use the scalar loop.
#if defined(__SSE2__)
#include <emmintrin.h>
#define NEEDLE_ADAM_SSE 1
#endif

namespace needle::cpu_backend {
namespace {

// The update streams 3-4 arrays once and does a few flops per element, so it is memory-bound.
// A step follows the backward pass, whose parallel regions leave the pool's threads spinning,
// so a team starts in microseconds; below this size (~20 us of work for one thread) splitting
// does not pay for itself. (ResNet9's largest tensors, 74k and 147k floats, are split.)
constexpr int64_t kOptimizerParallelThreshold = int64_t{1} << 16;
// Dense parameters are updated in runs of this many elements (the unit of parallel work).
constexpr int64_t kRun = 16384;

template <typename T>
struct SgdConsts {
  T lr, wd, beta, one_minus_beta;
  bool momentum, nesterov;
};

template <typename T>
void sgd_run(T* __restrict w, const T* __restrict g, T* __restrict u, int64_t n,
             const SgdConsts<T>& c) {
  if (!c.momentum) {
    for (int64_t i = 0; i < n; ++i)
      w[i] -= c.lr * (g[i] + c.wd * w[i]);
  } else if (!c.nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const T ui = c.beta * u[i] + c.one_minus_beta * (g[i] + c.wd * w[i]);
      u[i] = ui;
      w[i] -= c.lr * ui;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const T gi = g[i] + c.wd * w[i];
      const T ui = c.beta * u[i] + c.one_minus_beta * gi;
      u[i] = ui;
      w[i] -= c.lr * (c.beta * ui + c.one_minus_beta * gi);
    }
  }
}

template <typename T>
struct AdamConsts {
  T b1, b2, one_minus_b1, one_minus_b2, step_size, inv_bc2, eps, l2, shrink;
};

template <typename T>
void adam_run(T* __restrict w, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t n,
              const AdamConsts<T>& c) {
  int64_t i = 0;
#if defined(NEEDLE_ADAM_SSE)
  if constexpr (std::is_same_v<T, float>) {
    // The same operations in the same order as the scalar loop below, four lanes at a time.
    const __m128 b1 = _mm_set1_ps(c.b1), b2 = _mm_set1_ps(c.b2);
    const __m128 omb1 = _mm_set1_ps(c.one_minus_b1), omb2 = _mm_set1_ps(c.one_minus_b2);
    const __m128 step = _mm_set1_ps(c.step_size), inv_bc2 = _mm_set1_ps(c.inv_bc2);
    const __m128 eps = _mm_set1_ps(c.eps), l2 = _mm_set1_ps(c.l2), shrink = _mm_set1_ps(c.shrink);
    for (; i + 4 <= n; i += 4) {
      const __m128 wi = _mm_loadu_ps(w + i);
      const __m128 gi = _mm_add_ps(_mm_loadu_ps(g + i), _mm_mul_ps(l2, wi));
      const __m128 mi = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(omb1, gi));
      const __m128 vi =
          _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(omb2, gi), gi));
      _mm_storeu_ps(m + i, mi);
      _mm_storeu_ps(v + i, vi);
      const __m128 denom = _mm_add_ps(_mm_sqrt_ps(_mm_mul_ps(vi, inv_bc2)), eps);
      _mm_storeu_ps(w + i,
                    _mm_sub_ps(_mm_mul_ps(wi, shrink), _mm_div_ps(_mm_mul_ps(step, mi), denom)));
    }
  }
#endif
  for (; i < n; ++i) {
    const T wi = w[i];
    const T gi = g[i] + c.l2 * wi;
    const T mi = c.b1 * m[i] + c.one_minus_b1 * gi;
    const T vi = c.b2 * v[i] + c.one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi * c.shrink - c.step_size * mi / (std::sqrt(vi * c.inv_bc2) + c.eps);
  }
}

bool dense_like(const StridedView& param, const StridedView& v) {
  return v.data != nullptr && v.shape == param.shape && v.dtype == param.dtype && v.is_contiguous();
}

// How to read the gradient: element (r, c) of a rows x cols walk is param[r * cols + c] and
// grad[r * row_stride + c * col_stride]. Besides dense gradients this covers any 1-D or 2-D
// strided one, such as the transposed gradient autograd gives a Linear weight (W^T was the
// operand of the forward matmul), which would otherwise need a copy.
struct GradWalk {
  int64_t rows = 1, cols = 0, row_stride = 0, col_stride = 1;
};

bool grad_walk(const StridedView& param, const StridedView& grad, GradWalk& walk) {
  if (grad.data == nullptr || grad.shape != param.shape || grad.dtype != param.dtype) {
    return false;
  }
  const int64_t n = param.numel();
  if (grad.is_contiguous()) {
    // Dense: runs of kRun elements.
    walk = {(n + kRun - 1) / kRun, kRun, kRun, 1};
  } else if (grad.ndim() == 1) {
    walk = {1, n, 0, grad.strides[0]};
  } else if (grad.ndim() == 2) {
    walk = {grad.shape[0], grad.shape[1], grad.strides[0], grad.strides[1]};
  } else {
    return false;
  }
  return true;
}

// Calls run(param_offset, grad_row, count) for every row of the walk, where grad_row points at
// `count` dense gradient values (gathered into a per-thread buffer when the row is strided).
template <typename T, typename Run>
void for_each_run(const GradWalk& walk, int64_t n, const T* g, Run&& run) {
  const bool parallel = n >= kOptimizerParallelThreshold;
  RegionErrors errors;  // a row buffer that cannot grow must not terminate the program
#pragma omp parallel if (parallel)
  {
    // One buffer per thread, kept across steps, only for strided rows: no per-step allocation.
    static thread_local std::vector<T> row;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < walk.rows; ++r) {
      errors.run([&] {
        const int64_t begin = r * walk.cols;
        const int64_t count = std::min(walk.cols, n - begin);
        const T* src = g + r * walk.row_stride;
        if (walk.col_stride != 1) {
          resize_scratch(row, static_cast<size_t>(count), "optimizer step");
          for (int64_t c = 0; c < count; ++c)
            row[static_cast<size_t>(c)] = src[c * walk.col_stride];
          src = row.data();
        }
        run(begin, src, count);
      });
    }
  }
  errors.rethrow();
}

}  // namespace

void CpuBackend::do_sgd_step(const StridedView& param, const StridedView& grad,
                             const StridedView& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;
  GradWalk walk;
  // Layouts the fused pass does not walk go to the composed default.
  if (!param.is_contiguous() || !grad_walk(param, grad, walk) ||
      (use_momentum && !dense_like(param, momentum_buf))) {
    Backend::do_sgd_step(param, grad, momentum_buf, args);
    return;
  }
  dispatch_floating(param.dtype, "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* w = param.ptr<T>();
    T* u = use_momentum ? momentum_buf.ptr<T>() : nullptr;
    const SgdConsts<T> c{static_cast<T>(args.lr),
                         static_cast<T>(args.weight_decay),
                         static_cast<T>(args.momentum),
                         static_cast<T>(1.0 - args.momentum),
                         use_momentum,
                         args.nesterov};
    for_each_run(walk, param.numel(), grad.ptr<T>(), [&](int64_t at, const T* g, int64_t count) {
      sgd_run(w + at, g, u != nullptr ? u + at : nullptr, count, c);
    });
  });
}

void CpuBackend::do_adam_step(const StridedView& param, const StridedView& grad,
                              const StridedView& exp_avg, const StridedView& exp_avg_sq,
                              const AdamStepArgs& args) {
  GradWalk walk;
  if (!param.is_contiguous() || !grad_walk(param, grad, walk) || !dense_like(param, exp_avg) ||
      !dense_like(param, exp_avg_sq)) {
    Backend::do_adam_step(param, grad, exp_avg, exp_avg_sq, args);
    return;
  }
  dispatch_floating(param.dtype, "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* w = param.ptr<T>();
    T* m = exp_avg.ptr<T>();
    T* v = exp_avg_sq.ptr<T>();
    const double t = static_cast<double>(args.step);
    const bool decoupled = args.decoupled_weight_decay;
    const AdamConsts<T> c{static_cast<T>(args.beta1),
                          static_cast<T>(args.beta2),
                          static_cast<T>(1.0 - args.beta1),
                          static_cast<T>(1.0 - args.beta2),
                          static_cast<T>(args.lr / (1.0 - std::pow(args.beta1, t))),
                          static_cast<T>(1.0 / (1.0 - std::pow(args.beta2, t))),
                          static_cast<T>(args.eps),
                          decoupled ? T(0) : static_cast<T>(args.weight_decay),
                          decoupled ? static_cast<T>(1.0 - args.lr * args.weight_decay) : T(1)};
    for_each_run(walk, param.numel(), grad.ptr<T>(), [&](int64_t at, const T* g, int64_t count) {
      adam_run(w + at, g, m + at, v + at, count, c);
    });
  });
}

}  // namespace needle::cpu_backend

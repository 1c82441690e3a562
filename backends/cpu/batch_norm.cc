// Fused batch normalization on the CPU (Backend::batch_norm_forward / _backward): a pass or two
// gathers the per-channel sums and one pass writes the result, where the composed version makes
// about ten passes over the activations and as many temporary arrays. An (N, C, ...) array is
// walked as N x C planes of S = numel / (N C) contiguous values. Sums accumulate in double, so
// float32 statistics of large batches stay exact to float precision.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

struct Planes {
  int64_t n = 0, c = 0, s = 0;  // batch, channels, values per channel per image
  int64_t count() const { return n * s; }
  int64_t at(int64_t image, int64_t channel) const { return (image * c + channel) * s; }
};

// Batch norm runs between convolutions inside a training step, when the pool's threads are awake
// and spinning, so splitting pays off sooner than for a lone elementwise op: ResNet9's deepest
// layers (128 channels of 1x1 at batch 128, 16k values) are split too.
constexpr int64_t kBatchNormParallelThreshold = 8192;

Planes planes_of(const StridedView& x) {
  Planes p;
  p.n = x.shape[0];
  p.c = x.shape[1];
  p.s = 1;
  for (size_t d = 2; d < x.shape.size(); ++d)
    p.s *= x.shape[d];
  return p;
}

// Per-channel sums over every image: row_sums(image, acc) adds the K sums of each of the
// image's C planes into acc[j * C + c]; the result is their total over all images. The images are
// split over the OpenMP pool, each thread adding into its own K * C doubles, which are added up at
// the end; the positions of one (image, channel) plane are contiguous and summed as one SIMD
// reduction, so neither a long plane (8x8 maps) nor many short ones (1x1 maps, BatchNorm1d) makes a
// serial dependency chain.
template <int K, typename Row>
std::vector<double> channel_sums(const Planes& p, Row&& row_sums) {
  const size_t size = static_cast<size_t>(K * p.c);
  const bool parallel =
      p.n * p.c * p.s >= kBatchNormParallelThreshold && p.n > 1 && max_threads() > 1;
  const int threads = parallel ? static_cast<int>(std::min<int64_t>(max_threads(), p.n)) : 1;
  std::vector<double> partial(size * static_cast<size_t>(threads), 0.0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* acc = partial.data() + size * static_cast<size_t>(t);
    for (int64_t i = p.n * t / nt; i < p.n * (t + 1) / nt; ++i)
      row_sums(i, acc);
  }
  std::vector<double> sums(partial.begin(), partial.begin() + static_cast<ptrdiff_t>(size));
  for (int t = 1; t < threads; ++t) {
    for (size_t j = 0; j < size; ++j)
      sums[j] += partial[size * static_cast<size_t>(t) + j];
  }
  return sums;
}

// out[plane] = a[c] * (x[plane] - m[c]) + b[c] * g[plane] + d[c] over every (image, channel)
// plane, parallel over images; without `g`, b is not read (and may be empty). x is centered on
// its channel's mean before the multiply, never folded into d: on a channel whose values are
// all equal (one value per channel, say) x - m is exactly 0, where a * x + (d - a * m) would
// leave the rounding error of two large terms.
template <typename T>
void channel_affine(const Planes& p, const T* x, const T* m, const std::vector<T>& a, const T* g,
                    const std::vector<T>& b, const std::vector<T>& d, T* out) {
  const bool parallel = p.n * p.c * p.s >= kBatchNormParallelThreshold && max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < p.n; ++i) {
    for (int64_t ch = 0; ch < p.c; ++ch) {
      const int64_t at = p.at(i, ch);
      const T ac = a[static_cast<size_t>(ch)], dc = d[static_cast<size_t>(ch)], mc = m[ch];
      if (g == nullptr) {
        for (int64_t k = 0; k < p.s; ++k)
          out[at + k] = (x[at + k] - mc) * ac + dc;
      } else {
        const T bc = b[static_cast<size_t>(ch)];
        for (int64_t k = 0; k < p.s; ++k)
          out[at + k] = (x[at + k] - mc) * ac + g[at + k] * bc + dc;
      }
    }
  }
}

template <typename T>
void forward_typed(const StridedView& xv, const StridedView& wv, const StridedView& bv, double eps,
                   const StridedView& yv, const StridedView& mv, const StridedView& vv,
                   const Planes& p) {
  const T* x = xv.ptr<T>();
  const T* w = wv.data != nullptr ? wv.ptr<T>() : nullptr;
  const T* b = bv.data != nullptr ? bv.ptr<T>() : nullptr;
  const double count = static_cast<double>(p.count());
  // One pass for both statistics: sums of d and d^2 with d = x - k[c], k[c] a value of the
  // channel (its first). Shifted by a value of the data, the variance suffers no cancellation
  // even when |mean| >> std (in double, float inputs lose nothing unless the channel's first
  // value is ~1e4 standard deviations from its mean).
  std::vector<double> k(static_cast<size_t>(p.c), 0.0);
  for (int64_t ch = 0; ch < p.c; ++ch) {
    if (p.count() > 0) k[static_cast<size_t>(ch)] = static_cast<double>(x[p.at(0, ch)]);
  }
  // sums[c] = sum(d), sums[C + c] = sum(d^2).
  const std::vector<double> sums = channel_sums<2>(p, [&](int64_t i, double* acc) {
    for (int64_t ch = 0; ch < p.c; ++ch) {
      const T* row = x + p.at(i, ch);
      const double kc = k[static_cast<size_t>(ch)];
      double sd = 0.0, sdd = 0.0;
#pragma omp simd reduction(+ : sd, sdd)
      for (int64_t j = 0; j < p.s; ++j) {
        const double d = static_cast<double>(row[j]) - kc;
        sd += d;
        sdd += d * d;
      }
      acc[ch] += sd;
      acc[p.c + ch] += sdd;
    }
  });
  std::vector<double> mean(static_cast<size_t>(p.c)), sq(static_cast<size_t>(p.c));
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const size_t c = static_cast<size_t>(ch);
    const double shifted_mean = sums[c] / count;
    mean[c] = k[c] + shifted_mean;
    sq[c] = std::max(0.0, sums[static_cast<size_t>(p.c) + c] - shifted_mean * sums[c]);
  }
  std::vector<T> scale(static_cast<size_t>(p.c)), shift(static_cast<size_t>(p.c));
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const size_t c = static_cast<size_t>(ch);
    const double var = sq[c] / count;
    mv.ptr<T>()[ch] = static_cast<T>(mean[c]);
    vv.ptr<T>()[ch] = static_cast<T>(var);
    const double sc = (w != nullptr ? static_cast<double>(w[ch]) : 1.0) / std::sqrt(var + eps);
    scale[c] = static_cast<T>(sc);
    shift[c] = static_cast<T>(b != nullptr ? static_cast<double>(b[ch]) : 0.0);
  }
  // Centered on the stored (rounded) mean, so that a channel of equal values gives exactly bias.
  channel_affine<T>(p, x, mv.ptr<T>(), scale, nullptr, {}, shift, yv.ptr<T>());
}

template <typename T>
void backward_typed(const StridedView& gv, const StridedView& xv, const StridedView& mv,
                    const StridedView& iv, const StridedView& wv, const StridedView& dxv,
                    const StridedView& dwv, const StridedView& dbv, const Planes& p) {
  const T* g = gv.ptr<T>();
  const T* x = xv.ptr<T>();
  const T* mean = mv.ptr<T>();
  const T* invstd = iv.ptr<T>();
  const T* w = wv.data != nullptr ? wv.ptr<T>() : nullptr;
  // sums[c] = sum(g), sums[C + c] = sum(g * (x - mean)).
  const std::vector<double> sums = channel_sums<2>(p, [&](int64_t i, double* acc) {
    for (int64_t ch = 0; ch < p.c; ++ch) {
      const T* gr = g + p.at(i, ch);
      const T* xr = x + p.at(i, ch);
      const double m = mean[ch];
      double sg = 0.0, sgx = 0.0;
#pragma omp simd reduction(+ : sg, sgx)
      for (int64_t k = 0; k < p.s; ++k) {
        sg += static_cast<double>(gr[k]);
        sgx += static_cast<double>(gr[k]) * (static_cast<double>(xr[k]) - m);
      }
      acc[ch] += sg;
      acc[p.c + ch] += sgx;
    }
  });
  const double count = static_cast<double>(p.count());
  std::vector<T> a(static_cast<size_t>(p.c)), c(static_cast<size_t>(p.c)),
      d(static_cast<size_t>(p.c));
  for (int64_t ch = 0; ch < p.c; ++ch) {
    const size_t at = static_cast<size_t>(ch);
    const double sum_g = sums[at], sum_gx = sums[static_cast<size_t>(p.c) + at];
    const double is = invstd[ch];
    dbv.ptr<T>()[ch] = static_cast<T>(sum_g);
    dwv.ptr<T>()[ch] = static_cast<T>(sum_gx * is);
    // dx = w is (g - sum_g / n - (x - m) is^2 sum_gx / n) = a g + c (x - m) + d per channel.
    const double scale = (w != nullptr ? static_cast<double>(w[ch]) : 1.0) * is;
    const double k_x = sum_gx * is * is / count;
    a[at] = static_cast<T>(scale);
    c[at] = static_cast<T>(-scale * k_x);
    d[at] = static_cast<T>(-scale * sum_g / count);
  }
  if (dxv.data != nullptr) channel_affine<T>(p, x, mean, c, g, a, d, dxv.ptr<T>());
}

}  // namespace

void CpuBackend::do_batch_norm_forward(const StridedView& x, const StridedView& weight,
                                       const StridedView& bias, double eps, const StridedView& y,
                                       const StridedView& mean, const StridedView& var) {
  const Planes p = planes_of(x);
  dispatch_floating(x.dtype, "batch_norm", [&](auto tag) {
    forward_typed<typename decltype(tag)::type>(x, weight, bias, eps, y, mean, var, p);
  });
}

void CpuBackend::do_batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                                        const StridedView& mean, const StridedView& invstd,
                                        const StridedView& weight, const StridedView& grad_input,
                                        const StridedView& grad_weight,
                                        const StridedView& grad_bias) {
  const Planes p = planes_of(x);
  dispatch_floating(x.dtype, "batch_norm_backward", [&](auto tag) {
    backward_typed<typename decltype(tag)::type>(grad_out, x, mean, invstd, weight, grad_input,
                                                 grad_weight, grad_bias, p);
  });
}

}  // namespace needle::cpu_backend

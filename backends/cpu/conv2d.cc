// 2-D convolution on the CPU: per channel group, im2col (im2col.h) of a chunk of images side by
// side, then one OpenBLAS GEMM for the whole chunk; a single 1x1, stride-1, unpadded image is
// already a GEMM on the image itself and skips the unfolding. The batch is spread over the
// OpenMP pool; the weight gradient sums over images, so each thread accumulates into its own
// buffer and the buffers are added at the end.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/im2col.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                 int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

// Everything the three kernels share, derived once from the views.
struct Problem {
  int64_t batch = 0, in_channels = 0, out_channels = 0;
  int64_t group_in = 0, group_out = 0;  // channels per group
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t k = 0;  // group_in * live taps: the GEMM's inner dimension
  int64_t hw_in = 0, hw_out = 0;
  bool pruned = false;             // some kernel taps read only padding and are left out (im2col.h)
  bool direct = false;             // 1x1, stride 1, no padding: the image is its own column matrix
  ConvGeometry geo;                // for one group of one image
  std::vector<int32_t> tap_table;  // for small maps (im2col.h); empty otherwise

  template <typename T>
  void unfold(const T* x, T* col, int64_t ld) const {
    if (tap_table.empty()) {
      im2col(x, geo, col, ld);
    } else {
      im2col_table(x, geo, tap_table.data(), col, ld);
    }
  }
  template <typename T>
  void fold(const T* col, T* x, int64_t ld) const {
    if (tap_table.empty()) {
      col2im(col, geo, x, ld);
    } else {
      col2im_table(col, geo, tap_table.data(), x, ld);
    }
  }
};

Problem make_problem(const Shape& input, const Shape& weight, const Shape& out,
                     const Conv2dParams& p) {
  Problem pr;
  pr.batch = input[0];
  pr.in_channels = input[1];
  pr.out_channels = weight[0];
  pr.group_in = weight[1];
  pr.group_out = weight[0] / p.groups;
  pr.kernel_h = weight[2];
  pr.kernel_w = weight[3];
  pr.geo.channels = pr.group_in;
  pr.geo.height = input[2];
  pr.geo.width = input[3];
  pr.geo.out_h = out[2];
  pr.geo.out_w = out[3];
  pr.geo.p = p;
  pr.geo.taps_h = live_taps(weight[2], out[2], input[2], p.stride_h, p.pad_h, p.dilation_h);
  pr.geo.taps_w = live_taps(weight[3], out[3], input[3], p.stride_w, p.pad_w, p.dilation_w);
  pr.k = pr.geo.rows();
  pr.pruned = pr.k != pr.group_in * weight[2] * weight[3];
  pr.hw_in = input[2] * input[3];
  pr.hw_out = out[2] * out[3];
  pr.direct = weight[2] == 1 && weight[3] == 1 && p.stride_h == 1 && p.stride_w == 1 &&
              p.pad_h == 0 && p.pad_w == 0;
  if (use_tap_table(pr.geo)) pr.tap_table = make_tap_table(pr.geo);
  return pr;
}

// The weight (out, group_in, kh, kw) restricted to the live taps: (out, k) in im2col's row
// order. Without pruning that is the weight itself, and no copy is made.
template <typename T>
const T* live_weight(const T* w, const Problem& pr, std::vector<T>& storage) {
  if (!pr.pruned) return w;
  storage.resize(static_cast<size_t>(pr.out_channels * pr.k));
  T* dst = storage.data();
  for (int64_t o = 0; o < pr.out_channels; ++o) {
    for (int64_t c = 0; c < pr.group_in; ++c) {
      const T* wc = w + (o * pr.group_in + c) * pr.kernel_h * pr.kernel_w;
      for (const int64_t i : pr.geo.taps_h) {
        for (const int64_t j : pr.geo.taps_w)
          *dst++ = wc[i * pr.kernel_w + j];
      }
    }
  }
  return storage.data();
}

// The adjoint of live_weight: writes a (out, k) gradient into the full (out, group_in, kh, kw)
// one, whose dead taps get zero.
template <typename T>
void scatter_live_weight(const T* live, const Problem& pr, T* w) {
  std::fill(w, w + pr.out_channels * pr.group_in * pr.kernel_h * pr.kernel_w, T(0));
  for (int64_t o = 0; o < pr.out_channels; ++o) {
    for (int64_t c = 0; c < pr.group_in; ++c) {
      T* wc = w + (o * pr.group_in + c) * pr.kernel_h * pr.kernel_w;
      for (const int64_t i : pr.geo.taps_h) {
        for (const int64_t j : pr.geo.taps_w)
          wc[i * pr.kernel_w + j] = *live++;
      }
    }
  }
}

void check_views(const char* op, std::initializer_list<const StridedView*> views) {
  const StridedView& first = **views.begin();
  for (const StridedView* v : views) {
    NEEDLE_CHECK_AS(ShapeError, v->ndim() == 4 && v->is_contiguous(),
                    "{}: the CPU kernel takes compact 4-D arrays, got {}", op, shape_str(v->shape));
    NEEDLE_CHECK_AS(DTypeError, v->dtype == first.dtype, "{}: dtypes differ: {} and {}", op,
                    dtype_name(first.dtype), dtype_name(v->dtype));
  }
}

// A GEMM per image is a poor GEMM when images are small (a 4x4 feature map gives 16 columns, so
// the weight is streamed from memory once per image for very little work). Images are therefore
// unfolded side by side into one column matrix and multiplied together: a chunk of images wide
// enough for OpenBLAS to run at speed, small enough to stay in cache.
constexpr int64_t kTargetColumns = 2048;
constexpr int64_t kColumnBudgetBytes = int64_t(4) << 20;

int64_t chunk_images(const Problem& pr, int64_t images, size_t element_size) {
  const int64_t wanted = (kTargetColumns + pr.hw_out - 1) / pr.hw_out;
  const int64_t bytes_per_image =
      std::max<int64_t>(1, (pr.k + pr.group_out) * pr.hw_out * static_cast<int64_t>(element_size));
  const int64_t affordable = std::max<int64_t>(1, kColumnBudgetBytes / bytes_per_image);
  return std::clamp<int64_t>(std::min(wanted, affordable), 1, std::max<int64_t>(1, images));
}

// Per-thread scratch that grows and is kept, so a training loop does not page-fault fresh
// megabytes on every convolution.
template <typename T>
T* scratch(int slot, size_t n) {
  thread_local std::vector<T> buffers[3];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Runs body(first_image, images, thread) over the batch in chunks: the batch is split evenly
// over the OpenMP pool (inside a parallel region the OpenMP build of OpenBLAS runs
// single-threaded, so there is one pool and no oversubscription), and each thread walks its
// share chunk by chunk. A batch of one leaves the threading to BLAS instead.
template <typename T, typename Body>
void for_each_chunk(const Problem& pr, Body&& body) {
  const int threads = static_cast<int>(std::min<int64_t>(max_threads(), pr.batch));
  auto run = [&](int tid, int nt) {
    const int64_t begin = pr.batch * tid / nt, end = pr.batch * (tid + 1) / nt;
    const int64_t chunk = chunk_images(pr, end - begin, sizeof(T));
    for (int64_t n = begin; n < end; n += chunk)
      body(n, std::min(chunk, end - n), tid);
  };
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    run(omp_get_thread_num(), omp_get_num_threads());
  } else {
    run(0, 1);
  }
}

// Unfolds group g of images [n0, n0 + m) side by side: col (k, m * hw_out).
template <typename T>
void unfold_chunk(const T* x, const Problem& pr, int64_t g, int64_t n0, int64_t m, T* col) {
  const int64_t ld = m * pr.hw_out;
  for (int64_t i = 0; i < m; ++i)
    pr.unfold(x + ((n0 + i) * pr.in_channels + g * pr.group_in) * pr.hw_in, col + i * pr.hw_out,
              ld);
}

// Copies group g of an NCHW output-shaped array for images [n0, n0 + m) into a (group_out,
// m * hw_out) matrix, image by image along the columns (the GEMM's layout).
template <typename T>
void gather_out(const T* y, const Problem& pr, int64_t g, int64_t n0, int64_t m, T* mat) {
  const int64_t ld = m * pr.hw_out;
  for (int64_t i = 0; i < m; ++i) {
    const T* src = y + ((n0 + i) * pr.out_channels + g * pr.group_out) * pr.hw_out;
    for (int64_t o = 0; o < pr.group_out; ++o)
      std::copy(src + o * pr.hw_out, src + (o + 1) * pr.hw_out, mat + o * ld + i * pr.hw_out);
  }
}

template <typename T>
void forward_typed(const StridedView& input, const StridedView& weight, const StridedView& bias,
                   const StridedView& out, const Problem& pr) {
  const T* x = input.ptr<T>();
  std::vector<T> pruned_weight;
  const T* w = live_weight(weight.ptr<T>(), pr, pruned_weight);
  const T* b = bias.data != nullptr ? bias.ptr<T>() : nullptr;
  T* y = out.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  if (pr.k == 0) {  // every tap reads padding only: the output is the bias
    for (int64_t n = 0; n < pr.batch; ++n) {
      for (int64_t o = 0; o < pr.out_channels; ++o) {
        T* row = y + (n * pr.out_channels + o) * pr.hw_out;
        std::fill(row, row + pr.hw_out, b != nullptr ? b[o] : T(0));
      }
    }
    return;
  }
  for_each_chunk<T>(pr, [&](int64_t n0, int64_t m, int) {
    const int64_t ld = m * pr.hw_out;
    for (int64_t g = 0; g < groups; ++g) {
      // A single 1x1 image is its own column matrix, and a single image's product (group_out,
      // hw_out) is already its NCHW output, so the GEMM writes it in place.
      const T* cols = x + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in;
      if (m > 1 || !pr.direct) {
        T* col = scratch<T>(0, static_cast<size_t>(pr.k * ld));
        unfold_chunk(x, pr, g, n0, m, col);
        cols = col;
      }
      T* yg = y + (n0 * pr.out_channels + g * pr.group_out) * pr.hw_out;
      T* prod = m == 1 ? yg : scratch<T>(1, static_cast<size_t>(pr.group_out * ld));
      gemm(CblasNoTrans, CblasNoTrans, pr.group_out, ld, pr.k, w + g * pr.group_out * pr.k, pr.k,
           cols, ld, T(0), prod, ld);
      // Scatter (group_out, m * hw_out) back to NCHW (in place for one image), adding the bias.
      for (int64_t i = 0; i < m; ++i) {
        T* yi = yg + i * pr.out_channels * pr.hw_out;
        for (int64_t o = 0; o < pr.group_out; ++o) {
          const T bo = b != nullptr ? b[g * pr.group_out + o] : T(0);
          const T* src = prod + o * ld + i * pr.hw_out;
          T* dst = yi + o * pr.hw_out;
          for (int64_t p = 0; p < pr.hw_out; ++p)
            dst[p] = src[p] + bo;
        }
      }
    }
  });
}

template <typename T>
void backward_input_typed(const StridedView& grad_out, const StridedView& weight,
                          const StridedView& grad_input, const Problem& pr) {
  const T* dy = grad_out.ptr<T>();
  std::vector<T> pruned_weight;
  const T* w = live_weight(weight.ptr<T>(), pr, pruned_weight);
  T* dx = grad_input.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  if (pr.k == 0) {  // no pixel is read, none gets a gradient
    std::fill(dx, dx + pr.batch * pr.in_channels * pr.hw_in, T(0));
    return;
  }
  for_each_chunk<T>(pr, [&](int64_t n0, int64_t m, int) {
    const int64_t ld = m * pr.hw_out;
    for (int64_t g = 0; g < groups; ++g) {
      const T* wg = w + g * pr.group_out * pr.k;
      // dcol (k, m * hw_out) = W_g^T (k, group_out) @ dy_g (group_out, m * hw_out).
      const T* dyg = dy + (n0 * pr.out_channels + g * pr.group_out) * pr.hw_out;
      if (m > 1) {
        T* gathered = scratch<T>(1, static_cast<size_t>(pr.group_out * ld));
        gather_out(dy, pr, g, n0, m, gathered);
        dyg = gathered;
      }
      T* dxg = dx + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in;
      if (m == 1 && pr.direct) {
        gemm(CblasTrans, CblasNoTrans, pr.k, pr.hw_out, pr.group_out, wg, pr.k, dyg, pr.hw_out,
             T(0), dxg, pr.hw_out);
        continue;
      }
      T* dcol = scratch<T>(0, static_cast<size_t>(pr.k * ld));
      gemm(CblasTrans, CblasNoTrans, pr.k, ld, pr.group_out, wg, pr.k, dyg, ld, T(0), dcol, ld);
      for (int64_t i = 0; i < m; ++i) {
        T* dxi = dx + ((n0 + i) * pr.in_channels + g * pr.group_in) * pr.hw_in;
        std::fill(dxi, dxi + pr.group_in * pr.hw_in, T(0));
        pr.fold(dcol + i * pr.hw_out, dxi, ld);
      }
    }
  });
}

template <typename T>
void backward_weight_typed(const StridedView& input, const StridedView& grad_out,
                           const StridedView& grad_weight, const Problem& pr) {
  const T* x = input.ptr<T>();
  const T* dy = grad_out.ptr<T>();
  // With pruned taps the GEMMs produce the live part (out, k), scattered into the full
  // gradient at the end.
  std::vector<T> pruned_grad(pr.pruned ? static_cast<size_t>(pr.out_channels * pr.k) : 0);
  T* dw = pr.pruned ? pruned_grad.data() : grad_weight.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  const size_t wsize = static_cast<size_t>(pr.out_channels * pr.k);
  std::fill(dw, dw + wsize, T(0));
  if (pr.k == 0) {
    scatter_live_weight(dw, pr, grad_weight.ptr<T>());
    return;
  }
  // The weight gradient sums over images: one accumulator per thread (thread 0 writes into
  // the output itself, the others into their kept scratch), added up at the end.
  const int threads = static_cast<int>(std::min<int64_t>(max_threads(), pr.batch));
  std::vector<T*> partial(static_cast<size_t>(std::max(threads, 1)), dw);
  for_each_chunk<T>(pr, [&](int64_t n0, int64_t m, int tid) {
    T*& acc = partial[static_cast<size_t>(tid)];
    if (tid != 0 && acc == dw) {
      acc = scratch<T>(2, wsize);
      std::fill(acc, acc + wsize, T(0));
    }
    const int64_t ld = m * pr.hw_out;
    for (int64_t g = 0; g < groups; ++g) {
      const T* cols = x + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in;
      if (m > 1 || !pr.direct) {
        T* col = scratch<T>(0, static_cast<size_t>(pr.k * ld));
        unfold_chunk(x, pr, g, n0, m, col);
        cols = col;
      }
      const T* dyg = dy + (n0 * pr.out_channels + g * pr.group_out) * pr.hw_out;
      if (m > 1) {
        T* gathered = scratch<T>(1, static_cast<size_t>(pr.group_out * ld));
        gather_out(dy, pr, g, n0, m, gathered);
        dyg = gathered;
      }
      // dW_g (group_out, k) += dy_g (group_out, m * hw_out) @ cols^T (m * hw_out, k).
      gemm(CblasNoTrans, CblasTrans, pr.group_out, pr.k, ld, dyg, ld, cols, ld, T(1),
           acc + g * pr.group_out * pr.k, pr.k);
    }
  });
  for (size_t t = 1; t < partial.size(); ++t) {
    if (partial[t] == dw) continue;  // a thread that got no images
    for (size_t i = 0; i < wsize; ++i)
      dw[i] += partial[t][i];
  }
  if (pr.pruned) scatter_live_weight(dw, pr, grad_weight.ptr<T>());
}

}  // namespace

void CpuBackend::conv2d_forward(const StridedView& input, const StridedView& weight,
                                const StridedView& bias, const StridedView& out,
                                const Conv2dParams& params) {
  check_views("conv2d", {&input, &weight, &out});
  const Problem pr = make_problem(input.shape, weight.shape, out.shape, params);
  if (bias.data != nullptr) {
    NEEDLE_CHECK_AS(ShapeError, bias.shape == Shape{pr.out_channels} && bias.is_contiguous(),
                    "conv2d: bias must be a compact ({}) array, got {}", pr.out_channels,
                    shape_str(bias.shape));
  }
  dispatch_floating(input.dtype, "conv2d", [&](auto tag) {
    forward_typed<typename decltype(tag)::type>(input, weight, bias, out, pr);
  });
}

void CpuBackend::conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                       const StridedView& grad_input, const Conv2dParams& params) {
  check_views("conv2d_backward_input", {&grad_out, &weight, &grad_input});
  const Problem pr = make_problem(grad_input.shape, weight.shape, grad_out.shape, params);
  dispatch_floating(grad_out.dtype, "conv2d_backward_input", [&](auto tag) {
    backward_input_typed<typename decltype(tag)::type>(grad_out, weight, grad_input, pr);
  });
}

void CpuBackend::conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                        const StridedView& grad_weight,
                                        const Conv2dParams& params) {
  check_views("conv2d_backward_weight", {&input, &grad_out, &grad_weight});
  const Problem pr = make_problem(input.shape, grad_weight.shape, grad_out.shape, params);
  dispatch_floating(input.dtype, "conv2d_backward_weight", [&](auto tag) {
    backward_weight_typed<typename decltype(tag)::type>(input, grad_out, grad_weight, pr);
  });
}

}  // namespace needle::cpu_backend

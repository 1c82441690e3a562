// 2-D convolution on the CPU: per image and channel group, im2col (im2col.h) then one OpenBLAS
// GEMM; a 1x1, stride-1, unpadded convolution is already a GEMM on the image itself and skips
// the unfolding. Images are spread over the OpenMP pool (inside a parallel region the OpenMP
// build of OpenBLAS runs single-threaded, so there is one pool and no oversubscription); a
// single image leaves the threading to BLAS instead. The weight gradient sums over images, so
// each thread accumulates into its own buffer and the buffers are added at the end.
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
  int64_t k = 0;                        // group_in * kh * kw: the GEMM's inner dimension
  int64_t hw_in = 0, hw_out = 0;
  bool direct = false;  // 1x1, stride 1, no padding: the image is its own column matrix
  ConvGeometry geo;     // for one group of one image
};

Problem make_problem(const Shape& input, const Shape& weight, const Shape& out,
                     const Conv2dParams& p) {
  Problem pr;
  pr.batch = input[0];
  pr.in_channels = input[1];
  pr.out_channels = weight[0];
  pr.group_in = weight[1];
  pr.group_out = weight[0] / p.groups;
  pr.geo = ConvGeometry{pr.group_in, input[2], input[3], weight[2], weight[3], out[2], out[3], p};
  pr.k = pr.group_in * weight[2] * weight[3];
  pr.hw_in = input[2] * input[3];
  pr.hw_out = out[2] * out[3];
  pr.direct = weight[2] == 1 && weight[3] == 1 && p.stride_h == 1 && p.stride_w == 1 &&
              p.pad_h == 0 && p.pad_w == 0;
  return pr;
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

// Runs body(n, scratch) for every image n: across threads when there are several images.
template <typename T, typename Body>
void for_each_image(int64_t batch, size_t scratch_size, Body&& body) {
  const int threads = batch >= 2 ? std::min<int64_t>(max_threads(), batch) : 1;
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      std::vector<T> scratch(scratch_size);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < batch; ++n)
        body(n, scratch.data());
    }
  } else {
    std::vector<T> scratch(scratch_size);
    for (int64_t n = 0; n < batch; ++n)
      body(n, scratch.data());
  }
}

template <typename T>
void forward_typed(const StridedView& input, const StridedView& weight, const StridedView& bias,
                   const StridedView& out, const Problem& pr) {
  const T* x = input.ptr<T>();
  const T* w = weight.ptr<T>();
  const T* b = bias.data != nullptr ? bias.ptr<T>() : nullptr;
  T* y = out.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  const size_t scratch = pr.direct ? 0 : static_cast<size_t>(pr.k * pr.hw_out);
  for_each_image<T>(pr.batch, scratch, [&](int64_t n, T* col) {
    for (int64_t g = 0; g < groups; ++g) {
      const T* xg = x + (n * pr.in_channels + g * pr.group_in) * pr.hw_in;
      T* yg = y + (n * pr.out_channels + g * pr.group_out) * pr.hw_out;
      const T* cols = xg;
      if (!pr.direct) {
        im2col(xg, pr.geo, col);
        cols = col;
      }
      gemm(CblasNoTrans, CblasNoTrans, pr.group_out, pr.hw_out, pr.k, w + g * pr.group_out * pr.k,
           pr.k, cols, pr.hw_out, T(0), yg, pr.hw_out);
      if (b == nullptr) continue;
      for (int64_t o = 0; o < pr.group_out; ++o) {
        const T bo = b[g * pr.group_out + o];
        T* row = yg + o * pr.hw_out;
        for (int64_t i = 0; i < pr.hw_out; ++i)
          row[i] += bo;
      }
    }
  });
}

template <typename T>
void backward_input_typed(const StridedView& grad_out, const StridedView& weight,
                          const StridedView& grad_input, const Problem& pr) {
  const T* dy = grad_out.ptr<T>();
  const T* w = weight.ptr<T>();
  T* dx = grad_input.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  const size_t scratch = pr.direct ? 0 : static_cast<size_t>(pr.k * pr.hw_out);
  for_each_image<T>(pr.batch, scratch, [&](int64_t n, T* col) {
    for (int64_t g = 0; g < groups; ++g) {
      const T* dyg = dy + (n * pr.out_channels + g * pr.group_out) * pr.hw_out;
      T* dxg = dx + (n * pr.in_channels + g * pr.group_in) * pr.hw_in;
      // dcol (k, hw_out) = W_g^T (k, group_out) @ dy_g (group_out, hw_out).
      T* dcol = pr.direct ? dxg : col;
      gemm(CblasTrans, CblasNoTrans, pr.k, pr.hw_out, pr.group_out, w + g * pr.group_out * pr.k,
           pr.k, dyg, pr.hw_out, T(0), dcol, pr.hw_out);
      if (pr.direct) continue;
      std::memset(dxg, 0, static_cast<size_t>(pr.group_in * pr.hw_in) * sizeof(T));
      col2im(dcol, pr.geo, dxg);
    }
  });
}

template <typename T>
void backward_weight_typed(const StridedView& input, const StridedView& grad_out,
                           const StridedView& grad_weight, const Problem& pr) {
  const T* x = input.ptr<T>();
  const T* dy = grad_out.ptr<T>();
  T* dw = grad_weight.ptr<T>();
  const int64_t groups = pr.geo.p.groups;
  const size_t wsize = static_cast<size_t>(pr.out_channels * pr.k);
  std::memset(dw, 0, wsize * sizeof(T));
  const int threads = pr.batch >= 2 ? std::min<int64_t>(max_threads(), pr.batch) : 1;
  // One gradient buffer per thread; thread 0 writes into the output itself.
  std::vector<std::vector<T>> partial(static_cast<size_t>(threads - 1), std::vector<T>(wsize));
  auto run = [&](int tid, int64_t begin, int64_t end) {
    T* acc = tid == 0 ? dw : partial[static_cast<size_t>(tid - 1)].data();
    std::vector<T> col(pr.direct ? 0 : static_cast<size_t>(pr.k * pr.hw_out));
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < groups; ++g) {
        const T* xg = x + (n * pr.in_channels + g * pr.group_in) * pr.hw_in;
        const T* dyg = dy + (n * pr.out_channels + g * pr.group_out) * pr.hw_out;
        const T* cols = xg;
        if (!pr.direct) {
          im2col(xg, pr.geo, col.data());
          cols = col.data();
        }
        // dW_g (group_out, k) += dy_g (group_out, hw_out) @ cols^T (hw_out, k).
        gemm(CblasNoTrans, CblasTrans, pr.group_out, pr.k, pr.hw_out, dyg, pr.hw_out, cols,
             pr.hw_out, T(1), acc + g * pr.group_out * pr.k, pr.k);
      }
    }
  };
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      const int tid = omp_get_thread_num();
      const int nt = omp_get_num_threads();
      const int64_t begin = pr.batch * tid / nt, end = pr.batch * (tid + 1) / nt;
      run(tid, begin, end);
    }
    for (const std::vector<T>& part : partial) {
      for (size_t i = 0; i < wsize; ++i)
        dw[i] += part[i];
    }
  } else {
    run(0, 0, pr.batch);
  }
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

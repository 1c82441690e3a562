// CpuBackend's softmax and log_softmax (Backend::softmax / softmax_backward). A compact array is
// seen as (outer, n, inner) around the softmax axis, and each of its outer * inner rows (n values,
// inner apart) is finished by one task in a few passes that stay in cache: the row's maximum, the
// sum of exp(x - max) (for softmax written out as it goes), then the scale or shift. Where the
// composed version runs five kernels with three temporaries over the whole array, this reads the
// input from memory once. Sums accumulate in double.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

// Rows of the last axis (inner == 1) are contiguous and handled one at a time; otherwise a task
// takes a block of up to kLanes neighbouring rows of one outer index, whose elements sit side by
// side in memory, and walks them together so every pass reads whole cache lines.
constexpr int64_t kLanes = 64;

// One task: `lanes` rows starting at x (row r's element j at x[r + j * stride]).
template <typename T>
void softmax_rows(const T* x, T* y, int64_t n, int64_t stride, int64_t lanes, bool log) {
  T max_buf[kLanes];
  double sum_buf[kLanes];
  for (int64_t r = 0; r < lanes; ++r) {
    max_buf[r] = -std::numeric_limits<T>::infinity();
    sum_buf[r] = 0.0;
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * stride;
    for (int64_t r = 0; r < lanes; ++r)
      max_buf[r] = std::max(max_buf[r], xj[r]);
  }
  // A NaN anywhere in the row makes its sum, and so the whole row, NaN (std::max skips NaN).
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * stride;
    T* yj = y + j * stride;
    for (int64_t r = 0; r < lanes; ++r) {
      const T e = std::exp(xj[r] - max_buf[r]);
      if (!log) yj[r] = e;
      sum_buf[r] += static_cast<double>(e);
    }
  }
  if (log) {
    T log_sum[kLanes];
    for (int64_t r = 0; r < lanes; ++r)
      log_sum[r] = static_cast<T>(std::log(sum_buf[r]));
    for (int64_t j = 0; j < n; ++j) {
      const T* xj = x + j * stride;
      T* yj = y + j * stride;
      for (int64_t r = 0; r < lanes; ++r)
        yj[r] = (xj[r] - max_buf[r]) - log_sum[r];
    }
  } else {
    T inv_sum[kLanes];
    for (int64_t r = 0; r < lanes; ++r)
      inv_sum[r] = static_cast<T>(1.0 / sum_buf[r]);
    for (int64_t j = 0; j < n; ++j) {
      T* yj = y + j * stride;
      for (int64_t r = 0; r < lanes; ++r)
        yj[r] *= inv_sum[r];
    }
  }
}

// softmax: gx = y (g - sum(g y)); log_softmax: gx = g - exp(y) sum(g).
template <typename T>
void softmax_backward_rows(const T* y, const T* g, T* gx, int64_t n, int64_t stride, int64_t lanes,
                           bool log) {
  double sum_buf[kLanes];
  for (int64_t r = 0; r < lanes; ++r)
    sum_buf[r] = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    const T* yj = y + j * stride;
    const T* gj = g + j * stride;
    for (int64_t r = 0; r < lanes; ++r)
      sum_buf[r] += log ? static_cast<double>(gj[r])
                        : static_cast<double>(gj[r]) * static_cast<double>(yj[r]);
  }
  T sums[kLanes];
  for (int64_t r = 0; r < lanes; ++r)
    sums[r] = static_cast<T>(sum_buf[r]);
  for (int64_t j = 0; j < n; ++j) {
    const T* yj = y + j * stride;
    const T* gj = g + j * stride;
    T* gxj = gx + j * stride;
    for (int64_t r = 0; r < lanes; ++r)
      gxj[r] = log ? gj[r] - std::exp(yj[r]) * sums[r] : yj[r] * (gj[r] - sums[r]);
  }
}

// Runs task(first_element_offset, stride, lanes) over every row block, in parallel when the
// array is large enough for the pool to pay off.
template <typename Task>
void for_each_row_block(const AxisSplit& rows, Task&& task) {
  const int64_t blocks_per_outer = (rows.inner + kLanes - 1) / kLanes;
  const int64_t blocks = rows.inner == 1 ? rows.outer : rows.outer * blocks_per_outer;
  const bool parallel = rows.rows() * rows.n >= kParallelThreshold && max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t b = 0; b < blocks; ++b) {
    if (rows.inner == 1) {
      task(b * rows.n, int64_t{1}, int64_t{1});
    } else {
      const int64_t o = b / blocks_per_outer, first = (b % blocks_per_outer) * kLanes;
      task(o * rows.n * rows.inner + first, rows.inner, std::min(kLanes, rows.inner - first));
    }
  }
}

}  // namespace

void CpuBackend::do_softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) {
  const AxisSplit rows = split_at_axis(a.shape, axis);
  dispatch_floating(a.dtype, log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = a.ptr<T>();
    T* y = out.ptr<T>();
    for_each_row_block(rows, [&](int64_t at, int64_t stride, int64_t lanes) {
      softmax_rows<T>(x + at, y + at, rows.n, stride, lanes, log);
    });
  });
}

void CpuBackend::do_softmax_backward(const StridedView& out, const StridedView& grad_out,
                                     int64_t axis, bool log, const StridedView& grad_input) {
  const AxisSplit rows = split_at_axis(out.shape, axis);
  dispatch_floating(out.dtype, log ? "log_softmax_backward" : "softmax_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* y = out.ptr<T>();
    const T* g = grad_out.ptr<T>();
    T* gx = grad_input.ptr<T>();
    for_each_row_block(rows, [&](int64_t at, int64_t stride, int64_t lanes) {
      softmax_backward_rows<T>(y + at, g + at, gx + at, rows.n, stride, lanes, log);
    });
  });
}

}  // namespace needle::cpu_backend

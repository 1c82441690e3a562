// Batched matmul on OpenBLAS. Each operand's last two axes are handed to cblas_?gemm as they
// are when BLAS can read them (row-major with a leading dimension, or a transposed view as a
// transpose flag); anything else (negative strides, both strides > 1) is compacted into a
// scratch matrix first. Batch axes may have any strides, 0 included (broadcast).
#include <cblas.h>

#include <cstring>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/region_errors.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

// How BLAS reads one (rows x cols) operand matrix.
struct MatrixArg {
  bool direct = false;  // false: compact into scratch first
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 0;
};

MatrixArg blas_arg(int64_t rows, int64_t cols, int64_t s_row, int64_t s_col) {
  // Along a size-1 axis the stride is irrelevant, so it may be anything.
  const bool row_major = cols == 1 || s_col == 1;
  const bool col_major = rows == 1 || s_row == 1;
  if (row_major) {
    const int64_t ld = rows == 1 ? std::max<int64_t>(cols, 1) : s_row;
    if (ld >= std::max<int64_t>(cols, 1)) return {true, CblasNoTrans, ld};
  }
  if (col_major) {
    const int64_t ld = cols == 1 ? std::max<int64_t>(rows, 1) : s_col;
    if (ld >= std::max<int64_t>(rows, 1)) return {true, CblasTrans, ld};
  }
  return {false, CblasNoTrans, std::max<int64_t>(cols, 1)};
}

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), 0.0f, c, static_cast<blasint>(ldc));
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double* c,
                 int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), 0.0, c, static_cast<blasint>(ldc));
}

// Copies a strided (rows x cols) matrix into dense row-major `dst`.
template <typename T>
void compact_matrix(const T* src, int64_t rows, int64_t cols, int64_t s_row, int64_t s_col,
                    T* dst) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      dst[i * cols + j] = src[i * s_row + j * s_col];
  }
}

template <typename T>
void matmul_typed(const StridedView& a, const StridedView& b, const StridedView& out) {
  const int64_t nd = out.ndim();
  const int64_t m = out.shape[nd - 2], n = out.shape[nd - 1], k = a.shape[nd - 1];
  T* const c_base = static_cast<T*>(out.data) + out.offset;
  const T* const a_base = static_cast<const T*>(a.data) + a.offset;
  const T* const b_base = static_cast<const T*>(b.data) + b.offset;
  const int64_t batch = numel(Shape(out.shape.begin(), out.shape.end() - 2));
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0) {
    std::memset(c_base, 0, static_cast<size_t>(batch * m * n) * sizeof(T));
    return;
  }
  const int64_t sam = a.strides[nd - 2], sak = a.strides[nd - 1];
  const int64_t sbk = b.strides[nd - 2], sbn = b.strides[nd - 1];
  const MatrixArg A = blas_arg(m, k, sam, sak), B = blas_arg(k, n, sbk, sbn);

  // Batch dims: drop size-1 ones; a_off/b_off give each batch element's matrix offset.
  std::vector<int64_t> bshape, sa, sb;
  for (int64_t d = 0; d < nd - 2; ++d) {
    if (out.shape[d] == 1) continue;
    bshape.push_back(out.shape[d]);
    sa.push_back(a.strides[d]);
    sb.push_back(b.strides[d]);
  }
  auto offsets = [&](int64_t i, int64_t& ao, int64_t& bo) {
    ao = bo = 0;
    for (size_t d = bshape.size(); d-- > 0;) {
      const int64_t idx = i % bshape[d];
      i /= bshape[d];
      ao += idx * sa[d];
      bo += idx * sb[d];
    }
  };

  // A batch of row-major a matrices stacked densely against one shared b is one tall GEMM
  // (the Linear-layer case x(B, T, in) @ W(in, out)): fold the batch into m.
  if (A.direct && A.trans == CblasNoTrans && A.ld == k && B.direct) {
    bool foldable = true;
    int64_t expect = m * k;
    for (size_t d = bshape.size(); d-- > 0;) {
      if (sb[d] != 0 || sa[d] != expect) foldable = false;
      expect *= bshape[d];
    }
    if (foldable && !bshape.empty()) {
      gemm(CblasNoTrans, B.trans, batch * m, n, k, a_base, k, b_base, B.ld, c_base, n);
      return;
    }
  }

  auto one = [&](int64_t i, std::vector<T>& sa_buf, std::vector<T>& sb_buf) {
    int64_t ao, bo;
    offsets(i, ao, bo);
    const T* ap = a_base + ao;
    const T* bp = b_base + bo;
    if (!A.direct) {
      resize_scratch(sa_buf, static_cast<size_t>(m * k), "matmul");
      compact_matrix(ap, m, k, sam, sak, sa_buf.data());
      ap = sa_buf.data();
    }
    if (!B.direct) {
      resize_scratch(sb_buf, static_cast<size_t>(k * n), "matmul");
      compact_matrix(bp, k, n, sbk, sbn, sb_buf.data());
      bp = sb_buf.data();
    }
    gemm(A.trans, B.trans, m, n, k, ap, A.ld, bp, B.ld, c_base + i * m * n, n);
  };

  // Many small matrices: one GEMM per thread beats OpenBLAS threading inside each small GEMM
  // (inside a parallel region the OpenMP build of OpenBLAS runs single-threaded).
  const bool parallel_batch =
      batch >= 2 && m * n * k <= 128 * 128 * 128 && batch * m * n * k >= 64 * 64 * 64;
  const int threads = parallel_batch ? max_threads() : 1;
  if (threads > 1) {
    // Each thread's compaction buffers are allocated here, before the region: a failed
    // allocation inside it would call std::terminate. (Inside, one() finds them large enough.)
    std::vector<std::vector<T>> sa_bufs(static_cast<size_t>(threads)),
        sb_bufs(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      if (!A.direct)
        resize_scratch(sa_bufs[static_cast<size_t>(t)], static_cast<size_t>(m * k), "matmul");
      if (!B.direct)
        resize_scratch(sb_bufs[static_cast<size_t>(t)], static_cast<size_t>(k * n), "matmul");
    }
#pragma omp parallel num_threads(threads)
    {
      const auto t = static_cast<size_t>(omp_get_thread_num());
#pragma omp for schedule(static)
      for (int64_t i = 0; i < batch; ++i)
        one(i, sa_bufs[t], sb_bufs[t]);
    }
  } else {
    std::vector<T> sa_buf, sb_buf;
    for (int64_t i = 0; i < batch; ++i)
      one(i, sa_buf, sb_buf);
  }
}

}  // namespace

void CpuBackend::do_matmul(const StridedView& a, const StridedView& b, const StridedView& out) {
  dispatch_floating(a.dtype, "matmul",
                    [&](auto tag) { matmul_typed<typename decltype(tag)::type>(a, b, out); });
}

}  // namespace needle::cpu_backend

// Batched matmul through cuBLAS. cuBLAS is column-major; a row-major C = A B is computed as
// C^T = B^T A^T, which is the same memory. A view whose last two axes are transposed is a
// column-major matrix, passed with a transpose flag instead of being copied. Batch dims become
// one stride (0 for a broadcast operand); views that cannot be described that way (negative or
// overlapping strides, non-uniform batch strides) are compacted first with the copy kernel.
#include <climits>
#include <cstdlib>
#include <mutex>
#include <optional>

#include <cublas_v2.h>
#include <fmt/format.h>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

struct Operand {
  const void* ptr = nullptr;
  cublasOperation_t op = CUBLAS_OP_N;  // N: row-major in memory; T: column-major
  int64_t ld = 1;
  int64_t batch_stride = 0;
};

// Describes the (rows x cols) matrices of `v` for cuBLAS, or nothing when it must be compacted.
std::optional<Operand> describe(const StridedView& v, int64_t rows, int64_t cols) {
  const size_t nd = v.shape.size();
  const int64_t sr = v.strides[nd - 2], sc = v.strides[nd - 1];
  Operand o;
  o.ptr = first_element(v);
  if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) {
    o.op = CUBLAS_OP_N;
    o.ld = rows == 1 ? std::max<int64_t>(cols, 1) : sr;
  } else if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) {
    o.op = CUBLAS_OP_T;
    o.ld = cols == 1 ? std::max<int64_t>(rows, 1) : sc;
  } else {
    return std::nullopt;
  }
  if (o.ld > INT_MAX) return std::nullopt;
  // One stride must step through the row-major batch index: the innermost batch axis (of size
  // > 1) sets it, every outer one must agree.
  bool first = true;
  int64_t inner = 1;
  for (size_t d = nd - 2; d-- > 0;) {
    if (v.shape[d] == 1) continue;
    if (first) {
      o.batch_stride = v.strides[d];
      first = false;
    } else if (v.strides[d] != o.batch_stride * inner) {
      return std::nullopt;
    }
    inner *= v.shape[d];
  }
  if (o.batch_stride < 0) return std::nullopt;
  return o;
}

}  // namespace

void CudaBackend::do_matmul(const StridedView& a, const StridedView& b, const StridedView& out) {
  const int index = out.device.index;
  const int64_t nd = out.ndim();
  const int64_t m = out.shape[nd - 2], n = out.shape[nd - 1], k = a.shape[nd - 1];
  int64_t batch = 1;
  for (int64_t d = 0; d < nd - 2; ++d)
    batch *= out.shape[d];
  // cuBLAS's own limit (the front allows BLAS's 31-bit matrix sizes; cuBLAS also needs the
  // batch count in an int).
  NEEDLE_CHECK_AS(ShapeError, m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && batch <= INT_MAX,
                  "matmul: {} @ {} exceeds cuBLAS's 32-bit dimensions", shape_str(a.shape),
                  shape_str(b.shape));

  DeviceGuard guard(index);
  DeviceContext& ctx = device_context(index);
  const size_t es = dtype_size(a.dtype);
  std::optional<Scratch> a_dense, b_dense;
  std::optional<Operand> A = describe(a, m, k);
  if (!A) {
    a_dense.emplace(*this, static_cast<size_t>(a.numel()) * es, index);
    const StridedView view{a_dense->get(), 0, a.shape, compact_strides(a.shape), a.dtype, a.device};
    copy(a, view);
    A = describe(view, m, k);
  }
  std::optional<Operand> B = describe(b, k, n);
  if (!B) {
    b_dense.emplace(*this, static_cast<size_t>(b.numel()) * es, index);
    const StridedView view{b_dense->get(), 0, b.shape, compact_strides(b.shape), b.dtype, b.device};
    copy(b, view);
    B = describe(view, k, n);
  }
  NEEDLE_CHECK(A && B, "matmul: internal error: compacted operand not describable");

  std::lock_guard<std::mutex> lock(ctx.cublas_mutex);
  const cublasMath_t mode =
      a.dtype == DType::Float32 && allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
  if (mode != ctx.math_mode) {
    NEEDLE_CUBLAS_CHECK(cublasSetMathMode(ctx.cublas, mode));
    ctx.math_mode = mode;
  }
  // Row-major C (m x n) = A B  <=>  column-major C^T (n x m) = B^T A^T: B comes first, and a
  // row-major operand is already the transpose cuBLAS wants (op N).
  const int M = static_cast<int>(n), N = static_cast<int>(m), K = static_cast<int>(k);
  const int lda = static_cast<int>(B->ld), ldb = static_cast<int>(A->ld), ldc = M;
  const long long stride_c = m * n;
  if (a.dtype == DType::Float32) {
    const float alpha = 1.0f, beta = 0.0f;
    const auto* pa = static_cast<const float*>(B->ptr);
    const auto* pb = static_cast<const float*>(A->ptr);
    auto* pc = static_cast<float*>(first_element(out));
    if (batch == 1) {
      NEEDLE_CUBLAS_CHECK(
          cublasSgemm(ctx.cublas, B->op, A->op, M, N, K, &alpha, pa, lda, pb, ldb, &beta, pc, ldc));
    } else {
      NEEDLE_CUBLAS_CHECK(cublasSgemmStridedBatched(
          ctx.cublas, B->op, A->op, M, N, K, &alpha, pa, lda, B->batch_stride, pb, ldb,
          A->batch_stride, &beta, pc, ldc, stride_c, static_cast<int>(batch)));
    }
  } else {
    const double alpha = 1.0, beta = 0.0;
    const auto* pa = static_cast<const double*>(B->ptr);
    const auto* pb = static_cast<const double*>(A->ptr);
    auto* pc = static_cast<double*>(first_element(out));
    if (batch == 1) {
      NEEDLE_CUBLAS_CHECK(
          cublasDgemm(ctx.cublas, B->op, A->op, M, N, K, &alpha, pa, lda, pb, ldb, &beta, pc, ldc));
    } else {
      NEEDLE_CUBLAS_CHECK(cublasDgemmStridedBatched(
          ctx.cublas, B->op, A->op, M, N, K, &alpha, pa, lda, B->batch_stride, pb, ldb,
          A->batch_stride, &beta, pc, ldc, stride_c, static_cast<int>(batch)));
    }
  }
  NEEDLE_CUDA_QUEUED(ctx.stream, "matmul (cuBLAS GEMM)");
}

}  // namespace needle::cuda_backend

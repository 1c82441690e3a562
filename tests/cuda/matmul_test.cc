// cuBLAS matmul against OpenBLAS: plain, transposed operands (passed as flags), broadcast and
// batched operands, non-uniform batch strides and sliced operands (compacted first), odd sizes,
// float32 and float64, and the TF32 switch.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

struct Operand {
  Shape shape;
  Strides strides;
  int64_t offset;
  int64_t elems;
};

Operand dense(const Shape& s) {
  return {s, compact_strides(s), 0, numel(s)};
}

// The (..., r, c) matrices of a dense (..., c, r) buffer, viewed transposed.
Operand transposed(const Shape& s) {
  Shape stored = s;
  std::swap(stored[s.size() - 1], stored[s.size() - 2]);
  Strides st = compact_strides(stored);
  std::swap(st[s.size() - 1], st[s.size() - 2]);
  return {s, st, 0, numel(s)};
}

void check(DType dt, const Operand& a, const Operand& b, const Shape& out_shape,
           const std::string& what, double rtol) {
  Twin ta(dt, a.elems, random_values(dt, a.elems, 61, -1.0, 1.0));
  Twin tb(dt, b.elems, random_values(dt, b.elems, 67, -1.0, 1.0));
  Twin out(dt, numel(out_shape));
  backend_for(DeviceType::CPU)
      .matmul(ta.cpu.view(a.shape, a.strides, a.offset), tb.cpu.view(b.shape, b.strides, b.offset),
              out.cpu.dense(out_shape));
  backend_for(DeviceType::CUDA)
      .matmul(ta.gpu.view(a.shape, a.strides, a.offset), tb.gpu.view(b.shape, b.strides, b.offset),
              out.gpu.dense(out_shape));
  expect_close(out.cpu.download(), out.gpu.download(), rtol, rtol, what);
}

TEST(CudaMatmul, MatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (DType dt : {DType::Float32, DType::Float64}) {
    const double tol = dt == DType::Float32 ? 1e-4 : 1e-11;
    const std::string t(dtype_name(dt));
    check(dt, dense({33, 65}), dense({65, 17}), {33, 17}, t + " plain", tol);
    check(dt, transposed({33, 65}), dense({65, 17}), {33, 17}, t + " A^T", tol);
    check(dt, dense({33, 65}), transposed({65, 17}), {33, 17}, t + " B^T", tol);
    check(dt, transposed({33, 65}), transposed({65, 17}), {33, 17}, t + " A^T B^T", tol);
    check(dt, dense({1, 5}), dense({5, 1}), {1, 1}, t + " dot", tol);
    check(dt, dense({7, 1}), dense({1, 9}), {7, 9}, t + " outer", tol);
    check(dt, dense({4, 3, 20, 30}), dense({4, 3, 30, 10}), {4, 3, 20, 10}, t + " batched", tol);
    check(dt, transposed({6, 20, 30}), transposed({6, 30, 10}), {6, 20, 10},
          t + " batched transposed", tol);
    // B broadcast over the batch (stride 0).
    check(dt, dense({5, 20, 30}), {{5, 30, 10}, {0, 10, 1}, 0, 300}, {5, 20, 10},
          t + " broadcast B", tol);
    check(dt, {{2, 3, 20, 30}, {0, 0, 30, 1}, 0, 600}, dense({2, 3, 30, 10}), {2, 3, 20, 10},
          t + " broadcast A", tol);
    // Broadcast along the outer batch axis only: non-uniform batch strides, compacted first.
    check(dt, {{2, 3, 4, 5}, {0, 20, 5, 1}, 0, 60}, dense({2, 3, 5, 6}), {2, 3, 4, 6},
          t + " partly broadcast A", tol);
    // A slice with a column step (neither layout cuBLAS takes) and an offset.
    check(dt, {{9, 11}, {40, 2}, 3, 400}, dense({11, 4}), {9, 4}, t + " stepped slice", tol);
    // Row-major with padding (ld > cols), as a slice of wider rows gives.
    check(dt, {{9, 11}, {16, 1}, 2, 160}, {{11, 4}, {1, 12}, 1, 60}, {9, 4}, t + " padded", tol);
  }
}

TEST(CudaMatmul, Tf32SwitchStaysAccurateEnough) {
  NEEDLE_REQUIRE_CUDA();
  cuda_set_allow_tf32(true);
  // TF32 keeps 10 mantissa bits: ~1e-3 relative on unit-scale inputs of a 256-long dot.
  check(DType::Float32, dense({128, 256}), dense({256, 64}), {128, 64}, "tf32", 2e-2);
  cuda_set_allow_tf32(false);
  check(DType::Float32, dense({128, 256}), dense({256, 64}), {128, 64}, "fp32 again", 1e-4);
}

TEST(CudaMatmul, ZeroInnerDimensionGivesZeros) {
  NEEDLE_REQUIRE_CUDA();
  Buffer a(needle::cuda(0), DType::Float32, 1), b(needle::cuda(0), DType::Float32, 1);
  Buffer out(needle::cuda(0), DType::Float32, 6);
  out.upload({1, 2, 3, 4, 5, 6});
  backend_for(DeviceType::CUDA)
      .matmul(a.view({2, 0}, {0, 1}), b.view({0, 3}, {3, 1}), out.dense({2, 3}));
  EXPECT_EQ(out.download(), std::vector<double>(6, 0.0));
}

TEST(CudaMatmul, RejectsBadArguments) {
  NEEDLE_REQUIRE_CUDA();
  Backend& cuda = backend_for(DeviceType::CUDA);
  Buffer f(needle::cuda(0), DType::Float32, 64), i(needle::cuda(0), DType::Int32, 64);
  EXPECT_THROW(cuda.matmul(f.dense({2, 3}), f.dense({4, 5}), f.dense({2, 5})), ShapeError);
  EXPECT_THROW(cuda.matmul(i.dense({2, 3}), i.dense({3, 2}), i.dense({2, 2})), DTypeError);
}

}  // namespace
}  // namespace needle::cuda_test

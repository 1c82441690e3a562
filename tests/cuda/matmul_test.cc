// cuBLAS's TF32 switch: float32 matmuls with TF32 tensor cores stay within TF32's accuracy of
// OpenBLAS, and switching back restores float32 results. Every layout, dtype and k == 0 case is
// the conformance suite's (tests/conformance/matmul_test.cc), which runs them on every backend.
#include <string>
#include <vector>

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

TEST(CudaMatmul, Tf32SwitchStaysAccurateEnough) {
  NEEDLE_REQUIRE_CUDA();
  cuda_set_allow_tf32(true);
  // TF32 keeps 10 mantissa bits: ~1e-3 relative on unit-scale inputs of a 256-long dot.
  check(DType::Float32, dense({128, 256}), dense({256, 64}), {128, 64}, "tf32", 2e-2);
  cuda_set_allow_tf32(false);
  check(DType::Float32, dense({128, 256}), dense({256, 64}), {128, 64}, "fp32 again", 1e-4);
}

}  // namespace
}  // namespace needle::cuda_test

// Reductions on CUDA against the CPU backend: every op over single and multiple axes, leading
// (column) and trailing (row) axes, non-compact inputs, sizes that are not powers of two, long
// rows that take the split (two-pass) path, NaN handling and argmax's first-maximum rule.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

struct Case {
  Shape shape;
  Strides strides;  // of the input view
  int64_t offset;
  int64_t elems;
  Axes axes;
};

void run_case(ReduceOp op, DType dt, const Case& c, const std::vector<double>& values,
              const std::string& what) {
  Twin in(dt, c.elems, values);
  Shape out_shape = c.shape;
  for (int64_t ax : c.axes)
    out_shape[ax] = 1;
  const bool arg = op == ReduceOp::Argmax || op == ReduceOp::Argmin;
  const DType out_dt = arg ? DType::Int64 : dt;
  Twin out(out_dt, numel(out_shape));
  backend_for(DeviceType::CPU)
      .reduce(op, in.cpu.view(c.shape, c.strides, c.offset), c.axes, out.cpu.dense(out_shape));
  backend_for(DeviceType::CUDA)
      .reduce(op, in.gpu.view(c.shape, c.strides, c.offset), c.axes, out.gpu.dense(out_shape));
  // Both backends sum floats in double, in different orders.
  const double rtol = op == ReduceOp::Sum ? (dt == DType::Float32 ? 1e-6 : 1e-12) : 0.0;
  expect_close(out.cpu.download(), out.gpu.download(), rtol, op == ReduceOp::Sum ? 1e-9 : 0.0,
               what);
}

std::vector<Case> cases() {
  const Shape s3 = {6, 37, 129};
  const Strides d3 = compact_strides(s3);
  const int64_t n3 = numel(s3);
  return {
      {s3, d3, 0, n3, {2}},                        // rows
      {s3, d3, 0, n3, {0}},                        // leading axis: columns
      {s3, d3, 0, n3, {1}},                        // middle axis
      {s3, d3, 0, n3, {0, 2}},                     // two axes, kept one in the middle
      {s3, d3, 0, n3, {0, 1, 2}},                  // everything
      {{129, 37}, {1, 129}, 0, 129 * 37, {0}},     // transposed input, reduce the dense axis
      {{129, 37}, {1, 129}, 0, 129 * 37, {1}},     // transposed input, reduce the strided axis
      {{5, 7}, {0, 1}, 0, 7, {0}},                 // broadcast input
      {{5, 7}, {16, -2}, 30, 160, {1}},            // sliced and flipped
      {{3, 1, 4}, {4, 4, 1}, 1, 13, {1}},          // size-1 reduced axis, misaligned
      {{1, 300001}, {300001, 1}, 3, 300004, {1}},  // one long misaligned row: split path
      {{2000003}, {1}, 0, 2000003, {0}},           // long vector, prime length
      {{200003, 3}, {3, 1}, 0, 600009, {0}},       // long columns: split column path
      {{64, 2, 9}, {18, 9, 1}, 0, 1152, {0, 1}},   // leading axes into short rows
  };
}

TEST(CudaReduce, AllOpsMatchCpu) {
  NEEDLE_REQUIRE_CUDA();
  const ReduceOp ops[] = {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Argmax,
                          ReduceOp::Argmin};
  for (DType dt :
       {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt8, DType::Bool}) {
    for (const Case& c : cases()) {
      const std::vector<double> values = random_values(dt, c.elems, 53);
      for (ReduceOp op : ops) {
        if ((op == ReduceOp::Argmax || op == ReduceOp::Argmin) && c.axes.size() != 1) continue;
        if (op == ReduceOp::Sum && dt == DType::Bool) continue;  // sum of bools: bool output
        run_case(op, dt, c, values,
                 fmt::format("{} {} shape {} axes {}", op_name(op), dtype_name(dt),
                             shape_str(c.shape), fmt::join(c.axes, ",")));
      }
    }
  }
}

TEST(CudaReduce, ArgmaxTakesFirstMaximumAndNanWins) {
  NEEDLE_REQUIRE_CUDA();
  // Many ties across a long row (split over blocks): the first index must win.
  const int64_t n = 1 << 20;
  std::vector<double> v(n, 1.0);
  v[12345] = 7.0;
  v[900000] = 7.0;
  run_case(ReduceOp::Argmax, DType::Float32, {{n}, {1}, 0, n, {0}}, v, "argmax ties");
  v[500000] = std::numeric_limits<double>::quiet_NaN();
  v[700000] = std::numeric_limits<double>::quiet_NaN();
  run_case(ReduceOp::Argmax, DType::Float32, {{n}, {1}, 0, n, {0}}, v, "argmax NaN");
  run_case(ReduceOp::Argmin, DType::Float64, {{n}, {1}, 0, n, {0}}, v, "argmin NaN");
  run_case(ReduceOp::Max, DType::Float32, {{n}, {1}, 0, n, {0}}, v, "max NaN");
  run_case(ReduceOp::Min, DType::Float64, {{1024, 1024}, {1024, 1}, 0, n, {0}}, v, "min NaN");
}

TEST(CudaReduce, EmptyAxes) {
  NEEDLE_REQUIRE_CUDA();
  Buffer in(needle::cuda(0), DType::Float32, 1);
  Buffer out(needle::cuda(0), DType::Float32, 3);
  out.upload({9, 9, 9});
  Backend& cuda = backend_for(DeviceType::CUDA);
  cuda.reduce(ReduceOp::Sum, in.view({3, 0}, {0, 1}), {1}, out.dense({3, 1}));
  EXPECT_EQ(out.download(), (std::vector<double>{0, 0, 0}));
  EXPECT_THROW(cuda.reduce(ReduceOp::Max, in.view({3, 0}, {0, 1}), {1}, out.dense({3, 1})),
               ShapeError);
  EXPECT_THROW(cuda.reduce(ReduceOp::Sum, in.view({3, 1}, {0, 1}), {}, out.dense({3, 1})),
               ShapeError);
}

}  // namespace
}  // namespace needle::cuda_test

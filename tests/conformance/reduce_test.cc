// Reduction conformance: every reduce op code over every dtype and every axis subset of 4-D
// inputs (argmax/argmin over each single axis), compact and not (axes reversed, flipped,
// sliced, broadcast, junk strides on a size-1 axis), values with many ties and with NaN; long
// rows, long columns and prime lengths that take the backends' split paths; the first maximum
// winning over a long row; float32 sums accumulated in double.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceReduce : public ConformanceTest {
 protected:
  // Reduces input layout L of `in` over `axes` on both sides and compares the outputs.
  void check(ReduceOp op, const Twin& in, const Layout& L, const Axes& axes,
             const std::string& what) const {
    Shape kept = L.shape;
    for (int64_t ax : axes)
      kept[static_cast<size_t>(ax)] = 1;
    const DType out_dt = result_dtype(op_result(op), in.dtype());
    const Twin out = output(out_dt, numel(kept));
    on_both([&](const Side& s) {
      s->reduce(op, in.view(s, L.shape, L.strides, L.offset), axes, out.dense(s, kept));
    });
    expect_match(out, fmt::format("{} {} {} axes {{{}}} {}", op_name(op), dtype_name(in.dtype()),
                                  L.name, fmt::join(axes, ","), what));
  }
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceReduce);

bool is_arg(ReduceOp op) {
  return op == ReduceOp::Argmax || op == ReduceOp::Argmin;
}

// Every non-empty subset of {0, ..., ndim - 1}, each sorted.
std::vector<Axes> axis_subsets(int64_t ndim) {
  std::vector<Axes> subsets;
  for (int mask = 1; mask < (1 << ndim); ++mask) {
    Axes axes;
    for (int64_t d = 0; d < ndim; ++d) {
      if (mask & (1 << d)) axes.push_back(d);
    }
    subsets.push_back(axes);
  }
  return subsets;
}

// Floating values on a grid of halves: many ties (argmax's first maximum matters) and sums
// that are exact in double whatever the order.
std::vector<double> tied_values(DType dtype, int64_t n, uint32_t seed) {
  std::vector<double> v = random_values(dtype, n, seed);
  if (is_floating(dtype)) {
    for (double& x : v)
      x = std::round(x * 2.0) / 2.0;
  }
  return v;
}

std::vector<Layout> inputs_4d() {
  const Shape s = {3, 4, 5, 6};
  return {
      {"compact", s, {120, 30, 6, 1}, 0, 360},
      {"axes_reversed", s, {1, 3, 12, 60}, 0, 360},  // (6, 5, 4, 3) storage, all axes swapped
      {"flipped", s, {120, -30, 6, -1}, 95, 360},
      {"sliced", s, {480, 120, 12, 2}, 1, 1441},  // [:, ::2, :, 1::2] of (3, 8, 5, 12)
      {"broadcast", s, {0, 6, 0, 1}, 0, 24},
      {"size1_axis", {2, 1, 5, 3}, {15, 99, 3, 1}, 2, 32},
  };
}

TEST_P(ConformanceReduce, EveryOpEveryDtypeEveryAxisSubset) {
  for (const Layout& L : inputs_4d()) {
    for (DType dt : kDTypes) {
      const Twin in = twin(dt, tied_values(dt, L.elems, 71));
      for (ReduceOp op : kReduceOps) {
        for (const Axes& axes : axis_subsets(static_cast<int64_t>(L.shape.size()))) {
          if (is_arg(op) && axes.size() != 1) continue;
          check(op, in, L, axes, "");
        }
      }
    }
  }
}

TEST_P(ConformanceReduce, NaNWins) {
  for (const Layout& L : inputs_4d()) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Twin in = twin(dt, with_specials(dt, tied_values(dt, L.elems, 73)));
      for (ReduceOp op : kReduceOps) {
        for (const Axes& axes : axis_subsets(static_cast<int64_t>(L.shape.size()))) {
          if (is_arg(op) && axes.size() != 1) continue;
          check(op, in, L, axes, "with NaN and infinities");
        }
      }
    }
  }
}

// Shapes that take the split (two-pass) and column paths of the CUDA kernels and the parallel
// split-K / split-R paths of the CPU's.
TEST_P(ConformanceReduce, LongRowsColumnsAndPrimeLengths) {
  const Shape s3 = {6, 37, 129};
  const Strides d3 = compact_strides(s3);
  const int64_t n3 = numel(s3);
  struct Case {
    Layout layout;
    Axes axes;
  };
  const std::vector<Case> cases = {
      {{"rows", s3, d3, 0, n3}, {2}},
      {{"columns", s3, d3, 0, n3}, {0}},
      {{"middle", s3, d3, 0, n3}, {1}},
      {{"outer_two", s3, d3, 0, n3}, {0, 2}},
      {{"all", s3, d3, 0, n3}, {0, 1, 2}},
      {{"transposed_dense_axis", {129, 37}, {1, 129}, 0, 129 * 37}, {0}},
      {{"transposed_strided_axis", {129, 37}, {1, 129}, 0, 129 * 37}, {1}},
      {{"sliced_flipped", {5, 7}, {16, -2}, 30, 160}, {1}},
      {{"misaligned_size1", {3, 1, 4}, {4, 4, 1}, 1, 13}, {1}},
      {{"long_misaligned_row", {1, 300001}, {300001, 1}, 3, 300004}, {1}},
      {{"long_prime_vector", {2000003}, {1}, 0, 2000003}, {0}},
      {{"long_columns", {200003, 3}, {3, 1}, 0, 600009}, {0}},
      {{"leading_into_short_rows", {64, 2, 9}, {18, 9, 1}, 0, 1152}, {0, 1}},
      {{"cpu_split", {300, 257}, {257, 1}, 0, 300 * 257}, {0}},
      {{"cpu_split", {300, 257}, {257, 1}, 0, 300 * 257}, {1}},
      {{"cpu_split", {300, 257}, {257, 1}, 0, 300 * 257}, {0, 1}},
      {{"cpu_split_transposed", {257, 300}, {1, 257}, 0, 300 * 257}, {1}},
      {{"cpu_split_flat", {300 * 257}, {1}, 0, 300 * 257}, {0}},
      {{"cpu_middle", {4, 75, 257}, {75 * 257, 257, 1}, 0, 300 * 257}, {1}},
      {{"cpu_outer_two", {4, 75, 257}, {75 * 257, 257, 1}, 0, 300 * 257}, {0, 2}},
      {{"cpu_split_transposed", {257, 300}, {1, 257}, 0, 300 * 257}, {1}},
      {{"cpu_split_flat", {300 * 257}, {1}, 0, 300 * 257}, {0}},
      {{"cpu_middle", {4, 75, 257}, {75 * 257, 257, 1}, 0, 300 * 257}, {1}},
      {{"cpu_outer_two", {4, 75, 257}, {75 * 257, 257, 1}, 0, 300 * 257}, {0, 2}},
      {{"cpu_split_r", {3, 25700}, {25700, 1}, 0, 300 * 257}, {1}},
      {{"cpu_split_r_columns", {25700, 3}, {3, 1}, 0, 300 * 257}, {0}},
  };
  for (DType dt : kDTypes) {
    for (const Case& c : cases) {
      const Twin in = twin(dt, tied_values(dt, c.layout.elems, 79));
      for (ReduceOp op : kReduceOps) {
        if (is_arg(op) && c.axes.size() != 1) continue;
        check(op, in, c.layout, c.axes, "");
      }
    }
  }
}

TEST_P(ConformanceReduce, FirstExtremeWinsOverALongRow) {
  const int64_t n = int64_t{1} << 20;
  const Layout row{"row", {n}, {1}, 0, n};
  const Layout square{"square", {1024, 1024}, {1024, 1}, 0, n};
  std::vector<double> v(static_cast<size_t>(n), 1.0);
  v[12345] = 7.0;
  v[900000] = 7.0;
  v[150000] = -4.0;
  v[190000] = -4.0;
  check(ReduceOp::Argmax, twin(DType::Float32, v), row, {0}, "ties");
  check(ReduceOp::Argmin, twin(DType::Int32, v), row, {0}, "ties");
  v[500000] = std::numeric_limits<double>::quiet_NaN();
  v[700000] = std::numeric_limits<double>::quiet_NaN();
  const Twin with_nan32 = twin(DType::Float32, v), with_nan64 = twin(DType::Float64, v);
  check(ReduceOp::Argmax, with_nan32, row, {0}, "NaN");
  check(ReduceOp::Argmin, with_nan64, row, {0}, "NaN");
  check(ReduceOp::Max, with_nan32, row, {0}, "NaN");
  check(ReduceOp::Min, with_nan64, square, {0}, "NaN");
  check(ReduceOp::Argmax, with_nan64, square, {1}, "NaN");
  // All -inf: the first.
  const Twin minus_inf =
      twin(DType::Float32, std::vector<double>(static_cast<size_t>(n), -INFINITY));
  check(ReduceOp::Argmax, minus_inf, row, {0}, "-inf");
  // And the known answers, for the reference too.
  Buffer idx = buffer(DType::Int64, 1);
  backend().reduce(ReduceOp::Argmax, with_nan32.dense(dut(), {n}), {0}, idx.dense({1}));
  EXPECT_EQ(idx.download().values()[0], 500000.0);
  backend().reduce(ReduceOp::Argmax, minus_inf.dense(dut(), {n}), {0}, idx.dense({1}));
  EXPECT_EQ(idx.download().values()[0], 0.0);
}

TEST_P(ConformanceReduce, Float32SumsAccumulateInDouble) {
  const int64_t n = int64_t{1} << 22;
  const Twin in = twin(DType::Float32, std::vector<double>(static_cast<size_t>(n), 0.1));
  const Twin total = output(DType::Float32, 1), columns = output(DType::Float32, 4);
  on_both([&](const Side& s) {
    s->reduce(ReduceOp::Sum, in.dense(s, {n}), {0}, total.dense(s, {1}));
    s->reduce(ReduceOp::Sum, in.dense(s, {n / 4, 4}), {0}, columns.dense(s, {1, 4}));
  });
  expect_match(total, "sum of 4M float32");
  expect_match(columns, "column sums of 4M float32");
  // A float32 accumulator would be off by about 1e4.
  EXPECT_NEAR(total.dut_host().values()[0], static_cast<double>(n) * static_cast<double>(0.1f),
              1.0);
  EXPECT_NEAR(columns.dut_host().values()[3],
              static_cast<double>(n / 4) * static_cast<double>(0.1f), 0.5);
}

}  // namespace
}  // namespace needle::conformance

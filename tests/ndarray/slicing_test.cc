// Slicing with Python semantics, select, and the copies built on views: assignment into
// slices (arrays with broadcasting, scalars, flipped and stepped targets), pad, dilate, stack
// and concatenate.
#include <gtest/gtest.h>

#include <optional>

#include "needle/ndarray.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;

struct SliceCase {
  int64_t n;
  std::optional<int64_t> start, stop;
  int64_t step;
  std::vector<int64_t> expected;  // list(range(n))[start:stop:step], computed by CPython
};

TEST(Slicing, MatchesPythonSliceSemantics) {
  const std::vector<SliceCase> cases = {
      {5, std::nullopt, std::nullopt, -2, {4, 2, 0}},
      {5, std::nullopt, std::nullopt, -1, {4, 3, 2, 1, 0}},
      {5, std::nullopt, std::nullopt, 1, {0, 1, 2, 3, 4}},
      {5, std::nullopt, std::nullopt, 3, {0, 3}},
      {5, std::nullopt, -7, -2, {4, 2, 0}},
      {5, std::nullopt, -7, -1, {4, 3, 2, 1, 0}},
      {5, std::nullopt, -7, 1, {}},
      {5, std::nullopt, -7, 3, {}},
      {5, std::nullopt, -2, -2, {4}},
      {5, std::nullopt, -2, -1, {4}},
      {5, std::nullopt, -2, 1, {0, 1, 2}},
      {5, std::nullopt, -2, 3, {0}},
      {5, std::nullopt, 0, -2, {4, 2}},
      {5, std::nullopt, 0, -1, {4, 3, 2, 1}},
      {5, std::nullopt, 0, 1, {}},
      {5, std::nullopt, 0, 3, {}},
      {5, std::nullopt, 3, -2, {4}},
      {5, std::nullopt, 3, -1, {4}},
      {5, std::nullopt, 3, 1, {0, 1, 2}},
      {5, std::nullopt, 3, 3, {0}},
      {5, std::nullopt, 7, -2, {}},
      {5, std::nullopt, 7, -1, {}},
      {5, std::nullopt, 7, 1, {0, 1, 2, 3, 4}},
      {5, std::nullopt, 7, 3, {0, 3}},
      {5, -7, std::nullopt, -2, {}},
      {5, -7, std::nullopt, -1, {}},
      {5, -7, std::nullopt, 1, {0, 1, 2, 3, 4}},
      {5, -7, std::nullopt, 3, {0, 3}},
      {5, -7, -7, -2, {}},
      {5, -7, -7, -1, {}},
      {5, -7, -7, 1, {}},
      {5, -7, -7, 3, {}},
      {5, -7, -2, -2, {}},
      {5, -7, -2, -1, {}},
      {5, -7, -2, 1, {0, 1, 2}},
      {5, -7, -2, 3, {0}},
      {5, -7, 0, -2, {}},
      {5, -7, 0, -1, {}},
      {5, -7, 0, 1, {}},
      {5, -7, 0, 3, {}},
      {5, -7, 3, -2, {}},
      {5, -7, 3, -1, {}},
      {5, -7, 3, 1, {0, 1, 2}},
      {5, -7, 3, 3, {0}},
      {5, -7, 7, -2, {}},
      {5, -7, 7, -1, {}},
      {5, -7, 7, 1, {0, 1, 2, 3, 4}},
      {5, -7, 7, 3, {0, 3}},
      {5, -2, std::nullopt, -2, {3, 1}},
      {5, -2, std::nullopt, -1, {3, 2, 1, 0}},
      {5, -2, std::nullopt, 1, {3, 4}},
      {5, -2, std::nullopt, 3, {3}},
      {5, -2, -7, -2, {3, 1}},
      {5, -2, -7, -1, {3, 2, 1, 0}},
      {5, -2, -7, 1, {}},
      {5, -2, -7, 3, {}},
      {5, -2, -2, -2, {}},
      {5, -2, -2, -1, {}},
      {5, -2, -2, 1, {}},
      {5, -2, -2, 3, {}},
      {5, -2, 0, -2, {3, 1}},
      {5, -2, 0, -1, {3, 2, 1}},
      {5, -2, 0, 1, {}},
      {5, -2, 0, 3, {}},
      {5, -2, 3, -2, {}},
      {5, -2, 3, -1, {}},
      {5, -2, 3, 1, {}},
      {5, -2, 3, 3, {}},
      {5, -2, 7, -2, {}},
      {5, -2, 7, -1, {}},
      {5, -2, 7, 1, {3, 4}},
      {5, -2, 7, 3, {3}},
      {5, 0, std::nullopt, -2, {0}},
      {5, 0, std::nullopt, -1, {0}},
      {5, 0, std::nullopt, 1, {0, 1, 2, 3, 4}},
      {5, 0, std::nullopt, 3, {0, 3}},
      {5, 0, -7, -2, {0}},
      {5, 0, -7, -1, {0}},
      {5, 0, -7, 1, {}},
      {5, 0, -7, 3, {}},
      {5, 0, -2, -2, {}},
      {5, 0, -2, -1, {}},
      {5, 0, -2, 1, {0, 1, 2}},
      {5, 0, -2, 3, {0}},
      {5, 0, 0, -2, {}},
      {5, 0, 0, -1, {}},
      {5, 0, 0, 1, {}},
      {5, 0, 0, 3, {}},
      {5, 0, 3, -2, {}},
      {5, 0, 3, -1, {}},
      {5, 0, 3, 1, {0, 1, 2}},
      {5, 0, 3, 3, {0}},
      {5, 0, 7, -2, {}},
      {5, 0, 7, -1, {}},
      {5, 0, 7, 1, {0, 1, 2, 3, 4}},
      {5, 0, 7, 3, {0, 3}},
      {5, 3, std::nullopt, -2, {3, 1}},
      {5, 3, std::nullopt, -1, {3, 2, 1, 0}},
      {5, 3, std::nullopt, 1, {3, 4}},
      {5, 3, std::nullopt, 3, {3}},
      {5, 3, -7, -2, {3, 1}},
      {5, 3, -7, -1, {3, 2, 1, 0}},
      {5, 3, -7, 1, {}},
      {5, 3, -7, 3, {}},
      {5, 3, -2, -2, {}},
      {5, 3, -2, -1, {}},
      {5, 3, -2, 1, {}},
      {5, 3, -2, 3, {}},
      {5, 3, 0, -2, {3, 1}},
      {5, 3, 0, -1, {3, 2, 1}},
      {5, 3, 0, 1, {}},
      {5, 3, 0, 3, {}},
      {5, 3, 3, -2, {}},
      {5, 3, 3, -1, {}},
      {5, 3, 3, 1, {}},
      {5, 3, 3, 3, {}},
      {5, 3, 7, -2, {}},
      {5, 3, 7, -1, {}},
      {5, 3, 7, 1, {3, 4}},
      {5, 3, 7, 3, {3}},
      {5, 7, std::nullopt, -2, {4, 2, 0}},
      {5, 7, std::nullopt, -1, {4, 3, 2, 1, 0}},
      {5, 7, std::nullopt, 1, {}},
      {5, 7, std::nullopt, 3, {}},
      {5, 7, -7, -2, {4, 2, 0}},
      {5, 7, -7, -1, {4, 3, 2, 1, 0}},
      {5, 7, -7, 1, {}},
      {5, 7, -7, 3, {}},
      {5, 7, -2, -2, {4}},
      {5, 7, -2, -1, {4}},
      {5, 7, -2, 1, {}},
      {5, 7, -2, 3, {}},
      {5, 7, 0, -2, {4, 2}},
      {5, 7, 0, -1, {4, 3, 2, 1}},
      {5, 7, 0, 1, {}},
      {5, 7, 0, 3, {}},
      {5, 7, 3, -2, {4}},
      {5, 7, 3, -1, {4}},
      {5, 7, 3, 1, {}},
      {5, 7, 3, 3, {}},
      {5, 7, 7, -2, {}},
      {5, 7, 7, -1, {}},
      {5, 7, 7, 1, {}},
      {5, 7, 7, 3, {}},
      {0, std::nullopt, std::nullopt, -1, {}},
      {0, std::nullopt, std::nullopt, 1, {}},
      {0, std::nullopt, -1, -1, {}},
      {0, std::nullopt, -1, 1, {}},
      {0, std::nullopt, 0, -1, {}},
      {0, std::nullopt, 0, 1, {}},
      {0, std::nullopt, 2, -1, {}},
      {0, std::nullopt, 2, 1, {}},
      {0, -1, std::nullopt, -1, {}},
      {0, -1, std::nullopt, 1, {}},
      {0, -1, -1, -1, {}},
      {0, -1, -1, 1, {}},
      {0, -1, 0, -1, {}},
      {0, -1, 0, 1, {}},
      {0, -1, 2, -1, {}},
      {0, -1, 2, 1, {}},
      {0, 0, std::nullopt, -1, {}},
      {0, 0, std::nullopt, 1, {}},
      {0, 0, -1, -1, {}},
      {0, 0, -1, 1, {}},
      {0, 0, 0, -1, {}},
      {0, 0, 0, 1, {}},
      {0, 0, 2, -1, {}},
      {0, 0, 2, 1, {}},
      {0, 1, std::nullopt, -1, {}},
      {0, 1, std::nullopt, 1, {}},
      {0, 1, -1, -1, {}},
      {0, 1, -1, 1, {}},
      {0, 1, 0, -1, {}},
      {0, 1, 0, 1, {}},
      {0, 1, 2, -1, {}},
      {0, 1, 2, 1, {}},
      {1, std::nullopt, std::nullopt, -1, {0}},
      {1, std::nullopt, std::nullopt, 1, {0}},
      {1, std::nullopt, -1, -1, {}},
      {1, std::nullopt, -1, 1, {}},
      {1, std::nullopt, 0, -1, {}},
      {1, std::nullopt, 0, 1, {}},
      {1, std::nullopt, 2, -1, {}},
      {1, std::nullopt, 2, 1, {0}},
      {1, -1, std::nullopt, -1, {0}},
      {1, -1, std::nullopt, 1, {0}},
      {1, -1, -1, -1, {}},
      {1, -1, -1, 1, {}},
      {1, -1, 0, -1, {}},
      {1, -1, 0, 1, {}},
      {1, -1, 2, -1, {}},
      {1, -1, 2, 1, {0}},
      {1, 0, std::nullopt, -1, {0}},
      {1, 0, std::nullopt, 1, {0}},
      {1, 0, -1, -1, {}},
      {1, 0, -1, 1, {}},
      {1, 0, 0, -1, {}},
      {1, 0, 0, 1, {}},
      {1, 0, 2, -1, {}},
      {1, 0, 2, 1, {0}},
      {1, 1, std::nullopt, -1, {0}},
      {1, 1, std::nullopt, 1, {}},
      {1, 1, -1, -1, {}},
      {1, 1, -1, 1, {}},
      {1, 1, 0, -1, {}},
      {1, 1, 0, 1, {}},
      {1, 1, 2, -1, {}},
      {1, 1, 2, 1, {}},
  };
  for (const SliceCase& c : cases) {
    NDArray a = NDArray::arange(c.n);
    NDArray s = a.slice(0, c.start, c.stop, c.step);
    SCOPED_TRACE(fmt::format("n={} start={} stop={} step={}", c.n,
                             c.start ? std::to_string(*c.start) : "None",
                             c.stop ? std::to_string(*c.stop) : "None", c.step));
    EXPECT_TRUE(s.shares_storage(a));
    EXPECT_EQ(s.to_vector<int64_t>(), c.expected);
    // The vector form agrees with the single-axis form.
    EXPECT_EQ(a.slice({Slice(c.start, c.stop, c.step)}).to_vector<int64_t>(), c.expected);
  }
}

TEST(Slicing, MultiAxisGeometry) {
  NDArray a = iota({4, 5});
  NDArray s = a.slice({Slice(1, 4, 2), Slice(std::nullopt, std::nullopt, -2)});
  EXPECT_TRUE(s.shares_storage(a));
  EXPECT_EQ(s.shape(), (Shape{2, 3}));
  EXPECT_EQ(s.strides(), (Strides{10, -2}));
  EXPECT_EQ(s.offset(), 9);
  EXPECT_EQ(values(s), (V{9, 7, 5, 19, 17, 15}));
  // Fewer slices than axes: the rest are taken whole.
  NDArray r = a.slice({Slice(2, std::nullopt)});
  EXPECT_EQ(r.shape(), (Shape{2, 5}));
  EXPECT_EQ(values(r), (V{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(a.slice({}).shape(), (Shape{4, 5}));
  // Slices of slices compose.
  NDArray rr = s.slice(1, 1, std::nullopt);
  EXPECT_EQ(values(rr), (V{7, 5, 17, 15}));
  // Empty results keep the other dims.
  EXPECT_EQ(a.slice(1, 3, 1).shape(), (Shape{4, 0}));
  EXPECT_EQ(a.slice(-1, 10, 20).shape(), (Shape{4, 0}));
}

TEST(Slicing, Select) {
  NDArray a = iota({2, 3, 4});
  NDArray s = a.select(1, 2);
  EXPECT_TRUE(s.shares_storage(a));
  EXPECT_EQ(s.shape(), (Shape{2, 4}));
  EXPECT_EQ(values(s), (V{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(values(a.select(0, -1).select(-1, 0)), (V{12, 16, 20}));
  EXPECT_EQ(values(a.select(2, 3)), (V{3, 7, 11, 15, 19, 23}));
  NDArray v = NDArray::arange(3);
  NDArray e = v.select(0, 1);
  EXPECT_EQ(e.ndim(), 0);
  EXPECT_EQ(e.item<int64_t>(), 1);
}

TEST(Assign, ArrayWithBroadcasting) {
  NDArray a = NDArray::zeros({3, 4});
  a.assign({Slice(0, 2), Slice(1, 3)}, iota({2, 2}));
  EXPECT_EQ(values(a), (V{0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0}));
  // A row broadcast down a column range.
  a.assign({Slice::all(), Slice(2, 4)}, NDArray::from_vector<float>({5, 6}, {2}));
  EXPECT_EQ(values(a), (V{0, 0, 5, 6, 0, 2, 5, 6, 0, 0, 5, 6}));
  // Values are cast to the target's dtype.
  NDArray b = NDArray::zeros({2, 2}, DType::Int32);
  b.assign({Slice(1, 2)}, NDArray::from_vector<double>({1.9, -2.5}, {1, 2}));
  EXPECT_EQ(b.to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 1, -2}));
}

TEST(Assign, Scalar) {
  NDArray a = iota({3, 3});
  a.assign({Slice(std::nullopt, std::nullopt, 2), Slice(std::nullopt, std::nullopt, 2)}, -1.0);
  EXPECT_EQ(values(a), (V{-1, 1, -1, 3, 4, 5, -1, 7, -1}));
  a.assign({Slice(1, 2)}, 9.0);
  EXPECT_EQ(values(a), (V{-1, 1, -1, 9, 9, 9, -1, 7, -1}));
  // An empty slice writes nothing.
  a.assign({Slice(3, 5)}, 0.0);
  EXPECT_EQ(values(a), (V{-1, 1, -1, 9, 9, 9, -1, 7, -1}));
}

TEST(Assign, IntoFlippedAndSteppedViews) {
  NDArray a = NDArray::zeros({6});
  a.assign({Slice(std::nullopt, std::nullopt, -2)}, NDArray::from_vector<float>({1, 2, 3}, {3}));
  // Indices 5, 3, 1 get 1, 2, 3.
  EXPECT_EQ(values(a), (V{0, 3, 0, 2, 0, 1}));

  NDArray b = NDArray::zeros({2, 3});
  NDArray f = b.flip({1});
  f.copy_(iota({2, 3}));
  EXPECT_EQ(values(b), (V{2, 1, 0, 5, 4, 3}));
  f.assign({Slice(0, 1), Slice(0, 2)}, 7.0);
  EXPECT_EQ(values(b), (V{2, 7, 7, 5, 4, 3}));
}

TEST(Assign, OverlappingSourceIsReadBeforeWritten) {
  NDArray a = iota({5});
  a.copy_(a.flip({0}));
  EXPECT_EQ(values(a), (V{4, 3, 2, 1, 0}));
  NDArray b = iota({5});
  b.assign({Slice(1, 5)}, b.slice(0, 0, 4));
  EXPECT_EQ(values(b), (V{0, 0, 1, 2, 3}));
}

TEST(Assign, CopyAndFill) {
  NDArray a = NDArray::empty({2, 2}, DType::Float64);
  a.fill(1.5);
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1.5, 1.5, 1.5, 1.5}));
  a.copy_(NDArray::from_vector<double>({1, 2}, {2}));
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1, 2, 1, 2}));
  // fill on a transposed view.
  NDArray b = NDArray::zeros({2, 3});
  b.transpose().select(0, 1).fill(4.0);
  EXPECT_EQ(values(b), (V{0, 4, 0, 0, 4, 0}));
}

TEST(Pad, AsNumpyPad) {
  NDArray a = iota({2, 2}) + 1.0;
  NDArray p = a.pad({{1, 0}, {0, 2}});
  EXPECT_FALSE(p.shares_storage(a));
  EXPECT_EQ(p.shape(), (Shape{3, 4}));
  EXPECT_EQ(values(p), (V{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
  NDArray q = a.pad({{0, 0}, {1, 1}}, -1.0);
  EXPECT_EQ(values(q), (V{-1, 1, 2, -1, -1, 3, 4, -1}));
  // Padding a non-compact source.
  NDArray r = a.transpose().pad({{1, 1}, {0, 0}});
  EXPECT_EQ(values(r), (V{0, 0, 1, 3, 2, 4, 0, 0}));
  // Padding an empty array.
  EXPECT_EQ(values(NDArray::zeros({0}).pad({{1, 2}}, 5.0)), (V{5, 5, 5}));
}

TEST(Dilate, InsertsZerosAfterEachElement) {
  NDArray a = iota({2, 2}) + 1.0;
  NDArray d = dilate(a, {0, 1}, 1);
  EXPECT_EQ(d.shape(), (Shape{4, 4}));
  EXPECT_EQ(values(d), (V{1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}));
  NDArray d2 = dilate(a, {1}, 2);
  EXPECT_EQ(d2.shape(), (Shape{2, 6}));
  EXPECT_EQ(values(d2), (V{1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0}));
  // undilate inverts dilate.
  EXPECT_EQ(values(undilate(d, {0, 1}, 1)), values(a));
  EXPECT_EQ(values(dilate(a, {0}, 0)), values(a));
}

TEST(Join, Stack) {
  NDArray a = iota({2, 3});
  NDArray b = iota({2, 3}) + 10.0;
  NDArray s0 = stack({a, b}, 0);
  EXPECT_EQ(s0.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(values(s0), (V{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}));
  NDArray s1 = stack({a, b}, 1);
  EXPECT_EQ(s1.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(values(s1), (V{0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}));
  NDArray s2 = stack({a, b.transpose().transpose()}, -1);
  EXPECT_EQ(s2.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values(s2), (V{0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  EXPECT_FALSE(s0.shares_storage(a));
}

TEST(Join, Concatenate) {
  NDArray a = iota({2, 2});
  NDArray b = iota({2, 1}) + 10.0;
  NDArray c = concatenate({a, b}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(c), (V{0, 1, 10, 2, 3, 11}));
  NDArray d = concatenate({a, a.flip({0}), NDArray::zeros({0, 2})}, 0);
  EXPECT_EQ(d.shape(), (Shape{4, 2}));
  EXPECT_EQ(values(d), (V{0, 1, 2, 3, 2, 3, 0, 1}));
  EXPECT_EQ(values(concatenate({a}, -1)), values(a));
}

}  // namespace
}  // namespace needle

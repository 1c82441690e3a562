// Reductions: sum/mean/max/min over any set of axes with and without keepdims, argmax/argmin,
// non-compact inputs, empty arrays and the 0-d result of a full reduction.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/ndarray.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;
using I = std::vector<int64_t>;

TEST(Reduce, SumOverAxes) {
  NDArray a = iota({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  NDArray all = sum(a);
  EXPECT_EQ(all.shape(), (Shape{}));
  EXPECT_EQ(all.item<float>(), 15.0f);
  EXPECT_EQ(sum(a, {}, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(values(sum(a, {0})), (V{3, 5, 7}));
  EXPECT_EQ(sum(a, {0}).shape(), (Shape{3}));
  EXPECT_EQ(values(sum(a, {1})), (V{3, 12}));
  EXPECT_EQ(sum(a, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(values(sum(a, {-1}, true)), (V{3, 12}));
  EXPECT_EQ(sum(a, {0, 1}).item<float>(), 15.0f);
  EXPECT_EQ(sum(a, {1, 0}, true).shape(), (Shape{1, 1}));
}

TEST(Reduce, ThreeDimsNonAdjacentAxes) {
  NDArray a = iota({2, 3, 4}, DType::Float64);
  NDArray s = sum(a, {0, 2});
  EXPECT_EQ(s.shape(), (Shape{3}));
  // sum over i, k of 12 i + 4 j + k = 4*12 + 24 j + 2*6 = 60 + 32 j... computed directly:
  std::vector<double> expected(3, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        expected[j] += 12 * i + 4 * j + k;
  EXPECT_EQ(s.to_vector<double>(), expected);
  EXPECT_EQ(sum(a, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(max(a, {1}).to_vector<double>(), (std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(min(a, {0, 1}).to_vector<double>(), (std::vector<double>{0, 1, 2, 3}));
}

TEST(Reduce, MaxMinMean) {
  NDArray a = NDArray::from_vector<float>({3, -1, 7, 2, 9, -4}, {2, 3});
  EXPECT_EQ(max(a).item<float>(), 9.0f);
  EXPECT_EQ(min(a).item<float>(), -4.0f);
  EXPECT_EQ(values(max(a, {0})), (V{3, 9, 7}));
  EXPECT_EQ(values(min(a, {1})), (V{-1, -4}));
  EXPECT_EQ(values(max(a, {1}, true)), (V{7, 9}));
  EXPECT_FLOAT_EQ(mean(a).item<float>(), 16.0f / 6.0f);
  EXPECT_EQ(values(mean(a, {0})), (V{2.5f, 4, 1.5f}));
  EXPECT_EQ(mean(a, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(mean(iota({4}, DType::Float64)).to_vector<double>(), (std::vector<double>{1.5}));
}

TEST(Reduce, NonCompactInputs) {
  NDArray t = iota({2, 3}).transpose();  // [[0, 3], [1, 4], [2, 5]]
  EXPECT_EQ(values(sum(t, {1})), (V{3, 5, 7}));
  EXPECT_EQ(values(sum(t, {0})), (V{3, 12}));
  NDArray f = iota({2, 3}).flip({1});  // [[2, 1, 0], [5, 4, 3]]
  EXPECT_EQ(argmax(f, 1).to_vector<int64_t>(), (I{0, 0}));
  EXPECT_EQ(values(max(f, {0})), (V{5, 4, 3}));
  NDArray bc = NDArray::from_vector<float>({1, 2}, {2}).broadcast_to({3, 2});
  EXPECT_EQ(values(sum(bc, {0})), (V{3, 6}));
  NDArray stepped = iota({5, 4}).slice({Slice(1, 5, 2), Slice(std::nullopt, std::nullopt, -3)});
  // rows 1, 3 and cols 3, 0: [[7, 4], [15, 12]]
  EXPECT_EQ(values(sum(stepped, {1})), (V{11, 27}));
  EXPECT_EQ(values(mean(stepped, {0})), (V{11, 8}));
}

TEST(Reduce, ArgmaxArgmin) {
  NDArray a = NDArray::from_vector<float>({1, 5, 5, 0, 7, -2}, {2, 3});
  NDArray am = argmax(a, 1);
  EXPECT_EQ(am.dtype(), DType::Int64);
  EXPECT_EQ(am.shape(), (Shape{2}));
  EXPECT_EQ(am.to_vector<int64_t>(), (I{1, 1}));  // the first maximum wins
  EXPECT_EQ(argmax(a, 0).to_vector<int64_t>(), (I{0, 1, 0}));
  EXPECT_EQ(argmin(a, -1).to_vector<int64_t>(), (I{0, 2}));
  EXPECT_EQ(argmin(a, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(argmin(a, 0, true).to_vector<int64_t>(), (I{1, 0, 1}));
}

TEST(Reduce, IntegerSum) {
  NDArray a = NDArray::from_vector<int64_t>({1, 2, 3, 4}, {2, 2});
  NDArray s = sum(a, {0});
  EXPECT_EQ(s.dtype(), DType::Int64);
  EXPECT_EQ(s.to_vector<int64_t>(), (I{4, 6}));
  EXPECT_EQ(max(a).item<int64_t>(), 4);
  // Bool, uint8 and int32 sums count in int64.
  NDArray b = NDArray::from_vector<bool>({true, false, true, true}, {2, 2});
  EXPECT_EQ(sum(b).dtype(), DType::Int64);
  EXPECT_EQ(sum(b).item<int64_t>(), 3);
  EXPECT_EQ(sum(b, {1}).to_vector<int64_t>(), (I{1, 2}));
  NDArray u = NDArray::full({3}, 200, DType::UInt8);
  EXPECT_EQ(sum(u).item<int64_t>(), 600);
  EXPECT_EQ(sum(NDArray::ones({2}, DType::Int32)).dtype(), DType::Int64);
  EXPECT_EQ(max(u).dtype(), DType::UInt8);
}

TEST(Reduce, EmptyAndSizeOne) {
  NDArray e = NDArray::zeros({0, 3});
  EXPECT_EQ(values(sum(e, {0})), (V{0, 0, 0}));
  EXPECT_EQ(sum(e, {1}).shape(), (Shape{0}));
  EXPECT_EQ(sum(e).item<float>(), 0.0f);
  EXPECT_EQ(max(e, {1}).shape(), (Shape{0}));  // nothing to reduce into: fine
  EXPECT_TRUE(std::isnan(mean(e).item<float>()));
  NDArray one = NDArray::full({1, 1}, 4.0);
  EXPECT_EQ(sum(one, {0}).shape(), (Shape{1}));
  EXPECT_EQ(max(one).item<float>(), 4.0f);
  // A 0-d array reduces to itself.
  NDArray s = NDArray::full({}, 2.0);
  EXPECT_EQ(sum(s).item<float>(), 2.0f);
  EXPECT_EQ(sum(s).ndim(), 0);
}

}  // namespace
}  // namespace needle

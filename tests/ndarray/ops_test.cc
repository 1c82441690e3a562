// Elementwise ops through NDArray: broadcasting, scalar forms, comparisons and where, on
// compact and non-compact inputs (transposed, broadcast, stepped, flipped), empty and size-1
// dims, float32 and float64.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/ndarray.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;
using B = std::vector<bool>;

void expect_near(const std::vector<double>& got, const std::vector<double>& want,
                 double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Elementwise, ArithmeticSameShape) {
  NDArray a = NDArray::from_vector<float>({1, 2, 3, 4}, {2, 2});
  NDArray b = NDArray::from_vector<float>({4, 3, 2, 1}, {2, 2});
  EXPECT_EQ(values(a + b), (V{5, 5, 5, 5}));
  EXPECT_EQ(values(a - b), (V{-3, -1, 1, 3}));
  EXPECT_EQ(values(a * b), (V{4, 6, 6, 4}));
  EXPECT_EQ(values(a / b), (V{0.25f, 2.0f / 3.0f, 1.5f, 4}));
  EXPECT_EQ(values(-a), (V{-1, -2, -3, -4}));
  EXPECT_EQ(values(maximum(a, b)), (V{4, 3, 3, 4}));
  EXPECT_EQ(values(minimum(a, b)), (V{1, 2, 2, 1}));
  EXPECT_EQ(values(pow(a, b)), (V{1, 8, 9, 4}));
  NDArray c = a + b;
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_TRUE(c.is_compact());
  EXPECT_FALSE(c.shares_storage(a));
}

TEST(Elementwise, ScalarForms) {
  NDArray a = NDArray::from_vector<float>({1, 2, 4}, {3});
  EXPECT_EQ(values(a + 1.0), (V{2, 3, 5}));
  EXPECT_EQ(values(1.0 + a), (V{2, 3, 5}));
  EXPECT_EQ(values(a - 1.0), (V{0, 1, 3}));
  EXPECT_EQ(values(1.0 - a), (V{0, -1, -3}));
  EXPECT_EQ(values(a * 2.0), (V{2, 4, 8}));
  EXPECT_EQ(values(2.0 * a), (V{2, 4, 8}));
  EXPECT_EQ(values(a / 2.0), (V{0.5f, 1, 2}));
  EXPECT_EQ(values(2.0 / a), (V{2, 1, 0.5f}));
  EXPECT_EQ(values(pow(a, 2.0)), (V{1, 4, 16}));
  EXPECT_EQ(values(binary(BinaryOp::Pow, a, 2.0, true)), (V{2, 4, 16}));
  EXPECT_EQ(values(maximum(a, 2.0)), (V{2, 2, 4}));
  EXPECT_EQ(values(minimum(a, 2.0)), (V{1, 2, 2}));
}

TEST(Elementwise, UnaryFloat64) {
  NDArray a = NDArray::from_vector<double>({-1.0, 0.0, 0.5, 2.0}, {4});
  expect_near(exp(a).to_vector<double>(), {std::exp(-1.0), 1.0, std::exp(0.5), std::exp(2.0)});
  expect_near(tanh(a).to_vector<double>(), {std::tanh(-1.0), 0.0, std::tanh(0.5), std::tanh(2.0)});
  expect_near(sigmoid(a).to_vector<double>(),
              {1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-2.0))});
  expect_near(relu(a).to_vector<double>(), {0, 0, 0.5, 2});
  expect_near(abs(a).to_vector<double>(), {1, 0, 0.5, 2});
  expect_near(sign(a).to_vector<double>(), {-1, 0, 1, 1});
  NDArray p = NDArray::from_vector<double>({1.0, 4.0, 0.25}, {3});
  expect_near(log(p).to_vector<double>(), {0.0, std::log(4.0), std::log(0.25)});
  expect_near(sqrt(p).to_vector<double>(), {1.0, 2.0, 0.5});
  EXPECT_EQ(exp(a).dtype(), DType::Float64);
}

TEST(Elementwise, UnaryFloat32) {
  NDArray a = NDArray::from_vector<float>({-1.0f, 0.0f, 2.0f}, {3});
  std::vector<double> e;
  for (double x : exp(a).to_vector<double>())
    e.push_back(x);
  expect_near(e, {std::exp(-1.0), 1.0, std::exp(2.0)}, 1e-5);
  EXPECT_EQ(values(relu(a)), (V{0, 0, 2}));
  EXPECT_EQ(values(-a), (V{1, 0, -2}));
}

TEST(Elementwise, Broadcasting) {
  NDArray a = iota({2, 3});
  NDArray row = NDArray::from_vector<float>({10, 20, 30}, {3});
  NDArray col = NDArray::from_vector<float>({100, 200}, {2, 1});
  EXPECT_EQ(values(a + row), (V{10, 21, 32, 13, 24, 35}));
  EXPECT_EQ(values(row + a), (V{10, 21, 32, 13, 24, 35}));
  EXPECT_EQ(values(a + col), (V{100, 101, 102, 203, 204, 205}));
  NDArray outer = col * row;
  EXPECT_EQ(outer.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(outer), (V{1000, 2000, 3000, 2000, 4000, 6000}));
  // A 0-d operand broadcasts everywhere.
  NDArray s = NDArray::full({}, 1.0);
  EXPECT_EQ(values(a - s), (V{-1, 0, 1, 2, 3, 4}));
  EXPECT_EQ((s + s).ndim(), 0);
  // Size-1 on both sides.
  EXPECT_EQ((NDArray::ones({1, 3, 1}) + NDArray::ones({2, 1, 4})).shape(), (Shape{2, 3, 4}));
}

TEST(Elementwise, NonCompactInputsAreReadInPlace) {
  NDArray a = iota({3, 2});
  NDArray t = iota({2, 3}).transpose();  // (3, 2): [[0, 3], [1, 4], [2, 5]]
  EXPECT_EQ(values(a + t), (V{0, 4, 3, 7, 6, 10}));
  NDArray stepped = iota({6, 4}).slice({Slice(std::nullopt, std::nullopt, 2), Slice(0, 4, 2)});
  // rows 0, 2, 4 and cols 0, 2: [[0, 2], [8, 10], [16, 18]]
  EXPECT_EQ(values(stepped * 1.0), (V{0, 2, 8, 10, 16, 18}));
  EXPECT_EQ(values(stepped - a), (V{0, 1, 6, 7, 12, 13}));
  NDArray neg = iota({6, 4}).slice({Slice(std::nullopt, std::nullopt, -2), Slice(3, 0, -2)});
  // rows 5, 3, 1 and cols 3, 1: [[23, 21], [15, 13], [7, 5]]
  EXPECT_EQ(values(neg + 0.0), (V{23, 21, 15, 13, 7, 5}));
  EXPECT_EQ(values(neg - t), (V{23, 18, 14, 9, 5, 0}));
  NDArray flipped = a.flip({0});  // [[4, 5], [2, 3], [0, 1]]
  EXPECT_EQ(values(flipped * a), (V{0, 5, 4, 9, 0, 5}));
  NDArray bc = NDArray::from_vector<float>({1, 2}, {2}).broadcast_to({3, 2});
  EXPECT_EQ(values(exp(bc * 0.0)), (V{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(values(bc + flipped), (V{5, 7, 3, 5, 1, 3}));
  // Inputs are untouched and no compaction was stored back into them.
  EXPECT_FALSE(t.is_compact());
  EXPECT_EQ(values(t), (V{0, 3, 1, 4, 2, 5}));
}

TEST(Elementwise, Float64NonCompact) {
  NDArray a = iota({2, 3}, DType::Float64);
  NDArray r = a.transpose() * a.transpose().flip({0});
  // a.T = [[0, 3], [1, 4], [2, 5]]; flipped rows: [[2, 5], [1, 4], [0, 3]]
  EXPECT_EQ(r.dtype(), DType::Float64);
  EXPECT_EQ(r.to_vector<double>(), (std::vector<double>{0, 15, 1, 16, 0, 15}));
}

TEST(Elementwise, EmptyAndSizeOne) {
  NDArray e = NDArray::zeros({0, 3});
  EXPECT_EQ((e + 1.0).shape(), (Shape{0, 3}));
  EXPECT_EQ((e + NDArray::ones({3})).shape(), (Shape{0, 3}));
  EXPECT_EQ((e * NDArray::ones({1, 1})).shape(), (Shape{0, 3}));
  EXPECT_EQ(exp(e).numel(), 0);
  NDArray one = NDArray::full({1}, 3.0);
  EXPECT_EQ(values(one * one), (V{9}));
  EXPECT_EQ((one + one).item<float>(), 6.0f);
}

TEST(Elementwise, IntegerArithmetic) {
  NDArray a = NDArray::from_vector<int64_t>({1, 2, 3}, {3});
  NDArray b = NDArray::from_vector<int64_t>({10, 20, 30}, {3});
  EXPECT_EQ((a + b).to_vector<int64_t>(), (std::vector<int64_t>{11, 22, 33}));
  EXPECT_EQ((a * 2.0).to_vector<int64_t>(), (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ((a + b).dtype(), DType::Int64);
  NDArray i = NDArray::from_vector<int32_t>({-2, 5}, {2});
  EXPECT_EQ(maximum(i, 0.0).to_vector<int32_t>(), (std::vector<int32_t>{0, 5}));
}

TEST(Comparisons, GiveBoolArrays) {
  NDArray a = NDArray::from_vector<float>({1, 2, 3}, {3});
  NDArray b = NDArray::from_vector<float>({3, 2, 1}, {3});
  NDArray e = eq(a, b);
  EXPECT_EQ(e.dtype(), DType::Bool);
  EXPECT_EQ(e.to_vector<bool>(), (B{false, true, false}));
  EXPECT_EQ(ne(a, b).to_vector<bool>(), (B{true, false, true}));
  EXPECT_EQ(lt(a, b).to_vector<bool>(), (B{true, false, false}));
  EXPECT_EQ(le(a, b).to_vector<bool>(), (B{true, true, false}));
  EXPECT_EQ(gt(a, b).to_vector<bool>(), (B{false, false, true}));
  EXPECT_EQ(ge(a, b).to_vector<bool>(), (B{false, true, true}));
  EXPECT_EQ(eq(a, 2.0).to_vector<bool>(), (B{false, true, false}));
  EXPECT_EQ(ne(a, 2.0).to_vector<bool>(), (B{true, false, true}));
  EXPECT_EQ(lt(a, 2.0).to_vector<bool>(), (B{true, false, false}));
  EXPECT_EQ(le(a, 2.0).to_vector<bool>(), (B{true, true, false}));
  EXPECT_EQ(gt(a, 2.0).to_vector<bool>(), (B{false, false, true}));
  EXPECT_EQ(ge(a, 2.0).to_vector<bool>(), (B{false, true, true}));
  EXPECT_EQ(ge(a, 2.0).dtype(), DType::Bool);
  // Broadcast and non-compact.
  NDArray m = gt(iota({2, 3}).transpose(), NDArray::from_vector<float>({1, 2}, {2}));
  // a.T = [[0, 3], [1, 4], [2, 5]] > [1, 2]
  EXPECT_EQ(m.shape(), (Shape{3, 2}));
  EXPECT_EQ(m.to_vector<bool>(), (B{false, true, false, true, true, true}));
  // Bool results cast back to float as 0/1.
  EXPECT_EQ(values(m.astype(DType::Float32)), (V{0, 1, 0, 1, 1, 1}));
}

TEST(Where, BroadcastsAllThree) {
  NDArray cond = NDArray::from_vector<bool>({true, false, true}, {3});
  NDArray a = iota({2, 3});
  NDArray b = NDArray::full({2, 1}, -1.0);
  NDArray w = where(cond, a, b);
  EXPECT_EQ(w.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(w), (V{0, -1, 2, 3, -1, 5}));
  // cond from a comparison on a transposed view; column condition broadcast.
  NDArray c2 = gt(iota({3, 2}).transpose().select(0, 0), 1.0).reshape({3, 1});  // [0,2,4] > 1
  NDArray w2 = where(c2, NDArray::ones({3, 2}), NDArray::zeros({2}));
  EXPECT_EQ(values(w2), (V{0, 0, 1, 1, 1, 1}));
  NDArray w3 = where(cond, NDArray::ones({3}, DType::Float64), NDArray::zeros({3}, DType::Float64));
  EXPECT_EQ(w3.to_vector<double>(), (std::vector<double>{1, 0, 1}));
}

TEST(Unary, LogicalNotAndExtras) {
  NDArray a = NDArray::from_vector<float>({0, 2, -1}, {3});
  NDArray n = unary(UnaryOp::LogicalNot, a);
  EXPECT_EQ(n.dtype(), DType::Bool);
  EXPECT_EQ(n.to_vector<bool>(), (B{true, false, false}));
  EXPECT_EQ(values(unary(UnaryOp::Square, a)), (V{0, 4, 1}));
  NDArray r = NDArray::from_vector<double>({2, 4}, {2});
  EXPECT_EQ(unary(UnaryOp::Reciprocal, r).to_vector<double>(), (std::vector<double>{0.5, 0.25}));
}

// log1p/expm1 keep the digits that log(1 + x) / exp(x) - 1 lose for tiny x.
TEST(Elementwise, Log1pAndExpm1AreAccurateNearZero) {
  NDArray a = NDArray::from_vector<double>({1e-12, -1e-12, 0.5, -0.5}, {4});
  const std::vector<double> l = log1p(a).to_vector<double>();
  const std::vector<double> e = expm1(a).to_vector<double>();
  const double x[4] = {1e-12, -1e-12, 0.5, -0.5};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(l[i], std::log1p(x[i]), 1e-15 * std::fabs(x[i])) << x[i];
    EXPECT_NEAR(e[i], std::expm1(x[i]), 1e-15 * std::fabs(x[i])) << x[i];
  }
  EXPECT_THROW(log1p(NDArray::from_vector<int32_t>({1}, {1})), DTypeError);
}

TEST(Elementwise, NamedFunctionForEveryUnaryCode) {
  NDArray a = NDArray::from_vector<double>({0.5, -2.0}, {2});
  expect_near(sin(a).to_vector<double>(), {std::sin(0.5), std::sin(-2.0)});
  expect_near(cos(a).to_vector<double>(), {std::cos(0.5), std::cos(-2.0)});
  expect_near(square(a).to_vector<double>(), {0.25, 4.0});
  expect_near(reciprocal(a).to_vector<double>(), {2.0, -0.5});
  EXPECT_EQ(values<bool>(logical_not(NDArray::from_vector<float>({0, 3}, {2}))), (B{true, false}));
}

// x ** 2 takes the exact multiply (at the dispatch front, for every device): bit-equal to x * x.
TEST(Elementwise, PowTwoIsExactlyTheSquare) {
  NDArray a = NDArray::rand({257}, -3, 3, DType::Float32);
  EXPECT_EQ(pow(a, 2.0).to_vector<float>(), (a * a).to_vector<float>());
}

}  // namespace
}  // namespace needle

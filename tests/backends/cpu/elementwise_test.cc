// Elementwise kernels of the CPU backend: every unary/binary/scalar op against std:: values,
// integer semantics, strided inputs (transposed, broadcast, stepped, flipped, offset), empty
// and size-1 dimensions, comparisons into Bool, where, and argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "needle/error.h"
#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

template <typename T>
class FloatElementwise : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FloatElementwise, FloatTypes);

template <typename T>
T unary_ref(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Exp:
      return std::exp(x);
    case UnaryOp::Log:
      return std::log(x);
    case UnaryOp::Sqrt:
      return std::sqrt(x);
    case UnaryOp::Tanh:
      return std::tanh(x);
    case UnaryOp::Sigmoid:
      return T{1} / (T{1} + std::exp(-x));
    case UnaryOp::Relu:
      return x > 0 ? x : T{0};
    case UnaryOp::Abs:
      return std::fabs(x);
    case UnaryOp::Sign:
      return static_cast<T>((x > 0) - (x < 0));
    case UnaryOp::Sin:
      return std::sin(x);
    case UnaryOp::Cos:
      return std::cos(x);
    case UnaryOp::Square:
      return x * x;
    case UnaryOp::Reciprocal:
      return T{1} / x;
    case UnaryOp::Log1p:
      return std::log1p(x);
    case UnaryOp::Expm1:
      return std::expm1(x);
    case UnaryOp::LogicalNot:
      return x == 0;
  }
  return T{0};
}

template <typename T>
T binary_ref(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Pow:
      return std::pow(a, b);
    case BinaryOp::Maximum:
      return std::max(a, b);
    case BinaryOp::Minimum:
      return std::min(a, b);
    case BinaryOp::Eq:
      return a == b;
    case BinaryOp::Ne:
      return a != b;
    case BinaryOp::Lt:
      return a < b;
    case BinaryOp::Le:
      return a <= b;
    case BinaryOp::Gt:
      return a > b;
    case BinaryOp::Ge:
      return a >= b;
  }
  return T{0};
}

constexpr UnaryOp kFloatUnary[] = {
    UnaryOp::Neg,     UnaryOp::Exp,    UnaryOp::Log,        UnaryOp::Sqrt,  UnaryOp::Tanh,
    UnaryOp::Sigmoid, UnaryOp::Relu,   UnaryOp::Abs,        UnaryOp::Sign,  UnaryOp::Sin,
    UnaryOp::Cos,     UnaryOp::Square, UnaryOp::Reciprocal, UnaryOp::Log1p, UnaryOp::Expm1};
constexpr BinaryOp kArith[] = {BinaryOp::Add, BinaryOp::Sub,     BinaryOp::Mul,    BinaryOp::Div,
                               BinaryOp::Pow, BinaryOp::Maximum, BinaryOp::Minimum};
constexpr BinaryOp kCompare[] = {BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt,
                                 BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge};

TYPED_TEST(FloatElementwise, UnaryMatchesStd) {
  using T = TypeParam;
  std::vector<T> x = {T(0.5), T(1.25), T(-0.75), T(2), T(-3), T(0), T(0.1), T(7)};
  for (UnaryOp op : kFloatUnary) {
    std::vector<T> in = x;
    if (op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Log1p) {
      for (auto& v : in)
        v = std::fabs(v) + T(0.5);
    }
    std::vector<T> out(in.size(), T(-99));
    cpu_backend().unary(op, view(in, {2, 4}), view(out, {2, 4}));
    for (size_t i = 0; i < in.size(); ++i) {
      const T ref = unary_ref(op, in[i]);
      if (std::isfinite(ref)) {
        EXPECT_NEAR(out[i], ref, 1e-6 * (1 + std::fabs(ref))) << op_name(op) << " at " << in[i];
      } else {
        EXPECT_EQ(out[i], ref) << op_name(op) << " at " << in[i];
      }
    }
  }
}

TYPED_TEST(FloatElementwise, LogicalNotWritesBool) {
  using T = TypeParam;
  std::vector<T> in = {0, 1, -2, 0};
  std::vector<uint8_t> out(4, 7);
  cpu_backend().unary(UnaryOp::LogicalNot, view(in, {4}), bool_view(out, {4}));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 0, 1}));
}

TYPED_TEST(FloatElementwise, BinaryMatchesStd) {
  using T = TypeParam;
  std::vector<T> a = {T(1.5), T(-2), T(3), T(0.25), T(4), T(2), T(-1), T(9)};
  std::vector<T> b = {T(2), T(0.5), T(3), T(-4), T(1.5), T(2), T(3), T(0.5)};
  for (BinaryOp op : kArith) {
    std::vector<T> aa = a;
    if (op == BinaryOp::Pow) {
      for (auto& v : aa)
        v = std::fabs(v);
    }
    std::vector<T> out(a.size());
    cpu_backend().binary(op, view(aa, {8}), view(b, {8}), view(out, {8}));
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(out[i], binary_ref(op, aa[i], b[i]), 1e-6) << op_name(op) << " " << i;
    }
  }
  for (BinaryOp op : kCompare) {
    std::vector<uint8_t> out(a.size(), 7);
    cpu_backend().binary(op, view(a, {8}), view(b, {8}), bool_view(out, {8}));
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(out[i], binary_ref(op, a[i], b[i]) ? 1 : 0) << op_name(op) << " " << i;
    }
  }
}

TYPED_TEST(FloatElementwise, ScalarBothOrders) {
  using T = TypeParam;
  std::vector<T> a = {T(1), T(2), T(4), T(-0.5)};
  std::vector<T> out(4);
  auto& be = cpu_backend();
  be.binary_scalar(BinaryOp::Sub, view(a, {4}), 1.0, true, view(out, {4}));
  EXPECT_EQ(out, (std::vector<T>{0, -1, -3, 1.5}));
  be.binary_scalar(BinaryOp::Sub, view(a, {4}), 1.0, false, view(out, {4}));
  EXPECT_EQ(out, (std::vector<T>{0, 1, 3, -1.5}));
  be.binary_scalar(BinaryOp::Div, view(a, {4}), 2.0, true, view(out, {4}));
  EXPECT_EQ(out, (std::vector<T>{2, 1, 0.5, -4}));
  be.binary_scalar(BinaryOp::Pow, view(a, {4}), 2.0, true, view(out, {4}));
  EXPECT_NEAR(out[0], 2, 1e-6);
  EXPECT_NEAR(out[2], 16, 1e-5);
  EXPECT_NEAR(out[3], std::pow(2.0, -0.5), 1e-6);
  be.binary_scalar(BinaryOp::Pow, view(a, {4}), 2.0, false, view(out, {4}));
  EXPECT_EQ(out, (std::vector<T>{1, 4, 16, 0.25}));
  be.binary_scalar(BinaryOp::Pow, view(a, {4}), 0.5, false, view(out, {4}));
  EXPECT_NEAR(out[1], std::sqrt(2.0), 1e-6);
  for (BinaryOp op : kArith) {
    if (op == BinaryOp::Pow) continue;
    be.binary_scalar(op, view(a, {4}), 3.0, false, view(out, {4}));
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(out[i], binary_ref<T>(op, a[i], 3), 1e-6);
  }
  std::vector<uint8_t> cmp(4);
  be.binary_scalar(BinaryOp::Gt, view(a, {4}), 1.5, false, bool_view(cmp, {4}));
  EXPECT_EQ(cmp, (std::vector<uint8_t>{0, 1, 1, 0}));
  be.binary_scalar(BinaryOp::Gt, view(a, {4}), 1.5, true, bool_view(cmp, {4}));
  EXPECT_EQ(cmp, (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST(Elementwise, MaximumPropagatesNaN) {
  std::vector<float> a = {NAN, 1, 2}, b = {0, NAN, 1}, out(3);
  cpu_backend().binary(BinaryOp::Maximum, view(a, {3}), view(b, {3}), view(out, {3}));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 2);
}

// Checks out == a op b elementwise for arbitrary views, against a strided reference read.
template <typename T>
void expect_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                   const StridedView& out) {
  cpu_backend().binary(op, a, b, out);
  for_each_index(out.shape, [&](const Shape& i) {
    ASSERT_EQ(at<T>(out, i), binary_ref<T>(op, at<T>(a, i), at<T>(b, i)));
  });
}

TEST(Elementwise, TransposedInput) {
  std::vector<float> a = iota_vec<float>(12), b = iota_vec<float>(12, 100), out(12);
  // b viewed as (3, 4) transposed from its (4, 3) storage.
  expect_binary<float>(BinaryOp::Sub, view(a, {3, 4}), view(b, {3, 4}, {1, 3}), view(out, {3, 4}));
  EXPECT_EQ(out[1], 1 - 103);
}

TEST(Elementwise, BroadcastStrideZero) {
  std::vector<double> a = iota_vec<double>(6), row = {10, 20, 30}, col = {1, 2}, out(6);
  expect_binary<double>(BinaryOp::Add, view(a, {2, 3}), view(row, {2, 3}, {0, 1}),
                        view(out, {2, 3}));
  EXPECT_EQ(out, (std::vector<double>{10, 21, 32, 13, 24, 35}));
  // Both operands broadcast: an outer product.
  expect_binary<double>(BinaryOp::Mul, view(col, {2, 3}, {1, 0}), view(row, {2, 3}, {0, 1}),
                        view(out, {2, 3}));
  EXPECT_EQ(out, (std::vector<double>{10, 20, 30, 20, 40, 60}));
  // Scalar broadcast to everything (0-stride on all axes, lhs).
  expect_binary<double>(BinaryOp::Div, view(row, {2, 3}, {0, 0}), view(a, {2, 3}, {3, 1}),
                        view(out, {2, 3}));
}

TEST(Elementwise, SlicedFlippedOffset) {
  std::vector<float> a = iota_vec<float>(40), b = iota_vec<float>(40, 1, 2), out(20, -1);
  // a[1:, ::2] of a (4, 10) storage -> (3, 5); b flipped on both axes with offset.
  StridedView av = view(a, {3, 5}, {10, 2}, 10);
  StridedView bv = view(b, {3, 5}, {-10, -1}, 39);
  std::vector<float> o(15);
  expect_binary<float>(BinaryOp::Mul, av, bv, view(o, {3, 5}));
  EXPECT_EQ(o[0], a[10] * b[39]);
  // Strided output: every other element of `out`.
  StridedView ov = view(out, {3, 5}, {-5, 1}, 10);
  expect_binary<float>(BinaryOp::Add, av, bv, ov);
  EXPECT_EQ(out[15], -1);
}

TEST(Elementwise, LargeTransposedAndBroadcastUseParallelPaths) {
  const int64_t n = 300;  // 90000 elements: parallel and tiled paths
  std::vector<float> a = iota_vec<float>(n * n, 0, 0.5f), b = iota_vec<float>(n * n, 3, 1.0f);
  std::vector<float> out(n * n);
  expect_binary<float>(BinaryOp::Add, view(a, {n, n}), view(b, {n, n}, {1, n}), view(out, {n, n}));
  expect_binary<float>(BinaryOp::Add, view(a, {n, n}, {1, n}), view(b, {n, n}), view(out, {n, n}));
  expect_binary<float>(BinaryOp::Maximum, view(a, {n, n}, {1, n}), view(b, {n, n}, {0, 1}),
                       view(out, {n, n}));
  std::vector<float> big = iota_vec<float>(100000, 0, 0.001f), big_out(100000);
  cpu_backend().unary(UnaryOp::Exp, view(big, {100000}), view(big_out, {100000}));
  for (size_t i = 0; i < big.size(); i += 997)
    EXPECT_FLOAT_EQ(big_out[i], std::exp(big[i]));
  // Non-square, ragged tiles (neither side a multiple of the 4x4 register transpose), float32
  // and int32 (both take the 4-byte transpose path).
  const int64_t r = 150, c2 = 301;
  std::vector<float> p = iota_vec<float>(r * c2, 1, 0.25f), q = iota_vec<float>(r * c2, 2, 2.0f);
  std::vector<float> pq(r * c2);
  expect_binary<float>(BinaryOp::Sub, view(p, {r, c2}), view(q, {r, c2}, {1, r}),
                       view(pq, {r, c2}));
  std::vector<int32_t> pi = iota_vec<int32_t>(r * c2, 5), qi = iota_vec<int32_t>(r * c2, 7);
  std::vector<int32_t> pqi(r * c2);
  expect_binary<int32_t>(BinaryOp::Add, view(pi, {r, c2}), view(qi, {r, c2}, {1, r}),
                         view(pqi, {r, c2}));
  // Batched transposes: (4, n, n/4)-ish with the last two axes swapped.
  std::vector<double> c = iota_vec<double>(4 * 64 * 96), d(4 * 64 * 96, 1), e(4 * 64 * 96);
  expect_binary<double>(BinaryOp::Sub, view(c, {4, 96, 64}, {64 * 96, 1, 96}), view(d, {4, 96, 64}),
                        view(e, {4, 96, 64}));
}

TEST(Elementwise, EmptyAndSizeOneDims) {
  std::vector<float> a(1, 2), b(1, 3), out(1);
  expect_binary<float>(BinaryOp::Add, view(a, {}), view(b, {}), view(out, {}));
  EXPECT_EQ(out[0], 5);
  std::vector<float> x = iota_vec<float>(6), y(6);
  // Size-1 axes with junk strides are ignored.
  cpu_backend().unary(UnaryOp::Neg, view(x, {1, 6, 1}, {999, 1, -7}), view(y, {1, 6, 1}));
  EXPECT_EQ(y[5], -5);
  std::vector<float> none;
  cpu_backend().unary(UnaryOp::Exp, view(none, {0, 3}), view(none, {0, 3}));
  cpu_backend().binary(BinaryOp::Add, view(none, {3, 0}), view(none, {3, 0}), view(none, {3, 0}));
}

TEST(Elementwise, InPlace) {
  std::vector<float> a = iota_vec<float>(50000);
  cpu_backend().binary(BinaryOp::Add, view(a, {50000}), view(a, {50000}), view(a, {50000}));
  EXPECT_EQ(a[49999], 2 * 49999.0f);
}

template <typename T>
class IntElementwise : public ::testing::Test {};
using IntTypes = ::testing::Types<int32_t, int64_t, uint8_t>;
TYPED_TEST_SUITE(IntElementwise, IntTypes);

TYPED_TEST(IntElementwise, ArithmeticAndComparisons) {
  using T = TypeParam;
  std::vector<T> a = {7, 8, 9, 100, 0, 3}, b = {2, 8, 3, 7, 5, 1}, out(6);
  auto& be = cpu_backend();
  be.binary(BinaryOp::Add, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{9, 16, 12, 107, 5, 4}));
  be.binary(BinaryOp::Mul, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out,
            (std::vector<T>{14, 64, 27, 700 % (std::is_same_v<T, uint8_t> ? 256 : 100000), 0, 3}));
  be.binary(BinaryOp::Div, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{3, 1, 3, 14, 0, 3}));
  be.binary(BinaryOp::Pow, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out[0], 49);
  EXPECT_EQ(out[2], 729 % (std::is_same_v<T, uint8_t> ? 256 : 100000));
  be.binary(BinaryOp::Maximum, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{7, 8, 9, 100, 5, 3}));
  be.binary(BinaryOp::Minimum, view(a, {6}), view(b, {6}), view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{2, 8, 3, 7, 0, 1}));
  std::vector<uint8_t> cmp(6);
  be.binary(BinaryOp::Lt, view(a, {6}), view(b, {6}), bool_view(cmp, {6}));
  EXPECT_EQ(cmp, (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));
  be.binary(BinaryOp::Eq, view(a, {6}), view(b, {6}), bool_view(cmp, {6}));
  EXPECT_EQ(cmp, (std::vector<uint8_t>{0, 1, 0, 0, 0, 0}));
  be.binary_scalar(BinaryOp::Sub, view(a, {6}), 100, true, view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{93, 92, 91, 0, 100, 97}));
  be.unary(UnaryOp::Square, view(b, {6}), view(out, {6}));
  EXPECT_EQ(out, (std::vector<T>{4, 64, 9, 49, 25, 1}));
  be.unary(UnaryOp::LogicalNot, view(a, {6}), bool_view(cmp, {6}));
  EXPECT_EQ(cmp, (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));
}

TYPED_TEST(IntElementwise, DivisionByZeroDoesNotCrash) {
  using T = TypeParam;
  std::vector<T> a = {5, 0, 9}, z = {0, 0, 0}, out(3, 1);
  cpu_backend().binary(BinaryOp::Div, view(a, {3}), view(z, {3}), view(out, {3}));
  EXPECT_EQ(out, (std::vector<T>{0, 0, 0}));
  cpu_backend().binary_scalar(BinaryOp::Div, view(a, {3}), 0.0, false, view(out, {3}));
  EXPECT_EQ(out, (std::vector<T>{0, 0, 0}));
  cpu_backend().binary_scalar(BinaryOp::Div, view(a, {3}), 0.0, true, view(out, {3}));
}

TYPED_TEST(IntElementwise, TranscendentalsThrowDTypeError) {
  using T = TypeParam;
  std::vector<T> a = {1, 2}, out(2);
  for (UnaryOp op : {UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Tanh, UnaryOp::Sigmoid}) {
    try {
      cpu_backend().unary(op, view(a, {2}), view(out, {2}));
      FAIL() << "expected DTypeError for " << op_name(op);
    } catch (const DTypeError& e) {
      EXPECT_NE(std::string(e.what()).find(op_name(op)), std::string::npos);
      EXPECT_NE(std::string(e.what()).find(dtype_name(dtype_of<T>())), std::string::npos);
    }
  }
}

TEST(IntElementwise, SignedOps) {
  std::vector<int32_t> a = {-5, 0, 7, std::numeric_limits<int32_t>::min()}, out(4);
  auto& be = cpu_backend();
  be.unary(UnaryOp::Neg, view(a, {4}), view(out, {4}));
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[2], -7);
  be.unary(UnaryOp::Abs, view(a, {4}), view(out, {4}));
  EXPECT_EQ(out[0], 5);
  be.unary(UnaryOp::Sign, view(a, {4}), view(out, {4}));
  EXPECT_EQ(out, (std::vector<int32_t>{-1, 0, 1, -1}));
  be.unary(UnaryOp::Relu, view(a, {4}), view(out, {4}));
  EXPECT_EQ(out, (std::vector<int32_t>{0, 0, 7, 0}));
  // INT_MIN / -1 overflows; it must wrap, not trap.
  std::vector<int32_t> m1(4, -1);
  be.binary(BinaryOp::Div, view(a, {4}), view(m1, {4}), view(out, {4}));
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[3], std::numeric_limits<int32_t>::min());
  std::vector<int64_t> l = {-7, 7}, r = {2, -2}, lo(2);
  be.binary(BinaryOp::Div, view(l, {2}), view(r, {2}), view(lo, {2}));
  EXPECT_EQ(lo, (std::vector<int64_t>{-3, -3}));  // truncation toward zero
  be.binary_scalar(BinaryOp::Pow, view(l, {2}), -1, false, view(lo, {2}));
  EXPECT_EQ(lo, (std::vector<int64_t>{0, 0}));
}

TEST(BoolElementwise, ComparisonsAndLogic) {
  std::vector<uint8_t> a = {0, 1, 1, 0}, b = {0, 0, 1, 1}, out(4);
  auto& be = cpu_backend();
  be.binary(BinaryOp::Eq, bool_view(a, {4}), bool_view(b, {4}), bool_view(out, {4}));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 1, 0}));
  be.binary(BinaryOp::Maximum, bool_view(a, {4}), bool_view(b, {4}), bool_view(out, {4}));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 1, 1, 1}));
  be.binary(BinaryOp::Mul, bool_view(a, {4}), bool_view(b, {4}), bool_view(out, {4}));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 1, 0}));
  be.unary(UnaryOp::LogicalNot, bool_view(a, {4}), bool_view(out, {4}));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 0, 1}));
  // A byte other than 0/1 still reads as true.
  std::vector<uint8_t> odd = {2, 0};
  std::vector<uint8_t> res(2);
  be.unary(UnaryOp::LogicalNot, bool_view(odd, {2}), bool_view(res, {2}));
  EXPECT_EQ(res, (std::vector<uint8_t>{0, 1}));
}

TEST(Where, SelectsWithBroadcastAndStrides) {
  std::vector<uint8_t> cond = {1, 0, 1};
  std::vector<float> a = iota_vec<float>(6), b = {-1, -2}, out(6);
  // cond broadcast along rows, b broadcast along columns.
  cpu_backend().where(bool_view(cond, {2, 3}, {0, 1}), view(a, {2, 3}), view(b, {2, 3}, {1, 0}),
                      view(out, {2, 3}));
  EXPECT_EQ(out, (std::vector<float>{0, -1, 2, 3, -2, 5}));
  std::vector<uint8_t> c2 = {1, 0, 0, 1};
  std::vector<int64_t> x = {1, 2, 3, 4}, y = {5, 6, 7, 8}, o(4);
  cpu_backend().where(bool_view(c2, {2, 2}), view(x, {2, 2}, {1, 2}), view(y, {2, 2}),
                      view(o, {2, 2}));
  EXPECT_EQ(o, (std::vector<int64_t>{1, 6, 7, 4}));
}

TEST(Elementwise, BadArgumentsThrow) {
  std::vector<float> a(6), out(6);
  std::vector<double> d(6);
  std::vector<uint8_t> flags(6);
  auto& be = cpu_backend();
  EXPECT_THROW(be.binary(BinaryOp::Add, view(a, {2, 3}), view(a, {3, 2}), view(out, {2, 3})),
               ShapeError);
  EXPECT_THROW(be.binary(BinaryOp::Add, view(a, {6}), view(d, {6}), view(out, {6})), DTypeError);
  EXPECT_THROW(be.binary(BinaryOp::Lt, view(a, {6}), view(a, {6}), view(out, {6})), DTypeError);
  EXPECT_THROW(be.unary(UnaryOp::Exp, view(a, {6}), view(d, {6})), DTypeError);
  EXPECT_THROW(be.where(view(a, {6}), view(a, {6}), view(a, {6}), view(out, {6})), DTypeError);
  try {
    be.binary(BinaryOp::Mul, view(a, {2, 3}), view(a, {6}), view(out, {2, 3}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("mul"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(6,)"), std::string::npos);
  }
}

}  // namespace
}  // namespace needle::test

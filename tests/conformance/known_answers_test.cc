// Answers known without any backend, on every device: the scalar formulas against std::
// functions, integer semantics (wrapping, truncating division, division by zero, INT_MIN / -1),
// bool logic, casts, fills, the Philox streams' statistics, and argmax's ties. The rest of the
// suite compares backends with the ReferenceBackend; these check the reference (and the shared
// formulas) too. Moved here from the CPU backend's own tests, assertions unchanged, so that
// every device now runs them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/conformance/conformance_util.h"

#include "src/core/philox.h"

namespace needle::conformance {
namespace {

class ConformanceKnownAnswers : public ConformanceTest {
 protected:
  // A buffer of the backend under test holding `values` (bool as uint8_t bytes with `dtype`).
  template <typename T>
  Buffer make(const std::vector<T>& values, DType dtype = dtype_of<T>()) const {
    Buffer b = buffer(dtype, static_cast<int64_t>(values.size()));
    Host h{dtype, std::vector<unsigned char>(values.size() * sizeof(T))};
    if (!values.empty()) std::memcpy(h.bytes.data(), values.data(), h.bytes.size());
    b.upload(h);
    return b;
  }
  Buffer make_bool(const std::vector<uint8_t>& values) const { return make(values, DType::Bool); }
  // The buffer's contents as T (uint8_t for Bool buffers).
  template <typename T>
  std::vector<T> read(const Buffer& b) const {
    const Host h = b.download();
    std::vector<T> v(h.bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), h.bytes.data(), h.bytes.size());
    return v;
  }

  template <typename T>
  void unary_matches_std();
  template <typename T>
  void binary_matches_std();
  template <typename T>
  void scalar_both_orders();
  template <typename T>
  void integer_arithmetic();
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceKnownAnswers);

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
    case UnaryOp::Erf:
      return std::erf(x);
    case UnaryOp::Gelu:  // x Phi(x), here through erfc: Phi(x) = erfc(-x / sqrt 2) / 2
      return x * std::erfc(-x / std::sqrt(T{2})) / T{2};
    case UnaryOp::GeluTanh: {
      const T pi = T{3.14159265358979323846};
      return x / T{2} *
             (T{1} + std::tanh(std::sqrt(T{2} / pi) * (x + T{0.044715} * std::pow(x, T{3}))));
    }
    case UnaryOp::Silu:
      return x / (T{1} + std::exp(-x));
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

constexpr BinaryOp kArith[] = {BinaryOp::Add, BinaryOp::Sub,     BinaryOp::Mul,    BinaryOp::Div,
                               BinaryOp::Pow, BinaryOp::Maximum, BinaryOp::Minimum};
constexpr BinaryOp kCompare[] = {BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt,
                                 BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge};

template <typename T>
void ConformanceKnownAnswers::unary_matches_std() {
  const std::vector<T> x = {T(0.5), T(1.25), T(-0.75), T(2), T(-3), T(0), T(0.1), T(7)};
  for (UnaryOp op : kUnaryOps) {
    if (op == UnaryOp::LogicalNot) continue;  // writes Bool: below
    std::vector<T> in = x;
    if (op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Log1p) {
      for (auto& v : in)
        v = std::fabs(v) + T(0.5);
    }
    const Buffer a = make(in), out = make(std::vector<T>(in.size(), T(-99)));
    backend().unary(op, a.dense({2, 4}), out.dense({2, 4}));
    const std::vector<T> got = read<T>(out);
    for (size_t i = 0; i < in.size(); ++i) {
      const T ref = unary_ref(op, in[i]);
      if (std::isfinite(ref)) {
        EXPECT_NEAR(got[i], ref, 1e-6 * (1 + std::fabs(ref))) << op_name(op) << " at " << in[i];
      } else {
        EXPECT_EQ(got[i], ref) << op_name(op) << " at " << in[i];
      }
    }
  }
  const Buffer in = make(std::vector<T>{0, 1, -2, 0}), out = make_bool({7, 7, 7, 7});
  backend().unary(UnaryOp::LogicalNot, in.dense({4}), out.dense({4}));
  EXPECT_EQ(read<uint8_t>(out), (std::vector<uint8_t>{1, 0, 0, 1}));
}

template <typename T>
void ConformanceKnownAnswers::binary_matches_std() {
  const std::vector<T> a = {T(1.5), T(-2), T(3), T(0.25), T(4), T(2), T(-1), T(9)};
  const std::vector<T> b = {T(2), T(0.5), T(3), T(-4), T(1.5), T(2), T(3), T(0.5)};
  const Buffer bb = make(b);
  for (BinaryOp op : kArith) {
    std::vector<T> aa = a;
    if (op == BinaryOp::Pow) {
      for (auto& v : aa)
        v = std::fabs(v);
    }
    const Buffer ab = make(aa), out = make(std::vector<T>(a.size()));
    backend().binary(op, ab.dense({8}), bb.dense({8}), out.dense({8}));
    const std::vector<T> got = read<T>(out);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(got[i], binary_ref(op, aa[i], b[i]), 1e-6) << op_name(op) << " " << i;
    }
  }
  const Buffer ab = make(a);
  for (BinaryOp op : kCompare) {
    const Buffer out = make_bool(std::vector<uint8_t>(a.size(), 7));
    backend().binary(op, ab.dense({8}), bb.dense({8}), out.dense({8}));
    const std::vector<uint8_t> got = read<uint8_t>(out);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(got[i], binary_ref(op, a[i], b[i]) ? 1 : 0) << op_name(op) << " " << i;
    }
  }
  // Maximum propagates NaN.
  const Buffer n = make(std::vector<T>{NAN, 1, 2}), m = make(std::vector<T>{0, NAN, 1});
  const Buffer out = make(std::vector<T>(3));
  backend().binary(BinaryOp::Maximum, n.dense({3}), m.dense({3}), out.dense({3}));
  const std::vector<T> got = read<T>(out);
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_EQ(got[2], 2);
}

template <typename T>
void ConformanceKnownAnswers::scalar_both_orders() {
  const std::vector<T> a = {T(1), T(2), T(4), T(-0.5)};
  const Buffer ab = make(a), ob = make(std::vector<T>(4));
  const StridedView av = ab.dense({4}), out = ob.dense({4});
  Backend& be = backend();
  be.binary_scalar(BinaryOp::Sub, av, 1.0, true, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{0, -1, -3, 1.5}));
  be.binary_scalar(BinaryOp::Sub, av, 1.0, false, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{0, 1, 3, -1.5}));
  be.binary_scalar(BinaryOp::Div, av, 2.0, true, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{2, 1, 0.5, -4}));
  be.binary_scalar(BinaryOp::Pow, av, 2.0, true, out);
  std::vector<T> got = read<T>(ob);
  EXPECT_NEAR(got[0], 2, 1e-6);
  EXPECT_NEAR(got[2], 16, 1e-5);
  EXPECT_NEAR(got[3], std::pow(2.0, -0.5), 1e-6);
  be.binary_scalar(BinaryOp::Pow, av, 2.0, false, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{1, 4, 16, 0.25}));
  be.binary_scalar(BinaryOp::Pow, av, 0.5, false, out);
  EXPECT_NEAR(read<T>(ob)[1], std::sqrt(2.0), 1e-6);
  for (BinaryOp op : kArith) {
    if (op == BinaryOp::Pow) continue;
    be.binary_scalar(op, av, 3.0, false, out);
    got = read<T>(ob);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(got[i], binary_ref<T>(op, a[i], 3), 1e-6);
  }
  const Buffer cmp = make_bool(std::vector<uint8_t>(4));
  be.binary_scalar(BinaryOp::Gt, av, 1.5, false, cmp.dense({4}));
  EXPECT_EQ(read<uint8_t>(cmp), (std::vector<uint8_t>{0, 1, 1, 0}));
  be.binary_scalar(BinaryOp::Gt, av, 1.5, true, cmp.dense({4}));
  EXPECT_EQ(read<uint8_t>(cmp), (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST_P(ConformanceKnownAnswers, UnaryMatchesStd) {
  unary_matches_std<float>();
  unary_matches_std<double>();
}

TEST_P(ConformanceKnownAnswers, BinaryMatchesStd) {
  binary_matches_std<float>();
  binary_matches_std<double>();
}

TEST_P(ConformanceKnownAnswers, ScalarBothOrders) {
  scalar_both_orders<float>();
  scalar_both_orders<double>();
}

template <typename T>
void ConformanceKnownAnswers::integer_arithmetic() {
  SCOPED_TRACE(std::string(dtype_name(dtype_of<T>())));
  const Buffer ab = make(std::vector<T>{7, 8, 9, 100, 0, 3});
  const Buffer bb = make(std::vector<T>{2, 8, 3, 7, 5, 1});
  const Buffer ob = make(std::vector<T>(6));
  const StridedView a = ab.dense({6}), b = bb.dense({6}), out = ob.dense({6});
  Backend& be = backend();
  be.binary(BinaryOp::Add, a, b, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{9, 16, 12, 107, 5, 4}));
  be.binary(BinaryOp::Mul, a, b, out);
  EXPECT_EQ(read<T>(ob),
            (std::vector<T>{14, 64, 27, 700 % (std::is_same_v<T, uint8_t> ? 256 : 100000), 0, 3}));
  be.binary(BinaryOp::Div, a, b, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{3, 1, 3, 14, 0, 3}));
  be.binary(BinaryOp::Pow, a, b, out);
  EXPECT_EQ(read<T>(ob)[0], 49);
  EXPECT_EQ(read<T>(ob)[2], 729 % (std::is_same_v<T, uint8_t> ? 256 : 100000));
  be.binary(BinaryOp::Maximum, a, b, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{7, 8, 9, 100, 5, 3}));
  be.binary(BinaryOp::Minimum, a, b, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{2, 8, 3, 7, 0, 1}));
  const Buffer cb = make_bool(std::vector<uint8_t>(6));
  const StridedView cmp = cb.dense({6});
  be.binary(BinaryOp::Lt, a, b, cmp);
  EXPECT_EQ(read<uint8_t>(cb), (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));
  be.binary(BinaryOp::Eq, a, b, cmp);
  EXPECT_EQ(read<uint8_t>(cb), (std::vector<uint8_t>{0, 1, 0, 0, 0, 0}));
  be.binary_scalar(BinaryOp::Sub, a, 100, true, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{93, 92, 91, 0, 100, 97}));
  be.unary(UnaryOp::Square, b, out);
  EXPECT_EQ(read<T>(ob), (std::vector<T>{4, 64, 9, 49, 25, 1}));
  be.unary(UnaryOp::LogicalNot, a, cmp);
  EXPECT_EQ(read<uint8_t>(cb), (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));

  // Division by zero gives 0 and does not trap.
  const Buffer nb = make(std::vector<T>{5, 0, 9}), zb = make(std::vector<T>{0, 0, 0});
  const Buffer qb = make(std::vector<T>{1, 1, 1});
  be.binary(BinaryOp::Div, nb.dense({3}), zb.dense({3}), qb.dense({3}));
  EXPECT_EQ(read<T>(qb), (std::vector<T>{0, 0, 0}));
  be.binary_scalar(BinaryOp::Div, nb.dense({3}), 0.0, false, qb.dense({3}));
  EXPECT_EQ(read<T>(qb), (std::vector<T>{0, 0, 0}));
  be.binary_scalar(BinaryOp::Div, nb.dense({3}), 0.0, true, qb.dense({3}));
}

TEST_P(ConformanceKnownAnswers, IntegerArithmeticAndComparisons) {
  integer_arithmetic<int32_t>();
  integer_arithmetic<int64_t>();
  integer_arithmetic<uint8_t>();
}

TEST_P(ConformanceKnownAnswers, SignedIntegerOps) {
  const Buffer ab = make(std::vector<int32_t>{-5, 0, 7, std::numeric_limits<int32_t>::min()});
  const Buffer ob = make(std::vector<int32_t>(4));
  const StridedView a = ab.dense({4}), out = ob.dense({4});
  Backend& be = backend();
  be.unary(UnaryOp::Neg, a, out);
  EXPECT_EQ(read<int32_t>(ob)[0], 5);
  EXPECT_EQ(read<int32_t>(ob)[2], -7);
  be.unary(UnaryOp::Abs, a, out);
  EXPECT_EQ(read<int32_t>(ob)[0], 5);
  be.unary(UnaryOp::Sign, a, out);
  EXPECT_EQ(read<int32_t>(ob), (std::vector<int32_t>{-1, 0, 1, -1}));
  be.unary(UnaryOp::Relu, a, out);
  EXPECT_EQ(read<int32_t>(ob), (std::vector<int32_t>{0, 0, 7, 0}));
  // INT_MIN / -1 overflows; it must wrap, not trap.
  const Buffer m1 = make(std::vector<int32_t>(4, -1));
  be.binary(BinaryOp::Div, a, m1.dense({4}), out);
  EXPECT_EQ(read<int32_t>(ob)[0], 5);
  EXPECT_EQ(read<int32_t>(ob)[3], std::numeric_limits<int32_t>::min());
  const Buffer l = make(std::vector<int64_t>{-7, 7}), r = make(std::vector<int64_t>{2, -2});
  const Buffer lo = make(std::vector<int64_t>(2));
  be.binary(BinaryOp::Div, l.dense({2}), r.dense({2}), lo.dense({2}));
  EXPECT_EQ(read<int64_t>(lo), (std::vector<int64_t>{-3, -3}));  // truncation toward zero
  be.binary_scalar(BinaryOp::Pow, l.dense({2}), -1, false, lo.dense({2}));
  EXPECT_EQ(read<int64_t>(lo), (std::vector<int64_t>{0, 0}));
}

TEST_P(ConformanceKnownAnswers, BoolComparisonsAndLogic) {
  const Buffer a = make_bool({0, 1, 1, 0}), b = make_bool({0, 0, 1, 1}),
               out = make_bool({0, 0, 0, 0});
  Backend& be = backend();
  be.binary(BinaryOp::Eq, a.dense({4}), b.dense({4}), out.dense({4}));
  EXPECT_EQ(read<uint8_t>(out), (std::vector<uint8_t>{1, 0, 1, 0}));
  be.binary(BinaryOp::Maximum, a.dense({4}), b.dense({4}), out.dense({4}));
  EXPECT_EQ(read<uint8_t>(out), (std::vector<uint8_t>{0, 1, 1, 1}));
  be.binary(BinaryOp::Mul, a.dense({4}), b.dense({4}), out.dense({4}));
  EXPECT_EQ(read<uint8_t>(out), (std::vector<uint8_t>{0, 0, 1, 0}));
  be.unary(UnaryOp::LogicalNot, a.dense({4}), out.dense({4}));
  EXPECT_EQ(read<uint8_t>(out), (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST_P(ConformanceKnownAnswers, WhereSelectsWithBroadcastAndStrides) {
  const Buffer cond = make_bool({1, 0, 1});
  const Buffer a = make(std::vector<float>{0, 1, 2, 3, 4, 5}), b = make(std::vector<float>{-1, -2});
  const Buffer out = make(std::vector<float>(6));
  // cond broadcast along rows, b broadcast along columns.
  backend().where(cond.view({2, 3}, {0, 1}), a.dense({2, 3}), b.view({2, 3}, {1, 0}),
                  out.dense({2, 3}));
  EXPECT_EQ(read<float>(out), (std::vector<float>{0, -1, 2, 3, -2, 5}));
  const Buffer c2 = make_bool({1, 0, 0, 1});
  const Buffer x = make(std::vector<int64_t>{1, 2, 3, 4}),
               y = make(std::vector<int64_t>{5, 6, 7, 8});
  const Buffer o = make(std::vector<int64_t>(4));
  backend().where(c2.dense({2, 2}), x.view({2, 2}, {1, 2}), y.dense({2, 2}), o.dense({2, 2}));
  EXPECT_EQ(read<int64_t>(o), (std::vector<int64_t>{1, 6, 7, 4}));
}

TEST_P(ConformanceKnownAnswers, Casts) {
  Backend& be = backend();
  const Buffer f = make(std::vector<float>{1.9f, -1.9f, 0.0f, 2.5f});
  const Buffer i = make(std::vector<int32_t>(4));
  be.copy(f.dense({4}), i.dense({4}));
  EXPECT_EQ(read<int32_t>(i), (std::vector<int32_t>{1, -1, 0, 2}));  // truncation toward zero
  const Buffer l = make(std::vector<int64_t>{3, -4, 0, 1 << 20}), d = make(std::vector<double>(4));
  be.copy(l.dense({4}), d.dense({4}));
  EXPECT_EQ(read<double>(d), (std::vector<double>{3, -4, 0, 1 << 20}));
  const Buffer b = make_bool({9, 9, 9, 9});
  be.copy(f.dense({4}), b.dense({4}));
  EXPECT_EQ(read<uint8_t>(b), (std::vector<uint8_t>{1, 1, 0, 1}));
  const Buffer back = make(std::vector<float>(4));
  be.copy(b.dense({4}), back.dense({4}));
  EXPECT_EQ(read<float>(back), (std::vector<float>{1, 1, 0, 1}));
  const Buffer u8 = make(std::vector<uint8_t>{0, 128, 255, 7});
  be.copy(u8.dense({4}), f.dense({4}));
  EXPECT_EQ(read<float>(f), (std::vector<float>{0, 128, 255, 7}));
  // Strided cast: transposed float64 into compact int64.
  const Buffer m = make(std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5});
  const Buffer mo = make(std::vector<int64_t>(6));
  be.copy(m.view({3, 2}, {1, 3}), mo.dense({3, 2}));
  EXPECT_EQ(read<int64_t>(mo), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  // Slice assignment into dst[1:4:2, 0:5:2] of a (4, 5) int32 array.
  const Buffer dst = make(std::vector<int32_t>(20, 0)),
               src = make(std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  be.copy(src.dense({2, 3}), dst.view({2, 3}, {10, 2}, 5));
  std::vector<int32_t> expect(20, 0);
  expect[5] = 1, expect[7] = 2, expect[9] = 3, expect[15] = 4, expect[17] = 5, expect[19] = 6;
  EXPECT_EQ(read<int32_t>(dst), expect);
}

TEST_P(ConformanceKnownAnswers, FillStridedViewAndCast) {
  Backend& be = backend();
  const Buffer buf = make(std::vector<float>(12, 0));
  be.fill(buf.view({2, 3}, {6, 2}, 1), 4.5);
  const std::vector<float> expect = {0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5};
  EXPECT_EQ(read<float>(buf), expect);
  const Buffer ints = make(std::vector<int64_t>(5));
  be.fill(ints.dense({5}), 3.9);
  EXPECT_EQ(read<int64_t>(ints), (std::vector<int64_t>(5, 3)));
  const Buffer flags = make_bool({0, 0, 0});
  be.fill(flags.dense({3}), 0.5);
  EXPECT_EQ(read<uint8_t>(flags), (std::vector<uint8_t>(3, 1)));
  const Buffer big = make(std::vector<double>(100000, 0));
  be.fill(big.view({1000, 100}, {100, 1}), -2);
  EXPECT_EQ(read<double>(big)[99999], -2);
  const Buffer none = make(std::vector<double>{});
  be.fill(none.dense({0}), 1);
}

TEST_P(ConformanceKnownAnswers, UniformIsReproducibleAndInRange) {
  Backend& be = backend();
  const int64_t n = 50000;
  const Buffer ab = make(std::vector<float>(n)), bb = make(std::vector<float>(n));
  const Buffer cb = make(std::vector<float>(n));
  be.random_uniform(ab.dense({n}), 42, 0, -2.0, 3.0);
  be.random_uniform(bb.dense({n}), 42, 0, -2.0, 3.0);
  be.random_uniform(cb.dense({n}), 42, 1, -2.0, 3.0);
  const std::vector<float> a = read<float>(ab), b = read<float>(bb), c = read<float>(cb);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Counter-based: offset 1 is the same stream shifted by one element.
  for (int64_t i = 0; i + 1 < n; i += 1000)
    EXPECT_EQ(c[static_cast<size_t>(i)], a[static_cast<size_t>(i + 1)]);
  double sum = 0;
  for (float v : a) {
    ASSERT_GE(v, -2.0f);
    ASSERT_LT(v, 3.0f);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.05);
  EXPECT_EQ(a[17], static_cast<float>(-2.0 + 5.0 * philox::uniform(42, 17)));
  const Buffer d = make(std::vector<double>(10));
  be.random_uniform(d.dense({10}), 7, 100, 0, 1);
  const std::vector<double> dv = read<double>(d);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(dv[static_cast<size_t>(i)], philox::uniform(7, 100 + static_cast<uint64_t>(i)));
  // A strided destination: every other element, the others untouched.
  const Buffer strided = make(std::vector<float>(8, -100));
  be.random_uniform(strided.view({4}, {2}), 9, 0, 0, 1);
  const std::vector<float> sv = read<float>(strided);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(sv[static_cast<size_t>(2 * i)],
              static_cast<float>(philox::uniform(9, static_cast<uint64_t>(i))));
    EXPECT_EQ(sv[static_cast<size_t>(2 * i + 1)], -100);
  }
}

TEST_P(ConformanceKnownAnswers, NormalMoments) {
  const int64_t n = 100000;
  const Buffer xb = make(std::vector<double>(n));
  backend().random_normal(xb.dense({n}), 123, 5, 1.0, 2.0);
  const std::vector<double> x = read<double>(xb);
  double mean = 0, var = 0;
  for (double v : x)
    mean += v;
  mean /= n;
  for (double v : x)
    var += (v - mean) * (v - mean);
  var /= n;
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.03);
  // To the last bits: GPU and glibc log/cos may differ by an ulp.
  EXPECT_NEAR(x[3], 1.0 + 2.0 * philox::normal(123, 8), 1e-12);
  const Buffer f = make(std::vector<float>(4)), g = make(std::vector<float>(4));
  backend().random_normal(f.dense({4}), 1, 0, 0, 1);
  backend().random_normal(g.dense({4}), 2, 0, 0, 1);
  EXPECT_NE(read<float>(f), read<float>(g));
}

TEST_P(ConformanceKnownAnswers, ArgmaxFirstOfTiesWins) {
  Backend& be = backend();
  const Buffer a = make(std::vector<float>{1, 5, 5, 2, 5, 0, 3, 3, 3});
  const Buffer out = make(std::vector<int64_t>(3)), one = make(std::vector<int64_t>(1));
  be.reduce(ReduceOp::Argmax, a.dense({3, 3}), {1}, out.dense({3, 1}));
  EXPECT_EQ(read<int64_t>(out), (std::vector<int64_t>{1, 1, 0}));
  be.reduce(ReduceOp::Argmax, a.dense({9}), {0}, one.dense({1}));
  EXPECT_EQ(read<int64_t>(one)[0], 1);
  be.reduce(ReduceOp::Argmin, a.dense({9}), {0}, one.dense({1}));
  EXPECT_EQ(read<int64_t>(one)[0], 5);
  // Ties across the halves of a large reduction (split over threads or blocks).
  std::vector<float> big(200000, 1.0f);
  big[150000] = 2.0f;
  big[190000] = 2.0f;
  const Buffer bb = make(big);
  be.reduce(ReduceOp::Argmax, bb.dense({200000}), {0}, one.dense({1}));
  EXPECT_EQ(read<int64_t>(one)[0], 150000);
  std::fill(big.begin(), big.end(), -std::numeric_limits<float>::infinity());
  const Buffer inf = make(big);
  be.reduce(ReduceOp::Argmax, inf.dense({200000}), {0}, one.dense({1}));
  EXPECT_EQ(read<int64_t>(one)[0], 0);
}

TEST_P(ConformanceKnownAnswers, IntegerAndBoolReductions) {
  Backend& be = backend();
  const Buffer a = make(std::vector<int32_t>{1, -2, 3, 4, 5, -6}),
               out = make(std::vector<int32_t>(2));
  be.reduce(ReduceOp::Sum, a.dense({2, 3}), {1}, out.dense({2, 1}));
  EXPECT_EQ(read<int32_t>(out), (std::vector<int32_t>{2, 3}));
  be.reduce(ReduceOp::Max, a.dense({2, 3}), {1}, out.dense({2, 1}));
  EXPECT_EQ(read<int32_t>(out), (std::vector<int32_t>{3, 5}));
  const Buffer flags = make_bool({1, 0, 1, 1}), any = make_bool({0});
  be.reduce(ReduceOp::Max, flags.dense({4}), {0}, any.dense({1}));
  EXPECT_EQ(read<uint8_t>(any)[0], 1);
  be.reduce(ReduceOp::Sum, flags.dense({4}), {0}, any.dense({1}));  // a bool sum is "any"
  EXPECT_EQ(read<uint8_t>(any)[0], 1);
  const Buffer img = make(std::vector<uint8_t>{0, 255, 17, 200}),
               mx = make(std::vector<uint8_t>(1));
  be.reduce(ReduceOp::Max, img.dense({4}), {0}, mx.dense({1}));
  EXPECT_EQ(read<uint8_t>(mx)[0], 255);
  const Buffer idx = make(std::vector<int64_t>(1));
  be.reduce(ReduceOp::Argmin, img.dense({4}), {0}, idx.dense({1}));
  EXPECT_EQ(read<int64_t>(idx)[0], 0);
}

}  // namespace
}  // namespace needle::conformance

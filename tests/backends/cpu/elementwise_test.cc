// Elementwise kernels of the CPU backend, for what only the CPU has: the parallel and tiled
// paths of its strided loops (large transposed and broadcast operands, ragged register-transpose
// tiles, batched transposes) against a strided reference read, and its bool storage (a byte that
// is neither 0 nor 1 reads as true). Every op code on every dtype and view kind, integer
// semantics and argument errors are the conformance suite's (tests/conformance), which runs them
// on every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

// Checks out == ref(a, b) elementwise for arbitrary views, against a strided reference read.
// (Every op on every layout and dtype is the conformance suite's; this is about the CPU's
// parallel and tiled paths.)
template <typename T, typename Ref>
void expect_binary(BinaryOp op, Ref ref, const StridedView& a, const StridedView& b,
                   const StridedView& out) {
  cpu_backend().binary(op, a, b, out);
  for_each_index(out.shape, [&](const Shape& i) {
    ASSERT_EQ(at<T>(out, i), static_cast<T>(ref(at<T>(a, i), at<T>(b, i))));
  });
}

constexpr auto kPlus = [](auto x, auto y) { return x + y; };
constexpr auto kMinus = [](auto x, auto y) { return x - y; };
constexpr auto kMax = [](auto x, auto y) { return std::max(x, y); };

TEST(Elementwise, LargeTransposedAndBroadcastUseParallelPaths) {
  const int64_t n = 300;  // 90000 elements: parallel and tiled paths
  std::vector<float> a = iota_vec<float>(n * n, 0, 0.5f), b = iota_vec<float>(n * n, 3, 1.0f);
  std::vector<float> out(n * n);
  expect_binary<float>(BinaryOp::Add, kPlus, view(a, {n, n}), view(b, {n, n}, {1, n}),
                       view(out, {n, n}));
  expect_binary<float>(BinaryOp::Add, kPlus, view(a, {n, n}, {1, n}), view(b, {n, n}),
                       view(out, {n, n}));
  expect_binary<float>(BinaryOp::Maximum, kMax, view(a, {n, n}, {1, n}), view(b, {n, n}, {0, 1}),
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
  expect_binary<float>(BinaryOp::Sub, kMinus, view(p, {r, c2}), view(q, {r, c2}, {1, r}),
                       view(pq, {r, c2}));
  std::vector<int32_t> pi = iota_vec<int32_t>(r * c2, 5), qi = iota_vec<int32_t>(r * c2, 7);
  std::vector<int32_t> pqi(r * c2);
  expect_binary<int32_t>(BinaryOp::Add, kPlus, view(pi, {r, c2}), view(qi, {r, c2}, {1, r}),
                         view(pqi, {r, c2}));
  // Batched transposes: (4, n, n/4)-ish with the last two axes swapped.
  std::vector<double> c = iota_vec<double>(4 * 64 * 96), d(4 * 64 * 96, 1), e(4 * 64 * 96);
  expect_binary<double>(BinaryOp::Sub, kMinus, view(c, {4, 96, 64}, {64 * 96, 1, 96}),
                        view(d, {4, 96, 64}), view(e, {4, 96, 64}));
}

TEST(BoolElementwise, ByteOtherThanZeroOrOneReadsTrue) {
  auto& be = cpu_backend();
  std::vector<uint8_t> odd = {2, 0};
  std::vector<uint8_t> res(2);
  be.unary(UnaryOp::LogicalNot, bool_view(odd, {2}), bool_view(res, {2}));
  EXPECT_EQ(res, (std::vector<uint8_t>{0, 1}));
}

}  // namespace
}  // namespace needle::test

// matmul with NumPy semantics: 1-D and 2-D operands, batched N-D with broadcast batch dims,
// transposed / sliced operands, empty inner dimensions, float32 and float64. Results are
// checked against a naive triple loop over host copies.
#include <gtest/gtest.h>

#include "needle/ndarray.h"
#include "needle/random.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;

// Naive (m, k) @ (k, n) on row-major host data.
std::vector<double> naive(const std::vector<double>& a, const std::vector<double>& b, int64_t m,
                          int64_t k, int64_t n) {
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Matmul, TwoD) {
  NDArray a = iota({2, 3});
  NDArray b = iota({3, 2});
  NDArray c = matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  // [[0,1,2],[3,4,5]] @ [[0,1],[2,3],[4,5]]
  EXPECT_EQ(values(c), (V{10, 13, 28, 40}));
}

TEST(Matmul, OneD) {
  NDArray v = NDArray::from_vector<float>({1, 2, 3}, {3});
  NDArray dot = matmul(v, v);
  EXPECT_EQ(dot.shape(), (Shape{}));
  EXPECT_EQ(dot.item<float>(), 14.0f);
  NDArray m = iota({3, 2});
  NDArray vm = matmul(v, m);  // (3,) @ (3, 2) -> (2,)
  EXPECT_EQ(vm.shape(), (Shape{2}));
  EXPECT_EQ(values(vm), (V{16, 22}));
  NDArray mv = matmul(iota({2, 3}), v);  // (2, 3) @ (3,) -> (2,)
  EXPECT_EQ(mv.shape(), (Shape{2}));
  EXPECT_EQ(values(mv), (V{8, 26}));
  // A 1-D operand against a batched one.
  NDArray bm = matmul(v, iota({2, 3, 2}));
  EXPECT_EQ(bm.shape(), (Shape{2, 2}));
  EXPECT_EQ(values(bm), (V{16, 22, 52, 58}));
  // Non-compact vector: a stepped, flipped slice.
  NDArray w = NDArray::from_vector<float>({3, 9, 2, 9, 1}, {5})
                  .slice(0, std::nullopt, std::nullopt, -2);  // 1,2,3
  EXPECT_EQ(matmul(w, v).item<float>(), 1 + 4 + 9.0f);
}

TEST(Matmul, TransposedAndSlicedOperands) {
  NDArray a = iota({3, 2}).transpose();  // (2, 3): [[0, 2, 4], [1, 3, 5]]
  NDArray b = iota({2, 3}).transpose();  // (3, 2): [[0, 3], [1, 4], [2, 5]]
  EXPECT_EQ(values(matmul(a, b)), (V{10, 28, 13, 40}));
  NDArray big = iota({4, 6});
  NDArray s = big.slice({Slice(0, 4, 2), Slice(1, 4)});  // [[1, 2, 3], [13, 14, 15]]
  EXPECT_EQ(values(matmul(s, b)), (V{8, 26, 44, 170}));
  NDArray f = iota({2, 3}).flip({0});  // [[3, 4, 5], [0, 1, 2]]
  EXPECT_EQ(values(matmul(f, b)), (V{14, 50, 5, 14}));
}

TEST(Matmul, BatchedWithBroadcast) {
  manual_seed(7);
  NDArray a = NDArray::randn({2, 1, 3, 4}, 0, 1, DType::Float64);
  NDArray b = NDArray::randn({5, 4, 2}, 0, 1, DType::Float64);
  NDArray c = matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 5, 3, 2}));
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>(),
                            cv = c.to_vector<double>();
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 5; ++j) {
      std::vector<double> am(av.begin() + i * 12, av.begin() + (i + 1) * 12);
      std::vector<double> bm(bv.begin() + j * 8, bv.begin() + (j + 1) * 8);
      std::vector<double> want = naive(am, bm, 3, 4, 2);
      std::vector<double> got(cv.begin() + (i * 5 + j) * 6, cv.begin() + (i * 5 + j + 1) * 6);
      expect_close(got, want, 1e-12);
    }
  }
  // A 2-D operand broadcasts against a batch.
  NDArray d = matmul(b, iota({2, 3}, DType::Float64));
  EXPECT_EQ(d.shape(), (Shape{5, 4, 3}));
  // A batched transposed operand.
  NDArray e = matmul(a.transpose(), a);  // (2, 1, 4, 3) @ (2, 1, 3, 4)
  EXPECT_EQ(e.shape(), (Shape{2, 1, 4, 4}));
  const std::vector<double> ev = e.to_vector<double>();
  for (int i = 0; i < 2; ++i) {
    std::vector<double> am(av.begin() + i * 12, av.begin() + (i + 1) * 12);
    std::vector<double> at(12);
    for (int r = 0; r < 3; ++r)
      for (int q = 0; q < 4; ++q)
        at[q * 3 + r] = am[r * 4 + q];
    expect_close(std::vector<double>(ev.begin() + i * 16, ev.begin() + (i + 1) * 16),
                 naive(at, am, 4, 3, 4), 1e-12);
  }
}

TEST(Matmul, Float32Larger) {
  manual_seed(1);
  NDArray a = NDArray::rand({17, 33});
  NDArray b = NDArray::rand({33, 9});
  std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  expect_close(matmul(a, b).to_vector<double>(), naive(av, bv, 17, 33, 9), 1e-4);
}

TEST(Matmul, EmptyDims) {
  NDArray c = matmul(NDArray::ones({2, 0}), NDArray::ones({0, 3}));
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(c), V(6, 0.0f));
  EXPECT_EQ(matmul(NDArray::ones({0, 4}), NDArray::ones({4, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(matmul(NDArray::ones({0, 2, 4}), NDArray::ones({4, 3})).shape(), (Shape{0, 2, 3}));
  NDArray one = matmul(NDArray::full({1, 1}, 3.0), NDArray::full({1, 1}, 4.0));
  EXPECT_EQ(values(one), (V{12}));
}

}  // namespace
}  // namespace needle

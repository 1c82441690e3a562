// Batched matmul on the CPU backend against a naive triple loop: plain, transposed operands
// (passed to BLAS as flags), batched and broadcast batches, strides BLAS cannot take, float64,
// zero-sized dimensions and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/error.h"
#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

template <typename T>
std::vector<T> values(int64_t n, int seed) {
  std::vector<T> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<T>(std::sin(static_cast<double>(i) * 0.37 + seed) * 2.0);
  }
  return v;
}

// Checks backend matmul of views a (..., m, k) and b (..., k, n) against a naive loop.
template <typename T>
void check_matmul(const StridedView& a, const StridedView& b, double tol = 1e-4) {
  const int64_t nd = a.ndim();
  Shape oshape = a.shape;
  oshape[nd - 1] = b.shape[nd - 1];
  std::vector<T> out(static_cast<size_t>(numel(oshape)), T(-123));
  cpu_backend().matmul(a, b, view(out, oshape));
  const int64_t k = a.shape[nd - 1];
  for_each_index(oshape, [&](const Shape& i) {
    double ref = 0;
    Shape ia = i, ib = i;
    for (int64_t p = 0; p < k; ++p) {
      ia[nd - 1] = p;
      ib[nd - 2] = p;
      ref += static_cast<double>(at<T>(a, ia)) * static_cast<double>(at<T>(b, ib));
    }
    int64_t o = 0;
    const Strides os = compact_strides(oshape);
    for (size_t d = 0; d < i.size(); ++d)
      o += i[d] * os[d];
    ASSERT_NEAR(out[static_cast<size_t>(o)], ref, tol * (1 + std::fabs(ref)));
  });
}

TEST(Matmul, Plain) {
  auto a = values<float>(5 * 7, 1), b = values<float>(7 * 3, 2);
  check_matmul<float>(view(a, {5, 7}), view(b, {7, 3}));
}

TEST(Matmul, TransposedOperands) {
  auto a = values<float>(5 * 7, 1), b = values<float>(7 * 3, 2);
  // a^T stored as (7, 5), b^T stored as (3, 7).
  check_matmul<float>(view(a, {5, 7}, {1, 5}), view(b, {7, 3}));
  check_matmul<float>(view(a, {5, 7}), view(b, {7, 3}, {1, 7}));
  check_matmul<float>(view(a, {5, 7}, {1, 5}), view(b, {7, 3}, {1, 7}));
}

TEST(Matmul, LeadingDimensionFromSlices) {
  auto a = values<double>(10 * 12, 3), b = values<double>(12 * 9, 4);
  // Column slices keep a unit inner stride with a larger leading dimension.
  check_matmul<double>(view(a, {6, 5}, {12, 1}, 2), view(b, {5, 4}, {9, 1}, 1), 1e-10);
  check_matmul<double>(view(a, {6, 5}, {1, 12}, 3), view(b, {5, 4}, {1, 9}), 1e-10);
}

TEST(Matmul, NonBlasStridesAreCompacted) {
  auto a = values<float>(12 * 14, 5), b = values<float>(14 * 10, 6);
  check_matmul<float>(view(a, {6, 7}, {24, 2}), view(b, {7, 5}, {20, 2}));
  check_matmul<float>(view(a, {6, 7}, {-14, -1}, 12 * 14 - 1), view(b, {7, 5}, {-10, 1}, 130));
}

TEST(Matmul, Batched) {
  auto a = values<float>(4 * 3 * 5, 7), b = values<float>(4 * 5 * 2, 8);
  check_matmul<float>(view(a, {4, 3, 5}), view(b, {4, 5, 2}));
  // Batch of transposed b.
  check_matmul<float>(view(a, {4, 3, 5}), view(b, {4, 5, 2}, {10, 1, 5}));
  // Batch axis not outermost in memory.
  check_matmul<float>(view(a, {3, 4, 5}, {5, 15, 1}), view(b, {3, 5, 2}, {10, 2, 1}));
}

TEST(Matmul, BroadcastBatch) {
  auto a = values<double>(2 * 3 * 4 * 5, 9), b = values<double>(5 * 6, 10);
  // b shared by every batch element (stride 0): folded into one tall GEMM.
  check_matmul<double>(view(a, {2, 3, 4, 5}), view(b, {2, 3, 5, 6}, {0, 0, 6, 1}), 1e-10);
  // a broadcast, b batched.
  auto bb = values<double>(3 * 5 * 6, 11), a1 = values<double>(4 * 5, 12);
  check_matmul<double>(view(a1, {3, 4, 5}, {0, 5, 1}), view(bb, {3, 5, 6}), 1e-10);
  // b broadcast and transposed.
  check_matmul<double>(view(a, {6, 4, 5}), view(b, {6, 5, 6}, {0, 1, 5}), 1e-10);
}

TEST(Matmul, ManySmallMatricesParallelBatch) {
  auto a = values<float>(64 * 16 * 16, 13), b = values<float>(64 * 16 * 16, 14);
  check_matmul<float>(view(a, {64, 16, 16}), view(b, {64, 16, 16}, {256, 1, 16}));
}

TEST(Matmul, LargeMatchesNaive) {
  auto a = values<float>(130 * 70, 15), b = values<float>(70 * 90, 16);
  check_matmul<float>(view(a, {130, 70}), view(b, {70, 90}), 1e-4);
}

TEST(Matmul, VectorShapes) {
  auto a = values<float>(8, 17), b = values<float>(8, 18);
  check_matmul<float>(view(a, {1, 8}), view(b, {8, 1}));                  // dot
  check_matmul<float>(view(a, {8, 1}), view(b, {1, 8}));                  // outer
  check_matmul<float>(view(a, {1, 8}, {0, 1}), view(b, {8, 1}, {1, 0}));  // junk size-1 strides
}

TEST(Matmul, ZeroSizedDimensions) {
  std::vector<float> none, out(6, 5);
  cpu_backend().matmul(view(none, {2, 0}), view(none, {0, 3}), view(out, {2, 3}));
  EXPECT_EQ(out, std::vector<float>(6, 0));  // k == 0: zeros
  cpu_backend().matmul(view(none, {0, 4}), view(out, {4, 0}), view(none, {0, 0}));
  cpu_backend().matmul(view(none, {0, 2, 3}), view(none, {0, 3, 2}), view(none, {0, 2, 2}));
}

TEST(Matmul, BadArgumentsThrow) {
  std::vector<float> a(12), out(12);
  std::vector<int32_t> ia(12), io(12);
  std::vector<double> d(12);
  auto& be = cpu_backend();
  try {
    be.matmul(view(a, {2, 3}), view(a, {4, 3}), view(out, {2, 3}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3) @ (4, 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(be.matmul(view(ia, {2, 3}), view(ia, {3, 2}), view(io, {2, 2})), DTypeError);
  EXPECT_THROW(be.matmul(view(a, {2, 3}), view(d, {3, 2}), view(out, {2, 2})), DTypeError);
  EXPECT_THROW(be.matmul(view(a, {12}), view(a, {12}), view(out, {1})), ShapeError);
}

}  // namespace
}  // namespace needle::test

// Data movement on the CPU backend: strided copies with casts, fills through strided views,
// host copies, the Philox random fills, and the backend's identity.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/common/philox.h"
#include "needle/error.h"
#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

TEST(CpuBackend, Identity) {
  auto& be = cpu_backend();
  EXPECT_EQ(be.name(), "cpu");
  EXPECT_EQ(be.device_count(), 1);
  EXPECT_EQ(be.availability(), "cpu");
  be.synchronize(cpu());
}

TEST(Copy, HostRoundTrip) {
  auto& be = cpu_backend();
  std::vector<float> host = iota_vec<float>(100), back(100);
  void* dev = be.allocate(400, cpu());
  be.copy_from_host(host.data(), dev, 400, cpu());
  be.copy_to_host(dev, back.data(), 400, cpu());
  EXPECT_EQ(host, back);
  be.deallocate(dev, 400, cpu());
}

TEST(Copy, CompactTransposeAndFlip) {
  std::vector<float> src = iota_vec<float>(6), dst(6);
  cpu_backend().copy(view(src, {3, 2}, {1, 3}), view(dst, {3, 2}));
  EXPECT_EQ(dst, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  cpu_backend().copy(view(src, {2, 3}, {-3, -1}, 5), view(dst, {2, 3}));
  EXPECT_EQ(dst, (std::vector<float>{5, 4, 3, 2, 1, 0}));
  // Broadcast source into a compact destination.
  std::vector<float> row = {7, 8, 9};
  cpu_backend().copy(view(row, {2, 3}, {0, 1}), view(dst, {2, 3}));
  EXPECT_EQ(dst, (std::vector<float>{7, 8, 9, 7, 8, 9}));
}

TEST(Copy, ContiguousWithOffsetUsesMemcpy) {
  std::vector<double> src = iota_vec<double>(200000), dst(200001, -1);
  cpu_backend().copy(view(src, {100000}, {1}, 100000), view(dst, {100000}, {1}, 1));
  EXPECT_EQ(dst[0], -1);
  EXPECT_EQ(dst[1], 100000);
  EXPECT_EQ(dst[100000], 199999);
}

TEST(Copy, SliceAssignIntoStridedDestination) {
  std::vector<int32_t> dst(20, 0), src = {1, 2, 3, 4, 5, 6};
  // dst viewed (4, 5); assign into dst[1:4:2, 0:5:2] (2x3).
  cpu_backend().copy(view(src, {2, 3}), view(dst, {2, 3}, {10, 2}, 5));
  std::vector<int32_t> expect(20, 0);
  expect[5] = 1, expect[7] = 2, expect[9] = 3, expect[15] = 4, expect[17] = 5, expect[19] = 6;
  EXPECT_EQ(dst, expect);
}

TEST(Copy, Casts) {
  auto& be = cpu_backend();
  std::vector<float> f = {1.9f, -1.9f, 0.0f, 2.5f};
  std::vector<int32_t> i(4);
  be.copy(view(f, {4}), view(i, {4}));
  EXPECT_EQ(i, (std::vector<int32_t>{1, -1, 0, 2}));  // truncation toward zero
  std::vector<int64_t> l = {3, -4, 0, 1 << 20};
  std::vector<double> d(4);
  be.copy(view(l, {4}), view(d, {4}));
  EXPECT_EQ(d, (std::vector<double>{3, -4, 0, 1 << 20}));
  std::vector<uint8_t> b(4, 9);
  be.copy(view(f, {4}), bool_view(b, {4}));
  EXPECT_EQ(b, (std::vector<uint8_t>{1, 1, 0, 1}));
  std::vector<float> back(4);
  be.copy(bool_view(b, {4}), view(back, {4}));
  EXPECT_EQ(back, (std::vector<float>{1, 1, 0, 1}));
  std::vector<uint8_t> u8 = {0, 128, 255, 7};
  be.copy(view(u8, {4}), view(f, {4}));
  EXPECT_EQ(f, (std::vector<float>{0, 128, 255, 7}));
  // Strided cast: transposed float64 into compact int64.
  std::vector<double> m = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5};
  std::vector<int64_t> mo(6);
  be.copy(view(m, {3, 2}, {1, 3}), view(mo, {3, 2}));
  EXPECT_EQ(mo, (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(Copy, ShapeMismatchThrows) {
  std::vector<float> a(6), b(6);
  EXPECT_THROW(cpu_backend().copy(view(a, {2, 3}), view(b, {3, 2})), ShapeError);
}

TEST(Fill, StridedViewAndCast) {
  std::vector<float> buf(12, 0);
  cpu_backend().fill(view(buf, {2, 3}, {6, 2}, 1), 4.5);
  std::vector<float> expect = {0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5, 0, 4.5};
  EXPECT_EQ(buf, expect);
  std::vector<int64_t> ints(5);
  cpu_backend().fill(view(ints, {5}), 3.9);
  EXPECT_EQ(ints, (std::vector<int64_t>(5, 3)));
  std::vector<uint8_t> flags(3);
  cpu_backend().fill(bool_view(flags, {3}), 0.5);
  EXPECT_EQ(flags, (std::vector<uint8_t>(3, 1)));
  std::vector<double> big(100000, 0);
  cpu_backend().fill(view(big, {1000, 100}, {100, 1}), -2);
  EXPECT_EQ(big[99999], -2);
  std::vector<double> none;
  cpu_backend().fill(view(none, {0}), 1);
}

TEST(Random, UniformIsReproducibleAndInRange) {
  auto& be = cpu_backend();
  const int64_t n = 50000;
  std::vector<float> a(n), b(n), c(n);
  be.random_uniform(view(a, {n}), 42, 0, -2.0, 3.0);
  be.random_uniform(view(b, {n}), 42, 0, -2.0, 3.0);
  be.random_uniform(view(c, {n}), 42, 1, -2.0, 3.0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Counter-based: offset 1 is the same stream shifted by one element.
  for (int64_t i = 0; i + 1 < n; i += 1000)
    EXPECT_EQ(c[i], a[i + 1]);
  double sum = 0;
  for (float v : a) {
    ASSERT_GE(v, -2.0f);
    ASSERT_LT(v, 3.0f);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.05);
  EXPECT_EQ(a[17], static_cast<float>(-2.0 + 5.0 * philox::uniform(42, 17)));
  std::vector<double> d(10);
  be.random_uniform(view(d, {10}), 7, 100, 0, 1);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(d[i], philox::uniform(7, 100 + i));
}

TEST(Random, NormalMoments) {
  const int64_t n = 100000;
  std::vector<double> x(n);
  cpu_backend().random_normal(view(x, {n}), 123, 5, 1.0, 2.0);
  double mean = 0, var = 0;
  for (double v : x)
    mean += v;
  mean /= n;
  for (double v : x)
    var += (v - mean) * (v - mean);
  var /= n;
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.03);
  EXPECT_EQ(x[3], 1.0 + 2.0 * philox::normal(123, 8));
  std::vector<float> f(4), g(4);
  cpu_backend().random_normal(view(f, {4}), 1, 0, 0, 1);
  cpu_backend().random_normal(view(g, {4}), 2, 0, 0, 1);
  EXPECT_NE(f, g);
}

TEST(Random, StridedDestination) {
  std::vector<float> buf(8, -100);
  cpu_backend().random_uniform(view(buf, {4}, {2}), 9, 0, 0, 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(buf[2 * i], static_cast<float>(philox::uniform(9, i)));
    EXPECT_EQ(buf[2 * i + 1], -100);
  }
}

}  // namespace
}  // namespace needle::test

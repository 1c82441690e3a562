// The seeded generator behind manual_seed, and the Philox4x32-10 function every backend's
// random fills share.
#include "needle/random.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "core/expect_error.h"
#include "needle/error.h"
#include "src/core/philox.h"

namespace needle {
namespace {

using testing::expect_error;

std::vector<uint64_t> draws(Generator& g, int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(g.next_u64());
  return out;
}

TEST(Philox, RandomOneTwoThreeKnownAnswer) {
  // Random123's known-answer vector for philox4x32_10 with counter {0,0,0,0} and key {0,0}
  // (its kat_vectors file; the same vector appears in TensorFlow's Philox tests). Our function
  // packs a 64-bit counter into c0,c1 (c2 = c3 = 0) and the seed into k0,k1, so (0, 0) is that
  // vector exactly.
  philox::Words w = philox::philox4x32_10(0, 0);
  EXPECT_EQ(w.x[0], 0x6627e8d5u);
  EXPECT_EQ(w.x[1], 0xe169c58du);
  EXPECT_EQ(w.x[2], 0xbc57ac4cu);
  EXPECT_EQ(w.x[3], 0x9b00dbd8u);
}

TEST(Philox, CounterAndSeedBothMatter) {
  auto same = [](philox::Words a, philox::Words b) {
    return std::equal(std::begin(a.x), std::end(a.x), std::begin(b.x));
  };
  EXPECT_TRUE(same(philox::philox4x32_10(7, 9), philox::philox4x32_10(7, 9)));
  EXPECT_FALSE(same(philox::philox4x32_10(7, 9), philox::philox4x32_10(7, 10)));
  EXPECT_FALSE(same(philox::philox4x32_10(7, 9), philox::philox4x32_10(8, 9)));
  // The high halves of the 64-bit counter and seed are used, not truncated away.
  EXPECT_FALSE(same(philox::philox4x32_10(0, 1ull << 32), philox::philox4x32_10(0, 0)));
  EXPECT_FALSE(same(philox::philox4x32_10(1ull << 32, 0), philox::philox4x32_10(0, 0)));
}

TEST(Philox, UniformAndNormalAreInRange) {
  double sum = 0, sum_sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double u = philox::uniform(123, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    double z = philox::normal(123, i);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_sq += z * z;
  }
  // Mean 0 and variance 1 to within a few standard errors (0.007 and 0.01 at n = 20000).
  EXPECT_NEAR(sum / n, 0.0, 0.05);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.05);
  EXPECT_EQ(philox::to_uniform_float(0xffffffffu), 16777215.0f / 16777216.0f);
  EXPECT_LT(philox::to_uniform_double(0xffffffffu, 0xffffffffu), 1.0);
  EXPECT_EQ(philox::to_uniform_double(0, 0), 0.0);
}

TEST(Generator, ManualSeedMakesDrawsRepeatable) {
  manual_seed(42);
  EXPECT_EQ(default_generator().seed(), 42u);
  std::vector<uint64_t> first = draws(default_generator(), 8);
  manual_seed(42);
  EXPECT_EQ(draws(default_generator(), 8), first);
  manual_seed(43);
  EXPECT_NE(draws(default_generator(), 8), first);
}

TEST(Generator, SameSeedSameSequence) {
  Generator a(7), b(7), c(8);
  std::vector<uint64_t> da = draws(a, 16);
  EXPECT_EQ(da, draws(b, 16));
  EXPECT_NE(da, draws(c, 16));
  // Draws within one sequence differ (a stuck generator would repeat).
  EXPECT_EQ(std::set<uint64_t>(da.begin(), da.end()).size(), da.size());
  a.set_seed(7);
  EXPECT_EQ(draws(a, 16), da);
}

TEST(Generator, ReserveAdvancesTheOffset) {
  Generator g(5);
  Generator::Draw d1 = g.reserve(10);
  Generator::Draw d2 = g.reserve(3);
  Generator::Draw d3 = g.reserve(0);
  EXPECT_EQ(d1.seed, 5u);
  EXPECT_EQ(d1.offset, 0u);
  EXPECT_EQ(d2.offset, 10u);
  EXPECT_EQ(d3.offset, 13u);
  g.set_seed(6);
  EXPECT_EQ(g.reserve(1).offset, 0u);  // a new seed restarts the counters
  EXPECT_EQ(g.seed(), 6u);
}

TEST(Generator, NextIntStaysInRangeAndIsRoughlyUniform) {
  Generator g(2024);
  const int bins = 6, n = 60000;
  std::array<int, bins> counts{};
  for (int i = 0; i < n; ++i) {
    int64_t x = g.next_int(-2, 4);
    ASSERT_GE(x, -2);
    ASSERT_LT(x, 4);
    ++counts[static_cast<size_t>(x + 2)];
  }
  // Expected 10000 per bin with a standard deviation of about 91: 5% is over 5 sigma.
  for (int c : counts)
    EXPECT_NEAR(c, n / bins, n / bins / 20);
  EXPECT_EQ(g.next_int(9, 10), 9);  // a one-value range has one answer
}

TEST(Generator, NextIntRejectsEmptyRange) {
  Generator g(1);
  expect_error<Error>([&] { g.next_int(5, 5); }, "Generator::next_int: empty range [5, 5)");
  expect_error<Error>([&] { g.next_int(3, -1); }, "empty range [3, -1)");
}

TEST(Generator, NextDoubleIsInUnitInterval) {
  Generator g(99);
  const int n = 100000;
  double sum = 0;
  int below_quarter = 0;
  for (int i = 0; i < n; ++i) {
    double u = g.next_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below_quarter += u < 0.25;
  }
  // Standard errors: 0.0009 for the mean, 0.0014 for the fraction.
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  EXPECT_NEAR(below_quarter / static_cast<double>(n), 0.25, 0.01);
}

}  // namespace
}  // namespace needle

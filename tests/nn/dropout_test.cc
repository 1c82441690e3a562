// nn::Dropout: keep rate, inverted scaling, identity in eval, repeatable under manual_seed.
#include <gtest/gtest.h>

#include "needle/needle.h"

namespace ndl = needle;

TEST(Dropout, KeepRateAndScaling) {
  ndl::manual_seed(3);
  ndl::nn::Dropout drop(0.25);
  auto x = ndl::ones({200, 100}).set_requires_grad(true);
  auto y = drop(x);
  int64_t kept = 0;
  for (float v : y.to_vector<float>()) {
    if (v != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(v, 1.0f / 0.75f);
    }
  }
  const double rate = static_cast<double>(kept) / 20000.0;
  EXPECT_NEAR(rate, 0.75, 0.015);  // ~5 standard deviations
  // The gradient is the same mask.
  ndl::sum(y).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), y.to_vector<float>());
}

TEST(Dropout, EvalIsIdentityAndSeedRepeats) {
  ndl::nn::Dropout drop(0.5);
  auto x = ndl::randn({8, 16});
  drop->eval();
  EXPECT_EQ(drop(x).to_vector<float>(), x.to_vector<float>());
  drop->train();
  ndl::manual_seed(11);
  auto a = drop(x).to_vector<float>();
  ndl::manual_seed(11);
  auto b = drop(x).to_vector<float>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, x.to_vector<float>());
}

TEST(Dropout, ExtremesAndErrors) {
  auto x = ndl::randn({4, 4});
  EXPECT_EQ(ndl::nn::Dropout(0.0)(x).to_vector<float>(), x.to_vector<float>());
  for (float v : ndl::nn::Dropout(1.0)(x).to_vector<float>())
    EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(ndl::nn::Dropout(1.5), ndl::Error);
  EXPECT_THROW(ndl::nn::Dropout(-0.1), ndl::Error);
}

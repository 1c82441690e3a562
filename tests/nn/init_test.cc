// init: shapes, bounds and moments of each initializer, and repeatability under manual_seed.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/needle.h"

namespace ndl = needle;
namespace init = needle::init;

namespace {

struct Moments {
  double mean = 0, std = 0, max_abs = 0;
};

Moments moments(const ndl::Tensor& t) {
  auto v = t.to_vector<double>();
  Moments m;
  for (double x : v)
    m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) {
    m.std += (x - m.mean) * (x - m.mean);
    m.max_abs = std::max(m.max_abs, std::abs(x));
  }
  m.std = std::sqrt(m.std / static_cast<double>(v.size()));
  return m;
}

}  // namespace

TEST(Init, BasicFills) {
  EXPECT_EQ(init::zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(init::ones({4}).to_vector<float>(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(init::constant({2}, 2.5).to_vector<float>(), std::vector<float>(2, 2.5f));
  auto u = init::uniform({100, 100}, -2.0, 3.0);
  auto m = moments(u);
  EXPECT_NEAR(m.mean, 0.5, 0.05);
  EXPECT_NEAR(m.std, 5.0 / std::sqrt(12.0), 0.05);
  auto n = init::normal({100, 100}, 1.0, 2.0, {ndl::cpu(), ndl::DType::Float64, true});
  EXPECT_EQ(n.dtype(), ndl::DType::Float64);
  EXPECT_TRUE(n.requires_grad());
  EXPECT_NEAR(moments(n).mean, 1.0, 0.06);
  EXPECT_NEAR(moments(n).std, 2.0, 0.06);
}

TEST(Init, FanBasedFormulas) {
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::ReLU), std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::Tanh), 5.0 / 3.0, 1e-12);
  auto xu = init::xavier_uniform(200, 100);
  EXPECT_EQ(xu.shape(), (ndl::Shape{200, 100}));
  const double a = std::sqrt(6.0 / 300.0);
  EXPECT_LE(moments(xu).max_abs, a);
  EXPECT_NEAR(moments(xu).std, a / std::sqrt(3.0), 0.005);
  auto xn = init::xavier_normal(200, 100, 2.0);
  EXPECT_NEAR(moments(xn).std, 2.0 * std::sqrt(2.0 / 300.0), 0.005);
  auto ku = init::kaiming_uniform(50, 7, {7, 50});  // shape overrides (fan_in, fan_out)
  EXPECT_EQ(ku.shape(), (ndl::Shape{7, 50}));
  EXPECT_LE(moments(ku).max_abs, std::sqrt(6.0 / 50.0));
  auto kn = init::kaiming_normal(100, 300);
  EXPECT_EQ(kn.shape(), (ndl::Shape{100, 300}));
  EXPECT_NEAR(moments(kn).std, std::sqrt(2.0 / 100.0), 0.005);
  EXPECT_THROW(init::kaiming_uniform(0, 3), ndl::Error);
  EXPECT_THROW(init::uniform({2}, 0.0, 1.0, {ndl::cpu(), ndl::DType::Int32}), ndl::DTypeError);
}

TEST(Init, ManualSeedRepeatsInitializationAndLayers) {
  ndl::manual_seed(42);
  auto a = init::kaiming_uniform(8, 4).to_vector<float>();
  auto m1 = ndl::nn::MLPResNet(10, 6, 1, 3);
  ndl::manual_seed(42);
  auto b = init::kaiming_uniform(8, 4).to_vector<float>();
  auto m2 = ndl::nn::MLPResNet(10, 6, 1, 3);
  EXPECT_EQ(a, b);
  auto p1 = m1->parameters();
  auto p2 = m2->parameters();
  ASSERT_EQ(p1.size(), p2.size());
  for (size_t i = 0; i < p1.size(); ++i) {
    EXPECT_EQ(p1[i].to_vector<float>(), p2[i].to_vector<float>()) << i;
  }
}

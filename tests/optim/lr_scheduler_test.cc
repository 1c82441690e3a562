// Learning-rate schedulers (closed forms, composition) and clip_grad_norm (both forms).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "needle/needle.h"

namespace ndl = needle;
namespace optim = needle::optim;

namespace {
std::vector<ndl::Tensor> one_param() {
  return {ndl::ones({2}).set_requires_grad(true)};
}
}  // namespace

TEST(LRScheduler, StepLR) {
  optim::SGD opt(one_param(), 1.0);
  optim::StepLR sched(opt, 2, 0.5);
  std::vector<double> lrs{opt.lr()};
  for (int i = 0; i < 5; ++i) {
    sched.step();
    lrs.push_back(opt.lr());
  }
  EXPECT_EQ(lrs, (std::vector<double>{1.0, 1.0, 0.5, 0.5, 0.25, 0.25}));
}

TEST(LRScheduler, CosineAnnealing) {
  optim::SGD opt(one_param(), 0.1);
  optim::CosineAnnealingLR sched(opt, 10, 0.01);
  for (int t = 1; t <= 10; ++t) {
    sched.step();
    const double expected = 0.01 + 0.09 * (1 + std::cos(std::numbers::pi * t / 10)) / 2;
    EXPECT_NEAR(opt.lr(), expected, 1e-15) << t;
  }
  EXPECT_NEAR(opt.lr(), 0.01, 1e-15);
}

TEST(LRScheduler, LinearWarmupThenCosine) {
  optim::Adam opt(one_param(), 0.1);
  auto cosine = std::make_shared<optim::CosineAnnealingLR>(opt, 4);
  optim::LinearWarmup sched(opt, 4, 0.0, cosine);
  std::vector<double> lrs{opt.lr()};
  for (int i = 0; i < 8; ++i) {
    sched.step();
    lrs.push_back(opt.lr());
  }
  const std::vector<double> expected{0.0,  0.025,
                                     0.05, 0.075,
                                     0.1,  0.1 * (1 + std::sqrt(0.5)) / 2,
                                     0.05, 0.1 * (1 - std::sqrt(0.5)) / 2,
                                     0.0};
  ASSERT_EQ(lrs.size(), expected.size());
  for (size_t i = 0; i < lrs.size(); ++i)
    EXPECT_NEAR(lrs[i], expected[i], 1e-12) << i;
  optim::SGD plain(one_param(), 1.0);
  optim::LinearWarmup alone(plain, 2);  // start_factor 0.1, then constant
  EXPECT_DOUBLE_EQ(plain.lr(), 0.1);
  alone.step();
  alone.step();
  alone.step();
  EXPECT_DOUBLE_EQ(plain.lr(), 1.0);
}

TEST(ClipGradNorm, ScalesOnlyAboveMaxNorm) {
  auto a = ndl::Tensor::from_vector(std::vector<float>{1, 2}, {2}, ndl::cpu(), true);
  auto b = ndl::Tensor::from_vector(std::vector<float>{3}, {1}, ndl::cpu(), true);
  auto c = ndl::ones({2}).set_requires_grad(true);  // no gradient: skipped
  // grads: a -> (3, 4)... use loss = 3 a0 + 4 a1 + 12 b: norm sqrt(9 + 16 + 144) = 13
  auto loss = ndl::sum(a * ndl::Tensor::from_vector(std::vector<float>{3, 4}, {2})) + b * 12.0;
  ndl::sum(loss).backward();
  EXPECT_NEAR(optim::clip_grad_norm({a, b, c}, 100.0), 13.0, 1e-5);
  EXPECT_NEAR(a.grad().to_vector<float>()[0], 3.0f, 1e-6);  // unchanged
  EXPECT_NEAR(optim::clip_grad_norm({a, b, c}, 6.5), 13.0, 1e-5);
  EXPECT_NEAR(a.grad().to_vector<float>()[0], 1.5f, 1e-5);
  EXPECT_NEAR(b.grad().to_vector<float>()[0], 6.0f, 1e-5);
}

TEST(ClipGradNorm, TensorFormKeepsTheNormOnTheDevice) {
  auto a = ndl::Tensor::from_vector(std::vector<float>{1, 2}, {2}, ndl::cpu(), true);
  auto b = ndl::Tensor::from_vector(std::vector<float>{3}, {1}, ndl::cpu(), true);
  auto c = ndl::ones({2}).set_requires_grad(true);  // no gradient: skipped
  auto loss = ndl::sum(a * ndl::Tensor::from_vector(std::vector<float>{3, 4}, {2})) + b * 12.0;
  ndl::sum(loss).backward();
  const ndl::Tensor norm = optim::clip_grad_norm_({a, b, c}, 100.0);
  EXPECT_EQ(norm.ndim(), 0);
  EXPECT_EQ(norm.dtype(), ndl::DType::Float64);
  EXPECT_EQ(norm.device(), ndl::cpu());
  EXPECT_NEAR(norm.item<double>(), 13.0, 1e-5);
  // Below max_norm the factor is exactly 1: the gradients keep their values.
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{12}));
  EXPECT_FALSE(c.grad().defined());
  // Above it: the same scaling as the double form, max_norm / (norm + 1e-6).
  EXPECT_NEAR(optim::clip_grad_norm_({a, b, c}, 6.5).item<double>(), 13.0, 1e-5);
  const float f = static_cast<float>(6.5 / (13.0 + 1e-6));
  EXPECT_FLOAT_EQ(a.grad().to_vector<float>()[1], 4.0f * f);
  EXPECT_FLOAT_EQ(b.grad().to_vector<float>()[0], 12.0f * f);
  // No gradients at all: a zero norm, and nothing to scale.
  EXPECT_EQ(optim::clip_grad_norm_({c}, 1.0).item<double>(), 0.0);
  EXPECT_EQ(optim::clip_grad_norm({c}, 1.0), 0.0);
  EXPECT_THROW(optim::clip_grad_norm_({a}, -1.0), ndl::Error);
}

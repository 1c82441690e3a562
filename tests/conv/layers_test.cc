// nn::Conv2d and nn::BatchNorm2d: shapes, keys, initialization bounds, agreement with the
// functional op and with BatchNorm1d over (N*H*W, C), gradients, errors.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"
#include "tests/core/expect_error.h"

namespace needle {
namespace {

std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [k, v] : m.state_dict())
    out.push_back(k);
  return out;
}

// Overwrites a parameter's values in place (the module sees them through its handle).
void set_values(const Tensor& t, const std::vector<double>& values) {
  NDArray a = t.data();
  a.copy_(NDArray::from_vector(values, t.shape()));
}

TEST(Conv2dModule, ShapesKeysAndInit) {
  manual_seed(0);
  nn::Conv2d conv(8, 16, 3, 2, 1);
  EXPECT_EQ(conv->weight.shape(), (Shape{16, 8, 3, 3}));
  EXPECT_EQ(conv->bias.shape(), (Shape{16}));
  EXPECT_EQ(keys(*conv), (std::vector<std::string>{"weight", "bias"}));
  const double wbound = std::sqrt(6.0 / (8 * 9)), bbound = 1.0 / std::sqrt(8.0 * 9);
  for (float v : conv->weight.to_vector<float>())
    EXPECT_LE(std::abs(v), wbound);
  for (float v : conv->bias.to_vector<float>())
    EXPECT_LE(std::abs(v), bbound);
  Tensor x(NDArray::rand({2, 8, 9, 7}));
  Tensor y = conv(x);
  EXPECT_EQ(y.shape(), (Shape{2, 16, 5, 4}));
  EXPECT_EQ(y.to_vector<float>(), conv2d(x, conv->weight, conv->bias, 2, 1).to_vector<float>());
  EXPECT_EQ(conv->to_string(), "Conv2d(8, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");

  nn::Conv2d grouped(4, 6, 1, 1, 0, 1, 2, false);
  EXPECT_EQ(grouped->weight.shape(), (Shape{6, 2, 1, 1}));
  EXPECT_FALSE(grouped->bias.defined());
  EXPECT_EQ(keys(*grouped), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(grouped->num_parameters(), 12);
}

TEST(Conv2dModule, GradientsReachParameters) {
  manual_seed(1);
  const init::Options f64{cpu(), DType::Float64};
  nn::Conv2d conv(3, 4, 3, 1, 1, 1, 1, true, f64);
  Tensor x(NDArray::rand({2, 3, 5, 5}, -1, 1, DType::Float64));
  sum(conv(x) * conv(x)).backward();
  EXPECT_EQ(conv->weight.grad().shape(), conv->weight.shape());
  EXPECT_EQ(conv->bias.grad().shape(), conv->bias.shape());
}

TEST(Conv2dModule, Errors) {
  using testing::expect_error;
  expect_error<ShapeError>([] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); },
                           "Conv2d: groups=2 must divide in_channels=3");
  expect_error<ShapeError>([] { nn::Conv2d(0, 4, 3); }, "Conv2d: channels and kernel_size");
  nn::Conv2d conv(3, 4, 3);
  expect_error<ShapeError>(
      [&] {
        conv(Tensor(NDArray::zeros({2, 2, 5, 5})));
      },
      "Conv2d: expected input (N, 3, H, W), got (2, 2, 5, 5)");
  expect_error<ShapeError>(
      [&] {
        conv(Tensor(NDArray::zeros({2, 3, 2, 5})));
      },
      "conv2d: kernel of size 3");
}

// BatchNorm2d is BatchNorm1d over the (N*H*W, C) matrix of pixels.
TEST(BatchNorm2d, MatchesBatchNorm1dOverPixels) {
  manual_seed(2);
  const init::Options f64{cpu(), DType::Float64};
  nn::BatchNorm2d bn2(3, 1e-5, 0.1, f64);
  nn::BatchNorm1d bn1(3, 1e-5, 0.1, f64);
  for (nn::Module* m : {static_cast<nn::Module*>(bn2.get()), static_cast<nn::Module*>(bn1.get())}) {
    set_values(m->named_parameters()[0].second, {0.5, 2.0, -1.0});
    set_values(m->named_parameters()[1].second, {0.1, -0.2, 0.3});
  }
  Tensor x(NDArray::rand({4, 3, 3, 5}, -2, 2, DType::Float64), true);
  Tensor pixels = reshape(permute(x, {0, 2, 3, 1}), {-1, 3});
  Tensor g(NDArray::rand({4, 3, 3, 5}, -1, 1, DType::Float64));

  Tensor y2 = bn2(x);
  Tensor y1 = permute(reshape(bn1(pixels), {4, 3, 5, 3}), {0, 3, 1, 2});
  const std::vector<double> a = y2.to_vector<double>(), b = y1.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-12);
  std::vector<Tensor> g2 = grad({sum(y2 * g)}, {x, bn2->weight, bn2->bias});
  std::vector<Tensor> g1 = grad({sum(y1 * g)}, {x, bn1->weight, bn1->bias});
  for (size_t k = 0; k < 3; ++k) {
    const std::vector<double> u = g2[k].to_vector<double>(), v = g1[k].to_vector<double>();
    for (size_t i = 0; i < u.size(); ++i)
      EXPECT_NEAR(u[i], v[i], 1e-10) << "gradient " << k << " at " << i;
  }
  // Running statistics use the count N*H*W for the unbiased variance, as PyTorch.
  const std::vector<double> rm2 = bn2->running_mean.to_vector<double>(),
                            rm1 = bn1->running_mean.to_vector<double>();
  const std::vector<double> rv2 = bn2->running_var.to_vector<double>(),
                            rv1 = bn1->running_var.to_vector<double>();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(rm2[i], rm1[i], 1e-12);
    EXPECT_NEAR(rv2[i], rv1[i], 1e-12);
  }
  EXPECT_EQ(bn2->num_batches_tracked.item<int64_t>(), 1);

  bn2->eval();
  bn1->eval();
  Tensor e2 = bn2(x);
  Tensor e1 = permute(reshape(bn1(pixels), {4, 3, 5, 3}), {0, 3, 1, 2});
  const std::vector<double> c = e2.to_vector<double>(), d = e1.to_vector<double>();
  for (size_t i = 0; i < c.size(); ++i)
    EXPECT_NEAR(c[i], d[i], 1e-12);
  EXPECT_EQ(bn2->num_batches_tracked.item<int64_t>(), 1);
}

TEST(BatchNorm2d, GradientMatchesCentralDifferences) {
  manual_seed(3);
  const init::Options f64{cpu(), DType::Float64};
  nn::BatchNorm2d bn(2, 1e-5, 0.1, f64);
  set_values(bn->weight, {1.5, -0.5});
  testing::check_gradient([&bn](const std::vector<Tensor>& in) { return bn(in[0]); },
                          {Tensor(NDArray::rand({3, 2, 2, 3}, -1, 1, DType::Float64))},
                          "BatchNorm2d (training)");
  bn->eval();
  testing::check_gradient([&bn](const std::vector<Tensor>& in) { return bn(in[0]); },
                          {Tensor(NDArray::rand({3, 2, 2, 3}, -1, 1, DType::Float64))},
                          "BatchNorm2d (eval)");
}

TEST(BatchNorm2d, KeysAndErrors) {
  nn::BatchNorm2d bn(4);
  EXPECT_EQ(keys(*bn), (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                                 "num_batches_tracked"}));
  EXPECT_EQ(bn->parameters().size(), 2u);
  EXPECT_EQ(bn->to_string(), "BatchNorm2d(4, eps=1e-05, momentum=0.1)");
  testing::expect_error<ShapeError>(
      [&] {
        bn(Tensor(NDArray::zeros({2, 4})));
      },
      "BatchNorm2d: expected input (N, 4, H, W), got (2, 4)");
  testing::expect_error<ShapeError>(
      [&] {
        bn(Tensor(NDArray::zeros({1, 4, 1, 1})));
      },
      "BatchNorm2d: training needs more than one value per channel, got input (1, 4, 1, 1)");
  // One image with several pixels is enough statistics.
  EXPECT_EQ(bn(Tensor(NDArray::rand({1, 4, 2, 2}))).shape(), (Shape{1, 4, 2, 2}));
}

}  // namespace
}  // namespace needle

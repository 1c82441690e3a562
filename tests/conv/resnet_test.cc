// ResNet9 and ResNet-18: structure (output shapes, parameter counts, keys), the gradient of a
// BasicBlock against central differences, and short overfit runs on one small batch, which
// reach near-zero loss and every label only if every layer's gradient is right.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"
#include "tests/core/expect_error.h"

namespace needle {
namespace {

TEST(ResNet9, OutputShapesAndParameterCount) {
  manual_seed(0);
  nn::ResNet9 model;
  // needle's figure for the same model (convolutions with bias).
  EXPECT_EQ(model->num_parameters(), 431946);
  EXPECT_EQ(model(Tensor(NDArray::rand({2, 3, 32, 32}))).shape(), (Shape{2, 10}));
  const auto params = model->named_parameters();
  EXPECT_EQ(params.front().first, "0.0.weight");
  EXPECT_EQ(params.front().second.shape(), (Shape{16, 3, 7, 7}));
  EXPECT_EQ(params[8].first, "2.fn.0.0.weight");
  EXPECT_EQ(params.back().first, "9.bias");
  // Fashion-MNIST: one channel, 28x28 also reaches 1x1 before Flatten.
  nn::ResNet9 gray(1, 10);
  gray->eval();
  EXPECT_EQ(gray(Tensor(NDArray::rand({3, 1, 28, 28}))).shape(), (Shape{3, 10}));
  // Output shape of each stage: 32 -> 8 -> 4 -> 4 -> 2 -> 1 -> 1.
  Tensor x(NDArray::rand({2, 3, 32, 32}));
  const std::vector<Shape> expected = {{2, 16, 8, 8},  {2, 32, 4, 4},  {2, 32, 4, 4}, {2, 64, 2, 2},
                                       {2, 128, 1, 1}, {2, 128, 1, 1}, {2, 128},      {2, 128},
                                       {2, 128},       {2, 10}};
  for (size_t i = 0; i < model->size(); ++i) {
    x = (*model->at(i))(x);
    EXPECT_EQ(x.shape(), expected[i]) << "layer " << i;
  }
}

// The small-image stem: 3x3 stride 1, then global average pooling before Flatten; same keys and
// parameter count apart from the first kernel's size.
TEST(ResNet9, SmallStemKeepsKeys) {
  manual_seed(0);
  nn::ResNet9 needle_stem(1, 10);
  nn::ResNet9 small(1, 10, init::Options{}, nn::ResNet9Stem::Small);
  const auto a = needle_stem->named_parameters();
  const auto b = small->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(a[i].first, b[i].first);
  EXPECT_EQ(b.front().second.shape(), (Shape{16, 1, 3, 3}));
  EXPECT_EQ(needle_stem->num_parameters() - small->num_parameters(), 16 * (49 - 9));
  Tensor x(NDArray::rand({2, 1, 28, 28}));
  const std::vector<Shape> expected = {
      {2, 16, 28, 28}, {2, 32, 14, 14}, {2, 32, 14, 14}, {2, 64, 7, 7}, {2, 128, 4, 4},
      {2, 128, 4, 4},  {2, 128},        {2, 128},        {2, 128},      {2, 10}};
  for (size_t i = 0; i < small->size(); ++i) {
    x = (*small->at(i))(x);
    EXPECT_EQ(x.shape(), expected[i]) << "layer " << i;
  }
}

TEST(ResNet18, ShapesKeysAndParameterCount) {
  manual_seed(0);
  nn::ResNet18 model;
  // torchvision's resnet18 with the CIFAR stem (3x3 conv1, no max-pool) and 10 classes.
  EXPECT_EQ(model->num_parameters(), 11173962);
  const auto params = model->named_parameters();
  EXPECT_EQ(params.front().first, "conv1.weight");
  EXPECT_EQ(params.front().second.shape(), (Shape{64, 3, 3, 3}));
  EXPECT_EQ(params.back().first, "fc.bias");
  std::vector<std::string> names;
  for (const auto& [name, _] : params)
    names.push_back(name);
  auto has = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  EXPECT_TRUE(has("layer2.0.downsample.0.weight"));
  EXPECT_TRUE(has("layer4.1.bn2.bias"));
  EXPECT_FALSE(has("layer1.0.downsample.0.weight"));  // same shape: identity shortcut
  const auto buffers = model->named_buffers();
  EXPECT_EQ(buffers.front().first, "bn1.running_mean");
  model->eval();
  EXPECT_EQ(model(Tensor(NDArray::rand({2, 3, 32, 32}))).shape(), (Shape{2, 10}));
  // Any input size: global pooling before fc; one channel for grayscale.
  nn::ResNet18 gray(1, 10);
  gray->eval();
  EXPECT_EQ(gray(Tensor(NDArray::rand({1, 1, 28, 28}))).shape(), (Shape{1, 10}));
  testing::expect_error<ShapeError>(
      [&] {
        model(Tensor(NDArray::rand({2, 1, 32, 32})));
      },
      "ResNet18: expected input (N, 3, H, W), got (2, 1, 32, 32)");
}

// A BasicBlock with a downsampling shortcut (stride 2, 2 -> 3 channels), float64, training mode
// (batch statistics): the input gradient against central differences.
TEST(BasicBlock, GradientMatchesCentralDifferences) {
  manual_seed(4);
  nn::BasicBlock block(2, 3, 2, init::Options{cpu(), DType::Float64});
  testing::check_gradient([&](const std::vector<Tensor>& in) { return block(in[0]); },
                          {Tensor(NDArray::rand({2, 2, 5, 4}, -1, 1, DType::Float64))},
                          "BasicBlock");
  nn::BasicBlock identity(3, 3, 1, init::Options{cpu(), DType::Float64});
  EXPECT_TRUE(identity->downsample.is_empty());
  testing::check_gradient([&](const std::vector<Tensor>& in) { return identity(in[0]); },
                          {Tensor(NDArray::rand({2, 3, 3, 3}, -1, 1, DType::Float64))},
                          "BasicBlock identity");
}

// Trains `model` on one fixed batch for `steps` steps, then expects what memorising the batch
// gives: near-zero loss and every label predicted, from a fresh forward pass in training mode
// (the mode it was trained in, so the batch statistics are the ones the weights fitted). The
// step budgets below end at least 4.5x (ResNet-18, seeds 2-7) and 10x (ResNet9, seeds 1-8)
// under the bound.
void expect_overfits(nn::Module& model, optim::Optimizer& opt, const Tensor& x, const Tensor& y,
                     int steps) {
  nn::SoftmaxLoss loss_fn;
  std::string losses;
  for (int step = 0; step < steps; ++step) {
    opt.zero_grad();
    Tensor loss = loss_fn(model(x), y);
    loss.backward();
    opt.step();
    losses += fmt::format(" {:.4g}", loss.item<double>());
  }
  NoGradGuard no_grad;
  Tensor logits = model(x);
  const double final_loss = loss_fn(logits, y).item<double>();
  EXPECT_LT(final_loss, 0.01) << model.type_name() << ": losses" << losses << ", final "
                              << final_loss;
  EXPECT_EQ(argmax(logits.data(), 1).to_vector<int64_t>(), y.to_vector<int64_t>())
      << model.type_name() << ": not every label of the batch is predicted";
}

TEST(ResNet18, OverfitsOneSmallBatch) {
  manual_seed(2);
  nn::ResNet18 model;
  optim::SGD opt(model->parameters(), 0.05, 0.9);
  expect_overfits(*model, opt, Tensor(NDArray::randn({4, 3, 16, 16})),
                  Tensor(NDArray::from_vector<int64_t>({0, 3, 5, 9}, {4})), 8);
}

TEST(ResNet9, OverfitsOneSmallBatch) {
  manual_seed(1);
  nn::ResNet9 model;
  optim::Adam opt(model->parameters(), 1e-2);
  expect_overfits(*model, opt, Tensor(NDArray::randn({8, 3, 32, 32})),
                  Tensor(NDArray::from_vector<int64_t>({0, 1, 2, 3, 4, 5, 6, 7}, {8})), 12);
}

}  // namespace
}  // namespace needle

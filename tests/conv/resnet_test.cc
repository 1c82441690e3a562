// ResNet9: structure (output shapes, parameter count, keys) and a short overfit run on one
// small batch, which drives the loss down only if every layer's gradient is right.
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"

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

TEST(ResNet9, OverfitsOneSmallBatch) {
  manual_seed(1);
  nn::ResNet9 model;
  Tensor x(NDArray::randn({8, 3, 32, 32}));
  Tensor y(NDArray::from_vector<int64_t>({0, 1, 2, 3, 4, 5, 6, 7}, {8}));
  nn::SoftmaxLoss loss_fn;
  optim::Adam opt(model->parameters(), 1e-2);
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 12; ++step) {
    opt.zero_grad();
    Tensor loss = loss_fn(model(x), y);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

}  // namespace
}  // namespace needle

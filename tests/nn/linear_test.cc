// nn::Linear against PyTorch (reference/reference_values.h), its layout and initialization.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "nn/reference/reference_values.h"

namespace ndl = needle;
using nn_test::expect_tensor;
using nn_test::set_values;
using nn_test::tensor;

TEST(Linear, ForwardBackwardMatchesPyTorch) {
  ndl::nn::Linear fc(3, 4);
  set_values(fc->weight, nn_ref::linear_weight);
  set_values(fc->bias, nn_ref::linear_bias);
  auto x = tensor(nn_ref::linear_x, nn_ref::linear_x_shape, true);
  auto y = fc(x);
  expect_tensor(y, nn_ref::linear_y, nn_ref::linear_y_shape, 1e-5, "y");
  y.backward(tensor(nn_ref::linear_g, nn_ref::linear_g_shape));
  expect_tensor(x.grad(), nn_ref::linear_dx, nn_ref::linear_dx_shape, 1e-5, "dx");
  expect_tensor(fc->weight.grad(), nn_ref::linear_dweight, nn_ref::linear_dweight_shape, 1e-5,
                "dW");
  expect_tensor(fc->bias.grad(), nn_ref::linear_dbias, nn_ref::linear_dbias_shape, 1e-5, "db");
}

TEST(Linear, ThreeDimensionalInput) {
  ndl::nn::Linear fc(3, 4);
  set_values(fc->weight, nn_ref::linear_weight);
  set_values(fc->bias, nn_ref::linear_bias);
  auto x = tensor(nn_ref::linear3d_x, nn_ref::linear3d_x_shape, true);
  auto y = fc->forward(x);
  expect_tensor(y, nn_ref::linear3d_y, nn_ref::linear3d_y_shape, 1e-5, "y");
  y.backward(tensor(nn_ref::linear3d_g, nn_ref::linear3d_g_shape));
  expect_tensor(x.grad(), nn_ref::linear3d_dx, nn_ref::linear3d_dx_shape, 1e-5, "dx");
}

TEST(Linear, LayoutKeysAndInitialization) {
  ndl::manual_seed(0);
  ndl::nn::Linear fc(64, 32);
  auto named = fc->named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(fc->weight.shape(), (ndl::Shape{32, 64}));
  EXPECT_EQ(fc->bias.shape(), (ndl::Shape{32}));
  EXPECT_TRUE(fc->weight.requires_grad());
  // kaiming_uniform by fan-in: U(-sqrt(6/64), sqrt(6/64)); bias zero.
  const double bound = std::sqrt(6.0 / 64.0);
  double max_abs = 0.0;
  for (float w : fc->weight.to_vector<float>())
    max_abs = std::max(max_abs, std::abs(double(w)));
  EXPECT_LE(max_abs, bound);
  EXPECT_GT(max_abs, 0.9 * bound);
  for (float b : fc->bias.to_vector<float>())
    EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(fc->to_string(), "Linear(in_features=64, out_features=32, bias=true)");
}

TEST(Linear, NoBiasAndShapeErrors) {
  ndl::nn::Linear fc(3, 2, /*bias=*/false);
  EXPECT_FALSE(fc->bias.defined());
  EXPECT_EQ(fc->parameters().size(), 1u);
  EXPECT_THROW(fc(ndl::zeros({2, 4})), ndl::ShapeError);
  EXPECT_EQ(fc(ndl::zeros({5, 3})).shape(), (ndl::Shape{5, 2}));
}

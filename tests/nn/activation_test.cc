// ReLU, Tanh, Sigmoid, GELU (exact and tanh), SiLU, Softmax, LogSoftmax, Identity, Flatten and
// Residual against PyTorch reference values.
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "nn/reference/reference_values.h"

namespace ndl = needle;
using nn_test::expect_tensor;
using nn_test::set_values;
using nn_test::tensor;

namespace {

template <typename M>
void check_activation(M module, const std::vector<float>& x_values, const ndl::Shape& shape,
                      const std::vector<float>& y, const std::vector<float>& g,
                      const std::vector<float>& dx) {
  auto x = tensor(x_values, shape, true);
  auto out = module(x);
  expect_tensor(out, y, shape, 1e-5, "y");
  out.backward(tensor(g, shape));
  expect_tensor(x.grad(), dx, shape, 1e-5, "dx");
}

}  // namespace

TEST(Activation, ReLU) {
  check_activation(ndl::nn::ReLU(), nn_ref::relu_x, nn_ref::relu_x_shape, nn_ref::relu_y,
                   nn_ref::relu_g, nn_ref::relu_dx);
}

TEST(Activation, Tanh) {
  check_activation(ndl::nn::Tanh(), nn_ref::tanh_x, nn_ref::tanh_x_shape, nn_ref::tanh_y,
                   nn_ref::tanh_g, nn_ref::tanh_dx);
}

TEST(Activation, Sigmoid) {
  check_activation(ndl::nn::Sigmoid(), nn_ref::sigmoid_x, nn_ref::sigmoid_x_shape,
                   nn_ref::sigmoid_y, nn_ref::sigmoid_g, nn_ref::sigmoid_dx);
}

TEST(Activation, GELU) {
  check_activation(ndl::nn::GELU(), nn_ref::gelu_x, nn_ref::gelu_x_shape, nn_ref::gelu_y,
                   nn_ref::gelu_g, nn_ref::gelu_dx);
}

TEST(Activation, GELUTanh) {
  ndl::nn::GELU module(ndl::GeluApproximation::Tanh);
  EXPECT_EQ(module->extra_repr(), "approximate='tanh'");
  check_activation(module, nn_ref::gelu_tanh_x, nn_ref::gelu_tanh_x_shape, nn_ref::gelu_tanh_y,
                   nn_ref::gelu_tanh_g, nn_ref::gelu_tanh_dx);
}

TEST(Activation, SiLU) {
  check_activation(ndl::nn::SiLU(), nn_ref::silu_x, nn_ref::silu_x_shape, nn_ref::silu_y,
                   nn_ref::silu_g, nn_ref::silu_dx);
}

TEST(Activation, Softmax) {
  check_activation(ndl::nn::Softmax(), nn_ref::softmax_x, nn_ref::softmax_x_shape,
                   nn_ref::softmax_y, nn_ref::softmax_g, nn_ref::softmax_dx);
  check_activation(ndl::nn::Softmax(1), nn_ref::softmax_dim1_x, nn_ref::softmax_dim1_x_shape,
                   nn_ref::softmax_dim1_y, nn_ref::softmax_dim1_g, nn_ref::softmax_dim1_dx);
}

TEST(Activation, LogSoftmax) {
  check_activation(ndl::nn::LogSoftmax(), nn_ref::log_softmax_x, nn_ref::log_softmax_x_shape,
                   nn_ref::log_softmax_y, nn_ref::log_softmax_g, nn_ref::log_softmax_dx);
  check_activation(ndl::nn::LogSoftmax(1), nn_ref::log_softmax_dim1_x,
                   nn_ref::log_softmax_dim1_x_shape, nn_ref::log_softmax_dim1_y,
                   nn_ref::log_softmax_dim1_g, nn_ref::log_softmax_dim1_dx);
}

TEST(Activation, SoftmaxRejectsBadAxesAndDtypes) {
  auto x = tensor({1, 2, 3, 4}, {2, 2}, false);
  EXPECT_THROW(ndl::softmax(x, 2), ndl::ShapeError);
  EXPECT_THROW(ndl::log_softmax(x, -3), ndl::ShapeError);
  EXPECT_THROW(ndl::softmax(ndl::Tensor(ndl::NDArray::arange(4)), 0), ndl::DTypeError);
}

TEST(Activation, IdentityReturnsInput) {
  ndl::nn::Identity id;
  check_activation(id, nn_ref::relu_x, nn_ref::relu_x_shape, nn_ref::relu_x, nn_ref::relu_g,
                   nn_ref::relu_g);
  EXPECT_TRUE(id->parameters().empty());
}

TEST(Residual, LinearPlusInput) {
  ndl::nn::Linear fc(3, 3);
  set_values(fc->weight, nn_ref::residual_weight);
  set_values(fc->bias, nn_ref::residual_bias);
  ndl::nn::Residual res(fc);
  auto x = tensor(nn_ref::residual_x, nn_ref::residual_x_shape, true);
  auto y = res(x);
  expect_tensor(y, nn_ref::residual_y, nn_ref::residual_y_shape, 1e-5, "y");
  y.backward(tensor(nn_ref::residual_g, nn_ref::residual_g_shape));
  expect_tensor(x.grad(), nn_ref::residual_dx, nn_ref::residual_dx_shape, 1e-5, "dx");
  expect_tensor(fc->weight.grad(), nn_ref::residual_dweight, nn_ref::residual_dweight_shape, 1e-5,
                "dW");
  expect_tensor(fc->bias.grad(), nn_ref::residual_dbias, nn_ref::residual_dbias_shape, 1e-5, "db");
  auto named = res->named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "fn.weight");
}

TEST(Flatten, FoldsAllButTheBatchAxis) {
  ndl::nn::Flatten flat;
  auto x = ndl::randn({2, 3, 4, 5}).set_requires_grad(true);
  auto y = flat(x);
  EXPECT_EQ(y.shape(), (ndl::Shape{2, 60}));
  EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());
  ndl::sum(y * 2.0).backward();
  EXPECT_EQ(x.grad().shape(), x.shape());
  for (float g : x.grad().to_vector<float>())
    EXPECT_EQ(g, 2.0f);
}

// BatchNorm1d (training, running statistics, evaluation) and LayerNorm1d against PyTorch.
#include <gtest/gtest.h>

#include <vector>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "nn/reference/reference_values.h"

namespace ndl = needle;
using nn_test::expect_tensor;
using nn_test::set_values;
using nn_test::tensor;

TEST(BatchNorm1d, TrainingForwardBackwardAndRunningStats) {
  ndl::nn::BatchNorm1d bn(3);
  set_values(bn->weight, nn_ref::bn_weight);
  set_values(bn->bias, nn_ref::bn_bias);
  EXPECT_TRUE(bn->is_training());
  auto x = tensor(nn_ref::bn_x, nn_ref::bn_x_shape, true);
  auto y = bn(x);
  expect_tensor(y, nn_ref::bn_y, nn_ref::bn_y_shape, 1e-5, "y");
  y.backward(tensor(nn_ref::bn_g, nn_ref::bn_g_shape));
  expect_tensor(x.grad(), nn_ref::bn_dx, nn_ref::bn_dx_shape, 1e-4, "dx");
  expect_tensor(bn->weight.grad(), nn_ref::bn_dweight, nn_ref::bn_dweight_shape, 1e-5, "dw");
  expect_tensor(bn->bias.grad(), nn_ref::bn_dbias, nn_ref::bn_dbias_shape, 1e-5, "db");
  // PyTorch's running statistics: momentum 0.1, unbiased variance.
  expect_tensor(bn->running_mean, nn_ref::bn_running_mean, {3}, 1e-5, "running_mean");
  expect_tensor(bn->running_var, nn_ref::bn_running_var, {3}, 1e-5, "running_var");
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);

  bn->eval();
  auto ye = bn(tensor(nn_ref::bn_eval_x, nn_ref::bn_eval_x_shape));
  expect_tensor(ye, nn_ref::bn_eval_y, nn_ref::bn_eval_y_shape, 1e-5, "eval y");
  // Evaluation does not touch the running statistics.
  expect_tensor(bn->running_mean, nn_ref::bn_running_mean, {3}, 1e-6, "running_mean after eval");
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);
}

TEST(BatchNorm1d, TrainAndEvalDiffer) {
  ndl::nn::BatchNorm1d bn(3);
  auto x = tensor(nn_ref::bn_x, nn_ref::bn_x_shape);
  auto train_y = bn(x).to_vector<float>();
  bn->eval();
  auto eval_y = bn(x).to_vector<float>();
  // Training normalizes each column to mean 0; evaluation uses the (barely moved) running stats.
  double col0 = 0.0;
  for (size_t i = 0; i < train_y.size(); i += 3)
    col0 += train_y[i];
  EXPECT_NEAR(col0, 0.0, 1e-5);
  EXPECT_NE(train_y, eval_y);
}

TEST(BatchNorm1d, KeysAndErrors) {
  ndl::nn::BatchNorm1d bn(4);
  std::vector<std::string> keys;
  for (auto& [k, v] : bn->state_dict())
    keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                            "num_batches_tracked"}));
  EXPECT_EQ(bn->parameters().size(), 2u);
  EXPECT_EQ(bn->buffers().size(), 3u);
  EXPECT_EQ(bn->running_var.to_vector<float>(), std::vector<float>(4, 1.0f));
  EXPECT_THROW(bn(ndl::zeros({2, 3})), ndl::ShapeError);
  EXPECT_THROW(bn(ndl::zeros({1, 4})), ndl::ShapeError);  // one sample: no batch variance
  bn->eval();
  EXPECT_EQ(bn(ndl::zeros({1, 4})).shape(), (ndl::Shape{1, 4}));
}

// The functional op behind BatchNorm1d/2d: its batch statistics, the fused backward against
// the composed one (a gradient taken with create_graph runs the composed Tensor-op formula),
// and its errors.
TEST(BatchNormOp, StatsFusedMatchesComposedAndErrors) {
  ndl::manual_seed(21);
  ndl::Tensor x(ndl::NDArray::randn({6, 3, 2, 5}, 1.0, 2.0, ndl::DType::Float64), true);
  ndl::Tensor w(ndl::NDArray::rand({3}, 0.5, 1.5, ndl::DType::Float64), true);
  ndl::Tensor b(ndl::NDArray::rand({3}, -1, 1, ndl::DType::Float64), true);
  ndl::BatchNormStats stats;
  ndl::Tensor y = ndl::batch_norm(x, w, b, 1e-5, &stats);
  const ndl::Axes axes{0, 2, 3};
  const std::vector<double> mean = ndl::mean(x.data(), axes).to_vector<double>();
  const ndl::NDArray centered = x.data() - ndl::mean(x.data(), axes, true);
  const std::vector<double> var = ndl::mean(centered * centered, axes).to_vector<double>();
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(stats.mean.to_vector<double>()[c], mean[c], 1e-12);
    EXPECT_NEAR(stats.var.to_vector<double>()[c], var[c], 1e-12);
  }
  ndl::Tensor g(ndl::NDArray::randn(y.shape(), 0.0, 1.0, ndl::DType::Float64));
  const std::vector<ndl::Tensor> fused = ndl::grad({y}, {x, w, b}, {g}, false);
  const std::vector<ndl::Tensor> composed = ndl::grad({y}, {x, w, b}, {g}, true);
  for (size_t i = 0; i < 3; ++i) {
    const std::vector<double> a = fused[i].to_vector<double>(), e = composed[i].to_vector<double>();
    ASSERT_EQ(a.size(), e.size());
    for (size_t j = 0; j < a.size(); ++j)
      EXPECT_NEAR(a[j], e[j], 1e-10) << "input " << i << " element " << j;
  }
  EXPECT_THROW(ndl::batch_norm(x, ndl::ones({4}, ndl::cpu(), ndl::DType::Float64), b),
               ndl::ShapeError);
  EXPECT_THROW(ndl::batch_norm(ndl::Tensor(ndl::NDArray::zeros({1, 3}, ndl::DType::Float64)), w, b),
               ndl::ShapeError);
  EXPECT_THROW(ndl::batch_norm(ndl::Tensor(ndl::NDArray::zeros({4, 3})), w, b), ndl::DTypeError);
}

// Float32 activations whose mean dwarfs their spread (1e4 +- 1e-2): the fused statistics
// (accumulated in double, shifted by a value of the channel) keep the variance to float
// precision, where sum(x^2) - n mean^2 in float would lose it entirely.
TEST(BatchNormOp, StatsOfOffsetChannels) {
  ndl::manual_seed(22);
  const ndl::NDArray noise = ndl::NDArray::randn({64, 2, 3, 3}, 0.0, 1e-2, ndl::DType::Float64);
  const ndl::NDArray x64 = noise + 1e4;
  ndl::BatchNormStats stats;
  ndl::batch_norm(ndl::Tensor(x64.astype(ndl::DType::Float32)), ndl::ones({2}), ndl::zeros({2}),
                  1e-5, &stats);
  const ndl::Axes axes{0, 2, 3};
  // The reference is the float64 variance of the float32-rounded inputs.
  const ndl::NDArray rounded = x64.astype(ndl::DType::Float32).astype(ndl::DType::Float64);
  const ndl::NDArray centered = rounded - ndl::mean(rounded, axes, true);
  const std::vector<double> var = ndl::mean(centered * centered, axes).to_vector<double>();
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_NEAR(stats.var.to_vector<double>()[c], var[c], 1e-6 * var[c]) << c;
    EXPECT_NEAR(stats.mean.to_vector<double>()[c], 1e4, 1e-2) << c;
  }
}

TEST(LayerNorm1d, ForwardBackwardMatchesPyTorch) {
  ndl::nn::LayerNorm1d ln(4);
  set_values(ln->weight, nn_ref::ln_weight);
  set_values(ln->bias, nn_ref::ln_bias);
  auto x = tensor(nn_ref::ln_x, nn_ref::ln_x_shape, true);
  auto y = ln(x);
  expect_tensor(y, nn_ref::ln_y, nn_ref::ln_y_shape, 1e-5, "y");
  y.backward(tensor(nn_ref::ln_g, nn_ref::ln_g_shape));
  expect_tensor(x.grad(), nn_ref::ln_dx, nn_ref::ln_dx_shape, 1e-4, "dx");
  expect_tensor(ln->weight.grad(), nn_ref::ln_dweight, nn_ref::ln_dweight_shape, 1e-5, "dw");
  expect_tensor(ln->bias.grad(), nn_ref::ln_dbias, nn_ref::ln_dbias_shape, 1e-5, "db");
  // Same in eval mode: LayerNorm has no running state.
  ln->eval();
  expect_tensor(ln(x), nn_ref::ln_y, nn_ref::ln_y_shape, 1e-5, "eval y");
}

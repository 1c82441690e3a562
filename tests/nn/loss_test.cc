// Loss modules against PyTorch: values and gradients, label dtypes and range errors, and
// composition of losses as Tensors.
#include <gtest/gtest.h>

#include <string>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "nn/reference/reference_values.h"

namespace ndl = needle;
using nn_test::expect_tensor;
using nn_test::tensor;

TEST(SoftmaxLoss, MatchesCrossEntropy) {
  ndl::nn::SoftmaxLoss loss_fn;
  auto logits = tensor(nn_ref::ce_logits, nn_ref::ce_logits_shape, true);
  auto labels = ndl::Tensor::from_vector(nn_ref::ce_labels, {3});
  auto loss = loss_fn(logits, labels);
  EXPECT_EQ(loss.numel(), 1);
  EXPECT_NEAR(loss.item<float>(), nn_ref::ce_loss, 1e-5);
  loss.backward();
  expect_tensor(logits.grad(), nn_ref::ce_dlogits, nn_ref::ce_logits_shape, 1e-5, "dlogits");
}

TEST(SoftmaxLoss, LabelDtypesAndStability) {
  ndl::nn::CrossEntropyLoss loss_fn;
  auto logits = tensor(nn_ref::ce_logits, nn_ref::ce_logits_shape);
  std::vector<int32_t> l32(nn_ref::ce_labels.begin(), nn_ref::ce_labels.end());
  std::vector<uint8_t> l8(nn_ref::ce_labels.begin(), nn_ref::ce_labels.end());
  EXPECT_NEAR(loss_fn(logits, ndl::Tensor::from_vector(l32, {3})).item<float>(), nn_ref::ce_loss,
              1e-5);
  EXPECT_NEAR(loss_fn(logits, ndl::Tensor::from_vector(l8, {3})).item<float>(), nn_ref::ce_loss,
              1e-5);
  // Shifting all logits by 1000 changes nothing (logsumexp is stable).
  auto shifted = loss_fn(logits + 1000.0, ndl::Tensor::from_vector(l32, {3})).item<float>();
  EXPECT_NEAR(shifted, nn_ref::ce_loss, 1e-3);
}

// Label smoothing e = 0.1 against values derived by hand: the loss is
// logsumexp(z) - 0.9 z[label] - 0.1 mean(z) and its gradient (softmax(z) - target) / B with
// target = 0.9 one_hot + 0.1 / k (PyTorch's CrossEntropyLoss(label_smoothing=0.1)).
TEST(SoftmaxLoss, LabelSmoothing) {
  ndl::nn::SoftmaxLoss loss_fn(ndl::nn::Reduction::Mean, 0.1);
  auto logits = tensor({1, 2, 3, 0, 0, 0}, {2, 3}, true);
  auto labels = ndl::Tensor::from_vector(std::vector<int64_t>{2, 0}, {2});
  auto loss = loss_fn(logits, labels);
  // Row 0: 3.40760596 - 2.9; row 1: log 3 - 0.
  EXPECT_NEAR(loss.item<float>(), (0.50760596 + 1.09861229) / 2, 1e-6);
  loss.backward();
  expect_tensor(logits.grad(), {0.02834862f, 0.10569757f, -0.13404619f, -0.3f, 0.15f, 0.15f},
                {2, 3}, 1e-6, "dlogits");
  // No smoothing is the plain loss.
  ndl::nn::SoftmaxLoss plain;
  EXPECT_FLOAT_EQ(ndl::nn::SoftmaxLoss(ndl::nn::Reduction::Mean, 0.0)(logits, labels).item<float>(),
                  plain(logits, labels).item<float>());
  EXPECT_EQ(loss_fn->to_string(), "SoftmaxLoss(label_smoothing=0.1)");
  EXPECT_THROW(ndl::nn::SoftmaxLoss(ndl::nn::Reduction::Mean, 1.5), ndl::Error);
}

TEST(SoftmaxLoss, OutOfRangeLabelNamesLabelAndClasses) {
  ndl::nn::SoftmaxLoss loss_fn;
  auto logits = ndl::zeros({2, 5});
  try {
    loss_fn(logits, ndl::Tensor::from_vector(std::vector<int64_t>{1, 7}, {2}));
    FAIL() << "expected IndexError";
  } catch (const ndl::IndexError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("label 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("5 classes"), std::string::npos) << msg;
  }
  EXPECT_THROW(loss_fn(logits, ndl::Tensor::from_vector(std::vector<int64_t>{-1, 0}, {2})),
               ndl::IndexError);
  EXPECT_THROW(loss_fn(logits, ndl::Tensor::from_vector(std::vector<int64_t>{0, 1, 2}, {3})),
               ndl::ShapeError);
  EXPECT_THROW(loss_fn(logits, ndl::zeros({2})), ndl::DTypeError);
}

TEST(Losses, MseL1MatchPyTorch) {
  ndl::nn::MSELoss mse;
  ndl::nn::L1Loss l1;
  auto a = tensor(nn_ref::mse_a, nn_ref::mse_a_shape, true);
  auto b = tensor(nn_ref::mse_b, nn_ref::mse_b_shape);
  auto lm = mse(a, b);
  EXPECT_NEAR(lm.item<float>(), nn_ref::mse_loss, 1e-5);
  lm.backward();
  expect_tensor(a.grad(), nn_ref::mse_da, nn_ref::mse_a_shape, 1e-5, "mse da");
  a.zero_grad();
  auto ll = l1(a, b);
  EXPECT_NEAR(ll.item<float>(), nn_ref::l1_loss, 1e-5);
  ll.backward();
  expect_tensor(a.grad(), nn_ref::l1_da, nn_ref::mse_a_shape, 1e-5, "l1 da");
  EXPECT_THROW(mse(a, ndl::zeros({3, 2})), ndl::ShapeError);
}

TEST(Losses, BCEWithLogitsMatchesPyTorchForLargeLogits) {
  ndl::nn::BCEWithLogitsLoss bce;
  auto z = tensor(nn_ref::bce_z, nn_ref::bce_z_shape, true);
  auto t = tensor(nn_ref::bce_t, nn_ref::bce_t_shape);
  auto loss = bce(z, t);
  EXPECT_NEAR(loss.item<float>(), nn_ref::bce_loss, 1e-5);
  loss.backward();
  expect_tensor(z.grad(), nn_ref::bce_dz, nn_ref::bce_z_shape, 1e-5, "dz");
  // At z == 0 the gradient is sigmoid(0) - t.
  auto z0 = ndl::zeros({1, 2}).set_requires_grad(true);
  bce(z0, nn_test::tensor({1.0f, 0.0f}, {1, 2})).backward();
  expect_tensor(z0.grad(), {-0.25f, 0.25f}, {1, 2}, 1e-6, "dz at 0");
}

TEST(Losses, ComposeAsTensors) {
  auto a = tensor(nn_ref::mse_a, nn_ref::mse_a_shape, true);
  auto b = tensor(nn_ref::mse_b, nn_ref::mse_b_shape);
  auto total = ndl::nn::L1Loss()(a, b) + 0.5 * ndl::nn::MSELoss()(a, b);
  EXPECT_NEAR(total.item<float>(), nn_ref::l1_loss + 0.5f * nn_ref::mse_loss, 1e-5);
  total.backward();
  std::vector<float> expected;
  for (size_t i = 0; i < nn_ref::l1_da.size(); ++i) {
    expected.push_back(nn_ref::l1_da[i] + 0.5f * nn_ref::mse_da[i]);
  }
  expect_tensor(a.grad(), expected, nn_ref::mse_a_shape, 1e-5, "d(l1 + 0.5 mse)");
  // Reduction::Sum and None.
  auto none = ndl::nn::MSELoss(ndl::nn::Reduction::None)(a, b);
  EXPECT_EQ(none.shape(), a.shape());
  EXPECT_NEAR(ndl::nn::MSELoss(ndl::nn::Reduction::Sum)(a, b).item<float>(),
              nn_ref::mse_loss * 6.0f, 1e-4);
}

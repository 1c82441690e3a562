// One full MLPResNet(784, 100, 3, 10) training step (forward, SoftmaxLoss, backward, Adam) on
// every available device, against the same step in float64 on the CPU: the float32 model is
// built on the CPU, its state copied into a float64 twin, then moved to the device. Dropout is
// off (drop_prob = 0) so the step is deterministic. The loss, every gradient, the updated
// parameters and BatchNorm's running statistics must agree. The cuda instance skips with the
// reason when no GPU is present.
#include <cmath>
#include <string>
#include <vector>

#include "tests/device_test_util.h"

namespace {

using device_test::expect_close;
using device_test::make;
using device_test::values;
using needle::DType;
using needle::Tensor;
namespace nn = needle::nn;

class MlpResNetStepTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(MlpResNetStepTest);

nn::MLPResNet build(DType dtype) {
  return nn::MLPResNet(784, 100, 3, 10, nn::NormLayer::BatchNorm1d, 0.0,
                       needle::init::Options{needle::cpu(), dtype, false});
}

TEST_P(MlpResNetStepTest, TrainingStepMatchesFloat64Cpu) {
  const int64_t batch = 32;
  const double lr = 1e-3;
  needle::manual_seed(0);
  nn::MLPResNet model = build(DType::Float32);
  nn::MLPResNet ref = build(DType::Float64);
  {
    const auto from = model->state_dict();
    const auto to = ref->state_dict();
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) {
      ASSERT_EQ(from[i].first, to[i].first);
      needle::NDArray target = to[i].second.data();
      target.copy_(from[i].second.data().astype(target.dtype()));
    }
  }
  model->to(device());
  model->train();
  ref->train();

  const std::vector<double> xv = values(batch * 784, 1, 0.0, 1.0);
  std::vector<int64_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i)
    labels[static_cast<size_t>(i)] = (i * 7 + 3) % 10;
  const Tensor x = make(xv, {batch, 784}, device(), DType::Float32);
  const Tensor y = Tensor(needle::NDArray::from_vector(labels, {batch}).to(device()));
  const Tensor xr = make(xv, {batch, 784}, needle::cpu(), DType::Float64);
  const Tensor yr = Tensor(needle::NDArray::from_vector(labels, {batch}));

  needle::optim::Adam opt(model->parameters(), lr);
  needle::optim::Adam opt_ref(ref->parameters(), lr);
  nn::SoftmaxLoss loss_fn;
  opt.zero_grad();
  opt_ref.zero_grad();
  const Tensor loss = loss_fn(model(x), y);
  const Tensor loss_ref = loss_fn(ref(xr), yr);
  EXPECT_EQ(loss.device(), device());
  loss.backward();
  loss_ref.backward();
  EXPECT_NEAR(loss.item<double>(), loss_ref.item<double>(), 1e-4 * loss_ref.item<double>());

  const auto params = model->named_parameters();
  const auto params_ref = ref->named_parameters();
  ASSERT_EQ(params.size(), params_ref.size());
  ASSERT_EQ(params.size(), 2u + 3u * 8u + 2u);
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].second.grad().defined()) << params[i].first;
    EXPECT_EQ(params[i].second.grad().device(), device()) << params[i].first;
    expect_close(params[i].second.grad(), params_ref[i].second.grad(), 2e-3, 2e-5,
                 "grad " + params[i].first);
  }

  std::vector<std::vector<double>> grads_ref;
  for (const auto& [key, p] : params_ref)
    grads_ref.push_back(device_test::host(p.grad()));
  opt.step();
  opt_ref.step();
  // Adam's first step moves each weight by lr * g / (|g| + eps), about lr * sign(g); a tenth
  // of lr absorbs float32 rounding. Where the exact gradient is zero (the bias of a Linear that
  // feeds a BatchNorm: the normalisation removes it) float32 leaves rounding noise of either
  // sign that Adam scales up to +-lr, so there only the step's bound is checked.
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].second.device(), device()) << params[i].first;
    const std::vector<double> got = device_test::host(params[i].second);
    const std::vector<double> want = device_test::host(params_ref[i].second);
    ASSERT_EQ(got.size(), want.size());
    int failures = 0;
    for (size_t j = 0; j < got.size() && failures < 10; ++j) {
      const double tol = std::fabs(grads_ref[i][j]) > 1e-6 ? 0.1 * lr : 2.01 * lr;
      if (!(std::fabs(got[j] - want[j]) <= tol + 1e-5 * std::fabs(want[j]))) {
        ++failures;
        ADD_FAILURE() << "updated " << params[i].first << ": element " << j << " got " << got[j]
                      << ", reference " << want[j] << ", reference grad " << grads_ref[i][j];
      }
    }
  }
  const auto buffers = model->named_buffers();
  const auto buffers_ref = ref->named_buffers();
  ASSERT_EQ(buffers.size(), buffers_ref.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    expect_close(buffers[i].second, buffers_ref[i].second, 1e-4, 1e-5,
                 "buffer " + buffers[i].first);
  }

  // A second step reuses the optimizer state on the device.
  opt.zero_grad();
  opt_ref.zero_grad();
  const Tensor loss2 = loss_fn(model(x), y);
  const Tensor loss2_ref = loss_fn(ref(xr), yr);
  EXPECT_NEAR(loss2.item<double>(), loss2_ref.item<double>(), 1e-4 * loss2_ref.item<double>());
  EXPECT_LT(loss2.item<double>(), loss.item<double>());
}

}  // namespace

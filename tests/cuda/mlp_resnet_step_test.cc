// One full MLPResNet(784, 100, 3, 10) training step (forward, SoftmaxLoss, backward, Adam) on
// every available device, against the same step in float64 on the CPU: the float32 model is
// built on the CPU, its state copied into a float64 twin, then moved to the device. Dropout is
// off (drop_prob = 0) so the step is deterministic. The loss, every gradient, the updated
// parameters and BatchNorm's running statistics must agree. The cuda instance skips with the
// reason when no GPU is present.
//
// Also: after a warm-up step, whole training steps (forward with dropout, SoftmaxLoss, backward,
// clip_grad_norm_, Adam) make the host wait for the GPU zero times (cuda_host_sync_count);
// reading the loss is the first wait, and a bad label's IndexError is thrown there. The cpu
// instance runs the same steps (a CPU never waits, and throws at the loss).
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
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

TEST_P(MlpResNetStepTest, TrainingStepsWaitForNothingUntilTheLossIsRead) {
  const int64_t batch = 32;
  const bool gpu = device().is_cuda();
  needle::manual_seed(1);
  nn::MLPResNet model(784, 100, 3, 10, nn::NormLayer::BatchNorm1d, 0.1,
                      needle::init::Options{device(), DType::Float32, false});
  model->train();
  std::vector<int64_t> labels(batch), bad(batch);
  for (int64_t i = 0; i < batch; ++i) {
    labels[static_cast<size_t>(i)] = (i * 3 + 1) % 10;
    bad[static_cast<size_t>(i)] = i == 5 ? 10 : labels[static_cast<size_t>(i)];
  }
  // Inputs are uploaded before the measured steps: an upload is not a wait, but the staging
  // ring it goes through may have to wait for a chunk still in flight.
  const Tensor x = make(values(batch * 784, 2, 0.0, 1.0), {batch, 784}, device(), DType::Float32);
  const Tensor y = Tensor(needle::NDArray::from_vector(labels, {batch}).to(device()));
  const Tensor y_bad = Tensor(needle::NDArray::from_vector(bad, {batch}).to(device()));
  needle::optim::Adam opt(model->parameters(), 1e-3);
  nn::SoftmaxLoss loss_fn;
  // One step; returns the loss and, when clipping, the gradients' norm (both still on device).
  auto step = [&](const Tensor& target, bool clip) {
    opt.zero_grad();
    Tensor loss = loss_fn(model(x), target);
    loss.backward();
    Tensor norm;
    if (clip) norm = needle::optim::clip_grad_norm_(model->parameters(), 1.0);
    opt.step();
    return std::make_pair(loss, norm);
  };

  step(y, true);  // warm-up: the allocator's cache and Adam's state fill
  // Lets every copy queued so far finish, so that the staging ring has no chunk in flight.
  if (gpu) needle::cuda_synchronize();
  const uint64_t before = needle::cuda_host_sync_count();
  const Tensor loss1 = step(y, false).first;
  const auto [loss2, norm2] = step(y, true);
  EXPECT_EQ(needle::cuda_host_sync_count(), before)
      << "the host waited for the GPU inside training steps";
  const double first = loss1.item<double>();
  if (gpu) {
    EXPECT_GT(needle::cuda_host_sync_count(), before);  // reading the loss waits
  }
  EXPECT_TRUE(std::isfinite(first));
  EXPECT_TRUE(std::isfinite(loss2.item<double>()));
  EXPECT_EQ(norm2.device(), device());
  EXPECT_EQ(norm2.ndim(), 0);
  EXPECT_GT(norm2.item<double>(), 0.0);

  // A bad label: on the CPU the loss throws; on a GPU the step runs without waiting and the
  // IndexError comes from reading its loss.
  const std::vector<std::string> parts = {"label 10 at position 5", "for 10 classes"};
  std::string msg;
  try {
    if (!gpu) {
      step(y_bad, true);
    } else {
      const uint64_t waits = needle::cuda_host_sync_count();
      const Tensor bad_loss = step(y_bad, true).first;
      EXPECT_EQ(needle::cuda_host_sync_count(), waits);
      (void)bad_loss.item<double>();
    }
    ADD_FAILURE() << "expected an IndexError";
  } catch (const needle::IndexError& e) {
    msg = e.what();
  }
  for (const std::string& part : parts)
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  EXPECT_TRUE(std::isfinite(step(y, true).first.item<double>()));  // and training goes on
}

}  // namespace

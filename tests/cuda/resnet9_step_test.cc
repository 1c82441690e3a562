// Three ResNet9 training steps (forward, SoftmaxLoss, backward, SGD with momentum) on the
// device under test against the same steps in float64 on the CPU: the float32 model is built on
// the CPU from a seed, its state copied into a float64 twin, then moved to the device; both see
// the same 8 x 3 x 32 x 32 batch. Each step's loss must agree, and after the three steps every
// parameter, its last gradient and every BatchNorm running statistic (num_batches_tracked too).
// This is conv2d (cuDNN), BatchNorm2d, ReLU, the residual adds, Flatten, Linear, the loss and the
// fused SGD kernel working together, with the updates of one step feeding the next. The cuda
// instance skips with the reason when no GPU is present or the build has no cuDNN.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/require_cudnn.h"
#include "tests/device_test_util.h"
#include "tests/model_test_util.h"

namespace {

using device_test::make;
using device_test::values;
using needle::DType;
using needle::Tensor;
namespace nn = needle::nn;

class CudaResNet9StepTest : public needle_test::ConvDeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(CudaResNet9StepTest);

TEST_P(CudaResNet9StepTest, ThreeSgdStepsMatchFloat64Cpu) {
  const int64_t batch = 8;
  const int steps = 3;
  const double lr = 0.05, momentum = 0.9;
  const auto build = [](DType dtype) {
    return nn::ResNet9(3, 10, needle::init::Options{needle::cpu(), dtype, false});
  };
  needle::manual_seed(0);
  nn::ResNet9 model = build(DType::Float32);
  nn::ResNet9 ref = build(DType::Float64);
  model_test::copy_state(*model, *ref);
  model->to(device());
  model->train();
  ref->train();

  const needle::Shape xs{batch, 3, 32, 32};
  const std::vector<double> xv = values(needle::numel(xs), 1, -1.0, 1.0);
  std::vector<int64_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i)
    labels[static_cast<size_t>(i)] = (i * 3 + 1) % 10;
  const Tensor x = make(xv, xs, device(), DType::Float32);
  const Tensor y(needle::NDArray::from_vector(labels, {batch}).to(device()));
  const Tensor xr = make(xv, xs, needle::cpu(), DType::Float64);
  const Tensor yr(needle::NDArray::from_vector(labels, {batch}));

  needle::optim::SGD opt(model->parameters(), lr, momentum);
  needle::optim::SGD opt_ref(ref->parameters(), lr, momentum);
  nn::SoftmaxLoss loss_fn;
  std::vector<double> losses, losses_ref;
  for (int step = 0; step < steps; ++step) {
    opt.zero_grad();
    opt_ref.zero_grad();
    const Tensor loss = loss_fn(model(x), y);
    const Tensor loss_ref = loss_fn(ref(xr), yr);
    EXPECT_EQ(loss.device(), device());
    loss.backward();
    loss_ref.backward();
    opt.step();
    opt_ref.step();
    losses.push_back(loss.item<double>());
    losses_ref.push_back(loss_ref.item<double>());
  }
  // Tolerances. Float32 against float64 through 11 layers and three updates: on the CPU the
  // losses agree to ~1e-6 relative and the parameters, gradients and running statistics to
  // ~1e-6 of each tensor's scale (max(1, max |reference|); the line printed below shows it).
  // The GPU sums in other orders and cuDNN may pick Winograd or FFT algorithms, good to ~1e-4 of
  // scale for one convolution (tests/cuda/conv2d_test.cc), so losses must agree to 1e-4 relative
  // and the state to kStateRtol = 5e-4 of scale: hundreds of times the CPU's error, while a wrong
  // kernel changes a loss or a gradient by a sizeable fraction.
  constexpr double kStateRtol = 5e-4;
  for (int step = 0; step < steps; ++step) {
    EXPECT_NEAR(losses[step], losses_ref[step], 1e-4 * losses_ref[step]) << "loss of step " << step;
  }
  // The loss of a fixed batch falls from step to step: the updates point downhill.
  EXPECT_LT(losses_ref[steps - 1], losses_ref[0]);
  // In the log: the largest difference, to see how much of the tolerance a device used.
  const model_test::StateError worst = model_test::worst_state_error(*model, *ref);
  fmt::print("ResNet9 {} steps on {}: last loss {:.2e} relative off, state {:.2e} of scale ({})\n",
             steps, device().str(),
             std::fabs(losses.back() - losses_ref.back()) / losses_ref.back(), worst.error,
             worst.where);
  model_test::expect_same_state(*model, *ref, device(), kStateRtol, /*grads=*/true,
                                fmt::format("ResNet9 after {} SGD steps", steps));
  // Exactly, not within a tolerance: every BatchNorm2d counted each training forward.
  int counters = 0;
  for (const auto& [name, b] : model->named_buffers()) {
    if (!name.ends_with("num_batches_tracked")) continue;
    ++counters;
    EXPECT_EQ(b.item<int64_t>(), steps) << name;
  }
  EXPECT_EQ(counters, 8);  // one per ConvBN
}

}  // namespace

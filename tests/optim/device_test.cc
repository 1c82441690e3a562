// SGD (plain, momentum, Nesterov, weight decay), Adam and AdamW on every available device: the
// fused step kernels' trajectories over several steps, float32 on the fixture's device against
// float64 on the CPU, with gradients that depend on the parameters so that errors would
// compound. Also a hand-computed first Adam step and optimizers that follow Module::to.
// The cuda instances skip with the reason when no GPU is present.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/device_test_util.h"

namespace {

using device_test::make;
using device_test::values;
using needle::Device;
using needle::DType;
using needle::Tensor;
using OptimizerFactory =
    std::function<std::unique_ptr<needle::optim::Optimizer>(std::vector<Tensor>)>;

class OptimDeviceTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(OptimDeviceTest);

// Five steps on f(w) = sum(c * w^2 + g * w) over a (17, 3) matrix and a (5,) vector (one of
// them a non-multiple of any vector width); returns the parameters after every step.
std::vector<Tensor> trajectory(const Device& d, DType dt, const OptimizerFactory& make_opt) {
  Tensor w = make(values(51, 70), {17, 3}, d, dt, true);
  Tensor b = make(values(5, 71), {5}, d, dt, true);
  const Tensor cw = make(values(51, 72, 0.1, 1.0), {17, 3}, d, dt);
  const Tensor gw = make(values(51, 73), {17, 3}, d, dt);
  const Tensor cb = make(values(5, 74, 0.1, 1.0), {5}, d, dt);
  const Tensor gb = make(values(5, 75), {5}, d, dt);
  auto opt = make_opt({w, b});
  std::vector<Tensor> out;
  for (int step = 0; step < 5; ++step) {
    opt->zero_grad();
    const Tensor loss = needle::sum(cw * w * w + gw * w) + needle::sum(cb * b * b + gb * b);
    loss.backward();
    opt->step();
    out.push_back(Tensor(w.data().clone()));
    out.push_back(Tensor(b.data().clone()));
  }
  return out;
}

void check(const Device& device, const std::string& name, const OptimizerFactory& f) {
  device_test::compare_with_reference(
      device, [&](const Device& d, DType dt) { return trajectory(d, dt, f); }, name, 1e-4, 1e-5);
}

TEST_P(OptimDeviceTest, SgdTrajectories) {
  using needle::optim::SGD;
  check(device(), "sgd", [](std::vector<Tensor> p) { return std::make_unique<SGD>(p, 0.1); });
  check(device(), "sgd momentum",
        [](std::vector<Tensor> p) { return std::make_unique<SGD>(p, 0.1, 0.9); });
  check(device(), "sgd momentum weight decay",
        [](std::vector<Tensor> p) { return std::make_unique<SGD>(p, 0.1, 0.9, 0.01); });
  check(device(), "sgd nesterov",
        [](std::vector<Tensor> p) { return std::make_unique<SGD>(p, 0.05, 0.8, 0.001, true); });
}

TEST_P(OptimDeviceTest, AdamTrajectories) {
  using needle::optim::Adam;
  using needle::optim::AdamW;
  check(device(), "adam", [](std::vector<Tensor> p) { return std::make_unique<Adam>(p, 0.01); });
  check(device(), "adam weight decay", [](std::vector<Tensor> p) {
    return std::make_unique<Adam>(p, 0.01, 0.8, 0.99, 1e-6, 0.1);
  });
  check(device(), "adamw", [](std::vector<Tensor> p) { return std::make_unique<AdamW>(p, 0.01); });
  check(device(), "adamw strong decay", [](std::vector<Tensor> p) {
    return std::make_unique<AdamW>(p, 0.02, 0.9, 0.999, 1e-8, 0.5);
  });
}

TEST_P(OptimDeviceTest, AdamFirstStepHandValue) {
  // With bias correction the first step is -lr * g / (|g| + eps): -lr * sign(g).
  Tensor w = make({1.0, -2.0, 3.0}, {3}, device(), DType::Float32, true);
  const Tensor g = make({0.5, -4.0, 0.0}, {3}, device(), DType::Float32);
  needle::optim::Adam opt({w}, 0.1);
  needle::sum(w * g).backward();
  opt.step();
  EXPECT_EQ(w.device(), device());
  const std::vector<float> got = w.to_vector<float>();
  EXPECT_NEAR(got[0], 0.9, 1e-6);
  EXPECT_NEAR(got[1], -1.9, 1e-6);
  EXPECT_NEAR(got[2], 3.0, 1e-6);
  EXPECT_EQ(opt.step_count(), 1);
}

TEST_P(OptimDeviceTest, ClipGradNormMatchesTheCpu) {
  // Both forms, clipping and not, over a matrix and a vector gradient (one parameter without
  // one); returns the norms and the clipped gradients.
  auto clip = [](const Device& d, DType dt, double max_norm, bool tensor_form) {
    Tensor w = make(values(51, 80), {17, 3}, d, dt, true);
    Tensor b = make(values(5, 81), {5}, d, dt, true);
    Tensor unused = make(values(3, 82), {3}, d, dt, true);
    const Tensor c = make(values(51, 83), {17, 3}, d, dt);
    (needle::sum(c * w * w) + needle::sum(b * b * b)).backward();
    Tensor norm;
    if (tensor_form) {
      norm = needle::optim::clip_grad_norm_({w, unused, b}, max_norm);
      EXPECT_EQ(norm.device(), d);
    } else {
      const double value = needle::optim::clip_grad_norm({w, unused, b}, max_norm);
      norm = Tensor(needle::NDArray::full({}, value, DType::Float64, d));
    }
    return std::vector<Tensor>{norm, w.grad(), b.grad()};
  };
  for (const bool tensor_form : {false, true}) {
    for (const double max_norm : {0.5, 1e3}) {
      device_test::compare_with_reference(
          device(), [&](const Device& d, DType dt) { return clip(d, dt, max_norm, tensor_form); },
          fmt::format("clip_grad_norm{} to {}", tensor_form ? "_" : "", max_norm), 1e-4, 1e-5);
    }
  }
}

TEST_P(OptimDeviceTest, StateFollowsParametersMovedByModuleTo) {
  // Two steps on the CPU, then the model moves; the next steps run where the model now lives
  // and continue the same trajectory as a model that never moved.
  auto run = [&](bool move) {
    needle::manual_seed(5);
    needle::nn::Linear fc(4, 3);
    needle::optim::Adam opt(fc->parameters(), 0.05);
    const Tensor x = needle::randn({6, 4});
    for (int step = 0; step < 4; ++step) {
      if (step == 2 && move) fc->to(device());
      const Device d = fc->weight.device();
      opt.zero_grad();
      needle::sum(needle::tanh(fc(x.to(d)))).backward();
      opt.step();
    }
    EXPECT_EQ(fc->weight.device(), move ? device() : needle::cpu());
    return std::vector<Tensor>{fc->weight, fc->bias};
  };
  const std::vector<Tensor> moved = run(true);
  const std::vector<Tensor> stayed = run(false);
  device_test::expect_close(moved[0], stayed[0], 1e-5, 1e-6, "weight");
  device_test::expect_close(moved[1], stayed[1], 1e-5, 1e-6, "bias");
}

}  // namespace

// Every layer and loss forward and backward on every available device: a float32 module moved
// to the fixture's device against a float64 twin on the CPU holding the same weights. Also
// Module::to (parameters, buffers and gradients move, handles keep their identity), BatchNorm's
// running statistics on the device and a checkpoint saved from the device loaded on the CPU.
// The cuda instances skip with the reason when no GPU is present.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/device_test_util.h"
#include "tests/model_test_util.h"

namespace {

using device_test::expect_close;
using device_test::make;
using device_test::values;
using needle::Device;
using needle::DType;
using needle::Shape;
using needle::Tensor;
namespace nn = needle::nn;
using ModulePtr = std::shared_ptr<nn::Module>;
using Factory = std::function<ModulePtr(const needle::init::Options&)>;

class NnDeviceTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(NnDeviceTest);

using model_test::copy_state;

// Builds the module in float32 and in float64 with the same weights, moves the float32 one to
// `device`, runs both on the same input, back-propagates the same seed and compares outputs,
// input gradients, parameter gradients and buffers.
void check_module(const Device& device, const std::string& name, const Factory& factory,
                  const Shape& input_shape, bool eval = false) {
  SCOPED_TRACE(name);
  needle::manual_seed(7);
  ModulePtr test = factory({needle::cpu(), DType::Float32, false});
  ModulePtr ref = factory({needle::cpu(), DType::Float64, false});
  copy_state(*test, *ref);
  test->to(device);
  if (eval) {
    test->eval();
    ref->eval();
  }
  for (const Tensor& p : test->parameters())
    EXPECT_EQ(p.device(), device) << name;
  const int64_t n = needle::numel(input_shape);
  const std::vector<double> xv = values(n, 40);
  Tensor x = make(xv, input_shape, device, DType::Float32, true);
  Tensor xr = make(xv, input_shape, needle::cpu(), DType::Float64, true);
  const Tensor out = (*test)(x);
  const Tensor out_ref = (*ref)(xr);
  EXPECT_EQ(out.device(), device);
  expect_close(out, out_ref, 1e-4, 1e-5, name + " output");
  const std::vector<double> seed = values(out.numel(), 41, -1.0, 1.0);
  out.backward(make(seed, out.shape(), device, DType::Float32));
  out_ref.backward(make(seed, out_ref.shape(), needle::cpu(), DType::Float64));
  expect_close(x.grad(), xr.grad(), 1e-4, 1e-5, name + " input grad");
  const auto params = test->named_parameters();
  const auto params_ref = ref->named_parameters();
  ASSERT_EQ(params.size(), params_ref.size());
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].second.grad().defined()) << params[i].first;
    EXPECT_EQ(params[i].second.grad().device(), device) << params[i].first;
    expect_close(params[i].second.grad(), params_ref[i].second.grad(), 1e-4, 1e-5,
                 name + " grad " + params[i].first);
  }
  const auto buffers = test->named_buffers();
  const auto buffers_ref = ref->named_buffers();
  ASSERT_EQ(buffers.size(), buffers_ref.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(buffers[i].second.device(), device) << buffers[i].first;
    expect_close(buffers[i].second, buffers_ref[i].second, 1e-4, 1e-6,
                 name + " buffer " + buffers[i].first);
  }
}

TEST_P(NnDeviceTest, Layers) {
  using O = needle::init::Options;
  check_module(device(), "Linear", [](const O& o) { return ModulePtr(nn::Linear(6, 4, true, o)); },
               {5, 6});
  check_module(device(), "Linear no bias",
               [](const O& o) { return ModulePtr(nn::Linear(6, 4, false, o)); }, {5, 6});
  check_module(device(), "Linear 3-d input",
               [](const O& o) { return ModulePtr(nn::Linear(6, 3, true, o)); }, {2, 5, 6});
  check_module(device(), "ReLU", [](const O&) { return ModulePtr(nn::ReLU()); }, {4, 5});
  check_module(device(), "Tanh", [](const O&) { return ModulePtr(nn::Tanh()); }, {4, 5});
  check_module(device(), "Sigmoid", [](const O&) { return ModulePtr(nn::Sigmoid()); }, {4, 5});
  check_module(device(), "Identity", [](const O&) { return ModulePtr(nn::Identity()); }, {4, 5});
  check_module(device(), "Flatten", [](const O&) { return ModulePtr(nn::Flatten()); }, {2, 3, 4});
  check_module(device(), "LayerNorm1d",
               [](const O& o) { return ModulePtr(nn::LayerNorm1d(7, 1e-5, o)); }, {5, 7});
  check_module(device(), "BatchNorm1d train",
               [](const O& o) { return ModulePtr(nn::BatchNorm1d(7, 1e-5, 0.1, o)); }, {6, 7});
  check_module(
      device(), "BatchNorm1d eval",
      [](const O& o) { return ModulePtr(nn::BatchNorm1d(7, 1e-5, 0.1, o)); }, {6, 7}, true);
  check_module(
      device(), "Residual(Sequential)",
      [](const O& o) {
        return ModulePtr(nn::Residual(nn::Sequential(nn::Linear(5, 5, true, o), nn::ReLU())));
      },
      {3, 5});
  check_module(device(), "ResidualBlock",
               [](const O& o) {
                 return ModulePtr(nn::ResidualBlock(6, 4, nn::NormLayer::BatchNorm1d, 0.0, o));
               },
               {5, 6});
  check_module(device(), "MLPResNet",
               [](const O& o) {
                 return ModulePtr(nn::MLPResNet(12, 8, 2, 3, nn::NormLayer::BatchNorm1d, 0.0, o));
               },
               {6, 12});
  check_module(device(), "MLPResNet LayerNorm",
               [](const O& o) {
                 return ModulePtr(nn::MLPResNet(12, 8, 2, 3, nn::NormLayer::LayerNorm1d, 0.0, o));
               },
               {6, 12});
}

TEST_P(NnDeviceTest, DropoutSameSeedSameMaskAsCpu) {
  // Counter-based random numbers: the same seed gives the same mask on every device.
  const std::vector<double> xv = values(400, 42, 0.5, 2.0);
  auto run = [&](const Device& d) {
    nn::Dropout drop(0.3);
    needle::manual_seed(11);
    Tensor x = make(xv, {20, 20}, d, DType::Float32, true);
    const Tensor y = drop(x);
    needle::sum(y * 2.0).backward();
    return std::vector<Tensor>{y, x.grad()};
  };
  const std::vector<Tensor> got = run(device());
  const std::vector<Tensor> cpu = run(needle::cpu());
  expect_close(got[0], cpu[0], 1e-6, 0.0, "dropout output");
  expect_close(got[1], cpu[1], 1e-6, 0.0, "dropout grad");
  // Hand check: every element is dropped (0) or scaled by 1/(1-p), and some of each.
  const std::vector<double> y = device_test::host(got[0]);
  int zeros = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0.0) {
      ++zeros;
    } else {
      EXPECT_NEAR(y[i], xv[i] / 0.7, 1e-5) << i;
    }
  }
  EXPECT_GT(zeros, 60);
  EXPECT_LT(zeros, 180);
}

TEST_P(NnDeviceTest, Losses) {
  const int64_t b = 6, k = 5;
  const std::vector<int64_t> labels = {0, 4, 2, 2, 1, 3};
  const std::vector<double> zv = values(b * k, 43, -3.0, 3.0);
  const std::vector<double> tv = values(b * k, 44, 0.0, 1.0);
  for (nn::Reduction r : {nn::Reduction::Mean, nn::Reduction::Sum, nn::Reduction::None}) {
    const std::string tag = r == nn::Reduction::Mean  ? " mean"
                            : r == nn::Reduction::Sum ? " sum"
                                                      : " none";
    device_test::compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor z = make(zv, {b, k}, d, dt, true);
          const Tensor y = Tensor(needle::NDArray::from_vector(labels, {b}).to(d));
          const Tensor l = nn::SoftmaxLoss(r)(z, y);
          l.backward(make(values(l.numel(), 45, 0.5, 1.5), l.shape(), d, dt));
          return std::vector<Tensor>{l, z.grad()};
        },
        "SoftmaxLoss" + tag);
    device_test::compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor z = make(zv, {b, k}, d, dt, true);
          Tensor t = make(tv, {b, k}, d, dt, true);
          const Tensor l = nn::MSELoss(r)(z, t);
          l.backward(make(values(l.numel(), 46, 0.5, 1.5), l.shape(), d, dt));
          return std::vector<Tensor>{l, z.grad(), t.grad()};
        },
        "MSELoss" + tag);
    device_test::compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor z = make(zv, {b, k}, d, dt, true);
          Tensor t = make(tv, {b, k}, d, dt, true);
          const Tensor l = nn::L1Loss(r)(z, t);
          l.backward(make(values(l.numel(), 47, 0.5, 1.5), l.shape(), d, dt));
          return std::vector<Tensor>{l, z.grad(), t.grad()};
        },
        "L1Loss" + tag);
    device_test::compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor z = make(zv, {b, k}, d, dt, true);
          Tensor t = make(tv, {b, k}, d, dt, true);
          const Tensor l = nn::BCEWithLogitsLoss(r)(z, t);
          l.backward(make(values(l.numel(), 48, 0.5, 1.5), l.shape(), d, dt));
          return std::vector<Tensor>{l, z.grad(), t.grad()};
        },
        "BCEWithLogitsLoss" + tag);
  }
}

TEST_P(NnDeviceTest, SoftmaxLossHandValueAndIntLabels) {
  // Uniform logits: the loss is log(k) whatever the labels, for every label dtype.
  for (DType ld : {DType::Int64, DType::Int32, DType::UInt8}) {
    const Tensor z = needle::zeros({4, 10}, device());
    const Tensor y =
        Tensor(needle::NDArray::from_vector<int64_t>({0, 9, 3, 3}, {4}).astype(ld).to(device()));
    EXPECT_NEAR(nn::SoftmaxLoss()(z, y).item<float>(), std::log(10.0), 1e-6);
  }
}

TEST_P(NnDeviceTest, ModuleToMovesParametersBuffersAndGradients) {
  nn::MLPResNet model(10, 8, 1, 3, nn::NormLayer::BatchNorm1d, 0.0);
  // A gradient made on the CPU moves with its parameter (the training-mode forward also
  // updates BatchNorm's running statistics, so the values are recorded after it).
  const Tensor x = needle::randn({4, 10});
  needle::sum(model(x)).backward();
  std::vector<needle::autograd::Node*> nodes;
  std::vector<std::vector<float>> before;
  for (const auto& [key, t] : model->state_dict()) {
    nodes.push_back(t.node());
    before.push_back(t.to_vector<float>());
  }
  model->to(device());
  size_t i = 0;
  for (const auto& [key, t] : model->state_dict()) {
    EXPECT_EQ(t.device(), device()) << key;
    EXPECT_EQ(t.node(), nodes[i]) << key << ": the handle must keep its identity";
    ++i;
  }
  for (const auto& [key, p] : model->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << key;
    EXPECT_EQ(p.grad().device(), device()) << key;
  }
  // The model runs where it now lives, and moving back restores the values bit for bit.
  model->eval();
  const Tensor y = model(x.to(device()));
  EXPECT_EQ(y.device(), device());
  model->to(needle::cpu());
  i = 0;
  for (const auto& [key, t] : model->state_dict()) {
    EXPECT_EQ(t.device(), needle::cpu()) << key;
    EXPECT_EQ(t.to_vector<float>(), before[i]) << key;
    ++i;
  }
}

TEST_P(NnDeviceTest, BatchNormRunningStatisticsOnDevice) {
  nn::BatchNorm1d bn(4, 1e-5, 0.1);
  nn::BatchNorm1d ref(4, 1e-5, 0.1, needle::init::Options{needle::cpu(), DType::Float64, false});
  bn->to(device());
  for (int step = 0; step < 3; ++step) {
    const std::vector<double> xv = values(8 * 4, 50 + step, -1.0 + step, 3.0 + step);
    (void)bn(make(xv, {8, 4}, device(), DType::Float32));
    (void)ref(make(xv, {8, 4}, needle::cpu(), DType::Float64));
  }
  EXPECT_EQ(bn->running_mean.device(), device());
  expect_close(bn->running_mean, ref->running_mean, 1e-5, 1e-6, "running_mean");
  expect_close(bn->running_var, ref->running_var, 1e-5, 1e-6, "running_var");
  EXPECT_EQ(bn->num_batches_tracked.to(needle::cpu()).item<int64_t>(), 3);
  // Hand check of the first update on a fresh layer: mean 0.1 * batch mean, var 0.9 + 0.1 * s^2.
  nn::BatchNorm1d fresh(1);
  fresh->to(device());
  (void)fresh(make({1.0, 2.0, 3.0, 6.0}, {4, 1}, device(), DType::Float32));
  EXPECT_NEAR(fresh->running_mean.to(needle::cpu()).item<float>(), 0.3, 1e-6);
  // Unbiased variance of {1, 2, 3, 6}: 14 / 3.
  EXPECT_NEAR(fresh->running_var.to(needle::cpu()).item<float>(), 0.9 + 0.1 * 14.0 / 3.0, 1e-6);
  // Evaluation uses the running statistics on the device too.
  bn->eval();
  ref->eval();
  const std::vector<double> xv = values(5 * 4, 60);
  expect_close(bn(make(xv, {5, 4}, device(), DType::Float32)),
               ref(make(xv, {5, 4}, needle::cpu(), DType::Float64)), 1e-4, 1e-5, "eval output");
}

TEST_P(NnDeviceTest, SaveOnDeviceLoadOnCpu) {
  needle::manual_seed(3);
  nn::MLPResNet model(10, 8, 2, 3, nn::NormLayer::BatchNorm1d, 0.0);
  model->to(device());
  (void)model(needle::randn({6, 10}, device()));  // non-trivial running statistics
  const std::string path =
      ::testing::TempDir() + "needle_device_test_" + GetParam() + ".safetensors";
  needle::save(model, path);
  needle::manual_seed(4);
  nn::MLPResNet loaded(10, 8, 2, 3, nn::NormLayer::BatchNorm1d, 0.0);
  needle::load(loaded, path);
  const auto a = model->state_dict();
  const auto b = loaded->state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].second.device(), needle::cpu()) << b[i].first;
    EXPECT_EQ(device_test::host(a[i].second), device_test::host(b[i].second)) << a[i].first;
  }
  std::remove(path.c_str());
}

}  // namespace

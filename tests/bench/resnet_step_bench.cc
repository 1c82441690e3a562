// One training step of needle's ResNet9 (nn/resnet.h) on a batch of CIFAR-10-sized inputs
// (128, 3, 32, 32): forward, SoftmaxLoss, backward and an SGD-with-momentum step, in ms; and the
// forward pass alone in eval mode; and each of ResNet9's convolution shapes alone (forward and
// backward to input, weight and bias), to show where a step's time goes. The LibTorch twin of the
// same step is tests/bench/libtorch/resnet_step_bench.cc; the README's Performance section compares
// them.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "needle/needle.h"
#include "tests/bench/resnet9_conv_shapes.h"

namespace ndl = needle;

namespace {

struct Setup {
  ndl::nn::ResNet9 model;
  ndl::optim::SGD opt;
  ndl::nn::SoftmaxLoss loss_fn;
  ndl::Tensor x;
  ndl::Tensor y;

  explicit Setup(int64_t batch)
      : model(3, 10), opt(model->parameters(), 0.05, 0.9), x(ndl::randn({batch, 3, 32, 32})) {
    std::vector<int64_t> labels(static_cast<size_t>(batch));
    for (auto& l : labels)
      l = ndl::default_generator().next_int(0, 10);
    y = ndl::Tensor::from_vector(labels, {batch});
  }
};

void BM_ResNet9TrainStep(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s(state.range(0));
  for (auto _ : state) {
    s.opt.zero_grad();
    ndl::Tensor loss = s.loss_fn(s.model(s.x), s.y);
    loss.backward();
    s.opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.counters["img/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResNet9TrainStep)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(5.0);

void BM_ResNet9ForwardNoGrad(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s(state.range(0));
  s.model->eval();
  ndl::NoGradGuard no_grad;
  for (auto _ : state) {
    ndl::Tensor logits = s.model(s.x);
    benchmark::DoNotOptimize(logits.data().data_ptr());
  }
}
BENCHMARK(BM_ResNet9ForwardNoGrad)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void BM_ResNet9ConvLayer(benchmark::State& state) {
  ndl::manual_seed(0);
  const int64_t in = state.range(0), out = state.range(1), k = state.range(2);
  const int64_t stride = state.range(3), hw = state.range(4);
  ndl::Tensor x = ndl::randn({128, in, hw, hw}).set_requires_grad(in != 3);
  ndl::Tensor w = ndl::randn({out, in, k, k}).set_requires_grad(true);
  ndl::Tensor b = ndl::randn({out}).set_requires_grad(true);
  for (auto _ : state) {
    ndl::Tensor y = ndl::conv2d(x, w, b, stride, k / 2);
    y.backward(ndl::ones_like(y));
    benchmark::DoNotOptimize(w.grad().data().data_ptr());
  }
}
BENCHMARK(BM_ResNet9ConvLayer)->Apply(bench_shapes::resnet9_convs)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

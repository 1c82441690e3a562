// One training step of needle's MLPResNet(784, 100, 3, 10) on a batch of 128 MNIST-sized inputs:
// forward, SoftmaxLoss, backward and an Adam step (the fused in-place kernel), in ms. The
// forward-only and forward+backward figures show where the time goes. The LibTorch twin of the
// same step is tests/bench/libtorch/mlp_step_bench.cc.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "needle/needle.h"

namespace ndl = needle;

namespace {

struct Setup {
  ndl::nn::MLPResNet model{784, 100, 3, 10};
  ndl::optim::Adam opt{model->parameters(), 1e-3};
  ndl::nn::SoftmaxLoss loss_fn;
  ndl::Tensor x;
  ndl::Tensor y;

  Setup() {
    x = ndl::rand({128, 784});
    std::vector<int64_t> labels(128);
    for (auto& l : labels)
      l = ndl::default_generator().next_int(0, 10);
    y = ndl::Tensor::from_vector(labels, {128});
  }
};

void BM_MLPResNetTrainStep(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s;
  for (auto _ : state) {
    s.opt.zero_grad();
    ndl::Tensor loss = s.loss_fn(s.model(s.x), s.y);
    loss.backward();
    s.opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}
BENCHMARK(BM_MLPResNetTrainStep)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_MLPResNetForwardBackward(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s;
  for (auto _ : state) {
    s.model->zero_grad();
    ndl::Tensor loss = s.loss_fn(s.model(s.x), s.y);
    loss.backward();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}
BENCHMARK(BM_MLPResNetForwardBackward)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_MLPResNetForwardNoGrad(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s;
  s.model->eval();
  ndl::NoGradGuard no_grad;
  for (auto _ : state) {
    ndl::Tensor logits = s.model(s.x);
    benchmark::DoNotOptimize(logits.data().data_ptr());
  }
}
BENCHMARK(BM_MLPResNetForwardNoGrad)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The optimizer step alone: Adam over the model's 110k parameters.
void BM_AdamStep(benchmark::State& state) {
  ndl::manual_seed(0);
  Setup s;
  ndl::Tensor loss = s.loss_fn(s.model(s.x), s.y);
  loss.backward();
  for (auto _ : state)
    s.opt.step();
}
BENCHMARK(BM_AdamStep)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();

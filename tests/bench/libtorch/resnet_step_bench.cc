// LibTorch twin of tests/bench/resnet_step_bench.cc: needle's ResNet9 written with torch::nn
// modules (the same layers, biases and order), batch 128 of 3x32x32, cross-entropy, backward and
// SGD with momentum 0.9, in ms; the eval-mode forward alone; and each convolution shape alone.
// Built by tests/bench/libtorch/CMakeLists.txt (see that file for the commands).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "../resnet9_conv_shapes.h"
#include "all_cores.h"

namespace {

// ConvBN(a, b, k, s) = Conv2d(a, b, k, stride s, padding k / 2, bias) + BatchNorm2d + ReLU.
// (LibTorch cannot nest Sequentials, so the blocks are modules of their own.)
struct ConvBNImpl : torch::nn::Module {
  ConvBNImpl(int64_t in, int64_t out, int64_t k, int64_t stride)
      : conv(register_module(
            "conv",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(out))) {}
  torch::Tensor forward(torch::Tensor x) { return torch::relu(bn(conv(x))); }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvBN);

// Residual(Sequential(ConvBN(c, c, 3, 1), ConvBN(c, c, 3, 1))): fn(x) + x.
struct ResidualPairImpl : torch::nn::Module {
  explicit ResidualPairImpl(int64_t c)
      : a(register_module("a", ConvBN(c, c, 3, 1))), b(register_module("b", ConvBN(c, c, 3, 1))) {}
  torch::Tensor forward(torch::Tensor x) { return b(a(x)) + x; }
  ConvBN a, b;
};
TORCH_MODULE(ResidualPair);

torch::nn::Sequential resnet9() {
  return torch::nn::Sequential(ConvBN(3, 16, 7, 4), ConvBN(16, 32, 3, 2), ResidualPair(32),
                               ConvBN(32, 64, 3, 2), ConvBN(64, 128, 3, 2), ResidualPair(128),
                               torch::nn::Flatten(), torch::nn::Linear(128, 128), torch::nn::ReLU(),
                               torch::nn::Linear(128, 10));
}

void BM_LibTorchResNet9TrainStep(benchmark::State& state) {
  torch::manual_seed(0);
  const int64_t batch = state.range(0);
  auto model = resnet9();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  auto x = torch::randn({batch, 3, 32, 32});
  auto y = torch::randint(0, 10, {batch}, torch::kLong);
  for (auto _ : state) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LibTorchResNet9TrainStep)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(5.0);

void BM_LibTorchResNet9ForwardNoGrad(benchmark::State& state) {
  torch::manual_seed(0);
  auto model = resnet9();
  model->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({state.range(0), 3, 32, 32});
  for (auto _ : state) {
    auto logits = model->forward(x);
    benchmark::DoNotOptimize(logits.data_ptr());
  }
}
BENCHMARK(BM_LibTorchResNet9ForwardNoGrad)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(3.0);

void BM_LibTorchResNet9ConvLayer(benchmark::State& state) {
  torch::manual_seed(0);
  const int64_t in = state.range(0), out = state.range(1), k = state.range(2);
  const int64_t stride = state.range(3), hw = state.range(4);
  auto x = torch::randn({128, in, hw, hw}).set_requires_grad(in != 3);
  auto w = torch::randn({out, in, k, k}).set_requires_grad(true);
  auto b = torch::randn({out}).set_requires_grad(true);
  for (auto _ : state) {
    auto y = torch::conv2d(x, w, b, stride, k / 2);
    y.backward(torch::ones_like(y));
    benchmark::DoNotOptimize(w.grad().data_ptr());
  }
}
BENCHMARK(BM_LibTorchResNet9ConvLayer)
    ->Apply(bench_shapes::resnet9_convs)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

NEEDLE_TWIN_BENCHMARK_MAIN()

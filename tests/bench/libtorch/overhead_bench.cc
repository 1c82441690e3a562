// LibTorch twin of autograd_overhead_bench.cc: the same 100-op chain (y = y * c, y = y + x)
// on 1-element and 1,000-element float32 CPU tensors, forward plus backward, so the per_op
// figures compare directly. Built as libtorch_overhead_bench by
// tests/bench/libtorch/CMakeLists.txt, a separate project that configures only when LibTorch is
// found (see that file for the commands).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "all_cores.h"

namespace {

constexpr int kChainOps = 100;

void set_per_op(benchmark::State& state) {
  state.counters["per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kChainOps,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_TorchChainForwardBackward(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::Tensor x = torch::randn({n}, torch::requires_grad());
  torch::Tensor c = torch::full({n}, 0.999);
  torch::Tensor seed = torch::ones({n});
  for (auto _ : state) {
    torch::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    y.backward(seed);
    x.mutable_grad().reset();
  }
  set_per_op(state);
}
BENCHMARK(BM_TorchChainForwardBackward)->Arg(1)->Arg(1000);

void BM_TorchChainForwardRecorded(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::Tensor x = torch::randn({n}, torch::requires_grad());
  torch::Tensor c = torch::full({n}, 0.999);
  for (auto _ : state) {
    torch::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_per_op(state);
}
BENCHMARK(BM_TorchChainForwardRecorded)->Arg(1)->Arg(1000);

void BM_TorchChainNoGrad(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::Tensor x = torch::randn({n}, torch::requires_grad());
  torch::Tensor c = torch::full({n}, 0.999);
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    torch::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_per_op(state);
}
BENCHMARK(BM_TorchChainNoGrad)->Arg(1)->Arg(1000);

}  // namespace

NEEDLE_TWIN_BENCHMARK_MAIN()

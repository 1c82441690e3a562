// Small-op overhead of autograd: a chain of 100 elementwise ops (alternately y = y * c with a
// constant c and y = y + x with the leaf x) on 1-element and 1,000-element float32 tensors,
// forward plus backward. The per_op counter is the time of one op, forward and backward
// included (iteration time / 100). libtorch_overhead.cc times the same chain in LibTorch.
//   cmake -B build -DNEEDLE_BUILD_BENCHMARKS=ON && cmake --build build --target
//   autograd_overhead_bench && build/tests/bench/autograd_overhead_bench
#include <benchmark/benchmark.h>

#include "needle/needle.h"

namespace ndl = needle;

namespace {

constexpr int kChainOps = 100;

void set_per_op(benchmark::State& state) {
  state.counters["per_op"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kChainOps,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Forward and backward through the chain; x.grad() accumulates 50 contributions.
void BM_ChainForwardBackward(benchmark::State& state) {
  const int64_t n = state.range(0);
  ndl::Tensor x = ndl::randn({n}, ndl::cpu(), ndl::DType::Float32, true);
  ndl::Tensor c = ndl::full({n}, 0.999);
  ndl::Tensor seed = ndl::ones({n});
  for (auto _ : state) {
    ndl::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    y.backward(seed);
    x.zero_grad();
  }
  set_per_op(state);
}
BENCHMARK(BM_ChainForwardBackward)->Arg(1)->Arg(1000);

// The forward half alone, recording the graph.
void BM_ChainForwardRecorded(benchmark::State& state) {
  const int64_t n = state.range(0);
  ndl::Tensor x = ndl::randn({n}, ndl::cpu(), ndl::DType::Float32, true);
  ndl::Tensor c = ndl::full({n}, 0.999);
  for (auto _ : state) {
    ndl::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    benchmark::DoNotOptimize(y.node());
  }
  set_per_op(state);
}
BENCHMARK(BM_ChainForwardRecorded)->Arg(1)->Arg(1000);

// Inference: the same chain under NoGradGuard records nothing.
void BM_ChainNoGrad(benchmark::State& state) {
  const int64_t n = state.range(0);
  ndl::Tensor x = ndl::randn({n}, ndl::cpu(), ndl::DType::Float32, true);
  ndl::Tensor c = ndl::full({n}, 0.999);
  ndl::NoGradGuard no_grad;
  for (auto _ : state) {
    ndl::Tensor y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    benchmark::DoNotOptimize(y.node());
  }
  set_per_op(state);
}
BENCHMARK(BM_ChainNoGrad)->Arg(1)->Arg(1000);

// The NDArray ops alone: the floor that autograd adds to.
void BM_ChainNDArray(benchmark::State& state) {
  const int64_t n = state.range(0);
  ndl::NDArray x = ndl::NDArray::randn({n});
  ndl::NDArray c = ndl::NDArray::full({n}, 0.999);
  for (auto _ : state) {
    ndl::NDArray y = x;
    for (int i = 0; i < kChainOps / 2; ++i) {
      y = y * c;
      y = y + x;
    }
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_per_op(state);
}
BENCHMARK(BM_ChainNDArray)->Arg(1)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();

// ResNet9's convolutions at batch 128 on 32x32 inputs, as Google Benchmark arguments (in, out,
// kernel, stride, input size): shared by resnet_step_bench.cc and its LibTorch twin, so that both
// time exactly the same layers.
#pragma once

#include <benchmark/benchmark.h>

namespace bench_shapes {

inline void resnet9_convs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"in", "out", "k", "s", "hw"});
  b->Args({3, 16, 7, 4, 32});
  b->Args({16, 32, 3, 2, 8});
  b->Args({32, 32, 3, 1, 4});
  b->Args({32, 64, 3, 2, 4});
  b->Args({64, 128, 3, 2, 2});
  b->Args({128, 128, 3, 1, 1});
}

}  // namespace bench_shapes

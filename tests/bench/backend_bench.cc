// Benchmarks of the CPU backend through the Backend interface, each next to the baseline it
// is judged against: matmul vs raw cblas_sgemm, elementwise add/exp vs memcpy of the same
// bytes, row vs column sums, and an add with one transposed input vs the compact add.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <vector>

#include "needle/backend.h"

namespace {

using needle::Backend;
using needle::BinaryOp;
using needle::DType;
using needle::ReduceOp;
using needle::Shape;
using needle::StridedView;
using needle::Strides;
using needle::UnaryOp;

Backend& be() {
  return needle::backend_for(needle::cpu());
}

// A buffer from the backend's allocator (as NDArray would hold), filled with values.
struct Buffer {
  explicit Buffer(int64_t n) : n(n), data(be().allocate(n * sizeof(float), needle::cpu())) {
    auto* f = static_cast<float*>(data);
    for (int64_t i = 0; i < n; ++i)
      f[i] = static_cast<float>(i % 1000) * 0.001f;
  }
  ~Buffer() { be().deallocate(data, n * sizeof(float), needle::cpu()); }
  StridedView view(const Shape& shape, Strides strides = {}) const {
    StridedView v;
    v.data = data;
    v.shape = shape;
    v.strides = strides.empty() ? needle::compact_strides(shape) : strides;
    v.dtype = DType::Float32;
    return v;
  }
  int64_t n;
  void* data;
};

void set_gflops(benchmark::State& state, int64_t n) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}

void BM_MatmulBackend(benchmark::State& state) {
  const int64_t n = state.range(0);
  Buffer a(n * n), b(n * n), c(n * n);
  for (auto _ : state)
    be().matmul(a.view({n, n}), b.view({n, n}), c.view({n, n}));
  set_gflops(state, n);
}

void BM_MatmulRawSgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Buffer a(n * n), b(n * n), c(n * n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                static_cast<float*>(a.data), n, static_cast<float*>(b.data), n, 0.0f,
                static_cast<float*>(c.data), n);
  }
  set_gflops(state, n);
}

constexpr int64_t kElems = int64_t{1} << 22;  // 4M floats

void set_bytes(benchmark::State& state, int64_t bytes_per_iter) {
  state.SetBytesProcessed(state.iterations() * bytes_per_iter);
}

// memcpy of 2 x 16 MB: the same bytes an add moves (read a, read b, write c = 48 MB) would be
// 3 x 16 MB; this copies 16 MB (read 16 + write 16), reported as 32 MB moved.
void BM_Memcpy4M(benchmark::State& state) {
  Buffer a(kElems), c(kElems);
  for (auto _ : state) {
    std::memcpy(c.data, a.data, kElems * sizeof(float));
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2 * kElems * sizeof(float));
}

void BM_AddCompact4M(benchmark::State& state) {
  Buffer a(kElems), b(kElems), c(kElems);
  for (auto _ : state)
    be().binary(BinaryOp::Add, a.view({kElems}), b.view({kElems}), c.view({kElems}));
  set_bytes(state, 3 * kElems * sizeof(float));
}

void BM_Exp4M(benchmark::State& state) {
  Buffer a(kElems), c(kElems);
  for (auto _ : state)
    be().unary(UnaryOp::Exp, a.view({kElems}), c.view({kElems}));
  set_bytes(state, 2 * kElems * sizeof(float));
}

constexpr int64_t kSide = 2048;

void BM_Add2048Compact(benchmark::State& state) {
  Buffer a(kSide * kSide), b(kSide * kSide), c(kSide * kSide);
  for (auto _ : state) {
    be().binary(BinaryOp::Add, a.view({kSide, kSide}), b.view({kSide, kSide}),
                c.view({kSide, kSide}));
  }
  set_bytes(state, 3 * kSide * kSide * sizeof(float));
}

void BM_Add2048Transposed(benchmark::State& state) {
  Buffer a(kSide * kSide), b(kSide * kSide), c(kSide * kSide);
  for (auto _ : state) {
    be().binary(BinaryOp::Add, a.view({kSide, kSide}), b.view({kSide, kSide}, {1, kSide}),
                c.view({kSide, kSide}));
  }
  set_bytes(state, 3 * kSide * kSide * sizeof(float));
}

void BM_SumRows2048(benchmark::State& state) {  // reduce the contiguous last axis
  Buffer a(kSide * kSide), out(kSide);
  for (auto _ : state)
    be().reduce(ReduceOp::Sum, a.view({kSide, kSide}), {1}, out.view({kSide, 1}));
  set_bytes(state, kSide * kSide * sizeof(float));
}

void BM_SumCols2048(benchmark::State& state) {  // reduce the strided leading axis
  Buffer a(kSide * kSide), out(kSide);
  for (auto _ : state)
    be().reduce(ReduceOp::Sum, a.view({kSide, kSide}), {0}, out.view({1, kSide}));
  set_bytes(state, kSide * kSide * sizeof(float));
}

BENCHMARK(BM_MatmulBackend)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MatmulRawSgemm)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Memcpy4M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AddCompact4M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Exp4M)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Add2048Compact)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Add2048Transposed)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumRows2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumCols2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

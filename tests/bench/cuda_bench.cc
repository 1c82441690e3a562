// GPU benchmarks of the CUDA backend, reported in the units PyTorch comparisons use
// (tests/gpu/torch_bench.py measures the same operations): matmul 4096^3 in TFLOP/s (fp32, and
// with TF32 allowed), elementwise add over 64M floats and a full sum of 64M floats in GB/s
// (bytes read + written), and one MLPResNet(784, 100, 3, 10) training step (forward,
// SoftmaxLoss, backward, Adam) at batch 128 and 1024 in ms. Each kernel iteration queues several
// launches and then synchronises, so the timing is of GPU work, not of one launch's latency; the
// training step synchronises once per step, as a loop that reads its loss does, and
// torch_bench.py times PyTorch eager the same way; and ResNet9 / ResNet-18 training steps at
// batch 128 in images/s. Without a GPU every benchmark is skipped with
// the reason.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "needle/backend.h"
#include "needle/cuda.h"
#include "needle/device.h"
#include "needle/needle.h"

namespace needle {
namespace {

class DeviceBuffer {
 public:
  DeviceBuffer(DType dtype, int64_t elems)
      : device_(cuda(0)), bytes_(static_cast<size_t>(elems) * dtype_size(dtype)), dtype_(dtype) {
    ptr_ = backend_for(device_).allocate(bytes_, device_);
  }
  ~DeviceBuffer() { backend_for(device_).deallocate(ptr_, bytes_, device_); }
  StridedView view(const Shape& shape) const {
    return StridedView{ptr_, 0, shape, compact_strides(shape), dtype_, device_};
  }

 private:
  Device device_;
  size_t bytes_;
  DType dtype_;
  void* ptr_;
};

bool skip_without_gpu(benchmark::State& state) {
  if (cuda_available()) return false;
  state.SkipWithError(cuda_status().c_str());  // says why: "no CUDA device: ..."
  return true;
}

void BM_CudaMatmul(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t n = state.range(0);
  const bool tf32 = state.range(1) != 0;
  Backend& cuda = backend_for(DeviceType::CUDA);
  DeviceBuffer a(DType::Float32, n * n), b(DType::Float32, n * n), c(DType::Float32, n * n);
  cuda.random_uniform(a.view({n, n}), 1, 0, -1.0, 1.0);
  cuda.random_uniform(b.view({n, n}), 1, n * n, -1.0, 1.0);
  cuda_set_allow_tf32(tf32);
  cuda.matmul(a.view({n, n}), b.view({n, n}), c.view({n, n}));  // warm-up: cuBLAS heuristics
  cuda_synchronize();
  for (auto _ : state) {
    cuda.matmul(a.view({n, n}), b.view({n, n}), c.view({n, n}));
    cuda_synchronize();
  }
  cuda_set_allow_tf32(false);
  state.counters["TFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * 1e-12 * state.iterations(), benchmark::Counter::kIsRate);
  state.SetLabel(tf32 ? "tf32" : "fp32");
}
BENCHMARK(BM_CudaMatmul)
    ->Args({4096, 0})
    ->Args({4096, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

constexpr int kLaunchesPerIteration = 20;

void BM_CudaAdd(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t n = state.range(0);
  Backend& cuda = backend_for(DeviceType::CUDA);
  DeviceBuffer a(DType::Float32, n), b(DType::Float32, n), c(DType::Float32, n);
  cuda.fill(a.view({n}), 1.0);
  cuda.fill(b.view({n}), 2.0);
  cuda.binary(BinaryOp::Add, a.view({n}), b.view({n}), c.view({n}));
  cuda_synchronize();
  for (auto _ : state) {
    for (int i = 0; i < kLaunchesPerIteration; ++i) {
      cuda.binary(BinaryOp::Add, a.view({n}), b.view({n}), c.view({n}));
    }
    cuda_synchronize();
  }
  state.counters["GB/s"] = benchmark::Counter(
      3.0 * 4 * n * 1e-9 * kLaunchesPerIteration * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaAdd)->Arg(int64_t(64) << 20)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_CudaSum(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t n = state.range(0);
  Backend& cuda = backend_for(DeviceType::CUDA);
  DeviceBuffer a(DType::Float32, n), out(DType::Float32, 1);
  cuda.random_uniform(a.view({n}), 2, 0, 0.0, 1.0);
  cuda.reduce(ReduceOp::Sum, a.view({n}), {0}, out.view({1}));
  cuda_synchronize();
  for (auto _ : state) {
    for (int i = 0; i < kLaunchesPerIteration; ++i) {
      cuda.reduce(ReduceOp::Sum, a.view({n}), {0}, out.view({1}));
    }
    cuda_synchronize();
  }
  state.counters["GB/s"] = benchmark::Counter(
      4.0 * n * 1e-9 * kLaunchesPerIteration * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaSum)->Arg(int64_t(64) << 20)->UseRealTime()->Unit(benchmark::kMillisecond);

// Row sums of a (8192, 8192) matrix: the softmax/loss shape of reduction.
void BM_CudaRowSum(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t n = state.range(0);
  Backend& cuda = backend_for(DeviceType::CUDA);
  DeviceBuffer a(DType::Float32, n * n), out(DType::Float32, n);
  cuda.random_uniform(a.view({n, n}), 3, 0, 0.0, 1.0);
  cuda_synchronize();
  for (auto _ : state) {
    for (int i = 0; i < kLaunchesPerIteration; ++i) {
      cuda.reduce(ReduceOp::Sum, a.view({n, n}), {1}, out.view({n, 1}));
    }
    cuda_synchronize();
  }
  state.counters["GB/s"] = benchmark::Counter(
      4.0 * n * n * 1e-9 * kLaunchesPerIteration * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaRowSum)->Arg(8192)->UseRealTime()->Unit(benchmark::kMillisecond);

// Labels drawn uniformly from [0, 10), on `device`.
Tensor random_labels(int64_t batch, const Device& device) {
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (auto& l : labels)
    l = default_generator().next_int(0, 10);
  return Tensor::from_vector(labels, {batch}).to(device);
}

// The timed loop of a training benchmark: zero_grad, SoftmaxLoss, backward, step and one
// synchronisation per step (as a loop that reads its loss would), after 5 warm-up steps in
// which the caching allocator fills and cuBLAS/cuDNN pick their kernels.
void run_training_steps(benchmark::State& state, nn::Module& model, optim::Optimizer& opt,
                        const Tensor& x, const Tensor& y) {
  nn::SoftmaxLoss loss_fn;
  auto step = [&] {
    opt.zero_grad();
    const Tensor loss = loss_fn(model(x), y);
    loss.backward();
    opt.step();
    cuda_synchronize();
  };
  for (int i = 0; i < 5; ++i)
    step();
  for (auto _ : state)
    step();
}

// The PyTorch twin is mlp_step() in tests/gpu/torch_bench.py: the same model (dropout 0.1 in
// training mode), CrossEntropyLoss, Adam(lr=1e-3), a synchronisation after every step.
void BM_CudaMLPResNetStep(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t batch = state.range(0);
  const Device gpu = cuda(0);
  manual_seed(0);
  nn::MLPResNet model(784, 100, 3, 10);
  model->to(gpu);
  optim::Adam opt(model->parameters(), 1e-3);
  run_training_steps(state, *model, opt, rand({batch, 784}, gpu), random_labels(batch, gpu));
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaMLPResNetStep)->Arg(128)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

// ResNet training throughput on CIFAR-sized inputs (batch 128, 3x32x32): forward, SoftmaxLoss,
// backward, SGD with momentum, one synchronisation per step. Arg 9 is needle's ResNet9, 18 the
// CIFAR ResNet-18. The PyTorch twins are resnet_images_per_s() in tests/gpu/torch_bench.py (eager,
// cuDNN, fp32, TF32 off on both sides).
void BM_CudaResNetStep(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const int64_t depth = state.range(0), batch = 128;
  const Device gpu = cuda(0);
  manual_seed(0);
  std::shared_ptr<nn::Module> model = depth == 18
                                          ? nn::ResNet18(3, 10).ptr()
                                          : std::shared_ptr<nn::Module>(nn::ResNet9(3, 10).ptr());
  model->to(gpu);
  optim::SGD opt(model->parameters(), 0.5, 0.9);
  run_training_steps(state, *model, opt, randn({batch, 3, 32, 32}, gpu), random_labels(batch, gpu));
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaResNetStep)->Arg(9)->Arg(18)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace needle

BENCHMARK_MAIN();

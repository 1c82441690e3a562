// LibTorch twin of tests/bench/mlp_step_bench.cc: the same MLPResNet(784, 100, 3, 10) built
// from torch::nn modules, batch 128, forward + cross-entropy + backward + Adam step, in ms.
// Built by tests/bench/libtorch/CMakeLists.txt, a separate project so that libneedle never
// depends on Torch (see that file for the command).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

struct ResidualImpl : torch::nn::Module {
  explicit ResidualImpl(torch::nn::Sequential f) : fn(register_module("fn", f)) {}
  torch::Tensor forward(torch::Tensor x) { return fn->forward(x) + x; }
  torch::nn::Sequential fn;
};
TORCH_MODULE(Residual);

torch::nn::Sequential residual_block(int64_t dim, int64_t hidden, double drop) {
  return torch::nn::Sequential(
      Residual(torch::nn::Sequential(torch::nn::Linear(dim, hidden),
                                     torch::nn::BatchNorm1d(hidden), torch::nn::ReLU(),
                                     torch::nn::Dropout(drop), torch::nn::Linear(hidden, dim),
                                     torch::nn::BatchNorm1d(dim))),
      torch::nn::ReLU());
}

torch::nn::Sequential mlp_resnet(int64_t dim, int64_t hidden, int64_t blocks, int64_t classes,
                                 double drop) {
  torch::nn::Sequential seq(torch::nn::Linear(dim, hidden), torch::nn::ReLU());
  for (int64_t i = 0; i < blocks; ++i) seq->push_back(residual_block(hidden, hidden / 2, drop));
  seq->push_back(torch::nn::Linear(hidden, classes));
  return seq;
}

void BM_LibTorchMLPResNetTrainStep(benchmark::State& state) {
  torch::manual_seed(0);
  auto model = mlp_resnet(784, 100, 3, 10, 0.1);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  auto x = torch::rand({128, 784});
  auto y = torch::randint(0, 10, {128}, torch::kLong);
  for (auto _ : state) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}
BENCHMARK(BM_LibTorchMLPResNetTrainStep)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_LibTorchMLPResNetForwardNoGrad(benchmark::State& state) {
  torch::manual_seed(0);
  auto model = mlp_resnet(784, 100, 3, 10, 0.1);
  model->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::rand({128, 784});
  for (auto _ : state) {
    auto logits = model->forward(x);
    benchmark::DoNotOptimize(logits.data_ptr());
  }
}
BENCHMARK(BM_LibTorchMLPResNetForwardNoGrad)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();

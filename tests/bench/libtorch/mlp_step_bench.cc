// LibTorch twin of tests/bench/mlp_step_bench.cc: the same MLPResNet(784, 100, 3, 10) built
// from torch::nn modules, batch 128, forward + cross-entropy + backward + Adam step, in ms.
// Built by tests/bench/libtorch/CMakeLists.txt, a separate project so that libneedle never
// depends on Torch (see that file for the command).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "all_cores.h"

namespace {

// LibTorch cannot nest Sequentials, so the block and the model are written out; the layers and
// their order are needle's (Linear, BatchNorm1d, ReLU, Dropout, Linear, BatchNorm1d, + x, ReLU).
struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int64_t dim, int64_t hidden, double drop)
      : fc1(register_module("fc1", torch::nn::Linear(dim, hidden))),
        bn1(register_module("bn1", torch::nn::BatchNorm1d(hidden))),
        dropout(register_module("dropout", torch::nn::Dropout(drop))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, dim))),
        bn2(register_module("bn2", torch::nn::BatchNorm1d(dim))) {}
  torch::Tensor forward(torch::Tensor x) {
    auto h = bn2(fc2(dropout(torch::relu(bn1(fc1(x))))));
    return torch::relu(h + x);
  }
  torch::nn::Linear fc1;
  torch::nn::BatchNorm1d bn1;
  torch::nn::Dropout dropout;
  torch::nn::Linear fc2;
  torch::nn::BatchNorm1d bn2;
};
TORCH_MODULE(ResidualBlock);

torch::nn::Sequential mlp_resnet(int64_t dim, int64_t hidden, int64_t blocks, int64_t classes,
                                 double drop) {
  torch::nn::Sequential seq(torch::nn::Linear(dim, hidden), torch::nn::ReLU());
  for (int64_t i = 0; i < blocks; ++i)
    seq->push_back(ResidualBlock(hidden, hidden / 2, drop));
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

NEEDLE_TWIN_BENCHMARK_MAIN()

// Throughput of the data pipeline alone: DataLoader epochs over Fashion-MNIST (the Debian
// files when installed, else synthetic images of the same shape) with the training
// augmentation (RandomCrop(28, padding 2) + RandomFlipHorizontal), batch 128, for 0-2 worker
// threads; and the time to read and validate the gzipped training files. Compare batches/s
// with the training step's rate: the loader should be at least 5x faster.
//   cmake -S . -B build -DNEEDLE_BUILD_BENCHMARKS=ON && cmake --build build -j2 --target
//   data_loader_bench build/tests/bench/data_loader_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "needle/data/data_loader.h"
#include "needle/data/mnist_dataset.h"
#include "needle/data/ndarray_dataset.h"
#include "needle/data/transforms/random_crop.h"
#include "needle/data/transforms/random_flip_horizontal.h"

namespace {

namespace data = needle::data;

const std::string kDir = "/usr/share/datasets/fashion-mnist";

bool have_fashion_mnist() {
  return std::filesystem::exists(kDir + "/train-images-idx3-ubyte.gz") &&
         std::filesystem::exists(kDir + "/train-labels-idx1-ubyte.gz");
}

data::Transforms augmentation(bool on) {
  if (!on) return {};
  return {std::make_shared<data::RandomCrop>(28, 2),
          std::make_shared<data::RandomFlipHorizontal>(0.5)};
}

std::shared_ptr<data::Dataset> make_dataset(bool augment) {
  if (have_fashion_mnist()) {
    return std::make_shared<data::MNISTDataset>(kDir + "/train-images-idx3-ubyte.gz",
                                                kDir + "/train-labels-idx1-ubyte.gz",
                                                augmentation(augment));
  }
  const int64_t n = 60000;
  needle::NDArray images = needle::NDArray::rand({n, 1, 28, 28});
  needle::NDArray labels = needle::NDArray::arange(n, needle::DType::Int64);
  return std::make_shared<data::NDArrayDataset>(images, labels, augmentation(augment));
}

// One iteration = one shuffled epoch. Args: num_workers, augmentation on/off.
void BM_DataLoaderEpoch(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  const bool augment = state.range(1) != 0;
  static std::shared_ptr<data::Dataset> datasets[2];
  auto& ds = datasets[augment ? 1 : 0];
  if (!ds) ds = make_dataset(augment);
  data::DataLoader loader(
      ds, {.batch_size = 128, .shuffle = true, .num_workers = workers, .prefetch = 2, .seed = 0});
  int64_t batches = 0, images = 0;
  for (auto _ : state) {
    for (const data::Batch& batch : loader) {
      benchmark::DoNotOptimize(batch.images.data().data_ptr());
      ++batches;
      images += batch.labels.shape()[0];
    }
  }
  state.SetItemsProcessed(images);
  state.counters["batches/s"] =
      benchmark::Counter(static_cast<double>(batches), benchmark::Counter::kIsRate);
  state.SetLabel(have_fashion_mnist() ? "fashion-mnist" : "synthetic");
}
BENCHMARK(BM_DataLoaderEpoch)
    ->ArgNames({"workers", "augment"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Reading, inflating and validating the 60,000-image training files.
void BM_LoadFashionMNIST(benchmark::State& state) {
  if (!have_fashion_mnist()) {
    state.SkipWithError("Fashion-MNIST not installed at /usr/share/datasets/fashion-mnist");
    return;
  }
  for (auto _ : state) {
    data::MNISTDataset ds(kDir + "/train-images-idx3-ubyte.gz",
                          kDir + "/train-labels-idx1-ubyte.gz");
    benchmark::DoNotOptimize(ds.size());
  }
}
BENCHMARK(BM_LoadFashionMNIST)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

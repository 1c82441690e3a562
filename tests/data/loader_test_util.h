// Helpers shared by the DataLoader tests on the CPU (tests/data) and on CUDA (tests/cuda): an
// augmented image dataset whose batches depend on the seed and the epoch, and a record of every
// batch of several epochs, read back to the host, for comparing loaders.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "needle/data/data_loader.h"
#include "needle/data/ndarray_dataset.h"
#include "needle/data/transforms/random_crop.h"
#include "needle/data/transforms/random_flip_horizontal.h"

namespace needle::data::test {

// n random (channels, size, size) images with the benchmark's augmentation (a padded random
// crop and a random flip), labelled 0 .. n-1.
inline std::shared_ptr<Dataset> augmented_dataset(int64_t n, int64_t channels = 1,
                                                  int64_t size = 8) {
  NDArray images = NDArray::rand({n, channels, size, size}, 0.0, 1.0, DType::Float32);
  NDArray labels = NDArray::arange(n, DType::Int64);
  return std::make_shared<NDArrayDataset>(
      images, labels,
      Transforms{std::make_shared<RandomCrop>(size, 2), std::make_shared<RandomFlipHorizontal>()});
}

// Images and labels of every batch of some epochs, on the host.
struct Epochs {
  std::vector<std::vector<std::vector<float>>> images;
  std::vector<std::vector<std::vector<int64_t>>> labels;
  bool operator==(const Epochs&) const = default;
};

inline Epochs run_epochs(DataLoader& loader, int epochs) {
  Epochs out;
  for (int e = 0; e < epochs; ++e) {
    out.images.emplace_back();
    out.labels.emplace_back();
    for (const Batch& b : loader) {
      out.images.back().push_back(b.images.data().to_vector<float>());
      out.labels.back().push_back(b.labels.data().to_vector<int64_t>());
    }
  }
  return out;
}

}  // namespace needle::data::test

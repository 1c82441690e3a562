// NDArrayDataset: examples held in memory as one array of images and one of labels (needle's
// NDArrayDataset), for synthetic data, tests and data already decoded by the caller.
#pragma once

#include "needle/data/dataset.h"
#include "needle/ndarray.h"

namespace needle::data {

class NDArrayDataset : public Dataset {
 public:
  // images: (N, ...) of any dtype (kept as float32 on the host); labels: (N,) integers.
  // Transforms need (N, C, H, W) images.
  NDArrayDataset(const NDArray& images, const NDArray& labels, Transforms transforms = {});

  int64_t size() const override { return size_; }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;
  int64_t get_into(int64_t index, Generator& gen, Image& image) const override;

 private:
  int64_t size_ = 0;
  Shape example_shape_;
  std::vector<float> images_;  // N * numel(example_shape_)
  std::vector<int64_t> labels_;
};

}  // namespace needle::data

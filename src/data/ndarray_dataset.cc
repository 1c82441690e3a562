// NDArrayDataset: examples served from in-memory arrays.
#include "needle/data/ndarray_dataset.h"

#include <algorithm>
#include <cstring>

#include "needle/error.h"

namespace needle::data {

NDArrayDataset::NDArrayDataset(const NDArray& images, const NDArray& labels, Transforms transforms)
    : Dataset(std::move(transforms)) {
  NEEDLE_CHECK_AS(ShapeError, images.defined() && images.ndim() >= 1,
                  "NDArrayDataset: images must have a leading example axis, got shape {}",
                  images.defined() ? shape_str(images.shape()) : std::string("(undefined)"));
  NEEDLE_CHECK_AS(ShapeError, labels.defined() && labels.ndim() == 1,
                  "NDArrayDataset: labels must be 1-D, got shape {}",
                  labels.defined() ? shape_str(labels.shape()) : std::string("(undefined)"));
  NEEDLE_CHECK_AS(ShapeError, images.shape(0) == labels.shape(0),
                  "NDArrayDataset: {} images but {} labels", images.shape(0), labels.shape(0));
  NEEDLE_CHECK_AS(DTypeError, !is_floating(labels.dtype()),
                  "NDArrayDataset: labels must be integers, got {}", labels.dtype());
  size_ = images.shape(0);
  example_shape_.assign(images.shape().begin() + 1, images.shape().end());
  images_ = images.to_vector<float>();
  labels_ = labels.to_vector<int64_t>();
}

int64_t NDArrayDataset::get_into(int64_t index, Generator& gen, Image& image) const {
  check_index(index, "NDArrayDataset");
  const int64_t per = numel(example_shape_);
  image.shape = example_shape_;
  image.data.resize(static_cast<size_t>(per));
  std::copy_n(images_.data() + index * per, per, image.data.data());
  apply_transforms(image, gen);
  return labels_[static_cast<size_t>(index)];
}

Example NDArrayDataset::get(int64_t index, Generator& gen) const {
  Image image;
  int64_t label = get_into(index, gen, image);
  return Example{image.to_ndarray(), label};
}

}  // namespace needle::data

// Image: conversions between host Images and NDArrays.
#include "needle/data/image.h"

#include <cstring>

#include "needle/error.h"

namespace needle::data {

Image::Image(int64_t channels, int64_t height, int64_t width, float value)
    : shape{channels, height, width}, data(static_cast<size_t>(channels * height * width), value) {}

void Image::reshape(int64_t channels, int64_t height, int64_t width) {
  shape.assign({channels, height, width});
  data.resize(static_cast<size_t>(channels * height * width));
}

void Image::check_chw(const char* op) const {
  NEEDLE_CHECK_AS(ShapeError, shape.size() == 3 && shape[0] > 0 && shape[1] > 0 && shape[2] > 0,
                  "{}: expected a (C, H, W) image with no empty axis, got shape {}", op,
                  shape_str(shape));
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(data.size()) == numel(),
                  "{}: image of shape {} holds {} values", op, shape_str(shape), data.size());
}

void Image::assign(const NDArray& array) {
  NEEDLE_CHECK_AS(ShapeError, array.defined(), "Image::assign: the array is undefined");
  NDArray host = array.to(cpu()).astype(DType::Float32).compact();
  shape = host.shape();
  data.resize(static_cast<size_t>(host.numel()));
  if (!data.empty()) {
    std::memcpy(data.data(), host.data<float>(), data.size() * sizeof(float));
  }
}

Image Image::from_ndarray(const NDArray& array) {
  Image image;
  image.assign(array);
  return image;
}

NDArray Image::to_ndarray(const Device& device) const {
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(data.size()) == numel(),
                  "Image::to_ndarray: image of shape {} holds {} values", shape_str(shape),
                  data.size());
  return NDArray::from_host(data.data(), shape, DType::Float32, device);
}

}  // namespace needle::data

// Image: a dense float32 host buffer with a shape, (C, H, W) for images. It is what transforms
// rewrite and what the loader collates from: a worker keeps one Image and reuses its memory for
// every example, so decoding and augmenting allocate nothing once the buffers are warm.
#pragma once

#include <cstdint>
#include <vector>

#include "needle/device.h"
#include "needle/ndarray.h"
#include "needle/shape.h"

namespace needle::data {

struct Image {
  Shape shape;  // (C, H, W) for images; a dataset may use any shape if it has no transforms
  std::vector<float> data;  // numel(shape) values, row-major

  Image() = default;
  Image(int64_t channels, int64_t height, int64_t width, float value = 0.0f);

  // Sets the shape to (C, H, W) and sizes `data` for it; keeps the capacity, so no allocation
  // when the image was at least this large before. Pixel values are left unspecified.
  void reshape(int64_t channels, int64_t height, int64_t width);
  // The CHW extents, for 3-D images: callers run check_chw() first.
  int64_t channels() const { return shape[0]; }
  int64_t height() const { return shape[1]; }
  int64_t width() const { return shape[2]; }
  // Throws ShapeError naming `op` unless the image is 3-D with no empty extent.
  void check_chw(const char* op) const;
  int64_t numel() const { return needle::numel(shape); }

  float& at(int64_t c, int64_t y, int64_t x) { return data[(c * shape[1] + y) * shape[2] + x]; }
  float at(int64_t c, int64_t y, int64_t x) const {
    return data[(c * shape[1] + y) * shape[2] + x];
  }

  // Copies `array` (any dtype, device or strides) into this image, reusing its memory.
  void assign(const NDArray& array);
  static Image from_ndarray(const NDArray& array);
  // A new float32 array of this image's shape on `device`.
  NDArray to_ndarray(const Device& device = cpu()) const;
};

}  // namespace needle::data

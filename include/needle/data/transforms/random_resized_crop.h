// RandomResizedCrop: crops a random window (area fraction uniform in `scale`, aspect ratio
// log-uniform in `ratio`; torchvision's ten tries, then a centre crop) and resizes it
// bilinearly to (size, size), as torchvision's RandomResizedCrop. get_params draws the window
// apply uses, as torchvision's RandomResizedCrop.get_params.
#pragma once

#include <cstdint>
#include <utility>

#include "needle/data/transform.h"

namespace needle::data {

class RandomResizedCrop : public Transform {
 public:
  explicit RandomResizedCrop(int64_t size, std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0});
  RandomResizedCrop(int64_t height, int64_t width, std::pair<double, double> scale,
                    std::pair<double, double> ratio);
  // The window [top, top + height) x [left, left + width) cropped from a (height, width) image.
  struct CropBox {
    int64_t top, left, height, width;
  };
  CropBox get_params(int64_t height, int64_t width, Generator& gen) const;
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  int64_t height_, width_;
  std::pair<double, double> scale_, ratio_;
};

}  // namespace needle::data

// RandomAffine: a random rotation, scale and translation about the image centre in one
// bilinear resampling (zeros outside), as torchvision's RandomAffine without shear.
#pragma once

#include <utility>

#include "needle/data/transform.h"

namespace needle::data {

class RandomAffine : public Transform {
 public:
  // Angle uniform in [-degrees, degrees]; shifts uniform in [-translate.first * W,
  // translate.first * W] horizontally and [-translate.second * H, ...] vertically, rounded to
  // whole pixels; scale uniform in [scale.first, scale.second].
  explicit RandomAffine(double degrees, std::pair<double, double> translate = {0.0, 0.0},
                        std::pair<double, double> scale = {1.0, 1.0});
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  double degrees_;
  std::pair<double, double> translate_, scale_;
};

}  // namespace needle::data

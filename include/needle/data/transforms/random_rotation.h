// RandomRotation: rotates the image about its centre by an angle uniform in [min, max] degrees
// (positive = counter-clockwise, as torchvision), bilinear sampling, zeros outside the input.
#pragma once

#include "needle/data/transform.h"

namespace needle::data {

class RandomRotation : public Transform {
 public:
  // Angles in [-degrees, degrees].
  explicit RandomRotation(double degrees);
  RandomRotation(double min_degrees, double max_degrees);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  double min_degrees_, max_degrees_;
};

}  // namespace needle::data

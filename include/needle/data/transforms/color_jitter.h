// ColorJitter: random brightness then contrast changes for images in [0, 1] (apply it before
// Normalize). Brightness scales every value by a factor uniform in [max(0, 1 - b), 1 + b];
// contrast blends with the mean grey level by a factor uniform in [max(0, 1 - c), 1 + c];
// results are clamped to [0, 1] as torchvision does. A zero strength leaves the image as is.
// get_params draws the factors apply uses, as torchvision's ColorJitter.get_params.
#pragma once

#include "needle/data/transform.h"

namespace needle::data {

class ColorJitter : public Transform {
 public:
  explicit ColorJitter(double brightness = 0.0, double contrast = 0.0);
  // The factors of one image; 1 (no change) for a zero strength, which draws nothing.
  struct Factors {
    double brightness = 1.0;
    double contrast = 1.0;
  };
  Factors get_params(Generator& gen) const;
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  double brightness_, contrast_;
};

}  // namespace needle::data

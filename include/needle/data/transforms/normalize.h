// Normalize: (x - mean[c]) / std[c] per channel, as torchvision's Normalize.
#pragma once

#include <vector>

#include "needle/data/transform.h"

namespace needle::data {

class Normalize : public Transform {
 public:
  // One value per channel, or one value for all channels; every std must be non-zero.
  Normalize(std::vector<float> mean, std::vector<float> std);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  std::vector<float> mean_, std_;
};

}  // namespace needle::data

// Resize: bilinear resampling to (height, width) with align_corners=false and no antialiasing,
// matching torch.nn.functional.interpolate(mode="bilinear").
#pragma once

#include <cstdint>

#include "needle/data/transform.h"

namespace needle::data {

class Resize : public Transform {
 public:
  Resize(int64_t height, int64_t width);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  int64_t height_, width_;
};

}  // namespace needle::data

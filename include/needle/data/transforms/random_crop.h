// RandomCrop: pads the image with `padding` zeros on every side, then crops a (height, width)
// window at a uniformly random offset. With the input's own size this is needle's RandomCrop:
// out[y, x] = in[y + dy, x + dx], dy and dx uniform in [-padding, padding], 0 outside.
#pragma once

#include <cstdint>

#include "needle/data/transform.h"

namespace needle::data {

class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t size, int64_t padding = 0);
  RandomCrop(int64_t height, int64_t width, int64_t padding);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  int64_t height_, width_, padding_;
};

}  // namespace needle::data

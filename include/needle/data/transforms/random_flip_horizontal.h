// RandomFlipHorizontal: mirrors the image left-right with probability p (one draw per image).
#pragma once

#include "needle/data/transform.h"

namespace needle::data {

class RandomFlipHorizontal : public Transform {
 public:
  explicit RandomFlipHorizontal(double p = 0.5);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  double p_;
};

}  // namespace needle::data

// Compose: several transforms applied in order as one.
#pragma once

#include "needle/data/transform.h"

namespace needle::data {

class Compose : public Transform {
 public:
  explicit Compose(Transforms transforms);
  void apply(Image& image, Generator& gen) const override;
  std::string name() const override;

 private:
  Transforms transforms_;
};

}  // namespace needle::data

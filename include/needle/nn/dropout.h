// nn::Dropout(p): in training, zeroes each element with probability p and scales the survivors
// by 1/(1-p) (inverted dropout), so evaluation is the identity. The mask is drawn per forward
// call from ndl::rand (keep where U <= 1-p, as needle), so manual_seed() repeats it.
#pragma once

#include <string>

#include "needle/nn/module.h"

namespace needle::nn {

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(double p = 0.5);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  double p;
};
NEEDLE_MODULE(Dropout);

}  // namespace needle::nn

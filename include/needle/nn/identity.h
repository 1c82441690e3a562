// nn::Identity: returns its input unchanged (a placeholder, e.g. "no normalization").
#pragma once

#include "needle/nn/module.h"

namespace needle::nn {

class IdentityImpl : public Module {
 public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};
NEEDLE_MODULE(Identity);

}  // namespace needle::nn

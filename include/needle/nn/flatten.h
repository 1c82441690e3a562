// nn::Flatten: (B, X0, X1, ...) -> (B, X0 * X1 * ...), a view where the strides allow it.
#pragma once

#include "needle/nn/module.h"

namespace needle::nn {

class FlattenImpl : public Module {
 public:
  FlattenImpl() : Module("Flatten") {}
  Tensor forward(const Tensor& input) override;
};
NEEDLE_MODULE(Flatten);

}  // namespace needle::nn

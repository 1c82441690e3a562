// nn::Residual: fn(x) + x. The wrapped module is registered as "fn", so a parameter inside it
// is named "fn.0.weight" (the name a PyTorch Residual with `self.fn = fn` gives).
#pragma once

#include <memory>

#include "needle/nn/module.h"

namespace needle::nn {

class ResidualImpl : public Module {
 public:
  explicit ResidualImpl(std::shared_ptr<Module> fn);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<Module> fn;
};
NEEDLE_MODULE(Residual);

}  // namespace needle::nn

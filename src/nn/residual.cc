// nn::Residual: fn(x) + x.
#include "needle/nn/residual.h"

#include "needle/ops.h"

namespace needle::nn {

ResidualImpl::ResidualImpl(std::shared_ptr<Module> fn_) : Module("Residual") {
  fn = register_module("fn", std::move(fn_));
}

Tensor ResidualImpl::forward(const Tensor& input) {
  return (*fn)(input) + input;
}

}  // namespace needle::nn

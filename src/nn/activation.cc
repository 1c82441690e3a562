// The activation modules: thin wrappers over the ops of the same names.
#include "needle/nn/activation.h"

#include <fmt/format.h>

#include "needle/ops.h"

namespace needle::nn {

Tensor ReLUImpl::forward(const Tensor& input) {
  return relu(input);
}
Tensor TanhImpl::forward(const Tensor& input) {
  return tanh(input);
}
Tensor SigmoidImpl::forward(const Tensor& input) {
  return sigmoid(input);
}

GELUImpl::GELUImpl(GeluApproximation approximate_) : Module("GELU"), approximate(approximate_) {}
Tensor GELUImpl::forward(const Tensor& input) {
  return gelu(input, approximate);
}
std::string GELUImpl::extra_repr() const {
  return approximate == GeluApproximation::Tanh ? "approximate='tanh'" : "";
}

Tensor SiLUImpl::forward(const Tensor& input) {
  return silu(input);
}

Tensor SoftmaxImpl::forward(const Tensor& input) {
  return softmax(input, dim);
}
std::string SoftmaxImpl::extra_repr() const {
  return fmt::format("dim={}", dim);
}

Tensor LogSoftmaxImpl::forward(const Tensor& input) {
  return log_softmax(input, dim);
}
std::string LogSoftmaxImpl::extra_repr() const {
  return fmt::format("dim={}", dim);
}

}  // namespace needle::nn

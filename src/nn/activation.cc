// ReLU, Tanh and Sigmoid modules: thin wrappers over the ops of the same names.
#include "needle/nn/activation.h"

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

}  // namespace needle::nn

// Parameter-free elementwise activation modules: ReLU, Tanh, Sigmoid. Each wraps the Tensor op
// of the same name (ops.h), so its gradient is the op's.
#pragma once

#include "needle/nn/module.h"

namespace needle::nn {

class ReLUImpl : public Module {
 public:
  ReLUImpl() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;
};
NEEDLE_MODULE(ReLU);

class TanhImpl : public Module {
 public:
  TanhImpl() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;
};
NEEDLE_MODULE(Tanh);

class SigmoidImpl : public Module {
 public:
  SigmoidImpl() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;
};
NEEDLE_MODULE(Sigmoid);

}  // namespace needle::nn

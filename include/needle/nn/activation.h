// Parameter-free activation modules: ReLU, Tanh, Sigmoid, GELU, SiLU, Softmax, LogSoftmax. Each
// wraps the Tensor op of the same name (ops.h), so its gradient is the op's.
#pragma once

#include <string>

#include "needle/nn/module.h"
#include "needle/ops.h"

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

// torch.nn.GELU(approximate="none" | "tanh").
class GELUImpl : public Module {
 public:
  explicit GELUImpl(GeluApproximation approximate = GeluApproximation::None);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  GeluApproximation approximate;
};
NEEDLE_MODULE(GELU);

class SiLUImpl : public Module {
 public:
  SiLUImpl() : Module("SiLU") {}
  Tensor forward(const Tensor& input) override;
};
NEEDLE_MODULE(SiLU);

// torch.nn.Softmax(dim) / LogSoftmax(dim).
class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim_ = -1) : Module("Softmax"), dim(dim_) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  int64_t dim;
};
NEEDLE_MODULE(Softmax);

class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim_ = -1) : Module("LogSoftmax"), dim(dim_) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  int64_t dim;
};
NEEDLE_MODULE(LogSoftmax);

}  // namespace needle::nn

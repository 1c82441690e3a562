// Pooling layers over NCHW inputs (the functions in needle/pooling.h as modules, with PyTorch's
// constructor arguments). They have no parameters.
#pragma once

#include <cstdint>
#include <string>

#include "needle/nn/module.h"

namespace needle::nn {

class MaxPool2dImpl : public Module {
 public:
  // stride 0 means kernel_size (PyTorch's default).
  explicit MaxPool2dImpl(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t kernel_size;
  int64_t stride;
  int64_t padding;
};
NEEDLE_MODULE(MaxPool2d);

class AvgPool2dImpl : public Module {
 public:
  explicit AvgPool2dImpl(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t kernel_size;
  int64_t stride;
  int64_t padding;
};
NEEDLE_MODULE(AvgPool2d);

class AdaptiveAvgPool2dImpl : public Module {
 public:
  explicit AdaptiveAvgPool2dImpl(int64_t output_size = 1);
  AdaptiveAvgPool2dImpl(int64_t output_h, int64_t output_w);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t output_h;
  int64_t output_w;
};
NEEDLE_MODULE(AdaptiveAvgPool2d);

}  // namespace needle::nn

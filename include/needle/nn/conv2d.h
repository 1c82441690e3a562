// nn::Conv2d over NCHW inputs with PyTorch's layout and key names (weight (out, in / groups, k,
// k), bias (out)), so state dicts move to and from PyTorch. Initialization follows the lecture:
// the weight is kaiming_uniform by fan-in, U(+-sqrt(6 / fan_in)) with fan_in = in / groups * k * k,
// and the bias U(+-1 / sqrt(fan_in)) as needle and PyTorch draw it. Unlike needle's Conv, the
// padding is an explicit argument (needle always pads k / 2); ResNet's ConvBN passes k / 2.
#pragma once

#include <cstdint>
#include <string>

#include "needle/backend.h"
#include "needle/init.h"
#include "needle/nn/module.h"

namespace needle::nn {

class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1,
             int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1, bool bias = true,
             const init::Options& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t in_channels;
  int64_t out_channels;
  int64_t kernel_size;
  Conv2dParams params;
  Tensor weight;  // (out_channels, in_channels / groups, kernel_size, kernel_size)
  Tensor bias;    // (out_channels,), undefined when built without bias
};
NEEDLE_MODULE(Conv2d);

}  // namespace needle::nn

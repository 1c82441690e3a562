// needle's ResNet9 (hw4) as a model users construct. ConvBN(a, b, k, s) = Sequential(Conv2d(a,
// b, k, stride s, padding k / 2), BatchNorm2d(b), ReLU); the model is
//   ConvBN(in, 16, 7, 4), ConvBN(16, 32, 3, 2),
//   Residual(Sequential(ConvBN(32, 32, 3, 1), ConvBN(32, 32, 3, 1))),
//   ConvBN(32, 64, 3, 2), ConvBN(64, 128, 3, 2),
//   Residual(Sequential(ConvBN(128, 128, 3, 1), ConvBN(128, 128, 3, 1))),
//   Flatten, Linear(128, 128), ReLU, Linear(128, num_classes).
// The convolutions keep their bias, as needle's do, so a 3-channel model has needle's 431,946
// parameters. The stride-16 stem brings 32x32 CIFAR-10 and 28x28 Fashion-MNIST images alike to
// 1x1 before Flatten; `in_channels` = 1 adapts the first layer to grayscale.
#pragma once

#include <cstdint>

#include "needle/init.h"
#include "needle/nn/sequential.h"

namespace needle::nn {

Sequential ConvBN(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
                  const init::Options& options = {});

class ResNet9Impl : public SequentialImpl {
 public:
  explicit ResNet9Impl(int64_t in_channels = 3, int64_t num_classes = 10,
                       const init::Options& options = {});
};
NEEDLE_MODULE(ResNet9);

}  // namespace needle::nn

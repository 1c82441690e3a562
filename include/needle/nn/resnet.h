// needle's ResNet9 (hw4) as a model users construct. ConvBN(a, b, k, s) = Sequential(Conv2d(a,
// b, k, stride s, padding k / 2), BatchNorm2d(b), ReLU); the model is
//   ConvBN(in, 16, 7, 4), ConvBN(16, 32, 3, 2),
//   Residual(Sequential(ConvBN(32, 32, 3, 1), ConvBN(32, 32, 3, 1))),
//   ConvBN(32, 64, 3, 2), ConvBN(64, 128, 3, 2),
//   Residual(Sequential(ConvBN(128, 128, 3, 1), ConvBN(128, 128, 3, 1))),
//   Flatten, Linear(128, 128), ReLU, Linear(128, num_classes).
// The convolutions keep their bias, as needle's do, so a 3-channel model has needle's 431,946
// parameters. The stride-16 network brings 32x32 CIFAR-10 and 28x28 Fashion-MNIST images alike
// to 1x1 before Flatten; `in_channels` = 1 adapts the first layer to grayscale.
//
// ResNet9Stem::Small adapts the first layer to small images instead: ConvBN(in, 16, 3, 1) keeps
// every pixel of a 28x28 digit or garment (the 7x7 stride-4 stem reduces it to 7x7 at once), and
// layer 6 becomes Sequential(AdaptiveAvgPool2d(1), Flatten) so the 4x4 maps it then ends with
// are averaged. Neither change adds a parameter or moves a key: the state dict has the same
// names, only "0.0.weight" has shape (16, in, 3, 3).
#pragma once

#include <cstdint>

#include "needle/init.h"
#include "needle/nn/sequential.h"

namespace needle::nn {

Sequential ConvBN(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
                  const init::Options& options = {});

enum class ResNet9Stem { Needle, Small };

class ResNet9Impl : public SequentialImpl {
 public:
  explicit ResNet9Impl(int64_t in_channels = 3, int64_t num_classes = 10,
                       const init::Options& options = {}, ResNet9Stem stem = ResNet9Stem::Needle);
};
NEEDLE_MODULE(ResNet9);

}  // namespace needle::nn

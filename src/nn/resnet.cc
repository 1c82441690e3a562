// needle's ResNet9, built in execution order so the random draws match the layer order
// (resnet.h).
#include "needle/nn/resnet.h"

#include "needle/nn/activation.h"
#include "needle/nn/batch_norm2d.h"
#include "needle/nn/conv2d.h"
#include "needle/nn/flatten.h"
#include "needle/nn/linear.h"
#include "needle/nn/pooling.h"
#include "needle/nn/residual.h"

namespace needle::nn {

Sequential ConvBN(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
                  const init::Options& options) {
  Sequential block;
  block->push_back(
      Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size / 2, 1, 1, true, options));
  block->push_back(BatchNorm2d(out_channels, 1e-5, 0.1, options));
  block->push_back(ReLU());
  return block;
}

namespace {

Residual residual_pair(int64_t channels, const init::Options& options) {
  Sequential inner;
  inner->push_back(ConvBN(channels, channels, 3, 1, options));
  inner->push_back(ConvBN(channels, channels, 3, 1, options));
  return Residual(inner.ptr());
}

}  // namespace

ResNet9Impl::ResNet9Impl(int64_t in_channels, int64_t num_classes, const init::Options& options,
                         ResNet9Stem stem)
    : SequentialImpl("ResNet9") {
  NEEDLE_CHECK_AS(ShapeError, in_channels > 0 && num_classes > 0,
                  "ResNet9: in_channels and num_classes must be positive, got {} and {}",
                  in_channels, num_classes);
  const bool small = stem == ResNet9Stem::Small;
  push_back(small ? ConvBN(in_channels, 16, 3, 1, options)
                  : ConvBN(in_channels, 16, 7, 4, options));
  push_back(ConvBN(16, 32, 3, 2, options));
  push_back(residual_pair(32, options));
  push_back(ConvBN(32, 64, 3, 2, options));
  push_back(ConvBN(64, 128, 3, 2, options));
  push_back(residual_pair(128, options));
  if (small) {
    push_back(Sequential(AdaptiveAvgPool2d(1), Flatten()));
  } else {
    push_back(Flatten());
  }
  push_back(Linear(128, 128, true, options));
  push_back(ReLU());
  push_back(Linear(128, num_classes, true, options));
}

}  // namespace needle::nn

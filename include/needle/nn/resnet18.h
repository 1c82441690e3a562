// ResNet-18 for CIFAR-sized images (He et al. 2016, with the 3x3 stride-1 stem and no max-pool
// that CIFAR variants use): conv1 3x3 -> bn1 -> ReLU, then layer1..layer4 of two BasicBlocks
// each (64, 128, 256, 512 channels; layer2..4 halve the resolution in their first block),
// global average pooling and fc. Key names follow torchvision's resnet18 (conv1, bn1,
// layer2.0.conv1, layer2.0.downsample.0, fc ...), so weights move to and from PyTorch; 11,173,962
// parameters for 3 channels and 10 classes. Convolutions have no bias (BatchNorm follows each).
#pragma once

#include <cstdint>
#include <string>

#include "needle/init.h"
#include "needle/nn/batch_norm2d.h"
#include "needle/nn/conv2d.h"
#include "needle/nn/linear.h"
#include "needle/nn/module.h"
#include "needle/nn/pooling.h"
#include "needle/nn/sequential.h"

namespace needle::nn {

// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the shortcut is the identity, or
// downsample = Sequential(1x1 Conv2d with the block's stride, BatchNorm2d) when the block
// changes the resolution or the channel count.
class BasicBlockImpl : public Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride = 1,
                 const init::Options& options = {});
  Tensor forward(const Tensor& input) override;

  Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  Conv2d conv2{nullptr};
  BatchNorm2d bn2{nullptr};
  Sequential downsample{nullptr};  // empty holder for the identity shortcut
};
NEEDLE_MODULE(BasicBlock);

class ResNet18Impl : public Module {
 public:
  explicit ResNet18Impl(int64_t in_channels = 3, int64_t num_classes = 10,
                        const init::Options& options = {});
  Tensor forward(const Tensor& input) override;

  Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  AdaptiveAvgPool2d avgpool{nullptr};
  Linear fc{nullptr};
};
NEEDLE_MODULE(ResNet18);

}  // namespace needle::nn

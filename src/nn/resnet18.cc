// ResNet-18 and its BasicBlock (resnet18.h). Modules are built in execution order so that
// manual_seed gives the same initial weights whatever else the program constructs later.
#include "needle/nn/resnet18.h"

#include "needle/error.h"
#include "needle/ops.h"

namespace needle::nn {

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                               const init::Options& options)
    : Module("BasicBlock") {
  NEEDLE_CHECK_AS(ShapeError, in_channels > 0 && out_channels > 0 && stride > 0,
                  "BasicBlock: channels and stride must be positive, got in={} out={} stride={}",
                  in_channels, out_channels, stride);
  conv1 = register_module("conv1",
                          Conv2d(in_channels, out_channels, 3, stride, 1, 1, 1, false, options));
  bn1 = register_module("bn1", BatchNorm2d(out_channels, 1e-5, 0.1, options));
  conv2 =
      register_module("conv2", Conv2d(out_channels, out_channels, 3, 1, 1, 1, 1, false, options));
  bn2 = register_module("bn2", BatchNorm2d(out_channels, 1e-5, 0.1, options));
  if (stride != 1 || in_channels != out_channels) {
    downsample = register_module(
        "downsample",
        Sequential(Conv2d(in_channels, out_channels, 1, stride, 0, 1, 1, false, options),
                   BatchNorm2d(out_channels, 1e-5, 0.1, options)));
  }
}

Tensor BasicBlockImpl::forward(const Tensor& x) {
  const Tensor h = bn2(conv2(relu(bn1(conv1(x)))));
  return relu(h + (downsample.is_empty() ? x : downsample(x)));
}

namespace {

Sequential stage(int64_t in_channels, int64_t out_channels, int64_t stride,
                 const init::Options& options) {
  return Sequential(BasicBlock(in_channels, out_channels, stride, options),
                    BasicBlock(out_channels, out_channels, 1, options));
}

}  // namespace

ResNet18Impl::ResNet18Impl(int64_t in_channels, int64_t num_classes, const init::Options& options)
    : Module("ResNet18") {
  NEEDLE_CHECK_AS(ShapeError, in_channels > 0 && num_classes > 0,
                  "ResNet18: in_channels and num_classes must be positive, got {} and {}",
                  in_channels, num_classes);
  conv1 = register_module("conv1", Conv2d(in_channels, 64, 3, 1, 1, 1, 1, false, options));
  bn1 = register_module("bn1", BatchNorm2d(64, 1e-5, 0.1, options));
  layer1 = register_module("layer1", stage(64, 64, 1, options));
  layer2 = register_module("layer2", stage(64, 128, 2, options));
  layer3 = register_module("layer3", stage(128, 256, 2, options));
  layer4 = register_module("layer4", stage(256, 512, 2, options));
  avgpool = register_module("avgpool", AdaptiveAvgPool2d(1));
  fc = register_module("fc", Linear(512, num_classes, true, options));
}

Tensor ResNet18Impl::forward(const Tensor& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 4 && x.shape(1) == conv1->in_channels,
                  "ResNet18: expected input (N, {}, H, W), got {}", conv1->in_channels,
                  shape_str(x.shape()));
  Tensor h = relu(bn1(conv1(x)));
  h = layer4(layer3(layer2(layer1(h))));
  return fc(reshape(avgpool(h), {x.shape(0), -1}));
}

}  // namespace needle::nn

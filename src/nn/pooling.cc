// Pooling modules: thin wrappers over needle/pooling.h that keep PyTorch's arguments.
#include "needle/nn/pooling.h"

#include <fmt/format.h>

#include "needle/pooling.h"

namespace needle::nn {

MaxPool2dImpl::MaxPool2dImpl(int64_t kernel_size_, int64_t stride_, int64_t padding_)
    : Module("MaxPool2d"),
      kernel_size(kernel_size_),
      stride(stride_ == 0 ? kernel_size_ : stride_),
      padding(padding_) {}

Tensor MaxPool2dImpl::forward(const Tensor& input) {
  return max_pool2d(input, kernel_size, stride, padding);
}

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", kernel_size, stride, padding);
}

AvgPool2dImpl::AvgPool2dImpl(int64_t kernel_size_, int64_t stride_, int64_t padding_)
    : Module("AvgPool2d"),
      kernel_size(kernel_size_),
      stride(stride_ == 0 ? kernel_size_ : stride_),
      padding(padding_) {}

Tensor AvgPool2dImpl::forward(const Tensor& input) {
  return avg_pool2d(input, kernel_size, stride, padding);
}

std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", kernel_size, stride, padding);
}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(int64_t output_size)
    : AdaptiveAvgPool2dImpl(output_size, output_size) {}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(int64_t output_h_, int64_t output_w_)
    : Module("AdaptiveAvgPool2d"), output_h(output_h_), output_w(output_w_) {
  NEEDLE_CHECK_AS(ShapeError, output_h > 0 && output_w > 0,
                  "AdaptiveAvgPool2d: output size ({}, {}) must be positive", output_h, output_w);
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) {
  return adaptive_avg_pool2d(input, output_h, output_w);
}

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  return fmt::format("output_size=({}, {})", output_h, output_w);
}

}  // namespace needle::nn

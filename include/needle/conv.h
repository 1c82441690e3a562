// Differentiable 2-D convolution on Tensors (NCHW, PyTorch weight layout (out, in / groups,
// kh, kw)). The input and weight gradients are themselves ops (conv2d_backward_input,
// conv2d_backward_weight) whose gradients are again convolutions, so the convolution is
// differentiable any number of times. The kernels live behind the Backend seam
// (Backend::conv2d_*): im2col + GEMM on the CPU.
#pragma once

#include <cstdint>

#include "needle/backend.h"  // Conv2dParams, conv2d_output_shape
#include "needle/tensor.h"

namespace needle {

// out (N, O, Ho, Wo) = cross-correlation of input (N, C, H, W) with weight
// (O, C / groups, kh, kw), plus bias (O,) when `bias` is defined. Throws ShapeError naming
// conv2d and the shapes on mismatched channels, groups that do not divide the channels, a
// kernel larger than the padded input, or wrong ranks.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv2dParams& params);
// The same with square stride / padding / dilation, as torch.nn.functional.conv2d.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);

// The gradient of conv2d with respect to its input of shape `input_shape`, given the gradient
// of its output (torch.nn.grad.conv2d_input). Linear in grad_out and in weight.
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& input_shape,
                             const Conv2dParams& params);
// The gradient of conv2d with respect to its weight of shape `weight_shape`
// (torch.nn.grad.conv2d_weight). Linear in input and in grad_out.
Tensor conv2d_backward_weight(const Tensor& input, const Tensor& grad_out,
                              const Shape& weight_shape, const Conv2dParams& params);

}  // namespace needle

// Differentiable 2-D pooling over NCHW inputs, built from views and existing differentiable ops
// (pad, slice, reshape, stack, max, mean), so they run on every backend and their gradients are
// differentiable again. When the windows tile the input (stride == kernel), a pooling is a
// reshape to (N, C, Ho, k, Wo, k) and one reduction; otherwise the k * k strided window slices
// are stacked and reduced. As torch.amax, max pooling splits the gradient evenly between tied
// maxima (PyTorch's max_pool2d gives it all to one of them).
#pragma once

#include <cstdint>

#include "needle/tensor.h"

namespace needle {

// Square windows of `kernel_size`, `stride` (0 means kernel_size, as PyTorch's default), and
// implicit -inf padding of at most kernel_size / 2. ShapeError on a non-4-D input or a window
// larger than the padded input.
Tensor max_pool2d(const Tensor& input, int64_t kernel_size, int64_t stride = 0,
                  int64_t padding = 0);
// The same windows, averaged; zero padding counts towards the average (PyTorch's default
// count_include_pad=true).
Tensor avg_pool2d(const Tensor& input, int64_t kernel_size, int64_t stride = 0,
                  int64_t padding = 0);
// PyTorch's adaptive average pooling to (out_h, out_w): output cell i averages input rows
// [floor(i * H / out_h), ceil((i + 1) * H / out_h)), likewise for columns.
Tensor adaptive_avg_pool2d(const Tensor& input, int64_t out_h, int64_t out_w);

}  // namespace needle

// Batch normalization as one differentiable op (what nn::BatchNorm1d / BatchNorm2d run in
// training mode): per-channel statistics of x (N, C, ...) over every axis but 1, then
//   y = (x - mean) / sqrt(var + eps) * weight + bias     (var biased, as PyTorch normalises).
// The forward and the first-order backward run as fused backend kernels where the backend has
// them (the CPU does: two passes each instead of about ten); elsewhere, and whenever a gradient
// is itself differentiated (create_graph), they are composed from Tensor ops, so higher-order
// gradients stay exact.
#pragma once

#include "needle/ndarray.h"
#include "needle/tensor.h"

namespace needle {

// The batch statistics a caller needs for running averages: mean and biased variance, (C).
struct BatchNormStats {
  NDArray mean;
  NDArray var;
};

// weight and bias are (C) tensors of x's dtype and device. ShapeError for fewer than 2
// dimensions, mismatched parameter shapes, or a single value per channel (no variance).
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5,
                  BatchNormStats* stats = nullptr);

}  // namespace needle

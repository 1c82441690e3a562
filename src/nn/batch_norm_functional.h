// The batch-normalization computation shared by BatchNorm1d (N, C) and BatchNorm2d (N, C, H, W)
// (private to src/nn): statistics over every axis but the channel axis 1, the running
// statistics updated in place in training, and the affine parameters broadcast over the
// trailing axes.
#pragma once

#include "needle/tensor.h"

namespace needle::nn::detail {

// The state a BatchNorm module registers (batch_norm.h documents the keys).
struct BatchNormState {
  Tensor weight;
  Tensor bias;
  Tensor running_mean;
  Tensor running_var;
  Tensor num_batches_tracked;
};

// Normalizes x (N, C, ...) per channel. `who` names the module in errors.
Tensor batch_norm(const Tensor& x, const BatchNormState& state, bool training, double eps,
                  double momentum, const char* who);

}  // namespace needle::nn::detail

// nn::BatchNorm2d over (N, C, H, W) inputs: per-channel statistics over N, H and W, with the
// same conventions as BatchNorm1d (batch_norm.h): biased variance for normalizing, unbiased
// variance (x count/(count-1)) in the running_var update as PyTorch, and PyTorch's keys weight,
// bias, running_mean, running_var, num_batches_tracked.
#pragma once

#include <cstdint>
#include <string>

#include "needle/init.h"
#include "needle/nn/module.h"

namespace needle::nn {

class BatchNorm2dImpl : public Module {
 public:
  explicit BatchNorm2dImpl(int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                           const init::Options& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t num_features;
  double eps;
  double momentum;
  Tensor weight;               // ones(C)
  Tensor bias;                 // zeros(C)
  Tensor running_mean;         // zeros(C)
  Tensor running_var;          // ones(C)
  Tensor num_batches_tracked;  // int64 scalar
};
NEEDLE_MODULE(BatchNorm2d);

}  // namespace needle::nn

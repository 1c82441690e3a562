// nn::BatchNorm1d over (N, C) inputs. Training normalizes with the batch mean and the biased
// batch variance and updates the running statistics with `momentum`
// (running = (1 - momentum) * running + momentum * batch); evaluation normalizes with the running
// statistics. As PyTorch (and unlike needle), the running variance is updated with the unbiased
// batch variance (x N/(N-1)), so running statistics agree with a PyTorch model trained the same
// way. Keys: weight, bias (parameters), running_mean, running_var, num_batches_tracked (int64
// scalar buffer).
#pragma once

#include <cstdint>
#include <string>

#include "needle/init.h"
#include "needle/nn/module.h"

namespace needle::nn {

class BatchNorm1dImpl : public Module {
 public:
  explicit BatchNorm1dImpl(int64_t num_features, double eps = 1e-5, double momentum = 0.1,
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
NEEDLE_MODULE(BatchNorm1d);

}  // namespace needle::nn

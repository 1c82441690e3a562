// nn::LayerNorm1d: normalizes each row of an (..., dim) input over its last axis with the
// biased variance, then scales and shifts: y = (x - mean) / sqrt(var + eps) * weight + bias.
// Keys weight, bias as torch.nn.LayerNorm(dim).
#pragma once

#include <cstdint>
#include <string>

#include "needle/init.h"
#include "needle/nn/module.h"

namespace needle::nn {

class LayerNorm1dImpl : public Module {
 public:
  explicit LayerNorm1dImpl(int64_t dim, double eps = 1e-5, const init::Options& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t dim;
  double eps;
  Tensor weight;  // ones(dim)
  Tensor bias;    // zeros(dim)
};
NEEDLE_MODULE(LayerNorm1d);

}  // namespace needle::nn

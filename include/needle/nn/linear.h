// nn::Linear: y = x W^T + b over the last axis of an input of any rank, with PyTorch's layout
// and key names (weight (out, in), bias (out)) so state dicts move to and from PyTorch.
// Initialization follows the lecture: the weight is kaiming_uniform by fan-in,
// U(-sqrt(6/in), sqrt(6/in)), and the bias starts at zero. (PyTorch draws both from
// U(+-1/sqrt(in)); needle stores the weight as (in, out) and draws the bias as
// kaiming_uniform(out, 1).)
#pragma once

#include <cstdint>
#include <string>

#include "needle/init.h"
#include "needle/nn/module.h"

namespace needle::nn {

class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true,
             const init::Options& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t in_features;
  int64_t out_features;
  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features,), undefined when built without bias
};
NEEDLE_MODULE(Linear);

}  // namespace needle::nn

// nn::LayerNorm1d: per-row normalization over the last axis.
#include "needle/nn/layer_norm.h"

#include <fmt/format.h>

#include "needle/ops.h"

namespace needle::nn {

LayerNorm1dImpl::LayerNorm1dImpl(int64_t dim_, double eps_, const init::Options& options)
    : Module("LayerNorm1d"), dim(dim_), eps(eps_) {
  NEEDLE_CHECK_AS(ShapeError, dim > 0, "LayerNorm1d: dim must be positive, got {}", dim);
  weight = register_parameter("weight", init::ones({dim}, options));
  bias = register_parameter("bias", init::zeros({dim}, options));
}

Tensor LayerNorm1dImpl::forward(const Tensor& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() >= 1 && x.shape(-1) == dim,
                  "LayerNorm1d: input of shape {} does not end in dim={}", shape_str(x.shape()),
                  dim);
  Tensor mu = mean(x, {-1}, /*keepdims=*/true);
  Tensor centered = x - mu;
  Tensor var = mean(centered * centered, {-1}, /*keepdims=*/true);
  return centered * pow(var + eps, -0.5) * weight + bias;
}

std::string LayerNorm1dImpl::extra_repr() const {
  return fmt::format("{}, eps={}", dim, eps);
}

}  // namespace needle::nn

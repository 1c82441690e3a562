// nn::BatchNorm1d: batch statistics in training, running statistics in evaluation.
#include "needle/nn/batch_norm.h"

#include <fmt/format.h>

#include "needle/autograd.h"
#include "needle/ops.h"

namespace needle::nn {

BatchNorm1dImpl::BatchNorm1dImpl(int64_t num_features_, double eps_, double momentum_,
                                 const init::Options& options)
    : Module("BatchNorm1d"), num_features(num_features_), eps(eps_), momentum(momentum_) {
  NEEDLE_CHECK_AS(ShapeError, num_features > 0, "BatchNorm1d: num_features must be positive, got {}",
                  num_features);
  weight = register_parameter("weight", init::ones({num_features}, options));
  bias = register_parameter("bias", init::zeros({num_features}, options));
  running_mean = register_buffer("running_mean", init::zeros({num_features}, options));
  running_var = register_buffer("running_var", init::ones({num_features}, options));
  num_batches_tracked = register_buffer(
      "num_batches_tracked", Tensor(NDArray::zeros({}, DType::Int64, options.device)));
}

Tensor BatchNorm1dImpl::forward(const Tensor& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 2 && x.shape(1) == num_features,
                  "BatchNorm1d: expected input (N, {}), got {}", num_features,
                  shape_str(x.shape()));
  if (!is_training()) {
    Tensor inv_std(pow(running_var.data() + eps, -0.5));
    return (x - Tensor(running_mean.data())) * (inv_std * weight) + bias;
  }
  const int64_t n = x.shape(0);
  NEEDLE_CHECK_AS(ShapeError, n > 1,
                  "BatchNorm1d: training needs more than one sample per batch, got {}",
                  shape_str(x.shape()));
  Tensor mu = mean(x, {0});
  Tensor centered = x - mu;
  Tensor var = mean(centered * centered, {0});  // biased, for normalizing
  Tensor y = centered * (pow(var + eps, -0.5) * weight) + bias;
  {
    NDArray rm = running_mean.data();
    NDArray rv = running_var.data();
    const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
    rm.copy_(rm * (1.0 - momentum) + mu.data() * momentum);
    rv.copy_(rv * (1.0 - momentum) + var.data() * (momentum * unbias));
    NDArray count = num_batches_tracked.data();
    count.copy_(count + 1.0);
  }
  return y;
}

std::string BatchNorm1dImpl::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}", num_features, eps, momentum);
}

}  // namespace needle::nn

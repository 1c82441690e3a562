// nn::BatchNorm1d: batch statistics in training, running statistics in evaluation. The
// computation is shared with BatchNorm2d through detail::batch_norm (batch_norm_functional.h).
#include "needle/nn/batch_norm.h"

#include "needle/batch_norm.h"

#include <fmt/format.h>

#include "needle/autograd.h"
#include "needle/ops.h"
#include "src/nn/batch_norm_functional.h"

namespace needle::nn {
namespace detail {

Tensor batch_norm(const Tensor& x, const BatchNormState& s, bool training, double eps,
                  double momentum, const char* who) {
  const int64_t channels = x.shape(1);
  // Parameters of shape (C,) broadcast against (N, C, d1, ...) once they are (C, 1, ...).
  Shape param_shape(static_cast<size_t>(x.ndim() - 1), 1);
  param_shape[0] = channels;
  auto as_param = [&](const Tensor& t) { return reshape(t, param_shape); };
  if (!training) {
    // Running statistics are constants here: fold them into one scale per channel.
    Tensor inv_std(pow(s.running_var.data() + eps, -0.5));
    return (x - as_param(s.running_mean)) * as_param(inv_std * s.weight) + as_param(s.bias);
  }
  const int64_t n = x.numel() / channels;
  NEEDLE_CHECK_AS(ShapeError, n > 1,
                  "{}: training needs more than one value per channel, got input {}", who,
                  shape_str(x.shape()));
  BatchNormStats stats;
  Tensor y = needle::batch_norm(x, s.weight, s.bias, eps, &stats);
  {
    NDArray rm = s.running_mean.data();
    NDArray rv = s.running_var.data();
    const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
    rm.copy_(rm * (1.0 - momentum) + stats.mean * momentum);
    rv.copy_(rv * (1.0 - momentum) + stats.var * (momentum * unbias));
    NDArray count = s.num_batches_tracked.data();
    count.copy_(count + 1.0);
  }
  return y;
}

}  // namespace detail

BatchNorm1dImpl::BatchNorm1dImpl(int64_t num_features_, double eps_, double momentum_,
                                 const init::Options& options)
    : Module("BatchNorm1d"), num_features(num_features_), eps(eps_), momentum(momentum_) {
  NEEDLE_CHECK_AS(ShapeError, num_features > 0,
                  "BatchNorm1d: num_features must be positive, got {}", num_features);
  weight = register_parameter("weight", init::ones({num_features}, options));
  bias = register_parameter("bias", init::zeros({num_features}, options));
  running_mean = register_buffer("running_mean", init::zeros({num_features}, options));
  running_var = register_buffer("running_var", init::ones({num_features}, options));
  num_batches_tracked = register_buffer("num_batches_tracked",
                                        Tensor(NDArray::zeros({}, DType::Int64, options.device)));
}

Tensor BatchNorm1dImpl::forward(const Tensor& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 2 && x.shape(1) == num_features,
                  "BatchNorm1d: expected input (N, {}), got {}", num_features,
                  shape_str(x.shape()));
  return detail::batch_norm(x, {weight, bias, running_mean, running_var, num_batches_tracked},
                            is_training(), eps, momentum, "BatchNorm1d");
}

std::string BatchNorm1dImpl::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}", num_features, eps, momentum);
}

}  // namespace needle::nn

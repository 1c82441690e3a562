// nn::BatchNorm2d: the BatchNorm1d computation (detail::batch_norm) over N, H and W.
#include "needle/nn/batch_norm2d.h"

#include <fmt/format.h>

#include "src/nn/batch_norm_functional.h"

namespace needle::nn {

BatchNorm2dImpl::BatchNorm2dImpl(int64_t num_features_, double eps_, double momentum_,
                                 const init::Options& options)
    : Module("BatchNorm2d"), num_features(num_features_), eps(eps_), momentum(momentum_) {
  NEEDLE_CHECK_AS(ShapeError, num_features > 0,
                  "BatchNorm2d: num_features must be positive, got {}", num_features);
  weight = register_parameter("weight", init::ones({num_features}, options));
  bias = register_parameter("bias", init::zeros({num_features}, options));
  running_mean = register_buffer("running_mean", init::zeros({num_features}, options));
  running_var = register_buffer("running_var", init::ones({num_features}, options));
  num_batches_tracked = register_buffer("num_batches_tracked",
                                        Tensor(NDArray::zeros({}, DType::Int64, options.device)));
}

Tensor BatchNorm2dImpl::forward(const Tensor& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 4 && x.shape(1) == num_features,
                  "BatchNorm2d: expected input (N, {}, H, W), got {}", num_features,
                  shape_str(x.shape()));
  return detail::batch_norm(x, {weight, bias, running_mean, running_var, num_batches_tracked},
                            is_training(), eps, momentum, "BatchNorm2d");
}

std::string BatchNorm2dImpl::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}", num_features, eps, momentum);
}

}  // namespace needle::nn

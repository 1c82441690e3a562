// nn::Linear: PyTorch layout, lecture initialization (linear.h says why).
#include "needle/nn/linear.h"

#include <fmt/format.h>

#include "needle/ops.h"

namespace needle::nn {

LinearImpl::LinearImpl(int64_t in_features_, int64_t out_features_, bool with_bias,
                       const init::Options& options)
    : Module("Linear"), in_features(in_features_), out_features(out_features_) {
  NEEDLE_CHECK_AS(ShapeError, in_features > 0 && out_features > 0,
                  "Linear: features must be positive, got in={} out={}", in_features, out_features);
  weight = register_parameter(
      "weight", init::kaiming_uniform(in_features, out_features, {out_features, in_features},
                                      init::Nonlinearity::ReLU, options));
  if (with_bias) bias = register_parameter("bias", init::zeros({out_features}, options));
}

Tensor LinearImpl::forward(const Tensor& input) {
  NEEDLE_CHECK_AS(ShapeError, input.ndim() >= 1 && input.shape(-1) == in_features,
                  "Linear: input of shape {} does not end in in_features={}",
                  shape_str(input.shape()), in_features);
  Tensor out;
  if (input.ndim() == 2) {
    out = matmul(input, transpose(weight));
  } else {
    // One GEMM over all leading dims: (..., in) -> (N, in) -> (N, out) -> (..., out).
    Shape out_shape = input.shape();
    out_shape.back() = out_features;
    out = reshape(matmul(reshape(input, {-1, in_features}), transpose(weight)), out_shape);
  }
  return bias.defined() ? out + bias : out;
}

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined());
}

}  // namespace needle::nn

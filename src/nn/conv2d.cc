// nn::Conv2d: PyTorch layout, lecture initialization (conv2d.h says why).
#include "needle/nn/conv2d.h"

#include <cmath>

#include <fmt/format.h>

#include "needle/conv.h"

namespace needle::nn {

Conv2dImpl::Conv2dImpl(int64_t in_channels_, int64_t out_channels_, int64_t kernel_size_,
                       int64_t stride, int64_t padding, int64_t dilation, int64_t groups,
                       bool with_bias, const init::Options& options)
    : Module("Conv2d"),
      in_channels(in_channels_),
      out_channels(out_channels_),
      kernel_size(kernel_size_),
      params{stride, stride, padding, padding, dilation, dilation, groups} {
  NEEDLE_CHECK_AS(ShapeError, in_channels > 0 && out_channels > 0 && kernel_size > 0,
                  "Conv2d: channels and kernel_size must be positive, got in={} out={} kernel={}",
                  in_channels, out_channels, kernel_size);
  NEEDLE_CHECK_AS(ShapeError, groups > 0 && in_channels % groups == 0 && out_channels % groups == 0,
                  "Conv2d: groups={} must divide in_channels={} and out_channels={}", groups,
                  in_channels, out_channels);
  NEEDLE_CHECK_AS(ShapeError, stride > 0 && dilation > 0 && padding >= 0,
                  "Conv2d: stride and dilation must be positive and padding non-negative, got "
                  "stride={} padding={} dilation={}",
                  stride, padding, dilation);
  const int64_t fan_in = in_channels / groups * kernel_size * kernel_size;
  weight = register_parameter(
      "weight",
      init::kaiming_uniform(fan_in, out_channels * kernel_size * kernel_size,
                            {out_channels, in_channels / groups, kernel_size, kernel_size},
                            init::Nonlinearity::ReLU, options));
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    bias = register_parameter("bias", init::uniform({out_channels}, -bound, bound, options));
  }
}

Tensor Conv2dImpl::forward(const Tensor& input) {
  NEEDLE_CHECK_AS(ShapeError, input.ndim() == 4 && input.shape(1) == in_channels,
                  "Conv2d: expected input (N, {}, H, W), got {}", in_channels,
                  shape_str(input.shape()));
  return conv2d(input, weight, bias, params);
}

std::string Conv2dImpl::extra_repr() const {
  std::string s =
      fmt::format("{}, {}, kernel_size=({}, {}), stride=({}, {})", in_channels, out_channels,
                  kernel_size, kernel_size, params.stride_h, params.stride_w);
  if (params.pad_h != 0) s += fmt::format(", padding=({}, {})", params.pad_h, params.pad_w);
  if (params.dilation_h != 1)
    s += fmt::format(", dilation=({}, {})", params.dilation_h, params.dilation_w);
  if (params.groups != 1) s += fmt::format(", groups={}", params.groups);
  if (!bias.defined()) s += ", bias=false";
  return s;
}

}  // namespace needle::nn

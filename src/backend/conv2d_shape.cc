// The convolution shape rules, below the seam: conv2d (src/autograd/ops/conv.cc) checks its
// arguments with them, and so does the dispatch front before any backend convolves.
#include <string>

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

std::string params_str(const Conv2dParams& p) {
  return fmt::format("stride=({}, {}), padding=({}, {}), dilation=({}, {}), groups={}", p.stride_h,
                     p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups);
}

}  // namespace

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, const char* op) {
  const int64_t span = dilation * (kernel - 1) + 1;
  NEEDLE_CHECK_AS(ShapeError, in + 2 * padding >= span,
                  "{}: kernel of size {} (dilation {}, spanning {}) is larger than the padded "
                  "input of size {} + 2*{}",
                  op, kernel, dilation, span, in, padding);
  return (in + 2 * padding - span) / stride + 1;
}

Shape conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p, const char* op) {
  NEEDLE_CHECK_AS(ShapeError, x.size() == 4 && w.size() == 4,
                  "{}: expected a 4-D input (N, C, H, W) and a 4-D weight (O, C/groups, kh, kw), "
                  "got input {} and weight {}",
                  op, shape_str(x), shape_str(w));
  NEEDLE_CHECK_AS(ShapeError,
                  p.stride_h > 0 && p.stride_w > 0 && p.dilation_h > 0 && p.dilation_w > 0 &&
                      p.pad_h >= 0 && p.pad_w >= 0 && p.groups > 0,
                  "{}: stride and dilation must be positive, padding non-negative and groups "
                  "positive, got {}",
                  op, params_str(p));
  NEEDLE_CHECK_AS(ShapeError, x[1] % p.groups == 0 && w[0] % p.groups == 0,
                  "{}: groups={} must divide both the input channels and the output channels: "
                  "input {}, weight {}",
                  op, p.groups, shape_str(x), shape_str(w));
  NEEDLE_CHECK_AS(ShapeError, w[1] * p.groups == x[1],
                  "{}: input {} has {} channels but weight {} with groups={} expects {}", op,
                  shape_str(x), x[1], shape_str(w), p.groups, w[1] * p.groups);
  NEEDLE_CHECK_AS(ShapeError, w[2] > 0 && w[3] > 0 && w[0] > 0,
                  "{}: weight {} has an empty dimension", op, shape_str(w));
  const int64_t ho = conv_output_size(x[2], w[2], p.stride_h, p.pad_h, p.dilation_h, op);
  const int64_t wo = conv_output_size(x[3], w[3], p.stride_w, p.pad_w, p.dilation_w, op);
  return {x[0], w[0], ho, wo};
}

}  // namespace needle

// The Backend's default convolution entry points. A backend without convolution still builds and
// fails with a clear DeviceError instead of a missing symbol or silent garbage; a backend with
// the three separate kernels gets the all-gradients entry point composed from them (and its
// sum reduction for the bias).
#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

[[noreturn]] void unsupported(const Backend& backend) {
  throw DeviceError(fmt::format("conv2d is not supported by the {} backend", backend.name()));
}

}  // namespace

void Backend::conv2d_forward(const StridedView&, const StridedView&, const StridedView&,
                             const StridedView&, const Conv2dParams&) {
  unsupported(*this);
}

void Backend::conv2d_backward_input(const StridedView&, const StridedView&, const StridedView&,
                                    const Conv2dParams&) {
  unsupported(*this);
}

void Backend::conv2d_backward_weight(const StridedView&, const StridedView&, const StridedView&,
                                     const Conv2dParams&) {
  unsupported(*this);
}

void Backend::conv2d_backward(const StridedView& grad_out, const StridedView& input,
                              const StridedView& weight, const StridedView& grad_input,
                              const StridedView& grad_weight, const StridedView& grad_bias,
                              const Conv2dParams& params, const StridedView&) {
  const char* op = "conv2d_backward";
  NEEDLE_CHECK_AS(ShapeError, grad_input.data == nullptr || weight.data != nullptr,
                  "{}: the input gradient needs the weight", op);
  NEEDLE_CHECK_AS(ShapeError, grad_weight.data == nullptr || input.data != nullptr,
                  "{}: the weight gradient needs the input", op);
  if (grad_input.data != nullptr) conv2d_backward_input(grad_out, weight, grad_input, params);
  if (grad_weight.data != nullptr) conv2d_backward_weight(input, grad_out, grad_weight, params);
  if (grad_bias.data == nullptr) return;
  NEEDLE_CHECK_AS(ShapeError, grad_out.ndim() == 4, "{}: grad_out must be 4-D, got {}", op,
                  shape_str(grad_out.shape));
  const int64_t channels = grad_out.shape[1];
  NEEDLE_CHECK_AS(ShapeError, grad_bias.shape == Shape{channels} && grad_bias.is_contiguous(),
                  "{}: grad_bias must be a compact ({}) array, got {}", op, channels,
                  shape_str(grad_bias.shape));
  NEEDLE_CHECK_AS(DTypeError, grad_bias.dtype == grad_out.dtype, "{}: dtypes differ: {} and {}", op,
                  dtype_name(grad_out.dtype), dtype_name(grad_bias.dtype));
  // The bias gradient is grad_out summed over N, H and W, reduced into grad_bias seen as
  // (1, O, 1, 1).
  StridedView sums = grad_bias;
  sums.shape = {1, channels, 1, 1};
  sums.strides = {channels, 1, 1, 1};
  reduce(ReduceOp::Sum, grad_out, Axes{0, 2, 3}, sums);
}

}  // namespace needle

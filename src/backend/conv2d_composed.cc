// The Backend's composed all-gradients convolution entry point: a backend with the three
// separate kernels gets conv2d_backward built from them, and from a Sum reduction for the bias,
// without writing it; the CPU fuses them into one pass instead (backends/cpu/conv2d.cc).
#include "needle/backend.h"

namespace needle {

void Backend::do_conv2d_backward(const StridedView& grad_out, const StridedView& input,
                                 const StridedView& weight, const StridedView& grad_input,
                                 const StridedView& grad_weight, const StridedView& grad_bias,
                                 const Conv2dParams& params, const Conv2dSaved&) {
  if (grad_input.data != nullptr) conv2d_backward_input(grad_out, weight, grad_input, params);
  if (grad_weight.data != nullptr) conv2d_backward_weight(input, grad_out, grad_weight, params);
  if (grad_bias.data == nullptr) return;
  const int64_t channels = grad_out.shape[1];
  // The bias gradient is grad_out summed over N, H and W, reduced into grad_bias seen as
  // (1, O, 1, 1).
  StridedView sums = grad_bias;
  sums.shape = {1, channels, 1, 1};
  sums.strides = {channels, 1, 1, 1};
  reduce(ReduceOp::Sum, grad_out, Axes{0, 2, 3}, sums);
}

}  // namespace needle

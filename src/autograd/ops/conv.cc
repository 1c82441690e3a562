// conv2d and its two gradient ops. With B(x, w, g) = <conv2d(x, w), g>, which is linear in each
// argument, conv2d_backward_input(g, w) = dB/dx and conv2d_backward_weight(x, g) = dB/dw; the
// gradients of those two ops are again conv2d / conv2d_backward_* of other arguments, so every
// order of derivative is built from the same three backend kernels. A plain backward pass (the
// gradient not itself differentiated) instead asks the backend for every gradient in one call
// (Backend::conv2d_backward, one fused pass on the CPU), which reuses what the forward unfolded
// the input into when the backend kept it (the Conv2dSaved state: im2col columns on the CPU).
#include "needle/conv.h"

#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using Grads = std::vector<Tensor>;

const Tensor& input(const Tensor& out, size_t i) {
  return out.node()->inputs[i];
}

NDArray forward(const NDArray& x, const NDArray& w, const NDArray* b, const Conv2dParams& p,
                bool save_for_backward, Conv2dSaved& saved) {
  const Shape out_shape = conv2d_output_shape(x.shape(), w.shape(), p, "conv2d");
  const NDArray xc = x.compact(), wc = w.compact();
  const NDArray bc = b != nullptr ? b->compact() : NDArray();
  NDArray out = NDArray::empty(out_shape, x.dtype(), x.device());
  Backend& backend = backend_for(x.device());
  const StridedView bias = bc.defined() ? bc.view() : StridedView{};
  saved = backend.conv2d_forward(xc.view(), wc.view(), bias, out.view(), p, save_for_backward);
  return out;
}

NDArray backward_input(const NDArray& g, const NDArray& w, const Shape& x_shape,
                       const Conv2dParams& p) {
  const NDArray gc = g.compact(), wc = w.compact();
  NDArray out = NDArray::empty(x_shape, g.dtype(), g.device());
  backend_for(g.device()).conv2d_backward_input(gc.view(), wc.view(), out.view(), p);
  return out;
}

NDArray backward_weight(const NDArray& x, const NDArray& g, const Shape& w_shape,
                        const Conv2dParams& p) {
  const NDArray xc = x.compact(), gc = g.compact();
  NDArray out = NDArray::empty(w_shape, x.dtype(), x.device());
  backend_for(x.device()).conv2d_backward_weight(xc.view(), gc.view(), out.view(), p);
  return out;
}

// Every gradient conv2d's inputs need, from one backend call (one fused pass on the CPU; the
// weight's from what the forward saved, if anything).
std::vector<Tensor> all_gradients(const Tensor& g, const Tensor& out, const Conv2dParams& p,
                                  const Conv2dSaved& saved) {
  const auto& inputs = out.node()->inputs;
  const NDArray& x = inputs[0].data();
  const NDArray& w = inputs[1].data();
  const bool want_w = inputs[1].requires_grad();
  const NDArray gc = g.data().compact();
  // Both are passed whatever is asked: the backend takes the problem's shapes from them (they are
  // compact already unless a view was convolved).
  const NDArray xc = x.compact(), wc = w.compact();
  std::vector<NDArray> grads(inputs.size());
  if (inputs[0].requires_grad()) grads[0] = NDArray::empty(x.shape(), x.dtype(), x.device());
  if (want_w) grads[1] = NDArray::empty(w.shape(), w.dtype(), w.device());
  if (grads.size() == 3 && inputs[2].requires_grad()) {
    grads[2] = NDArray::empty({w.shape()[0]}, w.dtype(), w.device());
  }
  auto view = [](const NDArray& a) { return a.defined() ? a.view() : StridedView{}; };
  backend_for(x.device())
      .conv2d_backward(gc.view(), xc.view(), wc.view(), view(grads[0]), view(grads[1]),
                       grads.size() == 3 ? view(grads[2]) : StridedView{}, p,
                       want_w ? saved : Conv2dSaved{});
  std::vector<Tensor> result;
  for (NDArray& a : grads)
    result.push_back(a.defined() ? Tensor(std::move(a)) : Tensor());
  return result;
}

struct Conv2dOp final : Op {
  Conv2dParams p;
  bool save_for_backward;
  // Filled by compute() when save_for_backward and the backend keeps anything; the op is moved
  // into the recorded node after compute(), so it lives exactly as long as the graph does. Only
  // the fused backward uses it.
  mutable Conv2dSaved saved;
  Conv2dOp(const Conv2dParams& p_, bool save_for_backward_)
      : p(p_), save_for_backward(save_for_backward_) {}
  const char* name() const override { return "conv2d"; }
  NDArray compute(const NDArray& x, const NDArray& w) const {
    return forward(x, w, nullptr, p, save_for_backward, saved);
  }
  NDArray compute(const std::vector<NDArray>& in) const {
    return forward(in[0], in[1], &in[2], p, save_for_backward, saved);
  }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    if (!autograd::grad_mode_enabled) return all_gradients(g, out, p, saved);
    // Differentiable (create_graph): every gradient is again an op.
    const Tensor& x = input(out, 0);
    const Tensor& w = input(out, 1);
    Grads grads(out.node()->inputs.size());
    if (x.requires_grad()) grads[0] = conv2d_backward_input(g, w, x.shape(), p);
    if (w.requires_grad()) grads[1] = conv2d_backward_weight(x, g, w.shape(), p);
    if (grads.size() == 3 && input(out, 2).requires_grad()) grads[2] = sum(g, {0, 2, 3});
    return grads;
  }
};

// Inputs (grad_out, weight); output has the convolution's input shape.
struct Conv2dBackwardInputOp final : Op {
  Conv2dParams p;
  Shape x_shape;
  Conv2dBackwardInputOp(const Conv2dParams& p_, Shape x_shape_)
      : p(p_), x_shape(std::move(x_shape_)) {}
  const char* name() const override { return "conv2d_backward_input"; }
  NDArray compute(const NDArray& g, const NDArray& w) const {
    return backward_input(g, w, x_shape, p);
  }
  // <out, h> = B(h, w, g): linear in g and w.
  Grads gradient(const Tensor& h, const Tensor& out) const override {
    const Tensor& g = input(out, 0);
    const Tensor& w = input(out, 1);
    Grads grads(2);
    if (g.requires_grad()) grads[0] = conv2d(h, w, Tensor(), p);
    if (w.requires_grad()) grads[1] = conv2d_backward_weight(h, g, w.shape(), p);
    return grads;
  }
};

// Inputs (input, grad_out); output has the weight's shape.
struct Conv2dBackwardWeightOp final : Op {
  Conv2dParams p;
  Shape w_shape;
  Conv2dBackwardWeightOp(const Conv2dParams& p_, Shape w_shape_)
      : p(p_), w_shape(std::move(w_shape_)) {}
  const char* name() const override { return "conv2d_backward_weight"; }
  NDArray compute(const NDArray& x, const NDArray& g) const {
    return backward_weight(x, g, w_shape, p);
  }
  // <out, h> = B(x, h, g): linear in x and g.
  Grads gradient(const Tensor& h, const Tensor& out) const override {
    const Tensor& x = input(out, 0);
    const Tensor& g = input(out, 1);
    Grads grads(2);
    if (x.requires_grad()) grads[0] = conv2d_backward_input(g, h, x.shape(), p);
    if (g.requires_grad()) grads[1] = conv2d(x, h, Tensor(), p);
    return grads;
  }
};

void check_same(const char* op, const Tensor& a, const char* a_name, const Tensor& b,
                const char* b_name) {
  NEEDLE_CHECK_AS(DTypeError, a.dtype() == b.dtype(), "{}: {} is {} but {} is {}", op, a_name,
                  dtype_name(a.dtype()), b_name, dtype_name(b.dtype()));
  NEEDLE_CHECK_AS(DeviceError, a.device() == b.device(), "{}: {} is on {} but {} is on {}", op,
                  a_name, a.device().str(), b_name, b.device().str());
}

}  // namespace

// The convolution; the backend may save state for the fused backward (Backend::conv2d_forward).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  const Shape out_shape = conv2d_output_shape(x.shape(), w.shape(), p, "conv2d");
  check_same("conv2d", x, "input", w, "weight");
  // Worth keeping the unfolded input only when a weight gradient will be asked for.
  const bool save_for_backward = autograd::grad_mode_enabled && w.requires_grad();
  if (!bias.defined()) return apply_op(Conv2dOp(p, save_for_backward), x, w);
  NEEDLE_CHECK_AS(ShapeError, bias.shape() == Shape{out_shape[1]},
                  "conv2d: bias has shape {}, expected ({},) for weight {}",
                  shape_str(bias.shape()), out_shape[1], shape_str(w.shape()));
  check_same("conv2d", x, "input", bias, "bias");
  return apply_op(Conv2dOp(p, save_for_backward), std::vector<Tensor>{x, w, bias});
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, int64_t stride, int64_t padding,
              int64_t dilation, int64_t groups) {
  return conv2d(x, w, bias,
                Conv2dParams{stride, stride, padding, padding, dilation, dilation, groups});
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& input_shape,
                             const Conv2dParams& p) {
  const Shape out_shape =
      conv2d_output_shape(input_shape, weight.shape(), p, "conv2d_backward_input");
  NEEDLE_CHECK_AS(ShapeError, grad_out.shape() == out_shape,
                  "conv2d_backward_input: grad_out has shape {}, expected {} for input {} and "
                  "weight {}",
                  shape_str(grad_out.shape()), shape_str(out_shape), shape_str(input_shape),
                  shape_str(weight.shape()));
  return apply_op(Conv2dBackwardInputOp(p, input_shape), grad_out, weight);
}

Tensor conv2d_backward_weight(const Tensor& input, const Tensor& grad_out,
                              const Shape& weight_shape, const Conv2dParams& p) {
  const Shape out_shape =
      conv2d_output_shape(input.shape(), weight_shape, p, "conv2d_backward_weight");
  NEEDLE_CHECK_AS(ShapeError, grad_out.shape() == out_shape,
                  "conv2d_backward_weight: grad_out has shape {}, expected {} for input {} and "
                  "weight {}",
                  shape_str(grad_out.shape()), shape_str(out_shape), shape_str(input.shape()),
                  shape_str(weight_shape));
  return apply_op(Conv2dBackwardWeightOp(p, weight_shape), input, grad_out);
}

namespace {

using autograd::cases::uniform;

const autograd::cases::Registrar conv_cases({
    {"conv2d", 2, uniform({{2, 2, 4, 5}, {3, 2, 2, 3}}),
     [](const std::vector<Tensor>& in) { return conv2d(in[0], in[1]); }},
    {"conv2d/bias_stride_padding", 3, uniform({{2, 2, 5, 4}, {3, 2, 3, 3}, {3}}),
     [](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], 2, 1); }},
    {"conv2d/groups_dilation", 2, uniform({{2, 4, 5, 5}, {2, 2, 2, 2}}),
     [](const std::vector<Tensor>& in) {
       return conv2d(in[0], in[1], Tensor(), Conv2dParams{1, 2, 1, 0, 2, 1, 2});
     }},
});

}  // namespace
}  // namespace needle

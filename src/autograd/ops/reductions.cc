// Reductions over any axes with keepdims: sum, mean, max and a numerically stable logsumexp,
// plus sum_to, the reduction that undoes broadcasting in gradients.
#include <cmath>
#include <limits>
#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using autograd::constant;
using Grads = std::vector<Tensor>;

const Tensor& input(const Tensor& out, size_t i) {
  return out.node()->inputs[i];
}

// `shape` with the (sorted, normalized) `axes` set to 1: the keepdims shape.
Shape kept_shape(const Shape& shape, const Axes& axes) {
  Shape kept = shape;
  for (int64_t a : axes)
    kept[static_cast<size_t>(a)] = 1;
  return kept;
}

// The gradient of a reduction's output, reshaped to keepdims form and broadcast over `in`.
Tensor spread(const Tensor& g, const Shape& in_shape, const Axes& axes) {
  return broadcast_to(reshape(g, kept_shape(in_shape, axes)), in_shape);
}

struct SumOp final : Op {
  Axes axes;  // normalized
  bool keepdims;
  SumOp(Axes axes_, bool keepdims_) : axes(std::move(axes_)), keepdims(keepdims_) {}
  const char* name() const override { return "sum"; }
  NDArray compute(const NDArray& a) const { return needle::sum(a, axes, keepdims); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {spread(g, input(out, 0).shape(), axes)};
  }
};

struct MaxOp final : Op {
  Axes axes;
  bool keepdims;
  MaxOp(Axes axes_, bool keepdims_) : axes(std::move(axes_)), keepdims(keepdims_) {}
  const char* name() const override { return "max"; }
  NDArray compute(const NDArray& a) const { return needle::max(a, axes, keepdims); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const NDArray& a = input(out, 0).data();
    // Tied maxima share the gradient evenly (torch.amax); the weights are constants since max
    // is piecewise linear.
    NDArray m = out.data().reshape(kept_shape(a.shape(), axes));
    NDArray mask = eq(a, m).astype(a.dtype());
    NDArray weights = mask / needle::sum(mask, axes, /*keepdims=*/true);
    return {spread(g, a.shape(), axes) * constant(weights)};
  }
};

struct LogSumExpOp final : Op {
  Axes axes;
  bool keepdims;
  LogSumExpOp(Axes axes_, bool keepdims_) : axes(std::move(axes_)), keepdims(keepdims_) {}
  const char* name() const override { return "logsumexp"; }
  NDArray compute(const NDArray& a) const {
    // Shift by the maximum so exp never overflows; a row of -inf (or +inf) keeps a zero shift
    // so that the result is -inf (+inf) rather than NaN.
    NDArray m = needle::max(a, axes, /*keepdims=*/true);
    NDArray finite = lt(abs(m), std::numeric_limits<double>::infinity());
    m = where(finite, m, NDArray::zeros(m.shape(), m.dtype(), m.device()));
    NDArray lse = needle::log(needle::sum(needle::exp(a - m), axes, /*keepdims=*/true)) + m;
    return keepdims ? lse : lse.squeeze(axes);
  }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = input(out, 0);
    const Shape kept = kept_shape(a.shape(), axes);
    // d lse / da = softmax(a) = exp(a - lse), written with Tensor ops so it differentiates again.
    Tensor softmax = exp(a - reshape(out, kept));
    return {spread(g, a.shape(), axes) * softmax};
  }
};

}  // namespace

Tensor sum(const Tensor& a, const Axes& axes, bool keepdims) {
  return apply_op(SumOp(normalize_axes(axes, a.ndim(), "sum"), keepdims), a);
}

Tensor mean(const Tensor& a, const Axes& axes, bool keepdims) {
  const Axes norm = normalize_axes(axes, a.ndim(), "mean");
  int64_t count = 1;
  for (int64_t ax : norm)
    count *= a.shape()[static_cast<size_t>(ax)];
  return sum(a, norm, keepdims) / static_cast<double>(count);
}

Tensor max(const Tensor& a, const Axes& axes, bool keepdims) {
  return apply_op(MaxOp(normalize_axes(axes, a.ndim(), "max"), keepdims), a);
}

Tensor logsumexp(const Tensor& a, const Axes& axes, bool keepdims) {
  return apply_op(LogSumExpOp(normalize_axes(axes, a.ndim(), "logsumexp"), keepdims), a);
}

namespace autograd {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  const Shape& gs = g.shape();
  if (gs == shape) return g;
  const size_t lead = gs.size() - shape.size();
  Axes axes;
  for (size_t i = 0; i < gs.size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes.push_back(static_cast<int64_t>(i));
  }
  Tensor s = axes.empty() ? g : sum(g, axes, /*keepdims=*/true);
  return s.shape() == shape ? s : reshape(s, shape);
}

}  // namespace autograd

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

const autograd::cases::Registrar registrar({
    {"sum/all", 1, uniform({{3, 4}}), [](const Inputs& x) { return sum(x[0]); }},
    {"sum/axis0", 1, uniform({{3, 4}}), [](const Inputs& x) { return sum(x[0], {0}); }},
    {"sum/axes_keepdims", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) {
       return sum(x[0], {0, 2}, true);
     }},
    {"sum/negative_axis", 1, uniform({{2, 3, 4}}), [](const Inputs& x) { return sum(x[0], {-1}); }},
    {"mean/all", 1, uniform({{3, 4}}), [](const Inputs& x) { return mean(x[0]); }},
    {"mean/axis_keepdims", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) { return mean(x[0], {1}, true); }},
    {"max/all", 1, uniform({{3, 4}}), [](const Inputs& x) { return max(x[0]); }, false},
    {"max/axis_keepdims", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) { return max(x[0], {1}, true); }, false},
    {"max/axes", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) {
       return max(x[0], {0, 2});
     },
     false},
    {"logsumexp/all", 1, uniform({{3, 4}}, -3, 3), [](const Inputs& x) { return logsumexp(x[0]); }},
    {"logsumexp/axis", 1, uniform({{3, 4}}, -3, 3),
     [](const Inputs& x) { return logsumexp(x[0], {1}); }},
    {"logsumexp/axes_keepdims", 1, uniform({{2, 3, 4}}, -3, 3),
     [](const Inputs& x) {
       return logsumexp(x[0], {0, 2}, true);
     }},
});

}  // namespace
}  // namespace needle

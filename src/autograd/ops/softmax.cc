// softmax and log_softmax along one axis (ops.h), each one op over the backend's fused kernel
// (Backend::softmax). The gradient needs only the output y, which the node keeps:
//   softmax:      dx = y * (g - sum(g * y)),
//   log_softmax:  dx = g - exp(y) * sum(g),
// with the sums along the axis. A plain backward (no graph recorded) runs the backend's fused
// backward kernel; when the gradient must itself be differentiable it is written with Tensor ops
// on the output tensor, which leads back through this op, so second derivatives are exact.
#include <vector>

#include "needle/autograd.h"
#include "needle/backend.h"
#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using Grads = std::vector<Tensor>;

struct SoftmaxOp final : Op {
  int64_t axis;  // normalized
  bool log;
  SoftmaxOp(int64_t axis_, bool log_) : axis(axis_), log(log_) {}
  const char* name() const override { return log ? "log_softmax" : "softmax"; }
  NDArray compute(const NDArray& a) const {
    return log ? needle::log_softmax(a, axis) : needle::softmax(a, axis);
  }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    if (!is_grad_enabled()) {
      const NDArray y = out.data().compact(), gc = g.data().compact();
      NDArray dx = NDArray::empty(y.shape(), y.dtype(), y.device());
      backend_for(y.device()).softmax_backward(y.view(), gc.view(), axis, log, dx.view());
      return {Tensor(dx)};
    }
    if (log) return {g - exp(out) * sum(g, {axis}, /*keepdims=*/true)};
    return {out * (g - sum(g * out, {axis}, /*keepdims=*/true))};
  }
};

Tensor softmax_along(const Tensor& a, int64_t axis, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  NEEDLE_CHECK(a.defined(), "{}: undefined tensor", op);
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 1, "{}: needs at least one dimension, got a scalar", op);
  return apply_op(SoftmaxOp(normalize_axis(axis, a.ndim(), op), log), a);
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t axis) {
  return softmax_along(a, axis, /*log=*/false);
}

Tensor log_softmax(const Tensor& a, int64_t axis) {
  return softmax_along(a, axis, /*log=*/true);
}

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

// Values up to +-4 make the rows far from uniform; a middle axis exercises the strided
// (inner > 1) kernels.
const autograd::cases::Registrar softmax_cases({
    {"softmax/last", 1, uniform({{3, 5}}, -4.0, 4.0),
     [](const Inputs& x) { return softmax(x[0]); }},
    {"softmax/middle", 1, uniform({{2, 4, 3}}, -4.0, 4.0),
     [](const Inputs& x) { return softmax(x[0], 1); }},
    {"softmax/first", 1, uniform({{4, 3}}, -4.0, 4.0),
     [](const Inputs& x) { return softmax(x[0], 0); }},
    {"log_softmax/last", 1, uniform({{3, 5}}, -4.0, 4.0),
     [](const Inputs& x) { return log_softmax(x[0], -1); }},
    {"log_softmax/middle", 1, uniform({{2, 4, 3}}, -4.0, 4.0),
     [](const Inputs& x) { return log_softmax(x[0], 1); }},
});

}  // namespace
}  // namespace needle

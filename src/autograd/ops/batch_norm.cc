// batch_norm (batch_norm.h): the op records one node with inputs (x, weight, bias) and keeps
// the batch mean and 1/sqrt(var + eps) for its backward. Its gradient is
//   dbias = sum(g), dweight = sum(g * xhat),
//   dx = weight * invstd * (g - mean(g) - xhat * mean(g * xhat)),   xhat = (x - mean) * invstd,
// with every sum and mean per channel. During a plain backward (no graph recorded) the backend's
// fused kernel computes it from the saved statistics; when the gradient must itself be
// differentiable, or the backend has no fused kernel, the same formula is written with Tensor
// ops that recompute the statistics from x, so second derivatives are exact.
#include "needle/batch_norm.h"

#include <vector>

#include "needle/autograd.h"
#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using Grads = std::vector<Tensor>;

Axes reduced_axes(int64_t ndim) {
  Axes axes{0};
  for (int64_t a = 2; a < ndim; ++a)
    axes.push_back(a);
  return axes;
}

// (C,) as (C, 1, ..., 1): broadcasts against (N, C, ...).
Shape channel_shape(int64_t channels, int64_t ndim) {
  Shape s(static_cast<size_t>(ndim - 1), 1);
  s[0] = channels;
  return s;
}

struct BatchNormOp final : Op {
  double eps;
  NDArray mean;    // (C)
  NDArray invstd;  // (C)
  BatchNormOp(double eps_, NDArray mean_, NDArray invstd_)
      : eps(eps_), mean(std::move(mean_)), invstd(std::move(invstd_)) {}
  const char* name() const override { return "batch_norm"; }

  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& x = out.node()->inputs[0];
    const Tensor& w = out.node()->inputs[1];
    const Tensor& b = out.node()->inputs[2];
    Backend& backend = backend_for(x.device());
    if (!is_grad_enabled() && backend.supports(BackendFeature::FusedBatchNorm)) {
      const NDArray gc = g.data().compact(), xc = x.data().compact(), wc = w.data().compact();
      NDArray dx = x.requires_grad() ? NDArray::empty(x.shape(), x.dtype(), x.device()) : NDArray();
      NDArray dw = NDArray::empty(w.shape(), w.dtype(), w.device());
      NDArray db = NDArray::empty(b.shape(), b.dtype(), b.device());
      backend.batch_norm_backward(gc.view(), xc.view(), mean.view(), invstd.view(), wc.view(),
                                  dx.defined() ? dx.view() : StridedView{}, dw.view(), db.view());
      return {dx.defined() ? Tensor(dx) : Tensor(), Tensor(dw), Tensor(db)};
    }
    return composed_gradient(g, x, w);
  }

  // The same gradient from Tensor ops: differentiable, and the fallback for any backend.
  Grads composed_gradient(const Tensor& g, const Tensor& x, const Tensor& w) const {
    const Axes axes = reduced_axes(x.ndim());
    const Shape cs = channel_shape(x.shape(1), x.ndim());
    const Tensor centered = x - needle::mean(x, axes, true);
    const Tensor inv = pow(needle::mean(centered * centered, axes, true) + eps, -0.5);
    const Tensor xhat = centered * inv;
    const Tensor gx = g * xhat;
    Grads grads{Tensor(), sum(gx, axes), sum(g, axes)};
    if (x.requires_grad()) {
      grads[0] = (reshape(w, cs) * inv) *
                 (g - needle::mean(g, axes, true) - xhat * needle::mean(gx, axes, true));
    }
    return grads;
  }
};

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                  BatchNormStats* stats) {
  NEEDLE_CHECK_AS(ShapeError, x.defined() && x.ndim() >= 2,
                  "batch_norm: expected an (N, C, ...) input, got {}",
                  x.defined() ? shape_str(x.shape()) : "an undefined tensor");
  const int64_t channels = x.shape(1);
  NEEDLE_CHECK_AS(ShapeError,
                  weight.defined() && bias.defined() && weight.shape() == Shape{channels} &&
                      bias.shape() == Shape{channels},
                  "batch_norm: weight and bias must have shape ({}) for input {}", channels,
                  shape_str(x.shape()));
  NEEDLE_CHECK_AS(ShapeError, x.numel() / std::max<int64_t>(channels, 1) > 1,
                  "batch_norm: training needs more than one value per channel, got input {}",
                  shape_str(x.shape()));
  for (const Tensor* t : {&weight, &bias}) {
    NEEDLE_CHECK_AS(DTypeError, t->dtype() == x.dtype(),
                    "batch_norm: parameter dtype {} differs from input dtype {}",
                    dtype_name(t->dtype()), dtype_name(x.dtype()));
    NEEDLE_CHECK_AS(DeviceError, t->device() == x.device(),
                    "batch_norm: parameter on {} but input on {}", t->device().str(),
                    x.device().str());
  }
  const NDArray xc = x.data().compact();
  NDArray y = NDArray::empty(x.shape(), x.dtype(), x.device());
  NDArray mean = NDArray::empty({channels}, x.dtype(), x.device());
  NDArray var = NDArray::empty({channels}, x.dtype(), x.device());
  Backend& backend = backend_for(x.device());
  if (backend.supports(BackendFeature::FusedBatchNorm)) {
    backend.batch_norm_forward(xc.view(), weight.data().compact().view(),
                               bias.data().compact().view(), eps, y.view(), mean.view(),
                               var.view());
  } else {
    const Axes axes = reduced_axes(x.ndim());
    const Shape cs = channel_shape(channels, x.ndim());
    const NDArray mean_keep = needle::mean(xc, axes, true);
    const NDArray centered = xc - mean_keep;
    const NDArray var_keep = needle::mean(centered * centered, axes, true);
    y = centered * (pow(var_keep + eps, -0.5) * weight.data().reshape(cs)) +
        bias.data().reshape(cs);
    mean = mean_keep.reshape({channels});
    var = var_keep.reshape({channels});
  }
  if (stats != nullptr) *stats = BatchNormStats{mean, var};
  const bool record =
      (x.requires_grad() || weight.requires_grad() || bias.requires_grad()) && is_grad_enabled();
  if (!record) return autograd::make_leaf(std::move(y));
  NDArray invstd = pow(var + eps, -0.5);
  return autograd::make_recorded(
      std::move(y), std::make_shared<BatchNormOp>(eps, std::move(mean), std::move(invstd)),
      autograd::InputList(std::vector<Tensor>{x, weight, bias}));
}

namespace {

// The op table's generated checks (first and second order, strided inputs) on 4-D and 2-D
// inputs; the weight is kept away from zero so the input gradient is not degenerate.
const autograd::cases::Registrar batch_norm_cases({
    {"batch_norm/4d", 3,
     [](DType dtype) {
       return autograd::cases::Inputs{Tensor(NDArray::rand({4, 3, 2, 3}, -1, 1, dtype)),
                                      Tensor(NDArray::rand({3}, 0.5, 1.5, dtype)),
                                      Tensor(NDArray::rand({3}, -1, 1, dtype))};
     },
     [](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2]); }},
    {"batch_norm/2d", 3,
     [](DType dtype) {
       return autograd::cases::Inputs{Tensor(NDArray::rand({5, 4}, -1, 1, dtype)),
                                      Tensor(NDArray::rand({4}, 0.5, 1.5, dtype)),
                                      Tensor(NDArray::rand({4}, -1, 1, dtype))};
     },
     [](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], 1e-3); }},
});

}  // namespace

}  // namespace needle

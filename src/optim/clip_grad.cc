// clip_grad_norm: global L2 norm of all gradients, and rescaling when it is too large. The norm
// is accumulated on the gradients' device, one reduction per gradient, so that neither form
// waits once per parameter; they differ only in whether the host reads it.
#include "needle/optim/clip_grad.h"

#include "needle/error.h"
#include "needle/ndarray.h"

namespace needle::optim {
namespace {

void check_max_norm(double max_norm) {
  NEEDLE_CHECK(max_norm >= 0.0, "clip_grad_norm: max_norm must be >= 0, got {}", max_norm);
}

// sqrt(sum over gradients of sum(g * g)) as a 0-d float64 array on the first gradient's device.
// Each gradient's sum is taken in its own dtype and accumulated in float64, in parameter order
// (the arithmetic the host loop this replaced did, so CPU results are bit-identical).
NDArray total_norm(const std::vector<Tensor>& params) {
  NDArray total_sq;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const NDArray& a = g.data();
    NDArray sq = sum(a * a).astype(DType::Float64);
    total_sq = total_sq.defined() ? total_sq + sq.to(total_sq.device()) : sq;
  }
  if (!total_sq.defined()) return NDArray::zeros({}, DType::Float64);
  return sqrt(total_sq);
}

// Replaces every gradient g by g * coef; coef is a host double or a 0-d array.
template <typename Coef>
void scale_grads(const std::vector<Tensor>& params, const Coef& coef) {
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if constexpr (std::is_same_v<Coef, double>) {
      p.node()->grad = Tensor(g.data() * coef);
    } else {
      p.node()->grad = Tensor(g.data() * coef.astype(g.dtype()).to(g.device()));
    }
  }
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  check_max_norm(max_norm);
  const double total = total_norm(params).item<double>();
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) scale_grads(params, coef);
  return total;
}

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  check_max_norm(max_norm);
  const NDArray total = total_norm(params);
  scale_grads(params, minimum(max_norm / (total + 1e-6), 1.0));
  return Tensor(total);
}

}  // namespace needle::optim

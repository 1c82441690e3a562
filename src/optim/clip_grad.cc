// clip_grad_norm: global L2 norm of all gradients, and rescaling when it is too large.
#include "needle/optim/clip_grad.h"

#include <cmath>

#include "needle/error.h"
#include "needle/ndarray.h"

namespace needle::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  NEEDLE_CHECK(max_norm >= 0.0, "clip_grad_norm: max_norm must be >= 0, got {}", max_norm);
  double total_sq = 0.0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const NDArray& a = g.data();
    total_sq += sum(a * a).astype(DType::Float64).item<double>();
  }
  const double total = std::sqrt(total_sq);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& p : params) {
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      p.node()->grad = Tensor(g.data() * coef);
    }
  }
  return total;
}

}  // namespace needle::optim

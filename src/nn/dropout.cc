// nn::Dropout: inverted dropout with a mask drawn from the global generator.
#include "needle/nn/dropout.h"

#include <fmt/format.h>

#include "needle/factories.h"
#include "needle/ops.h"

namespace needle::nn {

DropoutImpl::DropoutImpl(double p_) : Module("Dropout"), p(p_) {
  NEEDLE_CHECK(p >= 0.0 && p <= 1.0, "Dropout: p must be in [0, 1], got {}", p);
}

Tensor DropoutImpl::forward(const Tensor& input) {
  if (!is_training() || p == 0.0) return input;
  const double keep = 1.0 - p;
  // One uniform draw per element, row-major; keep where U <= 1 - p (needle's randb).
  NDArray u = needle::rand(input.shape(), input.device(), input.dtype()).data();
  NDArray mask = le(u, keep).astype(input.dtype());
  if (keep > 0.0) mask = mask * (1.0 / keep);
  return input * Tensor(mask);
}

std::string DropoutImpl::extra_repr() const {
  return fmt::format("p={}", p);
}

}  // namespace needle::nn

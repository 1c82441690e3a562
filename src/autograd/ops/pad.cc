// pad: NDArray::pad forward, and the slice that recovers the interior as its gradient (whose own
// gradient scatters back, so pad is differentiable twice).
#include "needle/pad.h"

#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using Widths = std::vector<std::pair<int64_t, int64_t>>;

struct PadOp final : Op {
  Widths widths;  // one pair per axis
  double value;
  PadOp(Widths widths_, double value_) : widths(std::move(widths_)), value(value_) {}
  const char* name() const override { return "pad"; }
  NDArray compute(const NDArray& a) const { return a.pad(widths, value); }
  std::vector<Tensor> gradient(const Tensor& g, const Tensor& out) const override {
    const Shape& in = out.node()->inputs[0].shape();
    std::vector<Slice> interior;
    for (size_t d = 0; d < widths.size(); ++d)
      interior.emplace_back(widths[d].first, widths[d].first + in[d]);
    return {slice(g, interior)};
  }
};

}  // namespace

Tensor pad(const Tensor& a, const Widths& widths, double value) {
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(widths.size()) <= a.ndim(),
                  "pad: {} (before, after) pairs given for an array of shape {}", widths.size(),
                  shape_str(a.shape()));
  Widths full(static_cast<size_t>(a.ndim()), {0, 0});
  bool any = false;
  for (size_t d = 0; d < widths.size(); ++d) {
    NEEDLE_CHECK_AS(ShapeError, widths[d].first >= 0 && widths[d].second >= 0,
                    "pad: widths must be non-negative, got ({}, {}) for axis {} of shape {}",
                    widths[d].first, widths[d].second, d, shape_str(a.shape()));
    full[d] = widths[d];
    any = any || widths[d].first > 0 || widths[d].second > 0;
  }
  if (!any) return a;
  return autograd::apply_op(PadOp(std::move(full), value), a);
}

namespace {

const autograd::cases::Registrar pad_cases({
    {"pad", 1, autograd::cases::uniform({{2, 3, 4}}),
     [](const std::vector<Tensor>& in) {
       return pad(in[0], {{0, 1}, {2, 0}, {1, 1}}, 0.5);
     }},
});

}  // namespace
}  // namespace needle

// split_at_axis (backend.h): the (outer, n, inner) view of a compact array that row kernels
// along one axis (softmax) share on every backend.
#include "needle/backend.h"

namespace needle {

AxisSplit split_at_axis(const Shape& shape, int64_t axis) {
  AxisSplit split;
  const auto ax = static_cast<size_t>(axis);
  split.n = shape[ax];
  for (size_t d = 0; d < ax; ++d)
    split.outer *= shape[d];
  for (size_t d = ax + 1; d < shape.size(); ++d)
    split.inner *= shape[d];
  return split;
}

}  // namespace needle

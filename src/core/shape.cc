// Axis normalisation and NumPy broadcasting of shapes.
#include "needle/shape.h"

#include <algorithm>

#include "needle/error.h"

namespace needle {

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  NEEDLE_CHECK_AS(ShapeError, axis >= -ndim && axis < ndim,
                  "{}: axis {} is out of range for an array of {} dimension(s)", op, axis, ndim);
  return axis < 0 ? axis + ndim : axis;
}

Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op) {
  Axes out;
  if (axes.empty()) {
    for (int64_t i = 0; i < ndim; ++i)
      out.push_back(i);
    return out;
  }
  for (int64_t a : axes)
    out.push_back(normalize_axis(a, ndim, op));
  std::sort(out.begin(), out.end());
  NEEDLE_CHECK_AS(ShapeError, std::adjacent_find(out.begin(), out.end()) == out.end(),
                  "{}: repeated axis in ({})", op, fmt::join(axes, ", "));
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NEEDLE_CHECK_AS(ShapeError, da == db || da == 1 || db == 1,
                    "{}: shapes {} and {} cannot be broadcast together", op, shape_str(a),
                    shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace needle

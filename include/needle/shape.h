// Shape and Strides (in elements) and the small helpers every layer uses on them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace needle {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;
using Axes = std::vector<int64_t>;

inline int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

// Row-major strides for a dense array of `shape`.
inline Strides compact_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

// "(2, 3)" for {2, 3}, "(5,)" for {5}, "()" for a scalar, as NumPy and PyTorch print shapes.
inline std::string shape_str(const Shape& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// Turns a possibly negative axis into [0, ndim); throws ShapeError naming `op` otherwise.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

// Normalizes, sorts and de-duplicates `axes`; an empty list means every axis.
Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op);

// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace needle

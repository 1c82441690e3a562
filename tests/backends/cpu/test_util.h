// Helpers for the CPU backend tests: StridedViews over std::vector buffers, a reference reader
// that follows a view's strides, and multi-index iteration, so kernels are checked against
// plain loops without NDArray.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "needle/backend.h"

namespace needle::test {

inline Backend& cpu_backend() {
  return backend_for(cpu());
}

// A view of `buf` (element type T, or Bool over uint8_t) with the given shape/strides/offset.
template <typename T>
StridedView view(std::vector<T>& buf, const Shape& shape, Strides strides = {}, int64_t offset = 0,
                 DType dtype = dtype_of<T>()) {
  StridedView v;
  v.data = buf.data();
  v.offset = offset;
  v.shape = shape;
  v.strides = strides.empty() && !shape.empty() ? compact_strides(shape) : strides;
  if (shape.empty()) v.strides = {};
  v.dtype = dtype;
  v.device = cpu();
  return v;
}

inline StridedView bool_view(std::vector<uint8_t>& buf, const Shape& shape, Strides strides = {},
                             int64_t offset = 0) {
  return view(buf, shape, std::move(strides), offset, DType::Bool);
}

// Calls fn(index) for every multi-index of `shape`, row-major.
inline void for_each_index(const Shape& shape, const std::function<void(const Shape&)>& fn) {
  if (numel(shape) == 0) return;
  Shape idx(shape.size(), 0);
  while (true) {
    fn(idx);
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// Element at multi-index `idx` of view `v`, read as T (the view's C++ type).
template <typename T>
T at(const StridedView& v, const Shape& idx) {
  int64_t off = v.offset;
  for (size_t d = 0; d < idx.size(); ++d)
    off += idx[d] * v.strides[d];
  return static_cast<const T*>(v.data)[off];
}

template <typename T>
std::vector<T> iota_vec(int64_t n, T start = T{0}, T step = T{1}) {
  std::vector<T> v(static_cast<size_t>(n));
  T x = start;
  for (auto& e : v) {
    e = x;
    x = static_cast<T>(x + step);
  }
  return v;
}

}  // namespace needle::test

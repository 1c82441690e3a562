// Internal helpers shared by the NDArray sources: building arrays from a StridedView without
// going through the public (validating, copying) entry points, which the op path cannot afford.
#pragma once

#include <utility>

#include "needle/ndarray.h"

namespace needle {

class NDArrayAccess {
 public:
  // A new compact array; `shape` is moved in so the op path allocates it only once.
  static NDArray empty(Shape&& shape, DType dtype, const Device& device);
  // A view of `a`'s storage with new geometry.
  static NDArray with_view(const NDArray& a, Shape&& shape, Strides&& strides, int64_t offset) {
    return a.with_view(std::move(shape), std::move(strides), offset);
  }
  // Writes `value` (broadcast to dst's shape, cast to its dtype) into `dst`; `op` names the
  // caller in errors.
  static void write(const NDArray& dst, const NDArray& value, const char* op);
};

// A view of `a` broadcast to `shape`, which broadcast_shapes has already validated: returns
// a.view() itself when the shapes agree, else fills `tmp` (zero strides where broadcast).
const StridedView& broadcast_view(const NDArray& a, const Shape& shape, StridedView& tmp);

}  // namespace needle

// Turns StridedViews into the by-value index structs the kernels take: size-1 axes dropped,
// axes that are adjacent in memory for every operand merged (so a dense array is one axis and
// takes the vectorised path), dims stored innermost first, 32-bit indexing chosen when every
// offset fits. The views come checked from the dispatch front (one device, equal shapes, at
// most kMaxDims axes).
#pragma once

#include <initializer_list>

#include "kernels/kernels.cuh"
#include "needle/backend.h"

namespace needle::cuda_backend {

// The first element of `v` as a raw pointer.
void* first_element(const StridedView& v);

// Operand 0 is the output; every view has its shape.
kernels::ElementwiseArgs make_elementwise_args(std::initializer_list<const StridedView*> views);

// A compact view of `v`'s shape and dtype over `data` (scratch of the right size).
StridedView dense_like(const StridedView& v, void* data);

}  // namespace needle::cuda_backend

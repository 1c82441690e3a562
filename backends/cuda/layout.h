// Turns StridedViews into the by-value index structs the kernels take: size-1 axes dropped,
// axes that are adjacent in memory for every operand merged (so a dense array is one axis and
// takes the vectorised path), dims stored innermost first, 32-bit indexing chosen when every
// offset fits. Also the checks every CUDA kernel entry makes (devices, shapes, dtypes).
#pragma once

#include <initializer_list>

#include "kernels/kernels.cuh"
#include "needle/backend.h"

namespace needle::cuda_backend {

// The first element of `v` as a raw pointer.
void* first_element(const StridedView& v);

// Operand 0 is the output; every view must have its shape (checked, naming `op`). Throws
// ShapeError when more than kernels::kMaxDims axes remain after merging.
kernels::ElementwiseArgs make_elementwise_args(const char* op,
                                               std::initializer_list<const StridedView*> views);

// Every view lives on the same CUDA device; returns its index.
int check_devices(const char* op, std::initializer_list<const StridedView*> views);
void check_dtype(const char* op, const char* what, const StridedView& v, DType expected);

}  // namespace needle::cuda_backend

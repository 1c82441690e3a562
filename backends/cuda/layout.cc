// StridedView -> kernel index structs (see the header).
#include "backends/cuda/layout.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "needle/error.h"

namespace needle::cuda_backend {

void* first_element(const StridedView& v) {
  return static_cast<char*>(v.data) + v.offset * static_cast<int64_t>(dtype_size(v.dtype));
}

StridedView dense_like(const StridedView& v, void* data) {
  return StridedView{data, 0, v.shape, compact_strides(v.shape), v.dtype, v.device};
}

kernels::ElementwiseArgs make_elementwise_args(std::initializer_list<const StridedView*> views) {
  static_assert(kernels::kMaxDims >= kMaxDims, "kernel index structs hold every axis a view has");
  const StridedView& out = **views.begin();
  const size_t nops = views.size();
  kernels::ElementwiseArgs args;
  args.nops = static_cast<int>(nops);
  args.numel = out.numel();
  size_t k = 0;
  for (const StridedView* v : views) {
    args.data[k] = first_element(*v);
    args.dtype[k] = v->dtype;
    ++k;
  }
  if (args.numel == 0) return args;

  // Outer-to-inner list of the axes that matter, merging an axis into the one inside it when
  // every operand steps over both as one run.
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> strides(nops);
  for (size_t d = 0; d < out.shape.size(); ++d) {
    if (out.shape[d] == 1) continue;
    bool merge = !sizes.empty();
    k = 0;
    for (const StridedView* v : views) {
      if (merge && strides[k].back() != v->strides[d] * out.shape[d]) merge = false;
      ++k;
    }
    k = 0;
    if (merge) {
      sizes.back() *= out.shape[d];
      for (const StridedView* v : views)
        strides[k++].back() = v->strides[d];
    } else {
      sizes.push_back(out.shape[d]);
      for (const StridedView* v : views)
        strides[k++].push_back(v->strides[d]);
    }
  }
  const int ndim = static_cast<int>(sizes.size());
  args.ndim = ndim;
  bool contiguous = true;
  bool fits32 = args.numel <= (int64_t(1) << 30);
  for (int d = 0; d < ndim; ++d)
    args.sizes[d] = sizes[ndim - 1 - d];
  for (size_t i = 0; i < nops; ++i) {
    int64_t span = 0;
    for (int d = 0; d < ndim; ++d) {
      const int64_t s = strides[i][ndim - 1 - d];
      args.strides[i][d] = s;
      span += std::llabs(s) * (args.sizes[d] - 1);
    }
    if (span >= (int64_t(1) << 31)) fits32 = false;
    if (ndim > 1 || (ndim == 1 && args.strides[i][0] != 1)) contiguous = false;
  }
  args.contiguous = contiguous;
  args.index32 = fits32;
  return args;
}

}  // namespace needle::cuda_backend

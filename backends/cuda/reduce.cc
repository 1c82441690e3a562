// CudaBackend's reductions: kept and reduced axes become two merged index lists (ReduceArgs),
// plan_reduce picks the kernel shape (row or column reduction, split over blocks with a scratch
// workspace when few outputs must each reduce many elements), kernels/reduce.cu runs it.
#include <cstdlib>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"

namespace needle::cuda_backend {

void CudaBackend::do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                            const StridedView& out) {
  const char* name = op_name(op);
  const int index = a.device.index;
  std::vector<bool> reduced(a.shape.size(), false);
  for (int64_t axis : axes)
    reduced[static_cast<size_t>(axis)] = true;

  kernels::ReduceArgs args;
  args.in = first_element(a);
  args.in_dtype = a.dtype;
  args.out = first_element(out);
  args.out_dtype = out.dtype;
  args.M = 1;
  args.R = 1;
  // Outer-to-inner runs of kept and of reduced axes, merged where memory allows.
  std::vector<int64_t> ks, kst, rs, rst;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    const int64_t size = a.shape[d], stride = a.strides[d];
    (reduced[d] ? args.R : args.M) *= size;
    if (size == 1) continue;
    auto& sizes = reduced[d] ? rs : ks;
    auto& strides = reduced[d] ? rst : kst;
    if (!sizes.empty() && strides.back() == stride * size) {
      sizes.back() *= size;
      strides.back() = stride;
    } else {
      sizes.push_back(size);
      strides.push_back(stride);
    }
  }
  // The front sent neither an empty output nor an empty reduction, and at most kMaxDims axes.
  static_assert(kernels::kMaxDims >= kMaxDims, "kernel index structs hold every axis a view has");
  int64_t span = 0;
  args.kept_ndim = static_cast<int>(ks.size());
  for (int d = 0; d < args.kept_ndim; ++d) {
    args.kept_sizes[d] = ks[ks.size() - 1 - d];
    args.kept_strides[d] = kst[ks.size() - 1 - d];
    span += std::llabs(args.kept_strides[d]) * (args.kept_sizes[d] - 1);
  }
  args.red_ndim = static_cast<int>(rs.size());
  for (int d = 0; d < args.red_ndim; ++d) {
    args.red_sizes[d] = rs[rs.size() - 1 - d];
    args.red_strides[d] = rst[rs.size() - 1 - d];
    span += std::llabs(args.red_strides[d]) * (args.red_sizes[d] - 1);
  }
  args.index32 = args.M * args.R <= (int64_t(1) << 30) && span < (int64_t(1) << 31);

  DeviceGuard guard(index);
  DeviceContext& ctx = device_context(index);
  const kernels::ReducePlan plan = kernels::plan_reduce(op, args, ctx.props.multiProcessorCount);
  if (plan.workspace_bytes > 0) {
    Scratch workspace(*this, plan.workspace_bytes, index);
    kernels::launch_reduce(op, args, plan, workspace.get(), name, ctx.stream);
  } else {
    kernels::launch_reduce(op, args, plan, nullptr, name, ctx.stream);
  }
}

}  // namespace needle::cuda_backend

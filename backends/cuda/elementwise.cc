// CudaBackend's elementwise entry points: the views become one kernel index struct (layout.h)
// and the op code selects the kernel instantiation (kernels/unary.cu, binary.cu, binary_scalar.cu,
// copy.cu for where), queued on the GPU's stream.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"

namespace needle::cuda_backend {

void CudaBackend::do_unary(UnaryOp op, const StridedView& a, const StridedView& out) {
  const char* name = op_name(op);
  const int index = out.device.index;
  const kernels::ElementwiseArgs args = make_elementwise_args({&out, &a});
  DeviceGuard guard(index);
  kernels::launch_unary(op, args, name, stream_for(index));
}

void CudaBackend::do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                            const StridedView& out) {
  const char* name = op_name(op);
  const int index = out.device.index;
  const kernels::ElementwiseArgs args = make_elementwise_args({&out, &a, &b});
  DeviceGuard guard(index);
  kernels::launch_binary(op, args, name, stream_for(index));
}

void CudaBackend::do_binary_scalar(BinaryOp op, const StridedView& a, double scalar,
                                   bool scalar_first, const StridedView& out) {
  const char* name = op_name(op);
  const int index = out.device.index;
  const kernels::ElementwiseArgs args = make_elementwise_args({&out, &a});
  DeviceGuard guard(index);
  kernels::launch_binary_scalar(op, args, scalar, scalar_first, name, stream_for(index));
}

void CudaBackend::do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                           const StridedView& out) {
  const int index = out.device.index;
  const kernels::ElementwiseArgs args = make_elementwise_args({&out, &cond, &a, &b});
  DeviceGuard guard(index);
  kernels::launch_where(args, stream_for(index));
}

}  // namespace needle::cuda_backend

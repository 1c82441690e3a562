// CudaBackend's softmax and log_softmax: one kernel each way (kernels/softmax.cu) over the
// compact (outer, n, inner) layout the front guarantees.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"

namespace needle::cuda_backend {

void CudaBackend::do_softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) {
  const int index = out.device.index;
  DeviceGuard guard(index);
  const AxisSplit r = split_at_axis(a.shape, axis);
  kernels::launch_softmax(a.dtype, first_element(a), first_element(out), r.outer, r.n, r.inner, log,
                          stream_for(index));
}

void CudaBackend::do_softmax_backward(const StridedView& out, const StridedView& grad_out,
                                      int64_t axis, bool log, const StridedView& grad_input) {
  const int index = out.device.index;
  DeviceGuard guard(index);
  const AxisSplit r = split_at_axis(out.shape, axis);
  kernels::launch_softmax_backward(out.dtype, first_element(out), first_element(grad_out),
                                   first_element(grad_input), r.outer, r.n, r.inner, log,
                                   stream_for(index));
}

}  // namespace needle::cuda_backend

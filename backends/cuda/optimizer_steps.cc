// CudaBackend's fused optimizer steps: one kernel per SGD or Adam update of a dense parameter
// (kernels/optimizer.cu); other layouts use the composed default (src/backend/).
#include <cmath>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"

namespace needle::cuda_backend {

namespace {
// The fused kernels walk every array densely; the front checked shapes, dtypes and devices.
bool dense_as(const StridedView& v) {
  return v.is_contiguous();
}
}  // namespace

void CudaBackend::do_sgd_step(const StridedView& param, const StridedView& grad,
                              const StridedView& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;
  if (!param.is_contiguous() || !dense_as(grad) || (use_momentum && !dense_as(momentum_buf))) {
    Backend::do_sgd_step(param, grad, momentum_buf, args);  // composed from the primitives
    return;
  }
  const int index = param.device.index;
  DeviceGuard guard(index);
  kernels::launch_sgd_step(param.dtype, first_element(param), first_element(grad),
                           use_momentum ? first_element(momentum_buf) : nullptr, param.numel(),
                           args.lr, args.weight_decay, args.momentum, args.nesterov,
                           stream_for(index));
}

void CudaBackend::do_adam_step(const StridedView& param, const StridedView& grad,
                               const StridedView& exp_avg, const StridedView& exp_avg_sq,
                               const AdamStepArgs& args) {
  if (!param.is_contiguous() || !dense_as(grad) || !dense_as(exp_avg) || !dense_as(exp_avg_sq)) {
    Backend::do_adam_step(param, grad, exp_avg, exp_avg_sq, args);
    return;
  }
  const int index = param.device.index;
  DeviceGuard guard(index);
  const double t = static_cast<double>(args.step);
  const double step_size = args.lr / (1.0 - std::pow(args.beta1, t));
  const double inv_bc2 = 1.0 / (1.0 - std::pow(args.beta2, t));
  const bool decoupled = args.decoupled_weight_decay;
  kernels::launch_adam_step(param.dtype, first_element(param), first_element(grad),
                            first_element(exp_avg), first_element(exp_avg_sq), param.numel(),
                            args.beta1, args.beta2, step_size, inv_bc2, args.eps,
                            decoupled ? 0.0 : args.weight_decay,
                            decoupled ? 1.0 - args.lr * args.weight_decay : 1.0, stream_for(index));
}

}  // namespace needle::cuda_backend

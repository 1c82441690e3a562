// The CPU backend with its fused kernels (the all-gradients convolution, the optimizer steps)
// replaced by the Backend's composed defaults (src/backend/), so that tests can check that the
// two give the same numbers. Not registered: tests construct one and call it directly.
#pragma once

#include "backends/cpu/cpu_backend.h"

namespace needle::test {

class ComposedCpuBackend : public cpu_backend::CpuBackend {
 protected:
  void do_conv2d_backward(const StridedView& grad_out, const StridedView& input,
                          const StridedView& weight, const StridedView& grad_input,
                          const StridedView& grad_weight, const StridedView& grad_bias,
                          const Conv2dParams& params, const Conv2dSaved& saved) override {
    Backend::do_conv2d_backward(grad_out, input, weight, grad_input, grad_weight, grad_bias, params,
                                saved);
  }
  void do_sgd_step(const StridedView& param, const StridedView& grad,
                   const StridedView& momentum_buf, const SgdStepArgs& args) override {
    Backend::do_sgd_step(param, grad, momentum_buf, args);
  }
  void do_adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
                    const StridedView& exp_avg_sq, const AdamStepArgs& args) override {
    Backend::do_adam_step(param, grad, exp_avg, exp_avg_sq, args);
  }
};

}  // namespace needle::test

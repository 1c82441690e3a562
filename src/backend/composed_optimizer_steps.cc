// The default (unfused) Backend::do_sgd_step and Backend::do_adam_step: each update is composed
// from the backend's own elementwise primitives and compact scratch buffers, so a backend that does
// not override them (a new device, or CUDA before its fused kernels land) is still correct.
// The primitives are called with `out` aliasing an input only where every output element
// depends on the input element at the same position, which every elementwise kernel allows.
#include <cmath>

#include "needle/backend.h"
#include "src/backend/scratch_buffer.h"

namespace needle {

using detail::ScratchBuffer;

void Backend::do_sgd_step(const StridedView& param, const StridedView& grad,
                          const StridedView& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = args.momentum != 0.0;

  // g = grad + wd * param
  ScratchBuffer g(*this, param);
  if (args.weight_decay != 0.0) {
    binary_scalar(BinaryOp::Mul, param, args.weight_decay, false, g.view());
    binary(BinaryOp::Add, g.view(), grad, g.view());
  } else {
    copy(grad, g.view());
  }
  if (use_momentum) {
    const double beta = args.momentum;
    // g <- (1 - beta) g; u <- beta u + g
    binary_scalar(BinaryOp::Mul, g.view(), 1.0 - beta, false, g.view());
    binary_scalar(BinaryOp::Mul, momentum_buf, beta, false, momentum_buf);
    binary(BinaryOp::Add, momentum_buf, g.view(), momentum_buf);
    if (args.nesterov) {
      // update = beta u + (1 - beta) g', the moving average one step further ahead
      ScratchBuffer t(*this, param);
      binary_scalar(BinaryOp::Mul, momentum_buf, beta, false, t.view());
      binary(BinaryOp::Add, g.view(), t.view(), g.view());
    } else {
      copy(momentum_buf, g.view());
    }
  }
  binary_scalar(BinaryOp::Mul, g.view(), args.lr, false, g.view());
  binary(BinaryOp::Sub, param, g.view(), param);
}

void Backend::do_adam_step(const StridedView& param, const StridedView& grad,
                           const StridedView& exp_avg, const StridedView& exp_avg_sq,
                           const AdamStepArgs& args) {
  ScratchBuffer g(*this, param);
  ScratchBuffer t(*this, param);
  if (args.weight_decay != 0.0 && !args.decoupled_weight_decay) {
    binary_scalar(BinaryOp::Mul, param, args.weight_decay, false, g.view());
    binary(BinaryOp::Add, g.view(), grad, g.view());
  } else {
    copy(grad, g.view());
  }
  if (args.weight_decay != 0.0 && args.decoupled_weight_decay) {
    binary_scalar(BinaryOp::Mul, param, 1.0 - args.lr * args.weight_decay, false, param);
  }
  // m <- b1 m + (1 - b1) g
  binary_scalar(BinaryOp::Mul, exp_avg, args.beta1, false, exp_avg);
  binary_scalar(BinaryOp::Mul, g.view(), 1.0 - args.beta1, false, t.view());
  binary(BinaryOp::Add, exp_avg, t.view(), exp_avg);
  // v <- b2 v + (1 - b2) g^2
  binary_scalar(BinaryOp::Mul, exp_avg_sq, args.beta2, false, exp_avg_sq);
  binary(BinaryOp::Mul, g.view(), g.view(), t.view());
  binary_scalar(BinaryOp::Mul, t.view(), 1.0 - args.beta2, false, t.view());
  binary(BinaryOp::Add, exp_avg_sq, t.view(), exp_avg_sq);
  // w <- w - lr * m_hat / (sqrt(v_hat) + eps)
  const double t_step = static_cast<double>(args.step);
  const double bc1 = 1.0 - std::pow(args.beta1, t_step);
  const double bc2 = 1.0 - std::pow(args.beta2, t_step);
  binary_scalar(BinaryOp::Mul, exp_avg_sq, 1.0 / bc2, false, t.view());
  unary(UnaryOp::Sqrt, t.view(), t.view());
  binary_scalar(BinaryOp::Add, t.view(), args.eps, false, t.view());
  binary_scalar(BinaryOp::Mul, exp_avg, args.lr / bc1, false, g.view());
  binary(BinaryOp::Div, g.view(), t.view(), g.view());
  binary(BinaryOp::Sub, param, g.view(), param);
}

}  // namespace needle

// The default (unfused) Backend::sgd_step and Backend::adam_step: each update is composed from
// the backend's own elementwise primitives and compact scratch buffers, so a backend that does
// not override them (a new device, or CUDA before its fused kernels land) is still correct.
// The primitives are called with `out` aliasing an input only where every output element
// depends on the input element at the same position, which every elementwise kernel allows.
#include <cmath>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

// Compact device memory of one array's size, returned to the backend on scope exit.
class Scratch {
 public:
  Scratch(Backend& backend, const StridedView& like) : backend_(backend), device_(like.device) {
    nbytes_ = static_cast<size_t>(like.numel()) * dtype_size(like.dtype);
    ptr_ = backend_.allocate(nbytes_, device_);
    view_.data = ptr_;
    view_.offset = 0;
    view_.shape = like.shape;
    view_.strides = compact_strides(like.shape);
    view_.dtype = like.dtype;
    view_.device = like.device;
  }
  ~Scratch() { backend_.deallocate(ptr_, nbytes_, device_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const StridedView& view() const { return view_; }

 private:
  Backend& backend_;
  Device device_;
  size_t nbytes_ = 0;
  void* ptr_ = nullptr;
  StridedView view_;
};

void check_same(const char* op, const StridedView& param, const StridedView& other,
                const char* what) {
  NEEDLE_CHECK_AS(ShapeError, other.shape == param.shape, "{}: {} has shape {}, parameter {}", op,
                  what, shape_str(other.shape), shape_str(param.shape));
  NEEDLE_CHECK_AS(DTypeError, other.dtype == param.dtype, "{}: {} has dtype {}, parameter {}", op,
                  what, dtype_name(other.dtype), dtype_name(param.dtype));
}

}  // namespace

void Backend::sgd_step(const StridedView& param, const StridedView& grad,
                       const StridedView& momentum_buf, const SgdStepArgs& args) {
  check_same("sgd_step", param, grad, "gradient");
  const bool use_momentum = args.momentum != 0.0;
  if (use_momentum) check_same("sgd_step", param, momentum_buf, "momentum buffer");

  // g = grad + wd * param
  Scratch g(*this, param);
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
      Scratch t(*this, param);
      binary_scalar(BinaryOp::Mul, momentum_buf, beta, false, t.view());
      binary(BinaryOp::Add, g.view(), t.view(), g.view());
    } else {
      copy(momentum_buf, g.view());
    }
  }
  binary_scalar(BinaryOp::Mul, g.view(), args.lr, false, g.view());
  binary(BinaryOp::Sub, param, g.view(), param);
}

void Backend::adam_step(const StridedView& param, const StridedView& grad,
                        const StridedView& exp_avg, const StridedView& exp_avg_sq,
                        const AdamStepArgs& args) {
  check_same("adam_step", param, grad, "gradient");
  check_same("adam_step", param, exp_avg, "exp_avg");
  check_same("adam_step", param, exp_avg_sq, "exp_avg_sq");
  NEEDLE_CHECK(args.step >= 1, "adam_step: step count must be >= 1, got {}", args.step);

  Scratch g(*this, param);
  Scratch t(*this, param);
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

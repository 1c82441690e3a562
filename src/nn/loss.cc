// Loss modules (loss.h), each composed from differentiable ops so its gradient comes from
// autograd.
#include "needle/nn/loss.h"

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/factories.h"
#include "needle/ops.h"

namespace needle::nn {
namespace {

Tensor reduce(const Tensor& per_element, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean:
      return mean(per_element);
    case Reduction::Sum:
      return sum(per_element);
    case Reduction::None:
      return per_element;
  }
  return per_element;
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  NEEDLE_CHECK_AS(ShapeError, a.shape() == b.shape(), "{}: input {} and target {} differ in shape",
                  op, shape_str(a.shape()), shape_str(b.shape()));
}

}  // namespace

SoftmaxLossImpl::SoftmaxLossImpl(Reduction reduction_, double label_smoothing_)
    : Module("SoftmaxLoss"), reduction(reduction_), label_smoothing(label_smoothing_) {
  NEEDLE_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
               "SoftmaxLoss: label_smoothing must be in [0, 1], got {}", label_smoothing);
}

std::string SoftmaxLossImpl::extra_repr() const {
  return label_smoothing > 0.0 ? fmt::format("label_smoothing={}", label_smoothing) : "";
}

Tensor SoftmaxLossImpl::forward(const Tensor& logits, const Tensor& labels) {
  NEEDLE_CHECK_AS(ShapeError, logits.ndim() == 2,
                  "SoftmaxLoss: logits must be (batch, classes), got {}",
                  shape_str(logits.shape()));
  NEEDLE_CHECK_AS(ShapeError, labels.ndim() == 1 && labels.shape(0) == logits.shape(0),
                  "SoftmaxLoss: labels of shape {} do not match logits {}",
                  shape_str(labels.shape()), shape_str(logits.shape()));
  const DType ld = labels.dtype();
  NEEDLE_CHECK_AS(DTypeError, ld == DType::Int64 || ld == DType::Int32 || ld == DType::UInt8,
                  "SoftmaxLoss: labels must be int64, int32 or uint8, got {}", dtype_name(ld));
  const int64_t k = logits.shape(1);
  // On the CPU this throws here; on a GPU the check runs on the device and throws at the next
  // host wait (loss.h), so that the step does not stop for it.
  backend_for(labels.device())
      .check_index_range(labels.data().view(), 0, k, [k](int64_t value, int64_t position) {
        return fmt::format("SoftmaxLoss: label {} at position {} is out of range for {} classes",
                           value, position, k);
      });
  Tensor picked = sum(logits * one_hot(labels, k, logits.dtype()), {1});
  if (label_smoothing > 0.0)
    picked = (1.0 - label_smoothing) * picked + label_smoothing * mean(logits, {1});
  return reduce(logsumexp(logits, {1}) - picked, reduction);
}

MSELossImpl::MSELossImpl(Reduction reduction_) : Module("MSELoss"), reduction(reduction_) {}

Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  check_same_shape("MSELoss", input, target);
  Tensor d = input - target;
  return reduce(d * d, reduction);
}

L1LossImpl::L1LossImpl(Reduction reduction_) : Module("L1Loss"), reduction(reduction_) {}

Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
  check_same_shape("L1Loss", input, target);
  Tensor d = input - target;
  // |d| = relu(d) + relu(-d): gradient sign(d), and 0 at d == 0 as PyTorch.
  return reduce(relu(d) + relu(-d), reduction);
}

BCEWithLogitsLossImpl::BCEWithLogitsLossImpl(Reduction reduction_)
    : Module("BCEWithLogitsLoss"), reduction(reduction_) {}

Tensor BCEWithLogitsLossImpl::forward(const Tensor& z, const Tensor& target) {
  check_same_shape("BCEWithLogitsLoss", z, target);
  // max(z, 0) - z t + log(1 + exp(-|z|)) never exponentiates a positive number. maximum()
  // splits the gradient at ties, which makes the gradient at z == 0 exactly sigmoid(0) - t.
  Tensor zero = zeros_like(z);
  Tensor abs_z = maximum(z, -z);
  return reduce(maximum(z, zero) - z * target + log(exp(-abs_z) + 1.0), reduction);
}

}  // namespace needle::nn

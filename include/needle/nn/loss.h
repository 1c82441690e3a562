// Loss modules: tensor(s) in, a Tensor out, so losses compose (`l1 + 0.5 * l2`) and
// regularisation terms can be added to them. Each is called as `loss(input, target)`.
#pragma once

#include <string>

#include "needle/nn/module.h"

namespace needle::nn {

// How per-element (or per-sample) losses are combined.
enum class Reduction { Mean, Sum, None };

// Cross-entropy from logits (B, k) and integer class labels (B,) (int64, int32 or uint8):
// logsumexp(logits) - logits[label], averaged over the batch; stable for large logits. A label
// outside [0, k) throws IndexError naming it, its position and k: on the CPU at once, from
// forward(); on a GPU, where checking at once would make every training step wait for the
// device, the check runs on the GPU and the IndexError is thrown at the next point where the
// host waits for that GPU anyway: reading the loss (item(), to_vector(), .to(cpu())) or
// cuda_synchronize(), or at once under NEEDLE_CUDA_SYNC=1 (needle/cuda.h). Until then the step
// computes on: the bad label's one-hot row is all zeros, and nothing reads out of bounds. With
// label_smoothing = e (PyTorch's
// CrossEntropyLoss(label_smoothing=e)) the target is (1 - e) on the label plus e / k on every
// class: logsumexp(logits) - (1 - e) logits[label] - e mean(logits).
class SoftmaxLossImpl : public Module {
 public:
  explicit SoftmaxLossImpl(Reduction reduction = Reduction::Mean, double label_smoothing = 0.0);
  using Module::forward;
  using Module::operator();
  Tensor forward(const Tensor& logits, const Tensor& labels);
  Tensor operator()(const Tensor& logits, const Tensor& labels) { return forward(logits, labels); }
  std::string extra_repr() const override;

  Reduction reduction;
  double label_smoothing;
};
NEEDLE_MODULE(SoftmaxLoss);
// PyTorch's name for the same loss.
using CrossEntropyLoss = SoftmaxLoss;
using CrossEntropyLossImpl = SoftmaxLossImpl;

// (input - target)^2, averaged over every element.
class MSELossImpl : public Module {
 public:
  explicit MSELossImpl(Reduction reduction = Reduction::Mean);
  using Module::forward;
  using Module::operator();
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }

  Reduction reduction;
};
NEEDLE_MODULE(MSELoss);

// |input - target|, averaged over every element; the gradient at 0 is 0 (as PyTorch).
class L1LossImpl : public Module {
 public:
  explicit L1LossImpl(Reduction reduction = Reduction::Mean);
  using Module::forward;
  using Module::operator();
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }

  Reduction reduction;
};
NEEDLE_MODULE(L1Loss);

// Binary cross-entropy of sigmoid(logits) against targets in [0, 1], in the stable form
// max(z, 0) - z t + log(1 + exp(-|z|)), averaged over every element.
class BCEWithLogitsLossImpl : public Module {
 public:
  explicit BCEWithLogitsLossImpl(Reduction reduction = Reduction::Mean);
  using Module::forward;
  using Module::operator();
  Tensor forward(const Tensor& logits, const Tensor& target);
  Tensor operator()(const Tensor& logits, const Tensor& target) { return forward(logits, target); }

  Reduction reduction;
};
NEEDLE_MODULE(BCEWithLogitsLoss);

}  // namespace needle::nn

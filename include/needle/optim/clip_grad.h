// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).
#pragma once

#include <vector>

#include "needle/tensor.h"

namespace needle::optim {

// Computes the L2 norm of all gradients together (parameters without a gradient are skipped)
// and, when it exceeds max_norm, scales every gradient by max_norm / (norm + 1e-6). Returns the
// norm before clipping. Clipped gradients are new arrays, never scaled in place, because the
// autograd engine may share one gradient array between several parameters. The norm is reduced
// on the gradients' device and read back once, so on a GPU this waits for the backward pass;
// clip_grad_norm_ below does not.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

// The same clipping without any host wait, as PyTorch's clip_grad_norm_: the norm stays on the
// device as a 0-d float64 Tensor (on the first gradient's device; on the CPU, 0, when no
// parameter has a gradient), and every gradient is multiplied there by
// min(1, max_norm / (norm + 1e-6)), so also by exactly 1 when nothing needs clipping. Reading the
// returned norm (item()) is the one wait, whenever the caller wants it.
Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace needle::optim

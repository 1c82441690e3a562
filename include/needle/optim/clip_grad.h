// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).
#pragma once

#include <vector>

#include "needle/tensor.h"

namespace needle::optim {

// Computes the L2 norm of all gradients together (parameters without a gradient are skipped)
// and, when it exceeds max_norm, scales every gradient by max_norm / (norm + 1e-6). Returns the
// norm before clipping. Clipped gradients are new arrays, never scaled in place, because the
// autograd engine may share one gradient array between several parameters.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace needle::optim

// Op: what a recorded graph node remembers about the operation that made it. Each built-in op
// is one class (src/autograd/ops/*.cc) with both halves side by side: `compute` on NDArrays,
// called once when the expression runs, and `gradient` written with Tensor ops, so that a
// gradient is itself differentiable (grad of grad works). The engine only needs `gradient`;
// users add ops through needle::Function (function.h).
#pragma once

#include <vector>

#include "needle/tensor.h"

namespace needle {

class Op {
 public:
  virtual ~Op() = default;
  // Short lower-case name used in error messages and when printing ("add", "matmul").
  virtual const char* name() const = 0;
  // The gradient of the loss with respect to each input of `output` (output.node()->inputs),
  // given the gradient `out_grad` with respect to `output`. An undefined Tensor in the result
  // means "no gradient" (zero) for that input. Built from Tensor ops; the engine decides whether
  // they record a graph (create_graph) or not.
  virtual std::vector<Tensor> gradient(const Tensor& out_grad, const Tensor& output) const = 0;
};

}  // namespace needle

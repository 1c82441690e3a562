// Autograd controls: NoGradGuard (no graph recording in its scope, per thread) and grad(), the
// functional form of backward() that returns gradients instead of accumulating them, and can
// record the backward pass itself (create_graph) so that it can be differentiated again.
#pragma once

#include <vector>

#include "needle/tensor.h"

namespace needle {

// Whether ops on this thread record graph nodes (true unless a NoGradGuard is alive).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Turns recording off for its scope on this thread; restores the previous state on exit.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Turns recording back on inside a NoGradGuard's scope.
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// d(sum_i <outputs[i], grad_outputs[i]>)/d(inputs[j]) for every j, without touching any .grad.
// grad_outputs may be empty (seeds of one; every output must then have one element). An input
// the outputs do not depend on gets zeros. With create_graph the backward pass is recorded, so
// the results require grad where they depend on tensors that do: d²/dx² of x³ is
//   auto g = ndl::grad({x * x * x}, {x}, true)[0];   // 3x², differentiable
//   auto h = ndl::grad({ndl::sum(g)}, {x})[0];        // 6x
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool create_graph = false);
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         bool create_graph = false);

}  // namespace needle

// Function: a user-defined differentiable op, the Caffe layer interface (forward / backward)
// plugged into autograd. Subclass it, write `forward` on NDArrays and `backward` with Tensor ops,
// and call it like a built-in:
//
//   struct Cube : ndl::Function {
//     ndl::NDArray forward(const std::vector<ndl::NDArray>& in) override {
//       return in[0] * in[0] * in[0];
//     }
//     std::vector<ndl::Tensor> backward(const ndl::Tensor& g, const std::vector<ndl::Tensor>& in,
//                                       const ndl::Tensor& out) override {
//       return {g * 3.0 * in[0] * in[0]};
//     }
//   };
//   ndl::Tensor y = ndl::call<Cube>({x});
//
// Because backward is written with Tensor ops, a Function is differentiable twice when its
// backward is.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "needle/ndarray.h"
#include "needle/tensor.h"

namespace needle {

class Function {
 public:
  virtual ~Function() = default;
  // Used in error messages and when printing the output ("grad_fn=<name>").
  virtual std::string name() const { return "custom_function"; }
  // The output value, from the inputs' values.
  virtual NDArray forward(const std::vector<NDArray>& inputs) = 0;
  // One gradient per input (same shape as that input), or an undefined Tensor for "none".
  virtual std::vector<Tensor> backward(const Tensor& out_grad, const std::vector<Tensor>& inputs,
                                       const Tensor& output) = 0;
};

// Runs fn->forward on the inputs' values; records fn as the output's op when an input requires
// grad (and grad mode is on). The Function object is kept alive by the graph.
Tensor apply(std::shared_ptr<Function> fn, const std::vector<Tensor>& inputs);

// needle::apply(std::make_shared<F>(args...), inputs). (Call apply qualified: with a
// shared_ptr argument, unqualified lookup also finds std::apply.)
template <typename F, typename... Args>
Tensor call(const std::vector<Tensor>& inputs, Args&&... args) {
  return needle::apply(std::make_shared<F>(std::forward<Args>(args)...), inputs);
}

}  // namespace needle

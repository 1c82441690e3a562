// A user-defined op: softplus(x) = log(1 + e^x), written as a needle::Function with its forward
// on NDArrays and its backward on Tensors (the Caffe layer interface plugged into autograd),
// then used like a built-in: in an expression, with backward(), and differentiated twice.
#include <iostream>
#include <vector>

#include <needle/needle.h>

namespace ndl = needle;

struct Softplus : ndl::Function {
  std::string name() const override { return "softplus"; }

  // Stable form: max(x, 0) + log(1 + e^{-|x|}).
  ndl::NDArray forward(const std::vector<ndl::NDArray>& in) override {
    const ndl::NDArray& x = in[0];
    return ndl::maximum(x, 0.0) + ndl::log(1.0 + ndl::exp(-ndl::abs(x)));
  }

  // d softplus / dx = sigmoid(x); written with Tensor ops, so it is differentiable again.
  std::vector<ndl::Tensor> backward(const ndl::Tensor& out_grad, const std::vector<ndl::Tensor>& in,
                                    const ndl::Tensor& /*output*/) override {
    return {out_grad * ndl::sigmoid(in[0])};
  }
};

int main() {
  ndl::Tensor x({-2.f, 0.f, 3.f}, /*requires_grad=*/true);
  ndl::Tensor y = ndl::call<Softplus>({x});
  ndl::Tensor loss = ndl::sum(y * 2.0);
  loss.backward();
  std::cout << "x           = " << x << "\n"
            << "softplus(x) = " << y << "\n"
            << "loss = sum(2 softplus(x)) = " << loss << "\n"
            << "dloss/dx = 2 sigmoid(x) = " << x.grad() << "\n";

  // Second derivative through the Function's backward: sigmoid(x) (1 - sigmoid(x)).
  ndl::Tensor g = ndl::grad({ndl::sum(ndl::call<Softplus>({x}))}, {x}, /*create_graph=*/true)[0];
  ndl::Tensor h = ndl::grad({ndl::sum(g)}, {x})[0];
  std::cout << "d2/dx2 softplus(x) = " << h << "\n";
  return 0;
}

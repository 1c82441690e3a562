// The lecture's first autograd example, written as a C++ user would: the values are computed as
// the expressions run (an ordinary `if` can look at them), the graph is recorded on the way, and
// backward() walks it. At v1 = 0:
//   v2 = exp(v1) = 1,  v3 = v2 + 1 = 2,  v4 = v2 * v3 = 2  (> 0.5, so v5 = 2 * v4 = 4)
//   dv4/dv1 = 2 e^{2 v1} + e^{v1} = 3,  so v1.grad() = dv5/dv1 = 2 * 3 = 6.
// tests/autograd/seed_example_test.cc checks these numbers through the same code path.
#include <iostream>

#include <needle/needle.h>

namespace ndl = needle;

int main() {
  ndl::Tensor v1({0.f}, /*requires_grad=*/true);
  auto v2 = ndl::exp(v1);
  auto v3 = v2 + 1;
  auto v4 = v2 * v3;

  ndl::Tensor v5;
  if (v4.item<float>() > 0.5) {
    v5 = v4 * 2;
  } else {
    v5 = v4;
  }
  v5.backward();

  std::cout << "v1 = " << v1 << "\n"
            << "v2 = exp(v1) = " << v2 << "\n"
            << "v3 = v2 + 1 = " << v3 << "\n"
            << "v4 = v2 * v3 = " << v4 << "\n"
            << "v5 = " << (v4.item<float>() > 0.5 ? "v4 * 2" : "v4") << " = " << v5 << "\n"
            << "dv5/dv1 = v1.grad() = " << v1.grad() << "\n";

  // The same derivative without touching .grad, and the second derivative through
  // create_graph: d²v4/dv1² = 4 e^{2 v1} + e^{v1} = 5 at v1 = 0.
  ndl::Tensor x({0.f}, /*requires_grad=*/true);
  auto y = ndl::exp(x) * (ndl::exp(x) + 1);
  auto dy = ndl::grad({y}, {x}, /*create_graph=*/true)[0];
  auto d2y = ndl::grad({dy}, {x})[0];
  std::cout << "dv4/dv1 = " << dy.item<float>() << ", d2v4/dv1^2 = " << d2y.item<float>() << "\n";
  return 0;
}

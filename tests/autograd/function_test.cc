// Custom ops through needle::Function: forward on NDArrays, backward on Tensors, used like a
// built-in (recorded only when needed, differentiable twice, checked numerically).
#include <vector>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"

namespace needle {
namespace {

struct Cube : Function {
  std::string name() const override { return "cube"; }
  NDArray forward(const std::vector<NDArray>& in) override { return in[0] * in[0] * in[0]; }
  std::vector<Tensor> backward(const Tensor& g, const std::vector<Tensor>& in,
                               const Tensor&) override {
    return {g * 3.0 * in[0] * in[0]};
  }
};

// a * b + c with a scale fixed at construction: several inputs and a parameter.
struct ScaledFma : Function {
  explicit ScaledFma(double s) : scale(s) {}
  double scale;
  NDArray forward(const std::vector<NDArray>& in) override {
    return (in[0] * in[1] + in[2]) * scale;
  }
  std::vector<Tensor> backward(const Tensor& g, const std::vector<Tensor>& in,
                               const Tensor&) override {
    return {g * in[1] * scale, g * in[0] * scale, g * scale};
  }
};

// x^2 with the right gradient values computed on NDArrays, so the gradient records no graph and
// looks constant to a second-order check: the mistake check_second_order exists to catch.
struct DetachedSquare : Function {
  NDArray forward(const std::vector<NDArray>& in) override { return in[0] * in[0]; }
  std::vector<Tensor> backward(const Tensor& g, const std::vector<Tensor>& in,
                               const Tensor&) override {
    return {Tensor(g.data() * in[0].data() * 2.0)};
  }
};

struct WrongCount : Function {
  NDArray forward(const std::vector<NDArray>& in) override { return in[0]; }
  std::vector<Tensor> backward(const Tensor&, const std::vector<Tensor>&, const Tensor&) override {
    return {};
  }
};

TEST(Function, ForwardBackward) {
  Tensor x({1.f, 2.f}, true);
  Tensor y = call<Cube>({x});
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 8}));
  EXPECT_EQ(y.op_name(), "cube");
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 12}));
}

TEST(Function, SecondOrder) {
  Tensor x({2.f}, true);
  Tensor g = grad({call<Cube>({x})}, {x}, true)[0];
  Tensor h = grad({g}, {x})[0];
  EXPECT_FLOAT_EQ(h.item<float>(), 12.f);  // 6x
}

TEST(Function, Gradcheck) {
  manual_seed(3);
  testing::Fn f = [](const std::vector<Tensor>& in) { return call<ScaledFma>(in, 0.5); };
  std::vector<Tensor> inputs = {randn({3, 2}, cpu(), DType::Float64),
                                randn({3, 2}, cpu(), DType::Float64),
                                randn({3, 2}, cpu(), DType::Float64)};
  testing::check_gradient(f, inputs, "ScaledFma");
}

// The op is nonlinear only in the last element, so a check that probed only element 0 of an op
// whose gradient records no graph would pass; probing every element reports exactly that one.
TEST(Function, SecondOrderCheckProbesEveryElementOfALinearLookingOp) {
  manual_seed(5);
  testing::Fn f = [](const std::vector<Tensor>& in) {
    return call<DetachedSquare>({in[0].slice({Slice(2, 3)})});
  };
  const std::vector<Tensor> inputs = {randn({3}, cpu(), DType::Float64)};
  testing::check_gradient(f, inputs, "DetachedSquare");  // first order is right
  EXPECT_NONFATAL_FAILURE(testing::check_second_order(f, inputs, "DetachedSquare"),
                          "DetachedSquare (second order, linear): input 0 element 2");
}

TEST(Function, NotRecordedWithoutGrad) {
  Tensor x({1.f, 2.f});
  Tensor y = call<Cube>({x});
  EXPECT_TRUE(y.is_leaf());
  Tensor z({1.f}, true);
  NoGradGuard guard;
  EXPECT_TRUE(call<Cube>({z}).is_leaf());
}

TEST(Function, WrongBackwardIsAnError) {
  Tensor x({1.f}, true);
  Tensor y = call<WrongCount>({x});
  EXPECT_THROW(y.backward(), Error);
}

}  // namespace
}  // namespace needle

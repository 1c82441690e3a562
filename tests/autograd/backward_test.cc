// backward() and grad(): the lecture's example, accumulation across calls, seeds, shared
// subexpressions, higher-order gradients and a gradient check of a small MLP's softmax loss.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"

namespace needle {
namespace {

// examples/seed.cc, step by step: v4 = 2 and dv5/dv1 = 6 at v1 = 0 (dv4/dv1 = 3, v5 = 2 v4).
TEST(Backward, SeedExample) {
  Tensor v1({0.f}, true);
  Tensor v2 = exp(v1);
  Tensor v3 = v2 + 1;
  Tensor v4 = v2 * v3;
  EXPECT_FLOAT_EQ(v2.item<float>(), 1.f);
  EXPECT_FLOAT_EQ(v3.item<float>(), 2.f);
  EXPECT_FLOAT_EQ(v4.item<float>(), 2.f);
  Tensor v5;
  if (v4.item<float>() > 0.5) {
    v5 = v4 * 2;
  } else {
    v5 = v4;
  }
  EXPECT_FLOAT_EQ(v5.item<float>(), 4.f);
  v5.backward();
  EXPECT_FLOAT_EQ(v1.grad().item<float>(), 6.f);  // dv5/dv1
  // Intermediate gradients are not kept (as PyTorch without retain_grad).
  EXPECT_FALSE(v4.grad().defined());
  EXPECT_FLOAT_EQ(grad({v4}, {v1})[0].item<float>(), 3.f);  // dv4/dv1
}

TEST(Backward, AccumulatesAcrossCalls) {
  Tensor x({1.f, 2.f, 3.f}, true);
  Tensor y = sum(x * x);
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  y.backward();  // the graph is kept, so a second pass works and adds
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{4, 8, 12}));
  sum(x).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{5, 9, 13}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum(x * 3).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3, 3}));
}

TEST(Backward, GradIsCompactAndDetached) {
  Tensor b({1.f, 2.f}, true);
  Tensor y = sum(broadcast_to(b, {3, 2}));
  y.backward();
  EXPECT_TRUE(b.grad().data().is_compact());
  EXPECT_FALSE(b.grad().requires_grad());
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(Backward, WithOutGrad) {
  Tensor x({1.f, 2.f}, true);
  Tensor y = x * x;
  y.backward(Tensor({1.f, 10.f}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 40}));
}

TEST(Backward, NonScalarNeedsASeed) {
  Tensor x({1.f, 2.f}, true);
  Tensor y = x * 2;
  try {
    y.backward();
    FAIL() << "expected needle::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("backward"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(2,)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(y.backward(Tensor({1.f, 2.f, 3.f})), ShapeError);
  EXPECT_THROW(Tensor({1.f}).backward(), Error);  // does not require grad
}

TEST(Backward, SharedSubexpressionsSumTheirGradients) {
  Tensor x({2.f}, true);
  Tensor a = x * x;      // used twice below
  Tensor y = a * a + a;  // x^4 + x^2
  y.backward();
  EXPECT_FLOAT_EQ(x.grad().item<float>(), 4 * 8 + 2 * 2);
}

TEST(Backward, BroadcastGradientsSumBack) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, cpu(), true);
  Tensor b({10.f, 20.f, 30.f}, true);
  sum(a * b).backward();
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{10, 20, 30, 10, 20, 30}));
}

// relu passes the gradient where its input is positive only: 0 at 0, below 0 and at NaN (as
// PyTorch's threshold_backward).
TEST(Backward, ReluGradientMask) {
  const float nan = std::nanf("");
  Tensor x({2.f, 0.f, -0.f, -3.f, nan, 1e-30f}, true);
  relu(x).backward(Tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{1.f, 0.f, 0.f, 0.f, 0.f, 6.f}));
}

TEST(Backward, MatmulValues) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}, cpu(), true);
  Tensor b = Tensor::from_vector(std::vector<float>{5, 6, 7, 8}, {2, 2}, cpu(), true);
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
  sum(c).backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{11, 15, 11, 15}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{4, 4, 6, 6}));
}

TEST(Grad, SecondDerivativeOfCube) {
  Tensor x({-1.f, 0.5f, 2.f}, true);
  Tensor y = x * x * x;
  Tensor g = grad({sum(y)}, {x}, /*create_graph=*/true)[0];
  EXPECT_TRUE(g.requires_grad());
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{3, 0.75, 12}));  // 3x²
  Tensor h = grad({sum(g)}, {x})[0];
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{-6, 3, 12}));  // 6x
  EXPECT_FALSE(h.requires_grad());
  EXPECT_FALSE(x.grad().defined());  // grad() leaves .grad alone
  // Third order through pow: d³/dx³ x³ = 6.
  Tensor g1 = grad({sum(pow(x, 3))}, {x}, true)[0];
  Tensor g2 = grad({sum(g1)}, {x}, true)[0];
  Tensor g3 = grad({sum(g2)}, {x})[0];
  EXPECT_EQ(g3.to_vector<float>(), (std::vector<float>{6, 6, 6}));
}

TEST(Grad, UnusedInputGetsZerosAndSeedsWork) {
  Tensor x({1.f, 2.f}, true);
  Tensor unused({5.f}, true);
  Tensor y = x * 3;
  std::vector<Tensor> g = grad({y}, {x, unused}, {Tensor({1.f, -1.f})});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{3, -3}));
  EXPECT_EQ(g[1].to_vector<float>(), (std::vector<float>{0}));
  EXPECT_THROW(grad({y}, {x}), ShapeError);              // non-scalar output without grad_outputs
  EXPECT_THROW(grad({sum(y)}, {Tensor({1.f})}), Error);  // input does not require grad
}

TEST(Grad, SeveralOutputsAndDuplicateInputs) {
  Tensor x({2.f}, true);
  std::vector<Tensor> g = grad({x * x, x * 3}, {x, x});
  EXPECT_FLOAT_EQ(g[0].item<float>(), 7.f);
  EXPECT_FLOAT_EQ(g[1].item<float>(), 7.f);
}

// A 2-layer MLP with a softmax (cross-entropy) loss built from logsumexp and gather.
TEST(Grad, MlpSoftmaxLossGradcheck) {
  manual_seed(42);
  Tensor x = randn({5, 4}, cpu(), DType::Float64);
  Tensor w1 = randn({4, 6}, cpu(), DType::Float64);
  Tensor b1 = randn({6}, cpu(), DType::Float64);
  Tensor w2 = randn({6, 3}, cpu(), DType::Float64);
  Tensor labels = Tensor::from_vector(std::vector<int64_t>{0, 2, 1, 1, 0}, {5, 1});
  testing::Fn loss = [labels](const std::vector<Tensor>& p) {
    Tensor hidden = relu(matmul(p[0], p[1]) + p[2]);
    Tensor logits = matmul(hidden, p[3]);
    Tensor picked = gather(logits, 1, labels);           // (5, 1)
    Tensor nll = logsumexp(logits, {1}, true) - picked;  // (5, 1)
    return mean(nll);
  };
  testing::check_gradient(loss, {x, w1, b1, w2}, "mlp softmax loss");
  // The loss itself matches the direct formula.
  std::vector<double> z = matmul(relu(matmul(x, w1) + b1), w2).to_vector<double>();
  const std::vector<int> y = {0, 2, 1, 1, 0};
  double expected = 0;
  for (int i = 0; i < 5; ++i) {
    double s = 0;
    for (int k = 0; k < 3; ++k)
      s += std::exp(z[i * 3 + k]);
    expected += std::log(s) - z[i * 3 + y[i]];
  }
  EXPECT_NEAR(loss({x, w1, b1, w2}).item<double>(), expected / 5, 1e-12);
}

TEST(Grad, LogSumExpIsStable) {
  Tensor x = Tensor::from_vector(std::vector<float>{1000.f, 1000.f, -1000.f}, {3}, cpu(), true);
  Tensor y = logsumexp(x);
  EXPECT_NEAR(y.item<float>(), 1000.f + std::log(2.f), 1e-3);
  y.backward();
  std::vector<float> g = x.grad().to_vector<float>();
  EXPECT_NEAR(g[0], 0.5f, 1e-4);
  EXPECT_NEAR(g[2], 0.f, 1e-6);
  const float inf = std::numeric_limits<float>::infinity();
  Tensor all_neg = Tensor::from_vector(std::vector<float>{-inf, -inf}, {2});
  EXPECT_EQ(logsumexp(all_neg).item<float>(), -inf);
}

TEST(Grad, MaxSplitsTies) {
  Tensor x({1.f, 3.f, 3.f}, true);
  max(x).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 0.5, 0.5}));
  Tensor a({1.f, 2.f}, true);
  Tensor b({1.f, 1.f}, true);
  sum(maximum(a, b)).backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{0.5, 1}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{0.5, 0}));
}

}  // namespace
}  // namespace needle

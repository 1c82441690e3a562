// Graph lifetime: a 100,000-op chain backpropagates and is destroyed without deep recursion,
// and a training-style loop keeps the number of live nodes and buffers flat.
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"

namespace needle {
namespace {

TEST(Memory, LongChainBackwardAndDestruction) {
  const int64_t nodes_before = Tensor::live_count();
  const int64_t storages_before = Storage::live_count();
  {
    Tensor x({1.f}, true);
    Tensor y = x;
    for (int i = 0; i < 100000; ++i)
      y = y * 1.0 + 0.0;  // 200,000 recorded nodes
    EXPECT_GE(Tensor::live_count(), nodes_before + 200000);
    y.backward();
    EXPECT_FLOAT_EQ(x.grad().item<float>(), 1.f);
    // grad() walks the same graph again (with and without create_graph).
    EXPECT_FLOAT_EQ(grad({y}, {x})[0].item<float>(), 1.f);
  }  // y's chain is released here, iteratively
  EXPECT_EQ(Tensor::live_count(), nodes_before);
  EXPECT_EQ(Storage::live_count(), storages_before);
}

TEST(Memory, LongCreateGraphChainIsReleased) {
  const int64_t nodes_before = Tensor::live_count();
  {
    Tensor x({0.5f}, true);
    Tensor y = x;
    for (int i = 0; i < 20000; ++i)
      y = tanh(y);
    Tensor g = grad({y}, {x}, /*create_graph=*/true)[0];
    EXPECT_TRUE(g.requires_grad());
  }
  EXPECT_EQ(Tensor::live_count(), nodes_before);
}

TEST(Memory, TrainingLoopDoesNotGrow) {
  manual_seed(0);
  Tensor w = randn({4, 3}, cpu(), DType::Float32, true);
  Tensor b = zeros({3}, cpu(), DType::Float32, true);
  Tensor labels = Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 1, 0, 2, 1, 0}, {8, 1});
  int64_t nodes = 0;
  int64_t storages = 0;
  float first_loss = 0;
  float last_loss = 0;
  for (int it = 0; it <= 10000; ++it) {
    // Counted at the top of an iteration, when only w, b and labels should be alive.
    if (it == 10) {
      nodes = Tensor::live_count();
      storages = Storage::live_count();
    } else if (it > 10 && it % 1000 == 0) {
      EXPECT_EQ(Tensor::live_count(), nodes) << "iteration " << it;
      EXPECT_EQ(Storage::live_count(), storages) << "iteration " << it;
    }
    Tensor x = randn({8, 4});
    Tensor logits = relu(matmul(x, w) + b) * 2.0 - 0.5;
    Tensor loss = mean(logsumexp(logits, {1}, true) - gather(logits, 1, labels));
    w.zero_grad();
    b.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;
      w = (w - w.grad() * 0.01).detach().set_requires_grad(true);
      b = (b - b.grad() * 0.01).detach().set_requires_grad(true);
    }
    if (it == 0) first_loss = loss.item<float>();
    last_loss = loss.item<float>();
  }
  EXPECT_EQ(Tensor::live_count(), nodes);
  EXPECT_EQ(Storage::live_count(), storages);
  EXPECT_TRUE(std::isfinite(last_loss));
  EXPECT_TRUE(std::isfinite(first_loss));
}

}  // namespace
}  // namespace needle

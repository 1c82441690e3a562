// optim::SGD trajectories against hand-computed values (reference/make_optim_reference.py), the
// equivalence of L2 in the loss and weight decay, and in-place updates.
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "optim/reference/optim_reference.h"

namespace ndl = needle;

namespace {

// loss = 0.5 sum(c w^2) + sum(d w) on a (2, 3) parameter.
ndl::Tensor quadratic_loss(const ndl::Tensor& w) {
  auto c = ndl::Tensor::from_vector(optim_ref::c, {2, 3}).data().astype(w.dtype());
  auto d = ndl::Tensor::from_vector(optim_ref::d, {2, 3}).data().astype(w.dtype());
  return ndl::sum(ndl::Tensor(c) * w * w) * 0.5 + ndl::sum(ndl::Tensor(d) * w);
}

template <typename MakeOpt>
void check_trajectory(MakeOpt make_opt, const std::vector<std::vector<double>>& expected,
                      ndl::DType dtype, double tol) {
  auto w = ndl::Tensor(ndl::NDArray::from_vector(optim_ref::w0, {2, 3}).astype(dtype), true);
  auto opt = make_opt(std::vector<ndl::Tensor>{w});
  const void* storage = w.data().data_ptr();
  for (size_t step = 0; step < expected.size(); ++step) {
    opt.zero_grad();
    quadratic_loss(w).backward();
    opt.step();
    nn_test::expect_near(w.to_vector<double>(), expected[step], tol,
                         ("step " + std::to_string(step + 1)).c_str());
  }
  EXPECT_EQ(w.data().data_ptr(), storage);  // updated in place
  EXPECT_TRUE(w.is_leaf());
}

}  // namespace

TEST(SGD, PlainTrajectory) {
  for (auto dtype : {ndl::DType::Float64, ndl::DType::Float32}) {
    check_trajectory([](auto p) { return ndl::optim::SGD(p, 0.1); }, optim_ref::sgd, dtype,
                     dtype == ndl::DType::Float64 ? 1e-12 : 1e-6);
  }
}

TEST(SGD, MomentumTrajectory) {
  for (auto dtype : {ndl::DType::Float64, ndl::DType::Float32}) {
    check_trajectory([](auto p) { return ndl::optim::SGD(p, 0.1, 0.9); }, optim_ref::sgd_momentum,
                     dtype, dtype == ndl::DType::Float64 ? 1e-12 : 1e-6);
  }
}

TEST(SGD, WeightDecayTrajectory) {
  check_trajectory([](auto p) { return ndl::optim::SGD(p, 0.1, 0.0, 0.05); },
                   optim_ref::sgd_weight_decay, ndl::DType::Float64, 1e-12);
}

TEST(SGD, NesterovTrajectory) {
  check_trajectory([](auto p) { return ndl::optim::SGD(p, 0.1, 0.5, 0.01, true); },
                   optim_ref::sgd_momentum_wd_nesterov, ndl::DType::Float64, 1e-12);
}

TEST(SGD, L2InLossEqualsWeightDecay) {
  const double lambda = 0.05;
  ndl::manual_seed(9);
  ndl::nn::Linear a(5, 3);
  ndl::nn::Linear b(5, 3);
  for (size_t i = 0; i < 2; ++i) {
    nn_test::set_values(b->parameters()[i], a->parameters()[i].to_vector<float>());
  }
  auto x = ndl::randn({4, 5});
  ndl::optim::SGD with_decay(a->parameters(), 0.1, 0.0, lambda);
  ndl::optim::SGD plain(b->parameters(), 0.1);
  for (int step = 0; step < 3; ++step) {
    with_decay.zero_grad();
    plain.zero_grad();
    ndl::sum(a(x) * a(x)).backward();
    // d/dw (lambda/2 ||w||^2) = lambda w: the same step as weight_decay = lambda.
    ndl::Tensor l2 = ndl::sum(b(x) * b(x));
    for (const auto& p : b->parameters())
      l2 = l2 + 0.5 * lambda * ndl::sum(p * p);
    l2.backward();
    with_decay.step();
    plain.step();
  }
  for (size_t i = 0; i < 2; ++i) {
    nn_test::expect_near(a->parameters()[i].to_vector<float>(),
                         b->parameters()[i].to_vector<float>(), 1e-6);
  }
}

TEST(SGD, SkipsParametersWithoutGradAndChecksArguments) {
  auto w = ndl::ones({3}).set_requires_grad(true);
  ndl::optim::SGD opt({w}, 0.1, 0.9);
  opt.step();  // no gradient yet: nothing happens
  EXPECT_EQ(w.to_vector<float>(), std::vector<float>(3, 1.0f));
  EXPECT_EQ(opt.state_tensors().size(), 0u);
  EXPECT_THROW(ndl::optim::SGD({w}, 0.1, 1.5), ndl::Error);
  EXPECT_THROW(ndl::optim::SGD({w}, -1.0), ndl::Error);
  EXPECT_THROW(ndl::optim::SGD({ndl::zeros({2}, ndl::cpu(), ndl::DType::Int64)}), ndl::DTypeError);
  opt.set_lr(0.5);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.5);
}

// optim::Adam and AdamW trajectories against hand-computed values, and the fused CPU kernels
// against the composed Backend defaults.
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "optim/reference/optim_reference.h"
#include "tests/composed_cpu_backend.h"

namespace ndl = needle;

namespace {

ndl::Tensor quadratic_loss(const ndl::Tensor& w) {
  auto c = ndl::NDArray::from_vector(optim_ref::c, {2, 3}).astype(w.dtype());
  auto d = ndl::NDArray::from_vector(optim_ref::d, {2, 3}).astype(w.dtype());
  return ndl::sum(ndl::Tensor(c) * w * w) * 0.5 + ndl::sum(ndl::Tensor(d) * w);
}

void check(ndl::optim::Optimizer& opt, ndl::Tensor w,
           const std::vector<std::vector<double>>& expected, double tol) {
  for (size_t step = 0; step < expected.size(); ++step) {
    opt.zero_grad();
    quadratic_loss(w).backward();
    opt.step();
    nn_test::expect_near(w.to_vector<double>(), expected[step], tol,
                         ("step " + std::to_string(step + 1)).c_str());
  }
}

ndl::Tensor start(ndl::DType dtype) {
  return ndl::Tensor(ndl::NDArray::from_vector(optim_ref::w0, {2, 3}).astype(dtype), true);
}

}  // namespace

TEST(Adam, Trajectory) {
  for (auto dtype : {ndl::DType::Float64, ndl::DType::Float32}) {
    auto w = start(dtype);
    ndl::optim::Adam opt({w}, 0.01);
    check(opt, w, optim_ref::adam, dtype == ndl::DType::Float64 ? 1e-12 : 1e-6);
    EXPECT_EQ(opt.step_count(), 3);
  }
}

TEST(Adam, CoupledWeightDecayTrajectory) {
  auto w = start(ndl::DType::Float64);
  ndl::optim::Adam opt({w}, 0.01, 0.9, 0.999, 1e-8, 0.1);
  check(opt, w, optim_ref::adam_weight_decay, 1e-12);
}

TEST(AdamW, DecoupledWeightDecayTrajectory) {
  auto w = start(ndl::DType::Float64);
  ndl::optim::AdamW opt({w}, 0.01, 0.9, 0.999, 1e-8, 0.1);
  EXPECT_EQ(opt.name(), "AdamW");
  check(opt, w, optim_ref::adamw, 1e-12);
}

// The fused CPU override and the composed default (tests/composed_cpu_backend.h) produce the
// same numbers, also for gradients that are strided (non-dense) views.
TEST(FusedKernels, MatchComposedDefaults) {
  ndl::Backend& be = ndl::backend_for(ndl::cpu());
  ndl::test::ComposedCpuBackend composed;
  ndl::manual_seed(4);
  const ndl::Shape shape{520, 512};  // above the fused kernels' OpenMP threshold
  for (int kind = 0; kind < 3; ++kind) {
    // A dense gradient, a broadcast one (row stride 0) and a transposed one (Linear's weight).
    auto w0 = ndl::NDArray::randn(shape);
    auto g = kind == 0   ? ndl::NDArray::randn(shape)
             : kind == 1 ? ndl::NDArray::randn({1, shape[1]}).broadcast_to(shape)
                         : ndl::NDArray::randn({shape[1], shape[0]}).transpose();
    auto w1 = w0.clone(), w2 = w0.clone();
    auto m1 = ndl::NDArray::randn(shape), v1 = ndl::NDArray::rand(shape);
    auto m2 = m1.clone(), v2 = v1.clone();
    ndl::AdamStepArgs args{0.01, 0.9, 0.999, 1e-8, 0.1, false, 3};
    be.adam_step(w1.view(), g.view(), m1.view(), v1.view(), args);
    composed.adam_step(w2.view(), g.view(), m2.view(), v2.view(), args);
    nn_test::expect_near(w1.to_vector<float>(), w2.to_vector<float>(), 1e-6, "adam w");
    nn_test::expect_near(v1.to_vector<float>(), v2.to_vector<float>(), 1e-6, "adam v");

    auto u1 = ndl::NDArray::randn(shape);
    auto u2 = u1.clone();
    ndl::SgdStepArgs sargs{0.1, 0.9, 0.01, true};
    be.sgd_step(w1.view(), g.view(), u1.view(), sargs);
    composed.sgd_step(w2.view(), g.view(), u2.view(), sargs);
    nn_test::expect_near(w1.to_vector<float>(), w2.to_vector<float>(), 1e-6, "sgd w");
    nn_test::expect_near(u1.to_vector<float>(), u2.to_vector<float>(), 1e-6, "sgd u");
  }
}

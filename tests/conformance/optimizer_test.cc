// Optimizer-step conformance: sgd_step (plain, momentum, Nesterov, weight decay) and adam_step
// (Adam, Adam with L2 weight decay, AdamW), several steps in a row so that the state evolves,
// float32 and float64, with dense parameters and dense, transposed and broadcast gradients and
// with a non-compact parameter (the layouts a fused kernel takes and the ones it hands to the
// composed default). The ReferenceBackend runs the Backend's composed defaults.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceOptimizer : public ConformanceTest {};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceOptimizer);

// A parameter layout and the gradient's layout over the same shape.
struct Case {
  std::string name;
  Layout param, grad;
};

std::vector<Case> cases() {
  const Shape s = {6, 9};
  const Layout dense{"dense", s, {9, 1}, 0, 54};
  return {
      {"dense", dense, dense},
      {"transposed_grad", dense, {"", s, {1, 6}, 0, 54}},
      {"broadcast_grad", dense, {"", s, {0, 1}, 0, 9}},
      {"sliced_param", {"", s, {18, 2}, 1, 108}, dense},
      {"large", {"", {300, 257}, {257, 1}, 0, 300 * 257}, {"", {300, 257}, {1, 300}, 0, 300 * 257}},
  };
}

Tolerance step_tolerance(DType dtype) {
  return dtype == DType::Float32 ? Tolerance{2e-5, 1e-6} : Tolerance{1e-12, 1e-14};
}

TEST_P(ConformanceOptimizer, SgdStep) {
  const std::vector<std::pair<std::string, SgdStepArgs>> variants = {
      {"plain", {0.1, 0.0, 0.0, false}},
      {"momentum", {0.1, 0.9, 0.0, false}},
      {"nesterov", {0.05, 0.9, 0.0, true}},
      {"weight_decay", {0.1, 0.0, 0.01, false}},
      {"momentum_weight_decay_nesterov", {0.1, 0.8, 0.01, true}},
  };
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases()) {
      for (const auto& variant : variants) {
        const std::string& name = variant.first;
        const auto& args = variant.second;  // not a structured binding: lambdas capture it
        const Layout& P = c.param;
        const Layout& G = c.grad;
        const Twin param = twin(dt, random_values(dt, P.elems, 1));
        const Twin grad = twin(dt, random_values(dt, G.elems, 2));
        const Twin momentum = twin(dt, std::vector<double>(static_cast<size_t>(P.elems), 0.0));
        const StridedView absent{};
        on_both([&](const Side& s) {
          for (int step = 0; step < 3; ++step) {
            s->sgd_step(
                param.view(s, P.shape, P.strides, P.offset),
                grad.view(s, G.shape, G.strides, G.offset),
                args.momentum != 0.0 ? momentum.view(s, P.shape, P.strides, P.offset) : absent,
                args);
          }
        });
        const std::string what = fmt::format("sgd {} {} {}", name, c.name, dtype_name(dt));
        expect_match(param, step_tolerance(dt), what + " param");
        expect_match(momentum, step_tolerance(dt), what + " momentum");
        expect_match(grad, Tolerance{}, what + " grad (only read)");
      }
    }
  }
}

TEST_P(ConformanceOptimizer, AdamStep) {
  const std::vector<std::pair<std::string, AdamStepArgs>> variants = {
      {"adam", {1e-3, 0.9, 0.999, 1e-8, 0.0, false, 1}},
      {"adam_l2", {1e-2, 0.9, 0.99, 1e-8, 0.05, false, 1}},
      {"adamw", {1e-2, 0.8, 0.99, 1e-6, 0.05, true, 1}},
  };
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases()) {
      for (const auto& variant : variants) {
        const std::string& name = variant.first;
        const auto& args = variant.second;  // not a structured binding: lambdas capture it
        const Layout& P = c.param;
        const Layout& G = c.grad;
        const Twin param = twin(dt, random_values(dt, P.elems, 3));
        const Twin grad = twin(dt, random_values(dt, G.elems, 4));
        const Twin exp_avg = twin(dt, random_values(dt, P.elems, 5, -0.1, 0.1));
        const Twin exp_avg_sq = twin(dt, random_values(dt, P.elems, 6, 0.0, 0.1));
        on_both([&](const Side& s) {
          AdamStepArgs a = args;
          for (a.step = 1; a.step <= 3; ++a.step) {
            s->adam_step(param.view(s, P.shape, P.strides, P.offset),
                         grad.view(s, G.shape, G.strides, G.offset),
                         exp_avg.view(s, P.shape, P.strides, P.offset),
                         exp_avg_sq.view(s, P.shape, P.strides, P.offset), a);
          }
        });
        const std::string what = fmt::format("{} {} {}", name, c.name, dtype_name(dt));
        expect_match(param, step_tolerance(dt), what + " param");
        expect_match(exp_avg, step_tolerance(dt), what + " exp_avg");
        expect_match(exp_avg_sq, step_tolerance(dt), what + " exp_avg_sq");
        expect_match(grad, Tolerance{}, what + " grad (only read)");
      }
    }
  }
}

// Known by hand: one plain SGD step and one Adam step (whose first update is lr * sign(g)).
TEST_P(ConformanceOptimizer, KnownAnswers) {
  Buffer w = buffer(DType::Float64, 2), g = buffer(DType::Float64, 2);
  Buffer m = buffer(DType::Float64, 2), v = buffer(DType::Float64, 2);
  w.upload(Host::of(DType::Float64, {1.0, -2.0}));
  g.upload(Host::of(DType::Float64, {0.5, -4.0}));
  backend().sgd_step(w.dense({2}), g.dense({2}), StridedView{}, SgdStepArgs{0.1, 0.0, 0.0, false});
  const std::vector<double> stepped = w.download().values();
  EXPECT_NEAR(stepped[0], 0.95, 1e-15);
  EXPECT_NEAR(stepped[1], -1.6, 1e-15);
  m.upload(Host::of(DType::Float64, {0.0, 0.0}));
  v.upload(Host::of(DType::Float64, {0.0, 0.0}));
  backend().adam_step(w.dense({2}), g.dense({2}), m.dense({2}), v.dense({2}),
                      AdamStepArgs{0.01, 0.9, 0.999, 0.0, 0.0, false, 1});
  const std::vector<double> after = w.download().values();
  EXPECT_NEAR(after[0], 0.94, 1e-12);
  EXPECT_NEAR(after[1], -1.59, 1e-12);
}

}  // namespace
}  // namespace needle::conformance

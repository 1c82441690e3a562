// Numerical gradient checks for the autograd tests: central differences in float64 compared
// with the analytical gradient (first order) and with the derivative of the analytical gradient
// (second order). The scalar checked is L(x) = sum(f(x) * w) for a fixed random w, so every
// output element gets a different weight.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"

namespace needle::testing {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

constexpr double kEps = 1e-6;
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-7;

// Copies of `xs` as float64 leaves that require grad.
inline std::vector<Tensor> leaves(const std::vector<Tensor>& xs) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs)
    out.emplace_back(x.data().astype(DType::Float64).clone(), true);
  return out;
}

inline Tensor weights_like(const Tensor& y) {
  return Tensor(NDArray::randn(y.shape(), 0.0, 1.0, DType::Float64).to(y.device()));
}

inline double loss_value(const Fn& f, const std::vector<Tensor>& xs, const Tensor& w) {
  NoGradGuard no_grad;
  return sum(f(xs) * w).item<double>();
}

// xs with element j of input i moved by delta (fresh leaves, original layout values).
inline std::vector<Tensor> perturbed(const std::vector<Tensor>& xs, size_t i, size_t j,
                                     double delta) {
  std::vector<Tensor> out = xs;
  std::vector<double> v = xs[i].to_vector<double>();
  v[j] += delta;
  out[i] = Tensor::from_vector(v, xs[i].shape(), xs[i].device(), true);
  return out;
}

inline bool close(double analytic, double numeric) {
  return std::abs(analytic - numeric) <= kAtol + kRtol * std::abs(numeric);
}

// First order: d L / d x_i against central differences, for every element of every input.
inline void check_gradient(const Fn& f, const std::vector<Tensor>& inputs,
                           const std::string& what) {
  std::vector<Tensor> xs = leaves(inputs);
  Tensor y = f(xs);
  ASSERT_TRUE(y.requires_grad()) << what << ": output does not require grad";
  Tensor w = weights_like(y);
  std::vector<Tensor> grads = grad({sum(y * w)}, xs);
  for (size_t i = 0; i < xs.size(); ++i) {
    ASSERT_EQ(grads[i].shape(), xs[i].shape()) << what << ": input " << i;
    std::vector<double> analytic = grads[i].to_vector<double>();
    for (size_t j = 0; j < analytic.size(); ++j) {
      const double up = loss_value(f, perturbed(xs, i, j, kEps), w);
      const double down = loss_value(f, perturbed(xs, i, j, -kEps), w);
      const double numeric = (up - down) / (2 * kEps);
      EXPECT_TRUE(close(analytic[j], numeric))
          << what << ": input " << i << " element " << j << ": analytic " << analytic[j]
          << " numeric " << numeric;
    }
  }
}

// Second order: with g = dL/dx (create_graph) and H = sum_i <g_i, u_i> for a random u, dH/dx
// against central differences of H computed from first-order analytical gradients.
inline void check_second_order(const Fn& f, const std::vector<Tensor>& inputs,
                               const std::string& what) {
  std::vector<Tensor> xs = leaves(inputs);
  Tensor y = f(xs);
  Tensor w = weights_like(y);
  std::vector<Tensor> u;
  for (const Tensor& x : xs)
    u.push_back(weights_like(x));
  auto h_of = [&](const std::vector<Tensor>& at, bool create_graph) {
    Tensor loss = sum(f(at) * w);
    std::vector<Tensor> g = grad({loss}, at, create_graph);
    Tensor h = sum(g[0] * u[0]);
    for (size_t i = 1; i < g.size(); ++i)
      h = h + sum(g[i] * u[i]);
    return h;
  };
  Tensor h = h_of(xs, true);
  // A linear op's gradient is constant in x, so h records no graph and its Hessian is zero. Every
  // element is still probed: an op whose gradient silently fails to record a graph (and so looks
  // linear) shows up as a non-zero difference at whichever element it depends on.
  std::vector<Tensor> hess;
  if (h.requires_grad()) hess = grad({h}, xs);
  for (size_t i = 0; i < xs.size(); ++i) {
    std::vector<double> analytic =
        hess.empty() ? std::vector<double>(static_cast<size_t>(xs[i].numel()), 0.0)
                     : hess[i].to_vector<double>();
    for (size_t j = 0; j < analytic.size(); ++j) {
      const double up = h_of(perturbed(xs, i, j, kEps), false).item<double>();
      const double down = h_of(perturbed(xs, i, j, -kEps), false).item<double>();
      const double numeric = (up - down) / (2 * kEps);
      EXPECT_TRUE(std::abs(analytic[j] - numeric) <= 1e-5 + 1e-4 * std::abs(numeric))
          << what << " (second order" << (hess.empty() ? ", linear" : "") << "): input " << i
          << " element " << j << ": analytic " << analytic[j] << " numeric " << numeric;
    }
  }
}

}  // namespace needle::testing

// Helpers for the tests that run a module or a training step on the device under test and on
// the CPU: the same weights in two modules of any dtype and device, and comparisons of values,
// gradients and buffers with a tolerance scaled to each tensor's magnitude (a weight gradient
// sums hundreds of products, so its small entries carry the rounding of its large ones).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/device_test_util.h"

namespace model_test {

// Copies every parameter and buffer of `src` into `dst` in place (handles keep their identity),
// converting dtype and device. The two modules must have the same keys in the same order.
inline void copy_state(const needle::nn::Module& src, const needle::nn::Module& dst) {
  const auto from = src.state_dict();
  const auto to = dst.state_dict();
  ASSERT_EQ(from.size(), to.size());
  for (size_t i = 0; i < from.size(); ++i) {
    ASSERT_EQ(from[i].first, to[i].first);
    needle::NDArray target = to[i].second.data();
    target.copy_(from[i].second.data().astype(target.dtype()).to(target.device()));
  }
}

// |a - e| <= rtol (|e| + max(1, max |expected|)) elementwise: relative, plus an absolute part
// scaled by the largest reference value, so that entries that cancel to nearly zero are not
// held to a relative bound.
inline void expect_close_scaled(const std::vector<double>& actual,
                                const std::vector<double>& expected, double rtol,
                                const std::string& what) {
  double scale = 1.0;
  for (double v : expected)
    scale = std::max(scale, std::fabs(v));
  device_test::expect_close(actual, expected, rtol, rtol * scale, what);
}

inline void expect_close_scaled(const needle::Tensor& actual, const needle::Tensor& expected,
                                double rtol, const std::string& what) {
  ASSERT_TRUE(actual.defined()) << what << ": undefined";
  ASSERT_TRUE(expected.defined()) << what << ": reference undefined";
  EXPECT_EQ(actual.shape(), expected.shape()) << what;
  expect_close_scaled(device_test::host(actual), device_test::host(expected), rtol, what);
}

// The largest |a - e| / max(1, max |e|) over one tensor: how far a value is from its reference
// relative to its scale (what a test prints to show how much of its tolerance it used).
inline double scaled_error(const needle::Tensor& actual, const needle::Tensor& expected) {
  const std::vector<double> a = device_test::host(actual), e = device_test::host(expected);
  double scale = 1.0, err = 0.0;
  for (double v : e)
    scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < a.size() && i < e.size(); ++i)
    err = std::max(err, std::fabs(a[i] - e[i]));
  return err / scale;
}

// The largest scaled_error over the parameters, their gradients and the buffers of two modules
// with the same keys, and the entry where it occurs ("grad 0.0.weight").
struct StateError {
  double error = 0.0;
  std::string where;
};
inline StateError worst_state_error(const needle::nn::Module& test, const needle::nn::Module& ref) {
  StateError worst;
  const auto consider = [&](const needle::Tensor& a, const needle::Tensor& b,
                            const std::string& where) {
    if (!a.defined() || !b.defined()) return;
    const double e = scaled_error(a, b);
    if (e > worst.error) worst = {e, where};
  };
  const auto params = test.named_parameters();
  const auto params_ref = ref.named_parameters();
  for (size_t i = 0; i < params.size() && i < params_ref.size(); ++i) {
    consider(params[i].second, params_ref[i].second, params[i].first);
    consider(params[i].second.grad(), params_ref[i].second.grad(), "grad " + params[i].first);
  }
  const auto buffers = test.named_buffers();
  const auto buffers_ref = ref.named_buffers();
  for (size_t i = 0; i < buffers.size() && i < buffers_ref.size(); ++i)
    consider(buffers[i].second, buffers_ref[i].second, buffers[i].first);
  return worst;
}

// Every parameter (and, with `grads`, its gradient) and every buffer of `test` on `device`,
// against the same entry of `ref`, within expect_close_scaled(rtol).
inline void expect_same_state(const needle::nn::Module& test, const needle::nn::Module& ref,
                              const needle::Device& device, double rtol, bool grads,
                              const std::string& what) {
  const auto params = test.named_parameters();
  const auto params_ref = ref.named_parameters();
  ASSERT_EQ(params.size(), params_ref.size()) << what;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [name, p] = params[i];
    ASSERT_EQ(name, params_ref[i].first) << what;
    EXPECT_EQ(p.device(), device) << what << " " << name;
    expect_close_scaled(p, params_ref[i].second, rtol, what + " " + name);
    if (grads) {
      ASSERT_TRUE(p.grad().defined()) << what << " grad " << name;
      EXPECT_EQ(p.grad().device(), device) << what << " grad " << name;
      expect_close_scaled(p.grad(), params_ref[i].second.grad(), rtol, what + " grad " + name);
    }
  }
  const auto buffers = test.named_buffers();
  const auto buffers_ref = ref.named_buffers();
  ASSERT_EQ(buffers.size(), buffers_ref.size()) << what;
  for (size_t i = 0; i < buffers.size(); ++i) {
    const auto& [name, b] = buffers[i];
    ASSERT_EQ(name, buffers_ref[i].first) << what;
    EXPECT_EQ(b.device(), device) << what << " " << name;
    expect_close_scaled(b, buffers_ref[i].second, rtol, what + " " + name);
  }
}

}  // namespace model_test

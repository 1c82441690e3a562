// Device-parametrised tests: a value-parametrised fixture instantiated for "cpu" and "cuda".
// The cuda instance skips with the reason (GTEST_SKIP, so it shows as skipped, never as a
// silent pass) when this build or machine has no GPU, and fails under NEEDLE_REQUIRE_CUDA=1. Tests
// run the code under test in float32 on the fixture's device and compare it with a float64 CPU
// reference computed from the same inputs, so the cpu instance is a real check of the float32 path
// and the cuda instance checks the GPU against the same reference.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "require_cuda.h"

namespace device_test {

class DeviceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "cuda" && !needle::cuda_available()) {
      NEEDLE_SKIP_WITHOUT_CUDA("CUDA unavailable: " + needle::cuda_status());
    }
  }
  needle::Device device() const { return GetParam() == "cuda" ? needle::cuda(0) : needle::cpu(); }
};

// Instantiates every TEST_P of `fixture` as <fixture>/Devices.<test>/cpu and .../cuda.
#define NEEDLE_INSTANTIATE_DEVICE_TESTS(fixture)          \
  INSTANTIATE_TEST_SUITE_P(                               \
      Devices, fixture, ::testing::Values("cpu", "cuda"), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

// Deterministic values in [lo, hi).
inline std::vector<double> values(int64_t n, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v)
    x = dist(gen);
  return v;
}

// A leaf of `shape` holding `v` in `dtype` on `device`.
inline needle::Tensor make(const std::vector<double>& v, const needle::Shape& shape,
                           const needle::Device& device, needle::DType dtype,
                           bool requires_grad = false) {
  needle::NDArray a = needle::NDArray::from_vector(v, shape).astype(dtype).to(device);
  return needle::Tensor(a, requires_grad);
}

inline std::vector<double> host(const needle::Tensor& t) {
  return t.to_vector<double>();
}

// |a - e| <= atol + rtol |e| elementwise, at most ten failures reported.
inline void expect_close(const std::vector<double>& actual, const std::vector<double>& expected,
                         double rtol, double atol, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < actual.size() && failures < 10; ++i) {
    const double a = actual[i], e = expected[i];
    if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e))) {
      ++failures;
      ADD_FAILURE() << what << ": element " << i << " got " << a << ", reference " << e;
    }
  }
}

inline void expect_close(const needle::Tensor& actual, const needle::Tensor& expected, double rtol,
                         double atol, const std::string& what) {
  ASSERT_TRUE(actual.defined()) << what << ": undefined";
  ASSERT_TRUE(expected.defined()) << what << ": reference undefined";
  EXPECT_EQ(actual.shape(), expected.shape()) << what;
  expect_close(host(actual), host(expected), rtol, atol, what);
}

// Runs `fn` in float32 on `device` and in float64 on the CPU and compares the tensors it
// returns pairwise (values, gradients, whatever the test wants checked).
using Computation =
    std::function<std::vector<needle::Tensor>(const needle::Device&, needle::DType)>;
inline void compare_with_reference(const needle::Device& device, const Computation& fn,
                                   const std::string& what, double rtol = 1e-4,
                                   double atol = 1e-5) {
  const std::vector<needle::Tensor> got = fn(device, needle::DType::Float32);
  const std::vector<needle::Tensor> ref = fn(needle::cpu(), needle::DType::Float64);
  ASSERT_EQ(got.size(), ref.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].defined()) {
      EXPECT_EQ(got[i].device(), device) << what << " #" << i;
    }
    expect_close(got[i], ref[i], rtol, atol, what + " #" + std::to_string(i));
  }
}

}  // namespace device_test

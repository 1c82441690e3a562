// Helpers shared by the nn and optim suites: tensors from reference literals, elementwise
// comparisons with readable failure messages, and a fixture with a directory per test.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "needle/needle.h"

namespace nn_test {

// A fresh directory per test (named after the process and the test), removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("needle_nn_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

inline needle::Tensor tensor(const std::vector<float>& values, const needle::Shape& shape,
                             bool requires_grad = false) {
  return needle::Tensor::from_vector(values, shape, needle::cpu(), requires_grad);
}

// Overwrites a parameter's values in place (the handle, and so the module, sees them).
inline void set_values(const needle::Tensor& t, const std::vector<float>& values) {
  needle::NDArray a = t.data();
  a.copy_(needle::NDArray::from_vector(values, t.shape()).astype(t.dtype()));
}

template <typename T, typename U>
void expect_near(const std::vector<T>& actual, const std::vector<U>& expected, double tol,
                 const char* what = "") {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = static_cast<double>(actual[i]);
    const double e = static_cast<double>(expected[i]);
    EXPECT_NEAR(a, e, tol * (1.0 + std::abs(e))) << what << " at " << i;
  }
}

inline void expect_tensor(const needle::Tensor& t, const std::vector<float>& expected,
                          const needle::Shape& shape, double tol = 1e-5, const char* what = "") {
  ASSERT_TRUE(t.defined()) << what;
  EXPECT_EQ(t.shape(), shape) << what;
  expect_near(t.to_vector<float>(), expected, tol, what);
}

}  // namespace nn_test

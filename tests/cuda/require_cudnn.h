// Skipping for want of cuDNN, for the CUDA tests that convolve (conv2d and the models built on
// it). A build with the CUDA backend but without cuDNN runs everything on the GPU except
// conv2d, which throws DeviceError "conv2d on CUDA needs cuDNN ..."; those tests skip with that
// message, and fail with it under NEEDLE_REQUIRE_CUDA=1 (require_cuda.h), as a missing GPU does.
// NEEDLE_REQUIRE_CUDA_CONV() is for plain TESTs; ConvDeviceTest is DeviceTest
// (device_test_util.h) whose cuda instance also needs cuDNN.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "require_cuda.h"
#include "tests/device_test_util.h"

namespace needle_test {

// Empty when conv2d runs on cuda:0; otherwise the error of a build without cuDNN. Needs a GPU.
inline std::string cudnn_missing() {
  try {
    const needle::Tensor x(
        needle::NDArray::ones({1, 1, 3, 3}, needle::DType::Float32, needle::cuda(0)));
    const needle::Tensor w(
        needle::NDArray::ones({1, 1, 2, 2}, needle::DType::Float32, needle::cuda(0)));
    const std::vector<double> y = needle::conv2d(x, w).to_vector<double>();
    EXPECT_EQ(y, std::vector<double>(4, 4.0));
    return {};
  } catch (const needle::DeviceError& e) {
    const std::string message = e.what();
    if (message.find("needs cuDNN") == std::string::npos) throw;
    return message;
  }
}

}  // namespace needle_test

// Skips (or fails under NEEDLE_REQUIRE_CUDA=1) unless a CUDA device is available and conv2d
// runs on it.
#define NEEDLE_REQUIRE_CUDA_CONV()                                                          \
  do {                                                                                      \
    NEEDLE_REQUIRE_CUDA();                                                                  \
    const std::string needle_missing_ = ::needle_test::cudnn_missing();                     \
    if (!needle_missing_.empty()) NEEDLE_SKIP_WITHOUT_CUDA("no cuDNN: " + needle_missing_); \
  } while (0)

namespace needle_test {

class ConvDeviceTest : public device_test::DeviceTest {
 protected:
  void SetUp() override {
    DeviceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (GetParam() == "cuda") NEEDLE_REQUIRE_CUDA_CONV();
  }
};

}  // namespace needle_test

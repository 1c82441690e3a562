// Device naming and parsing, and what happens when CUDA is asked for but not there. These tests
// hold on every machine: where a GPU is present the no-GPU checks skip with a reason.
#include "needle/device.h"

#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/expect_error.h"
#include "needle/backend.h"
#include "needle/error.h"
#include "require_cuda.h"

namespace needle {
namespace {

using testing::expect_error;

TEST(Device, CpuIsTheDefaultDevice) {
  Device d = cpu();
  EXPECT_TRUE(d.is_cpu());
  EXPECT_FALSE(d.is_cuda());
  EXPECT_EQ(d.index, 0);
  EXPECT_EQ(d, Device{});
  EXPECT_EQ(d.str(), "cpu");
}

TEST(Device, NamesPrintEverywhere) {
  Device gpu1{DeviceType::CUDA, 1};
  EXPECT_EQ(gpu1.str(), "cuda:1");
  EXPECT_EQ(fmt::format("{}", gpu1), "cuda:1");
  EXPECT_EQ(fmt::format("{}", cpu()), "cpu");
  std::ostringstream os;
  os << gpu1 << " " << cpu();
  EXPECT_EQ(os.str(), "cuda:1 cpu");
  EXPECT_NE(gpu1, (Device{DeviceType::CUDA, 0}));
  EXPECT_NE(gpu1, cpu());
}

TEST(Device, ParseCpu) {
  EXPECT_EQ(parse_device("cpu"), cpu());
}

TEST(Device, ParseRejectsNonDevices) {
  for (const char* bad : {"gpu", "", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda0"}) {
    expect_error<Error>([&] { parse_device(bad); },
                        fmt::format("parse_device: '{}' is not a device (expected cpu, cuda or "
                                    "cuda:N)",
                                    bad));
  }
}

TEST(Device, DefaultDeviceFollowsAvailability) {
  const Device expected = cuda_available() ? Device{DeviceType::CUDA, 0} : cpu();
  EXPECT_EQ(default_device(), expected);
}

TEST(Device, CudaStatusExplainsItself) {
  const std::string status = cuda_status();
  EXPECT_FALSE(status.empty());
  if (!has_backend(DeviceType::CUDA)) {
    EXPECT_NE(status.find("CUDA backend not built"), std::string::npos) << status;
  }
}

TEST(Device, CudaWithoutGpuThrowsDeviceErrorSayingWhy) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present: " << cuda_status();
  EXPECT_FALSE(cuda_available());
  // The message names the call and carries cuda_status(), so users learn *why* (not built, no
  // driver, no GPU) rather than only that it failed.
  expect_error<DeviceError>([] { cuda(); }, "cuda(0): no CUDA device available: " + cuda_status());
  expect_error<DeviceError>([] { cuda(3); }, "cuda(3): no CUDA device available");
  expect_error<DeviceError>([] { parse_device("cuda"); }, "no CUDA device available");
  expect_error<DeviceError>([] { parse_device("cuda:1"); }, "cuda(1): no CUDA device available");
}

TEST(Device, CudaIndexOutOfRangeWithGpu) {
  NEEDLE_REQUIRE_CUDA();
  EXPECT_TRUE(cuda(0).is_cuda());
  EXPECT_EQ(parse_device("cuda:0"), (Device{DeviceType::CUDA, 0}));
  expect_error<DeviceError>([] { cuda(1000); }, "cuda(1000): device index out of range");
  expect_error<DeviceError>([] { cuda(-1); }, "cuda(-1): device index out of range");
}

}  // namespace
}  // namespace needle

// Device naming and parsing, and what happens when CUDA is asked for but not there. These tests
// hold on every machine: where a GPU is present the no-GPU checks skip with a reason.
#include "needle/device.h"

#include <set>
#include <sstream>
#include <string>
#include <string_view>

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

// needle/device.h's list is the one source of the device types: the generated names are those
// the rest of the tests (and users) spell, and no two types share one.
TEST(DeviceTypes, EveryListedTypeHasItsOwnName) {
  static_assert(std::string_view(device_type_name(DeviceType::CPU)) == "cpu");
  static_assert(std::string_view(device_type_name(DeviceType::CUDA)) == "cuda");
  static_assert(std::string_view(device_type_label(DeviceType::CUDA)) == "CUDA");
  static_assert(kDeviceTypes[0] == kHostDeviceType && kHostDeviceType == DeviceType::CPU);
  std::set<std::string> names, labels;
  for (DeviceType type : kDeviceTypes) {
    const std::string name = device_type_name(type);
    EXPECT_NE(name, "unknown");
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find(':'), std::string::npos) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_TRUE(labels.insert(device_type_label(type)).second) << device_type_label(type);
  }
  EXPECT_EQ(names.size(), kDeviceTypeCount);
  EXPECT_GE(kDeviceTypeCount, 2u);
  EXPECT_STREQ(device_type_name(static_cast<DeviceType>(250)), "unknown");
}

// Every listed type prints as "<name>:<index>" (the host as its bare name) and parses back from
// "<name>" and "<name>:N"; where this build or machine lacks the type, parsing gives the
// DeviceError that make_device() gives, naming the call and the reason.
TEST(DeviceTypes, EveryListedTypeRoundTripsThroughParse) {
  for (DeviceType type : kDeviceTypes) {
    const std::string name = device_type_name(type);
    const std::string label = device_type_label(type);
    const Device first{type, 0};
    EXPECT_EQ(first.str(), type == kHostDeviceType ? name : name + ":0");
    if (type != kHostDeviceType) {
      EXPECT_EQ((Device{type, 3}).str(), name + ":3");
    }
    if (device_available(type)) {
      EXPECT_EQ(parse_device(first.str()), first) << name;
      EXPECT_EQ(parse_device(name), first) << name;
      EXPECT_EQ(parse_device(name + ":0"), first) << name;
      EXPECT_EQ(make_device(type), first) << name;
      const int count = backend_for(type).device_count();
      for (int i = 0; i < count; ++i) {
        const Device d{type, i};
        EXPECT_EQ(parse_device(d.str()), d) << d;
      }
      expect_error<DeviceError>([&] { parse_device(fmt::format("{}:{}", name, count)); },
                                fmt::format("{}({}): device index out of range, {} {} device(s) "
                                            "present",
                                            name, count, count, label));
    } else {
      const std::string why =
          fmt::format("{}(0): no {} device available: {}", name, label, device_status(type));
      expect_error<DeviceError>([&] { parse_device(first.str()); }, why);
      expect_error<DeviceError>([&] { parse_device(name); }, why);
      expect_error<DeviceError>([&] { make_device(type); }, why);
      expect_error<DeviceError>([&] { parse_device(name + ":2"); },
                                fmt::format("{}(2): no {} device available", name, label));
      if (!has_backend(type)) {
        EXPECT_EQ(device_status(type),
                  fmt::format("{0} backend not built (configured with NEEDLE_{0}=OFF, or no {0} "
                              "toolkit found)",
                              label));
      }
    }
  }
}

TEST(DeviceTypes, HostIsAlwaysAvailableAndOneDevice) {
  EXPECT_TRUE(device_available(kHostDeviceType));
  EXPECT_EQ(make_device(kHostDeviceType), cpu());
  EXPECT_EQ(parse_device("cpu:0"), cpu());
  EXPECT_EQ(parse_device("cpu:0").str(), "cpu");
  expect_error<DeviceError>([] { parse_device("cpu:1"); },
                            "cpu(1): device index out of range, 1 CPU device(s) present");
}

// The CUDA entry points are the CUDA row of the generic ones.
TEST(DeviceTypes, CudaFunctionsAreTheCudaRow) {
  EXPECT_EQ(cuda_available(), device_available(DeviceType::CUDA));
  EXPECT_EQ(cuda_status(), device_status(DeviceType::CUDA));
}

// A name outside the list is a plain Error (not a DeviceError: no device of that type could
// exist), and the message lists every spelling parse_device accepts.
TEST(DeviceTypes, UnknownNameIsAnErrorListingEveryType) {
  for (const char* bad : {"tpu", "tpu:0", "cpux", "cpu:", "cpu:x", "cudax:0", "cuda:12345",
                          "cuda:+1", " cuda", "cuda:0 ", "unknown", "unknown:0"}) {
    try {
      parse_device(bad);
      ADD_FAILURE() << "parse_device(\"" << bad << "\") did not throw";
    } catch (const DeviceError& e) {
      ADD_FAILURE() << "parse_device(\"" << bad << "\") threw a DeviceError: " << e.what();
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(fmt::format("parse_device: '{}' is not a device (expected ", bad)),
                std::string::npos)
          << what;
      for (DeviceType type : kDeviceTypes) {
        EXPECT_NE(what.find(device_type_name(type)), std::string::npos) << what;
      }
    }
  }
}

}  // namespace
}  // namespace needle

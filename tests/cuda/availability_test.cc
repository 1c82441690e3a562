// Runs in every build, with or without a GPU: what cuda_available() says must match what
// cuda(0) and the needle/cuda.h controls do.
#include <gtest/gtest.h>

#include "needle/backend.h"
#include "needle/cuda.h"
#include "needle/device.h"
#include "needle/error.h"
#include "require_cuda.h"

namespace needle {
namespace {

TEST(CudaAvailability, StatusExplainsAvailability) {
  const std::string status = cuda_status();
  EXPECT_FALSE(status.empty());
  if (cuda_available()) {
    EXPECT_NE(status.find("CUDA device"), std::string::npos) << status;
    EXPECT_NO_THROW(cuda(0));
    EXPECT_EQ(default_device(), cuda(0));
    EXPECT_THROW(cuda(backend_for(DeviceType::CUDA).device_count()), DeviceError);
  } else {
    // Either the backend is not built, or it is and reports why no GPU can be used.
    const bool built = has_backend(DeviceType::CUDA);
    EXPECT_NE(status.find(built ? "no CUDA device" : "not built"), std::string::npos) << status;
    EXPECT_THROW(cuda(0), DeviceError);
    EXPECT_THROW(parse_device("cuda"), DeviceError);
    EXPECT_EQ(default_device(), cpu());
  }
}

TEST(CudaAvailability, MissingGpuErrorNamesTheReason) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present: " << cuda_status();
  try {
    cuda(0);
    FAIL() << "cuda(0) did not throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(cuda_status()), std::string::npos) << e.what();
  }
}

TEST(CudaAvailability, ControlsWorkWithoutGpu) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present: " << cuda_status();
  EXPECT_NO_THROW(cuda_empty_cache());
  const MemoryStats stats = cuda_memory_stats();
  EXPECT_EQ(stats.allocated, 0u);
  EXPECT_EQ(stats.reserved, 0u);
  EXPECT_THROW(cuda_synchronize(), DeviceError);
  EXPECT_NO_THROW(cuda_set_allow_tf32(true));
  cuda_set_allow_tf32(false);
  EXPECT_FALSE(cuda_allow_tf32());
}

TEST(CudaAvailability, BackendRefusesMissingDevice) {
  if (!has_backend(DeviceType::CUDA)) NEEDLE_SKIP_WITHOUT_CUDA(cuda_status());
  Backend& backend = backend_for(DeviceType::CUDA);
  const Device beyond{DeviceType::CUDA, backend.device_count()};
  EXPECT_THROW(backend.allocate(16, beyond), DeviceError);
  EXPECT_THROW(backend.memory_stats(beyond), DeviceError);
  EXPECT_THROW(backend.synchronize(beyond), DeviceError);
  EXPECT_EQ(backend.name(), "cuda");
}

TEST(CudaAvailability, Tf32SwitchRoundTrips) {
  if (!has_backend(DeviceType::CUDA)) NEEDLE_SKIP_WITHOUT_CUDA(cuda_status());
  EXPECT_FALSE(cuda_allow_tf32());  // off by default
  cuda_set_allow_tf32(true);
  EXPECT_TRUE(cuda_allow_tf32());
  cuda_set_allow_tf32(false);
  EXPECT_FALSE(cuda_allow_tf32());
}

}  // namespace
}  // namespace needle

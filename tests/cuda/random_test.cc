// The CUDA backend's Philox fills equal the CPU's for the same seed and counter offset:
// uniform bit for bit, normal to the last bits (GPU and glibc log/cos may differ by an ulp).
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

TEST(CudaRandom, UniformEqualsCpuBitForBit) {
  NEEDLE_REQUIRE_CUDA();
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt8}) {
    const int64_t n = 100003;
    Twin out(dt, n);
    // Negative values cast to uint8 are undefined behaviour (wrap on the CPU, saturate on the
    // GPU): not a case to compare.
    const double low = dt == DType::UInt8 ? 0.0 : -2.0;
    backend_for(DeviceType::CPU).random_uniform(out.cpu.dense({n}), 1234, 77, low, 5.0);
    backend_for(DeviceType::CUDA).random_uniform(out.gpu.dense({n}), 1234, 77, low, 5.0);
    expect_close(out.cpu.download(), out.gpu.download(), 0.0, 0.0,
                 fmt::format("uniform {}", dtype_name(dt)));
  }
}

TEST(CudaRandom, NormalMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (DType dt : {DType::Float32, DType::Float64}) {
    const int64_t n = 100003;
    Twin out(dt, n);
    backend_for(DeviceType::CPU).random_normal(out.cpu.dense({n}), 99, 5, 1.0, 3.0);
    backend_for(DeviceType::CUDA).random_normal(out.gpu.dense({n}), 99, 5, 1.0, 3.0);
    expect_close(out.cpu.download(), out.gpu.download(), dt == DType::Float32 ? 1e-6 : 1e-13, 1e-12,
                 fmt::format("normal {}", dtype_name(dt)));
  }
}

TEST(CudaRandom, StridedDestinationUsesRowMajorCounters) {
  NEEDLE_REQUIRE_CUDA();
  // A transposed destination: element (i, j) still takes counter offset + i * 7 + j.
  Twin out(DType::Float32, 35);
  backend_for(DeviceType::CPU).random_uniform(out.cpu.view({5, 7}, {1, 5}), 7, 0, 0.0, 1.0);
  backend_for(DeviceType::CUDA).random_uniform(out.gpu.view({5, 7}, {1, 5}), 7, 0, 0.0, 1.0);
  expect_close(out.cpu.download(), out.gpu.download(), 0.0, 0.0, "strided uniform");
}

TEST(CudaRandom, OffsetsContinueTheSameStream) {
  NEEDLE_REQUIRE_CUDA();
  // Two fills of 1000 at offsets 0 and 1000 equal one fill of 2000.
  Buffer whole(needle::cuda(0), DType::Float32, 2000), parts(needle::cuda(0), DType::Float32, 2000);
  Backend& cuda = backend_for(DeviceType::CUDA);
  cuda.random_normal(whole.dense({2000}), 3, 0, 0.0, 1.0);
  cuda.random_normal(parts.view({1000}, {1}, 0), 3, 0, 0.0, 1.0);
  cuda.random_normal(parts.view({1000}, {1}, 1000), 3, 1000, 0.0, 1.0);
  EXPECT_EQ(whole.download(), parts.download());
}

}  // namespace
}  // namespace needle::cuda_test

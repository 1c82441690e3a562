// The caching allocator: freed blocks are reused, statistics add up, empty_cache returns the
// cache to the driver, and host<->device copies round-trip through the pinned staging ring
// (small, chunk-sized and multi-chunk sizes). Misuse is reported: freeing a pointer that is not
// live (a double free, or foreign memory) is a DeviceError from the Backend and a message on
// stderr from Storage's destructor, and a cudaFree that fails part-way through empty_cache
// leaves no freed block in the cache.
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "needle/ndarray.h"
#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_backend {
// backends/cuda/caching_allocator.h, which this test cannot include (it is not CUDA-free);
// weak, because a build without the CUDA backend does not have it.
[[gnu::weak]] void fail_cached_free_for_testing(int nth);
}  // namespace needle::cuda_backend

namespace needle::cuda_test {
namespace {

// The message of the DeviceError `fn` throws ("" and a test failure when it throws none).
template <typename Fn>
std::string device_error(Fn&& fn) {
  try {
    fn();
  } catch (const DeviceError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DeviceError";
  return "";
}

// Needs the CUDA backend only, not a GPU: deallocate never asks the driver.
TEST(CudaAllocator, FreeingAPointerItDoesNotOwnIsADeviceError) {
  if (!has_backend(DeviceType::CUDA)) NEEDLE_SKIP_WITHOUT_CUDA(cuda_status());
  Backend& cuda = backend_for(DeviceType::CUDA);
  const Device dev{DeviceType::CUDA, 0};
  int local = 0;
  const std::string msg = device_error([&] { cuda.deallocate(&local, 4, dev); });
  EXPECT_NE(msg.find(fmt::format("{}", fmt::ptr(&local))), std::string::npos) << msg;
  EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not allocated by the CUDA backend"), std::string::npos) << msg;
  cuda.deallocate(nullptr, 0, dev);  // like free(nullptr)
}

TEST(CudaAllocator, DoubleFreeIsADeviceErrorAndChangesNothing) {
  NEEDLE_REQUIRE_CUDA();
  Backend& cuda = backend_for(DeviceType::CUDA);
  const Device dev = needle::cuda(0);
  void* p = cuda.allocate(1000, dev);
  cuda.deallocate(p, 1000, dev);
  const MemoryStats before = cuda_memory_stats(0);
  const std::string msg = device_error([&] { cuda.deallocate(p, 1000, dev); });
  EXPECT_NE(msg.find("already freed"), std::string::npos) << msg;
  const MemoryStats after = cuda_memory_stats(0);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_EQ(after.reserved, before.reserved);
  EXPECT_EQ(after.live_buffers, before.live_buffers);
  // The block is cached once, not twice: two requests of its size get two different blocks.
  void* a = cuda.allocate(1000, dev);
  void* b = cuda.allocate(1000, dev);
  EXPECT_NE(a, b);
  cuda.deallocate(a, 1000, dev);
  cuda.deallocate(b, 1000, dev);
}

TEST(CudaAllocator, StorageDestructorReportsAFailedReleaseOnStderr) {
  NEEDLE_REQUIRE_CUDA();
  std::shared_ptr<Storage> storage =
      NDArray::zeros({256}, DType::Float32, needle::cuda(0)).storage();
  // Free the block under the Storage (a user's bug): its destructor then finds it not live.
  backend_for(DeviceType::CUDA).deallocate(storage->data(), storage->nbytes(), storage->device());
  ::testing::internal::CaptureStderr();
  storage.reset();  // the destructor runs here, and must not terminate the program
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("releasing a 1024-byte Storage on cuda:0 failed"), std::string::npos) << err;
  EXPECT_NE(err.find("already freed"), std::string::npos) << err;
}

TEST(CudaAllocator, FailedCudaFreeLeavesNoFreedBlockInTheCache) {
  NEEDLE_REQUIRE_CUDA();
  ASSERT_NE(&cuda_backend::fail_cached_free_for_testing, nullptr);
  Backend& cuda = backend_for(DeviceType::CUDA);
  const Device dev = needle::cuda(0);
  cuda.synchronize(dev);
  cuda_empty_cache();
  const MemoryStats before = cuda_memory_stats(0);
  // Three size classes (512, 1024 and 1536 bytes), cached; empty_cache frees the smallest first.
  void* blocks[3] = {cuda.allocate(500, dev), cuda.allocate(1000, dev), cuda.allocate(1500, dev)};
  for (void* p : blocks)
    cuda.deallocate(p, 0, dev);
  EXPECT_EQ(cuda_memory_stats(0).reserved, before.reserved + 512 + 1024 + 1536);

  cuda_backend::fail_cached_free_for_testing(2);  // the 1024-byte block's cudaFree fails
  const std::string msg = device_error([] { cuda_empty_cache(); });
  EXPECT_NE(msg.find("cudaErrorInvalidValue"), std::string::npos) << msg;
  // The freed block and the failed one are gone from the cache; the third is still there.
  EXPECT_EQ(cuda_memory_stats(0).reserved, before.reserved + 1536);
  // Nothing is freed twice: had a freed block stayed cached, this cudaFree would fail.
  EXPECT_NO_THROW(cuda_empty_cache());
  EXPECT_EQ(cuda_memory_stats(0).reserved, before.reserved);
  EXPECT_EQ(cuda_memory_stats(0).allocated, before.allocated);
}

TEST(CudaAllocator, ReusesFreedBlocksAndCountsBytes) {
  NEEDLE_REQUIRE_CUDA();
  Backend& cuda = backend_for(DeviceType::CUDA);
  const Device dev = needle::cuda(0);
  cuda.synchronize(dev);
  cuda_empty_cache();
  const MemoryStats before = cuda_memory_stats(0);

  void* p = cuda.allocate(1000, dev);  // rounds up to 1024
  MemoryStats s = cuda_memory_stats(0);
  EXPECT_EQ(s.allocated, before.allocated + 1024);
  EXPECT_EQ(s.live_buffers, before.live_buffers + 1);
  EXPECT_GE(s.reserved, s.allocated);
  EXPECT_GE(s.peak_allocated, s.allocated);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);

  cuda.deallocate(p, 1000, dev);
  s = cuda_memory_stats(0);
  EXPECT_EQ(s.allocated, before.allocated);
  EXPECT_EQ(s.reserved, before.reserved + 1024);  // kept in the cache

  void* q = cuda.allocate(1024, dev);  // same size class: the same block comes back
  EXPECT_EQ(q, p);
  EXPECT_EQ(cuda_memory_stats(0).reserved, before.reserved + 1024);
  cuda.deallocate(q, 1024, dev);

  void* big = cuda.allocate((size_t(3) << 20) + 1, dev);  // large: 2 MiB steps -> 4 MiB
  EXPECT_EQ(cuda_memory_stats(0).allocated, before.allocated + (size_t(4) << 20));
  cuda.deallocate(big, 0, dev);

  void* zero = cuda.allocate(0, dev);
  EXPECT_NE(zero, nullptr);
  cuda.deallocate(zero, 0, dev);

  cuda_empty_cache();
  s = cuda_memory_stats(0);
  EXPECT_EQ(s.reserved, before.allocated);  // only live blocks stay reserved
  EXPECT_GE(s.peak_allocated, before.allocated + (size_t(4) << 20));
}

TEST(CudaAllocator, HostCopiesRoundTrip) {
  NEEDLE_REQUIRE_CUDA();
  Backend& cuda = backend_for(DeviceType::CUDA);
  const Device dev = needle::cuda(0);
  // Below one staging chunk, exactly one, and several with a ragged tail.
  for (size_t bytes : {size_t(1), size_t(4) << 20, (size_t(19) << 20) + 123}) {
    std::vector<uint8_t> src(bytes), dst(bytes, 0);
    std::iota(src.begin(), src.end(), uint8_t(3));
    void* p = cuda.allocate(bytes, dev);
    cuda.copy_from_host(src.data(), p, bytes, dev);
    // The caller may reuse its buffer as soon as copy_from_host returns.
    std::memset(src.data(), 0, bytes);
    cuda.copy_to_host(p, dst.data(), bytes, dev);
    std::iota(src.begin(), src.end(), uint8_t(3));
    EXPECT_EQ(src, dst) << bytes << " bytes";
    cuda.deallocate(p, bytes, dev);
  }
}

}  // namespace
}  // namespace needle::cuda_test

// The caching allocator: freed blocks are reused, statistics add up, empty_cache returns the
// cache to the driver, and host<->device copies round-trip through the pinned staging ring
// (small, chunk-sized and multi-chunk sizes).
#include <cstring>
#include <numeric>
#include <vector>

#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

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

// The CPU caching allocator: alignment, zero-byte requests, reuse of freed blocks, statistics
// and empty_cache().
#include <gtest/gtest.h>

#include <cstdint>

#include "backends/cpu/caching_allocator.h"
#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

using cpu_backend::CachingAllocator;

TEST(CachingAllocator, AlignedAndNonNull) {
  CachingAllocator alloc;
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{100}, size_t{4096}, size_t{3} << 20}) {
    void* p = alloc.allocate(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    alloc.deallocate(p);
  }
  void* a = alloc.allocate(0);
  void* b = alloc.allocate(0);
  EXPECT_NE(a, b);  // distinct live blocks even for zero bytes
  alloc.deallocate(a);
  alloc.deallocate(b);
}

TEST(CachingAllocator, ReusesFreedBlockAndTracksStats) {
  CachingAllocator alloc;
  void* p = alloc.allocate(1000);
  MemoryStats s = alloc.stats();
  EXPECT_EQ(s.allocated, 1000u);
  EXPECT_EQ(s.live_buffers, 1u);
  EXPECT_EQ(s.reserved, CachingAllocator::size_class(1000));
  EXPECT_EQ(s.peak_allocated, 1000u);
  alloc.deallocate(p);
  s = alloc.stats();
  EXPECT_EQ(s.allocated, 0u);
  EXPECT_EQ(s.live_buffers, 0u);
  EXPECT_EQ(s.reserved, CachingAllocator::size_class(1000));  // still cached
  EXPECT_EQ(alloc.cached_bytes(), CachingAllocator::size_class(1000));
  void* q = alloc.allocate(1000);
  EXPECT_EQ(q, p);
  void* r = alloc.allocate(1000);  // the cached block is taken: a new one
  EXPECT_NE(r, p);
  s = alloc.stats();
  EXPECT_EQ(s.peak_allocated, 2000u);
  EXPECT_EQ(s.live_buffers, 2u);
  alloc.deallocate(q);
  alloc.deallocate(r);
  alloc.empty_cache();
  s = alloc.stats();
  EXPECT_EQ(s.reserved, 0u);
  EXPECT_EQ(alloc.cached_bytes(), 0u);
  EXPECT_EQ(s.peak_allocated, 2000u);
  alloc.deallocate(nullptr);                      // ignored
  alloc.deallocate(reinterpret_cast<void*>(64));  // unknown: ignored, never freed
}

TEST(CachingAllocator, SizeClassesAndCap) {
  EXPECT_EQ(CachingAllocator::size_class(0), 64u);
  EXPECT_EQ(CachingAllocator::size_class(65), 128u);
  EXPECT_EQ(CachingAllocator::size_class(1000), 1024u);
  EXPECT_EQ(CachingAllocator::size_class((size_t{1} << 20) + 1), size_t{2} << 20);
  EXPECT_EQ(CachingAllocator::size_class((size_t{5} << 20) + 1), size_t{6} << 20);
  CachingAllocator small(4096);
  void* a = small.allocate(4096);
  void* b = small.allocate(4096);
  small.deallocate(a);
  small.deallocate(b);  // over the cap: released to the system
  EXPECT_EQ(small.cached_bytes(), 4096u);
  EXPECT_EQ(small.stats().reserved, 4096u);
}

TEST(CachingAllocator, BackendStatsMove) {
  auto& be = cpu_backend();
  be.empty_cache();
  const MemoryStats before = be.memory_stats(cpu());
  void* p = be.allocate(1 << 16, cpu());
  const MemoryStats during = be.memory_stats(cpu());
  EXPECT_EQ(during.allocated, before.allocated + (1 << 16));
  EXPECT_EQ(during.live_buffers, before.live_buffers + 1);
  be.deallocate(p, 1 << 16, cpu());
  void* q = be.allocate(1 << 16, cpu());
  EXPECT_EQ(p, q);
  be.deallocate(q, 1 << 16, cpu());
  EXPECT_EQ(be.memory_stats(cpu()).allocated, before.allocated);
  be.empty_cache();
  EXPECT_EQ(be.memory_stats(cpu()).reserved, before.reserved);
}

}  // namespace
}  // namespace needle::test

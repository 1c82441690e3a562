// The DataLoader's pool of pinned host buffers: empty without pinned memory, reuse only after
// the upload reading a buffer finished, the bound, regrowth, and cleanup. Runs against a fake
// backend (fake_pinned_backend.h), so no GPU is needed.
#include "src/data/pinned_buffer_pool.h"

#include <gtest/gtest.h>

#include <memory>

#include "needle/ndarray.h"
#include "tests/data/fake_pinned_backend.h"

namespace needle::data {
namespace {

using detail::PinnedBufferPool;
using test::FakePinnedBackend;

// Starts a (fake) upload of `buffer`'s first `nbytes` into `dst` and hands the buffer back.
void upload_and_return(FakePinnedBackend& fake, PinnedBufferPool::Buffer buffer, NDArray& dst,
                       size_t nbytes) {
  const HostToDeviceCopy copy{buffer.data(), dst.data_ptr(), nbytes};
  buffer.set_upload(fake.upload_async({&copy, 1}, cpu()));
}

TEST(PinnedBufferPool, EmptyBuffersFromABackendWithoutPinnedMemory) {
  auto pool = std::make_shared<PinnedBufferPool>(backend_for(cpu()), 4);
  EXPECT_FALSE(pool->acquire(100));
  EXPECT_FALSE(pool->acquire(100));
  EXPECT_EQ(pool->buffers(), 0u);
}

TEST(PinnedBufferPool, ReusesABufferOnlyOnceItsUploadFinished) {
  FakePinnedBackend fake;
  NDArray dst = NDArray::empty({16}, DType::Float32);
  {
    auto pool = std::make_shared<PinnedBufferPool>(fake, 2);
    PinnedBufferPool::Buffer a = pool->acquire(64);
    ASSERT_TRUE(a);
    EXPECT_GE(a.capacity(), 64u);
    void* first = a.data();
    upload_and_return(fake, std::move(a), dst, 64);
    // Below the bound, the buffer whose upload is pending is not handed out again.
    PinnedBufferPool::Buffer b = pool->acquire(64);
    ASSERT_TRUE(b);
    EXPECT_NE(b.data(), first);
    EXPECT_EQ(fake.waits, 0u);
    // At the bound: the pool waits for that upload, then reuses its buffer.
    PinnedBufferPool::Buffer c = pool->acquire(64);
    EXPECT_EQ(c.data(), first);
    EXPECT_EQ(fake.waits, 1u);
    EXPECT_EQ(pool->buffers(), 2u);
    EXPECT_EQ(fake.allocations, 2u);
    EXPECT_EQ(fake.overwritten_sources, 0u);
  }
  EXPECT_EQ(fake.live, 0u) << "the pool frees its buffers";
}

TEST(PinnedBufferPool, FinishedUploadsAreReclaimedByPolling) {
  FakePinnedBackend fake;
  NDArray dst = NDArray::empty({16}, DType::Float32);
  auto pool = std::make_shared<PinnedBufferPool>(fake, 4);
  void* first = nullptr;
  {
    PinnedBufferPool::Buffer a = pool->acquire(64);
    first = a.data();
    upload_and_return(fake, std::move(a), dst, 64);
  }
  // Each acquire polls the pending upload once; it finishes on the third poll, without a wait.
  std::vector<PinnedBufferPool::Buffer> held;
  for (int i = 1; i < FakePinnedBackend::kPollsToFinish; ++i) {
    held.push_back(pool->acquire(64));
    EXPECT_NE(held.back().data(), first);
  }
  held.push_back(pool->acquire(64));
  EXPECT_EQ(held.back().data(), first);
  EXPECT_EQ(fake.waits, 0u);
}

TEST(PinnedBufferPool, BoundedAndRegrowsWithoutGrowingInNumber) {
  FakePinnedBackend fake;
  auto pool = std::make_shared<PinnedBufferPool>(fake, 2);
  EXPECT_EQ(pool->max_buffers(), 2u);
  {
    PinnedBufferPool::Buffer a = pool->acquire(10), b = pool->acquire(10);
    EXPECT_EQ(a.capacity(), PinnedBufferPool::kRound);
  }
  // Larger than both free buffers at the bound: one is replaced by a larger one.
  PinnedBufferPool::Buffer big = pool->acquire(3 * PinnedBufferPool::kRound);
  EXPECT_GE(big.capacity(), 3 * PinnedBufferPool::kRound);
  EXPECT_EQ(pool->buffers(), 2u);
  EXPECT_EQ(fake.live, 2u);
  EXPECT_EQ(fake.allocations, 3u);
  // Many acquire/return rounds allocate nothing more.
  for (int i = 0; i < 20; ++i)
    PinnedBufferPool::Buffer x = pool->acquire(100);
  EXPECT_EQ(fake.allocations, 3u);
  EXPECT_EQ(pool->peak_buffers(), 2u);
}

TEST(PinnedBufferPool, AllocatesPastTheBoundRatherThanWaitForALeasedBuffer) {
  FakePinnedBackend fake;
  auto pool = std::make_shared<PinnedBufferPool>(fake, 1);
  PinnedBufferPool::Buffer a = pool->acquire(10);
  PinnedBufferPool::Buffer b = pool->acquire(10);  // would deadlock if it waited for `a`
  EXPECT_TRUE(b);
  EXPECT_EQ(pool->buffers(), 2u);
}

TEST(PinnedBufferPool, DestroyingThePoolWaitsForPendingUploads) {
  FakePinnedBackend fake;
  NDArray dst = NDArray::full({16}, 0.0, DType::Float32);
  {
    auto pool = std::make_shared<PinnedBufferPool>(fake, 2);
    PinnedBufferPool::Buffer a = pool->acquire(64);
    std::fill_n(static_cast<float*>(a.data()), 16, 7.0f);
    upload_and_return(fake, std::move(a), dst, 64);
  }
  EXPECT_EQ(fake.waits, 1u);
  EXPECT_EQ(fake.live, 0u);
  EXPECT_EQ(dst.to_vector<float>(), std::vector<float>(16, 7.0f));
}

}  // namespace
}  // namespace needle::data

// The CUDA caching allocator (see the header for the policy).
#include "backends/cuda/caching_allocator.h"

#include <algorithm>
#include <atomic>

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/stream.h"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

// fail_cached_free_for_testing's countdown: the free that takes it from 1 to 0 fails.
std::atomic<int> free_countdown{0};

cudaError_t free_block(void* ptr) {
  int n = free_countdown.load();
  while (n > 0 && !free_countdown.compare_exchange_weak(n, n - 1)) {
  }
  if (n == 1) return cudaErrorInvalidValue;
  return cudaFree(ptr);
}

}  // namespace

void fail_cached_free_for_testing(int nth) {
  free_countdown.store(nth);
}

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes <= kSmallLimit) {
    return std::max(kSmallRound, (nbytes + kSmallRound - 1) / kSmallRound * kSmallRound);
  }
  return (nbytes + kLargeRound - 1) / kLargeRound * kLargeRound;
}

CachingAllocator::DeviceState& CachingAllocator::state(int device) const {
  std::lock_guard<std::mutex> lock(states_mutex_);
  if (static_cast<size_t>(device) >= states_.size()) states_.resize(device + 1);
  auto& s = states_[static_cast<size_t>(device)];
  if (!s) s = std::make_unique<DeviceState>();
  return *s;
}

CachingAllocator::DeviceState* CachingAllocator::find_state(int device) const {
  std::lock_guard<std::mutex> lock(states_mutex_);
  if (device < 0 || static_cast<size_t>(device) >= states_.size()) return nullptr;
  return states_[static_cast<size_t>(device)].get();
}

void* CachingAllocator::allocate(size_t nbytes, int device) {
  const size_t size = round_size(nbytes);
  DeviceState& s = state(device);
  std::lock_guard<std::mutex> lock(s.mutex);
  // Best fit among cached blocks, accepting at most a little waste: any block below twice the
  // request for small sizes, one more 2 MiB step (or 1/8) for large ones.
  const size_t max_size = size <= kSmallLimit ? 2 * size : size + std::max(kLargeRound, size / 8);
  auto it = s.free_blocks.lower_bound(size);
  void* ptr = nullptr;
  size_t block = 0;
  if (it != s.free_blocks.end() && it->first <= max_size) {
    block = it->first;
    ptr = it->second;
    s.free_blocks.erase(it);
  } else {
    DeviceGuard guard(device);
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky: clear it so later launch checks stay clean
      release_cached(s, device);
      status = cudaMalloc(&ptr, size);
    }
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      (void)cudaMemGetInfo(&free_bytes, &total_bytes);
      (void)cudaGetLastError();
      throw DeviceError(fmt::format(
          "cuda:{}: out of memory allocating {} bytes ({} allocated by needle, {} reserved, "
          "{} free of {} on the device)",
          device, nbytes, s.stats.allocated, s.stats.reserved, free_bytes, total_bytes));
    }
    NEEDLE_CUDA_CHECK(status);
    block = size;
    s.stats.reserved += block;
  }
  s.live.emplace(ptr, block);
  s.stats.allocated += block;
  s.stats.live_buffers += 1;
  s.stats.peak_allocated = std::max(s.stats.peak_allocated, s.stats.allocated);
  return ptr;
}

bool CachingAllocator::deallocate(void* ptr, int device) noexcept {
  if (ptr == nullptr) return true;
  DeviceState* s = find_state(device);
  if (s == nullptr) return false;
  std::lock_guard<std::mutex> lock(s->mutex);
  auto it = s->live.find(ptr);
  if (it == s->live.end()) return false;
  const size_t block = it->second;
  s->live.erase(it);
  s->stats.allocated -= block;
  s->stats.live_buffers -= 1;
  s->free_blocks.emplace(block, ptr);
  return true;
}

MemoryStats CachingAllocator::stats(int device) const {
  DeviceState& s = state(device);
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.stats;
}

void CachingAllocator::release_cached(DeviceState& s, int device) {
  if (s.free_blocks.empty()) return;
  DeviceGuard guard(device);
  // Cached blocks may still be read or written by kernels queued on the device's stream (a
  // block is cached as soon as its array dies, not when the GPU is done with it). cudaFree
  // usually synchronises implicitly, but that is not a documented guarantee for memory last
  // used on a non-blocking stream, so wait explicitly before returning blocks to the driver.
  device_synchronize();
  // Each block leaves the cache before its cudaFree, so that a failure part-way (which throws)
  // leaves neither freed blocks behind to be handed out or freed again, nor the failed one.
  while (!s.free_blocks.empty()) {
    const auto it = s.free_blocks.begin();
    const size_t size = it->first;
    void* const ptr = it->second;
    s.free_blocks.erase(it);
    s.stats.reserved -= size;
    NEEDLE_CUDA_CHECK(free_block(ptr));
  }
}

void CachingAllocator::empty_cache() {
  size_t count = 0;
  {
    std::lock_guard<std::mutex> lock(states_mutex_);
    count = states_.size();
  }
  for (size_t d = 0; d < count; ++d) {
    DeviceState& s = state(static_cast<int>(d));
    std::lock_guard<std::mutex> lock(s.mutex);
    release_cached(s, static_cast<int>(d));
  }
}

}  // namespace needle::cuda_backend

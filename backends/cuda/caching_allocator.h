// A caching allocator for GPU memory, in the manner of PyTorch's: freed blocks stay with the
// device in size classes and are handed out again, because cudaMalloc/cudaFree are slow and
// cudaFree synchronises the whole device. Requests up to 1 MiB round up to 512 B, larger ones
// to 2 MiB. All work of a device runs on its one stream, so a freed block can be reused by any
// later work without events: the stream orders the old reads before the new writes.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "needle/backend.h"

namespace needle::cuda_backend {

class CachingAllocator {
 public:
  static constexpr size_t kSmallLimit = size_t(1) << 20;
  static constexpr size_t kSmallRound = 512;
  static constexpr size_t kLargeRound = size_t(2) << 20;

  static size_t round_size(size_t nbytes);

  // Throws DeviceError (with the device's memory figures) when the GPU is out of memory even
  // after the cache has been emptied.
  void* allocate(size_t nbytes, int device);
  // Returns the block to the cache; false (and nothing changes) when `ptr` is not a live block
  // of this allocator on `device` (freed twice, or never allocated here): the caller reports
  // it, by a DeviceError or, in a destructor, on stderr. Never throws. nullptr is accepted.
  bool deallocate(void* ptr, int device) noexcept;
  MemoryStats stats(int device) const;
  // cudaFree's every cached, unused block of every device. A block whose cudaFree fails is
  // forgotten before the DeviceError is thrown, like those already freed: handing it out again,
  // or freeing it twice on the next try, would be worse than leaking it.
  void empty_cache();

 private:
  struct DeviceState {
    mutable std::mutex mutex;
    std::multimap<size_t, void*> free_blocks;  // size -> block, for best-fit lookup
    std::unordered_map<void*, size_t> live;    // block -> size
    MemoryStats stats;
  };
  DeviceState& state(int device) const;
  // The state of `device`, or nullptr when it has never allocated.
  DeviceState* find_state(int device) const;
  void release_cached(DeviceState& s, int device);

  mutable std::mutex states_mutex_;
  mutable std::vector<std::unique_ptr<DeviceState>> states_;
};

// Tests only (tests/cuda/allocator_test.cc declares it weakly): the `nth` cudaFree from now on
// (1 = the next) of empty_cache or of the out-of-memory retry fails as if the driver had
// refused it, and frees nothing; 0 disarms it.
void fail_cached_free_for_testing(int nth);

}  // namespace needle::cuda_backend

// Host <-> device copies through pinned (page-locked) staging buffers. Pageable memory cannot be
// the source of a truly asynchronous DMA, so user memory is copied into a small ring of pinned
// chunks and moved with cudaMemcpyAsync on the device's stream, chunk by chunk, so that the
// host-side memcpy of one chunk overlaps the DMA of the previous. An event per chunk says when
// it may be refilled. copy_from_host returns once its data sits in pinned memory (the caller's
// buffer may then be reused) without waiting for the GPU; copy_to_host waits, because the
// value must reach the host.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <cuda_runtime.h>

namespace needle::cuda_backend {

class PinnedStaging {
 public:
  static constexpr size_t kChunkBytes = size_t(4) << 20;
  static constexpr int kChunks = 4;

  void copy_from_host(const void* host, void* device_ptr, size_t nbytes, int device);
  void copy_to_host(const void* device_ptr, void* host, size_t nbytes, int device);

 private:
  struct Chunk {
    void* host = nullptr;
    cudaEvent_t done = nullptr;  // recorded after the last copy that used this chunk
    bool pending = false;
  };
  struct Ring {
    std::mutex mutex;
    Chunk chunks[kChunks];
    int next = 0;
  };
  Ring& ring(int device);
  Chunk& acquire(Ring& ring, int device);

  std::mutex rings_mutex_;
  std::vector<std::unique_ptr<Ring>> rings_;
};

}  // namespace needle::cuda_backend

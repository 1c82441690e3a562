// Pinned staging ring for host <-> device copies (see the header).
#include "backends/cuda/pinned_staging.h"

#include <algorithm>
#include <cstring>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/stream.h"

namespace needle::cuda_backend {

PinnedStaging::Ring& PinnedStaging::ring(int device) {
  std::lock_guard<std::mutex> lock(rings_mutex_);
  if (static_cast<size_t>(device) >= rings_.size()) rings_.resize(device + 1);
  auto& r = rings_[static_cast<size_t>(device)];
  if (!r) r = std::make_unique<Ring>();
  return *r;
}

// The next chunk of the ring, once the copy that last used it has finished.
PinnedStaging::Chunk& PinnedStaging::acquire(Ring& r, int device) {
  Chunk& c = r.chunks[r.next];
  r.next = (r.next + 1) % kChunks;
  if (c.host == nullptr) {
    NEEDLE_CUDA_CHECK(cudaHostAlloc(&c.host, kChunkBytes, cudaHostAllocPortable));
    NEEDLE_CUDA_CHECK(cudaEventCreateWithFlags(&c.done, cudaEventDisableTiming));
  }
  if (c.pending) {
    // Counted only when the copy that used it is still running: then the host really waits.
    event_synchronize(c.done);
    c.pending = false;
  }
  return c;
}

void PinnedStaging::copy_from_host(const void* host, void* device_ptr, size_t nbytes, int device) {
  if (nbytes == 0) return;
  Ring& r = ring(device);
  std::lock_guard<std::mutex> lock(r.mutex);
  DeviceGuard guard(device);
  cudaStream_t stream = stream_for(device);
  for (size_t done = 0; done < nbytes;) {
    const size_t n = std::min(kChunkBytes, nbytes - done);
    Chunk& c = acquire(r, device);
    std::memcpy(c.host, static_cast<const char*>(host) + done, n);
    NEEDLE_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(device_ptr) + done, c.host, n,
                                      cudaMemcpyHostToDevice, stream));
    NEEDLE_CUDA_QUEUED(stream, "copy_from_host (cudaMemcpyAsync)");
    NEEDLE_CUDA_CHECK(cudaEventRecord(c.done, stream));
    c.pending = true;
    done += n;
  }
}

void PinnedStaging::copy_to_host(const void* device_ptr, void* host, size_t nbytes, int device) {
  if (nbytes == 0) return;
  count_host_sync();  // one wait, however many chunks it drains
  Ring& r = ring(device);
  std::lock_guard<std::mutex> lock(r.mutex);
  DeviceGuard guard(device);
  cudaStream_t stream = stream_for(device);
  const size_t chunks = (nbytes + kChunkBytes - 1) / kChunkBytes;
  // Keep up to kChunks device-to-host copies in flight; drain them in order.
  Chunk* in_flight[kChunks] = {};
  size_t issued = 0, drained = 0;
  auto issue = [&] {
    const size_t off = issued * kChunkBytes;
    const size_t n = std::min(kChunkBytes, nbytes - off);
    Chunk& c = acquire(r, device);
    NEEDLE_CUDA_CHECK(cudaMemcpyAsync(c.host, static_cast<const char*>(device_ptr) + off, n,
                                      cudaMemcpyDeviceToHost, stream));
    NEEDLE_CUDA_CHECK(cudaEventRecord(c.done, stream));
    c.pending = true;
    in_flight[issued % kChunks] = &c;
    ++issued;
  };
  while (issued < chunks && issued < static_cast<size_t>(kChunks))
    issue();
  while (drained < chunks) {
    Chunk& c = *in_flight[drained % kChunks];
    NEEDLE_CUDA_CHECK(cudaEventSynchronize(c.done));
    c.pending = false;
    const size_t off = drained * kChunkBytes;
    std::memcpy(static_cast<char*>(host) + off, c.host, std::min(kChunkBytes, nbytes - off));
    ++drained;
    if (issued < chunks) issue();
  }
}

}  // namespace needle::cuda_backend

// The counted host waits (see the header).
#include "backends/cuda/host_sync.h"

#include <atomic>

#include "backends/cuda/cuda_check.h"

namespace needle::cuda_backend {
namespace {

std::atomic<uint64_t> waits{0};

}  // namespace

void count_host_sync() {
  waits.fetch_add(1, std::memory_order_relaxed);
}

uint64_t host_sync_count() {
  return waits.load(std::memory_order_relaxed);
}

void stream_synchronize(cudaStream_t stream) {
  count_host_sync();
  NEEDLE_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void event_synchronize(cudaEvent_t event) {
  const cudaError_t status = cudaEventQuery(event);
  if (status == cudaSuccess) return;
  // "Not ready" is an answer, not a failure, but the runtime still records it as the last
  // error: clear it so that the next launch check does not report it.
  if (status == cudaErrorNotReady) (void)cudaGetLastError();
  count_host_sync();
  NEEDLE_CUDA_CHECK(cudaEventSynchronize(event));
}

void device_synchronize() {
  count_host_sync();
  NEEDLE_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace needle::cuda_backend

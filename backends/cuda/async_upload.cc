// Uploads on a per-GPU copy stream, ordered with the compute stream by events (see the header).
#include "backends/cuda/async_upload.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/stream.h"

namespace needle::cuda_backend {
namespace {

// An event without timing (cheaper to record and to wait for), destroyed with its owner. A
// destroyed event whose record is still pending is released by the driver once it completes.
struct Event {
  cudaEvent_t event = nullptr;
  Event() { NEEDLE_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming)); }
  ~Event() { (void)cudaEventDestroy(event); }  // destructors must not throw
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

// What an UploadTicket of this backend holds.
struct UploadState {
  int device = 0;
  Event done;  // recorded on the copy stream after the upload's last copy
};

const UploadState* state_of(const UploadTicket& ticket) {
  return static_cast<const UploadState*>(ticket.state());
}

// The copy streams, by device (nullptr: not created yet). Never destroyed, like the compute
// streams (stream.cc): a stream must not be released after the CUDA runtime has shut down.
struct CopyStreams {
  std::mutex mutex;
  std::vector<cudaStream_t> streams;
};
CopyStreams& copy_streams() {
  static auto* table = new CopyStreams();
  return *table;
}

// Only created streams; nullptr for a device that never uploaded.
cudaStream_t existing_copy_stream(int device) {
  CopyStreams& t = copy_streams();
  std::lock_guard<std::mutex> lock(t.mutex);
  return static_cast<size_t>(device) < t.streams.size() ? t.streams[static_cast<size_t>(device)]
                                                        : nullptr;
}

std::atomic<size_t> started{0};

}  // namespace

cudaStream_t copy_stream_for(int device) {
  CopyStreams& t = copy_streams();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (static_cast<size_t>(device) >= t.streams.size()) t.streams.resize(device + 1, nullptr);
  cudaStream_t& stream = t.streams[static_cast<size_t>(device)];
  if (stream == nullptr) {
    DeviceGuard guard(device);
    // Non-blocking, as the compute stream: neither is ordered with the legacy default stream.
    NEEDLE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  }
  return stream;
}

size_t uploads_started() {
  return started.load();
}

UploadTicket upload_async(std::span<const HostToDeviceCopy> copies, int device) {
  DeviceGuard guard(device);
  cudaStream_t copy = copy_stream_for(device);
  {
    // The allocation point: what the compute stream has queued so far (the last users of the
    // destination blocks included) runs before the copies.
    Event allocated;
    NEEDLE_CUDA_CHECK(cudaEventRecord(allocated.event, stream_for(device)));
    NEEDLE_CUDA_CHECK(cudaStreamWaitEvent(copy, allocated.event, 0));
  }  // a wait already queued keeps the record it saw, so the event may go now
  try {
    for (const HostToDeviceCopy& c : copies) {
      if (c.nbytes == 0) continue;
      NEEDLE_CUDA_CHECK(
          cudaMemcpyAsync(c.device_ptr, c.host, c.nbytes, cudaMemcpyHostToDevice, copy));
      NEEDLE_CUDA_QUEUED(copy, "upload_async (cudaMemcpyAsync)");
    }
    auto state = std::make_shared<UploadState>();
    state->device = device;
    NEEDLE_CUDA_CHECK(cudaEventRecord(state->done.event, copy));
    started.fetch_add(1);
    return UploadTicket(std::move(state));
  } catch (...) {
    // No ticket will order anything after the copies already queued, and the caller frees the
    // source and destinations as soon as this throws: let those copies end first.
    (void)cudaStreamSynchronize(copy);
    throw;
  }
}

void order_after_upload(const UploadTicket& ticket) {
  if (!ticket) return;
  const UploadState* s = state_of(ticket);
  DeviceGuard guard(s->device);
  NEEDLE_CUDA_CHECK(cudaStreamWaitEvent(stream_for(s->device), s->done.event, 0));
}

bool upload_finished(const UploadTicket& ticket) {
  if (!ticket) return true;
  const cudaError_t status = cudaEventQuery(state_of(ticket)->done.event);
  if (status == cudaErrorNotReady) {
    (void)cudaGetLastError();  // not an error; keep it out of the next launch check
    return false;
  }
  NEEDLE_CUDA_CHECK(status);
  return true;
}

void wait_upload(const UploadTicket& ticket) {
  if (!ticket) return;
  event_synchronize(state_of(ticket)->done.event);  // counted when the host really waits
}

void synchronize_uploads(int device) {
  cudaStream_t stream = existing_copy_stream(device);
  if (stream == nullptr) return;
  DeviceGuard guard(device);
  // Not counted apart: it is part of the one synchronize() that has just counted itself.
  NEEDLE_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace needle::cuda_backend

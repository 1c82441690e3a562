// Deferred index range checks (see the header).
#include "backends/cuda/index_checks.h"

#include <utility>

#include <cuda_runtime.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

constexpr unsigned long long kNone = ~0ull;
// Checks kept unread at most: a loop that never reads anything back would otherwise grow the
// pending messages without end. Reaching the bound reads the record once (a counted host wait,
// once per this many checks).
constexpr size_t kMaxPending = 1024;

}  // namespace

IndexChecks::DeviceChecks& IndexChecks::state(int device) {
  std::lock_guard<std::mutex> lock(states_mutex_);
  if (static_cast<size_t>(device) >= states_.size()) states_.resize(device + 1);
  auto& s = states_[static_cast<size_t>(device)];
  if (!s) s = std::make_unique<DeviceChecks>();
  return *s;
}

void IndexChecks::check(const StridedView& values, int64_t lo, int64_t hi,
                        IndexErrorMessage message, int device) {
  // The front checked the dtype and returned early for no values.
  const kernels::ElementwiseArgs args = make_elementwise_args({&values});
  DeviceChecks& s = state(device);
  bool full = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    DeviceGuard guard(device);
    cudaStream_t stream = stream_for(device);
    if (s.record == nullptr) {
      kernels::IndexCheckRecord* record = nullptr;
      NEEDLE_CUDA_CHECK(cudaMalloc(&record, sizeof(kernels::IndexCheckRecord)));
      s.record = record;
      NEEDLE_CUDA_CHECK(cudaMemsetAsync(s.record, 0xff, sizeof(*s.record), stream));
      NEEDLE_CUDA_QUEUED(stream, "check_index_range (clearing its record)");
    }
    const uint64_t id = s.next++;
    kernels::launch_check_index_range(args, lo, hi, s.record, id, stream);
    s.pending.emplace(id, std::move(message));
    full = s.pending.size() >= kMaxPending;
  }
  // Read at once, uncounted like every wait this debugging mode adds.
  if (sync_mode()) {
    read_record(device, false);
  } else if (full) {
    read_record(device, true);
  }
}

void IndexChecks::raise_failed(int device) {
  read_record(device, true);
}

void IndexChecks::read_record(int device, bool counted) {
  DeviceChecks& s = state(device);
  IndexErrorMessage message;
  kernels::IndexCheckRecord host{};
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.pending.empty()) return;
    DeviceGuard guard(device);
    cudaStream_t stream = stream_for(device);
    // Queued after every pending check (they are queued under this lock), so the record read
    // covers them all.
    NEEDLE_CUDA_CHECK(
        cudaMemcpyAsync(&host, s.record, sizeof(host), cudaMemcpyDeviceToHost, stream));
    if (counted) {
      stream_synchronize(stream);
    } else {
      NEEDLE_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    if (host.failed_check == kNone) {
      s.pending.clear();
      return;
    }
    // Clear the record for the checks that come next; they are queued after this on the stream.
    NEEDLE_CUDA_CHECK(cudaMemsetAsync(s.record, 0xff, sizeof(*s.record), stream));
    NEEDLE_CUDA_QUEUED(stream, "check_index_range (clearing its record)");
    auto it = s.pending.find(host.failed_check);
    if (it != s.pending.end()) message = std::move(it->second);
    s.pending.clear();
  }
  if (!message) {
    throw IndexError(fmt::format("check_index_range: index {} at position {} is out of range",
                                 host.value, host.position));
  }
  throw IndexError(message(host.value, host.position));
}

}  // namespace needle::cuda_backend

// Deferred index range checks (Backend::check_index_range on CUDA). Checking labels on the host
// would make every training step wait for the GPU; instead a kernel checks them in stream order
// and records the first failure in a small per-device IndexCheckRecord, and the host reads that
// record where it waits for the device anyway (copy_to_host, synchronize) and throws the
// IndexError there, formatted by the message the failed check was queued with. Checks queued
// after a failure and before that wait are dropped: the first one is what the user needs. A
// loop that never waits reads the record once per 1024 checks, so the queued messages stay few.
// Under NEEDLE_CUDA_SYNC=1 each check is read at once, so it throws where it is made.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/kernels.cuh"
#include "needle/backend.h"

namespace needle::cuda_backend {

class IndexChecks {
 public:
  // Queues the check of `values` (on GPU `device`, validated by the caller) on its stream.
  void check(const StridedView& values, int64_t lo, int64_t hi, IndexErrorMessage message,
             int device);
  // Called right after the host has waited for GPU `device`'s stream: throws the IndexError of
  // the first failed check, if any. Does nothing (no CUDA call) while no check is pending;
  // otherwise reads the record, one small counted device-to-host copy.
  void raise_failed(int device);

 private:
  struct DeviceChecks {
    std::mutex mutex;
    // cudaMalloc'ed on first use and never freed: like the streams (stream.cc), it must not be
    // released after the CUDA runtime has shut down at exit.
    kernels::IndexCheckRecord* record = nullptr;
    uint64_t next = 0;                              // sequence number of the next check
    std::map<uint64_t, IndexErrorMessage> pending;  // queued, not yet read back
  };
  DeviceChecks& state(int device);
  // raise_failed, its wait counted as a host wait or not (NEEDLE_CUDA_SYNC's own).
  void read_record(int device, bool counted);

  std::mutex states_mutex_;
  std::vector<std::unique_ptr<DeviceChecks>> states_;
};

}  // namespace needle::cuda_backend

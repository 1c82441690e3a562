// The CUDA controls of needle/cuda.h, answered through the backend registry so that a CPU-only
// build has them too, with no #ifdef anywhere.
#include "needle/cuda.h"

#include "needle/device.h"
#include "needle/error.h"

namespace needle {

void cuda_set_allow_tf32(bool allow) {
  if (has_backend(DeviceType::CUDA)) backend_for(DeviceType::CUDA).set_allow_tf32(allow);
}

bool cuda_allow_tf32() {
  return has_backend(DeviceType::CUDA) && backend_for(DeviceType::CUDA).allow_tf32();
}

void cuda_empty_cache() {
  if (cuda_available()) backend_for(DeviceType::CUDA).empty_cache();
}

MemoryStats cuda_memory_stats(int device) {
  if (!cuda_available()) return MemoryStats{};
  return backend_for(DeviceType::CUDA).memory_stats(cuda(device));
}

void cuda_synchronize(int device) {
  NEEDLE_CHECK_AS(DeviceError, cuda_available(), "cuda_synchronize: no CUDA device available: {}",
                  cuda_status());
  Backend& backend = backend_for(DeviceType::CUDA);
  if (device >= 0) {
    backend.synchronize(cuda(device));
    return;
  }
  for (int i = 0; i < backend.device_count(); ++i)
    backend.synchronize(Device{DeviceType::CUDA, i});
}

uint64_t cuda_host_sync_count() {
  return has_backend(DeviceType::CUDA) ? backend_for(DeviceType::CUDA).host_sync_count() : 0;
}

}  // namespace needle

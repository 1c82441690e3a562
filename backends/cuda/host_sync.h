// Every wait of the host for a GPU that the CUDA backend makes goes through these, so that it is
// counted: needle::cuda_host_sync_count() lets tests prove that a training step, which should
// only queue work, waits for nothing. A device-to-host copy is counted once, however many
// chunks it takes. NEEDLE_CUDA_SYNC's waits (cuda_check.h) are not counted.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace needle::cuda_backend {

// cudaStreamSynchronize, counted; throws DeviceError when queued work failed.
void stream_synchronize(cudaStream_t stream);
// cudaEventSynchronize, counted only when the event has not completed yet (then nothing waits).
void event_synchronize(cudaEvent_t event);
// cudaDeviceSynchronize of the calling thread's current device, counted.
void device_synchronize();
// Counts a wait made some other way (a device-to-host copy).
void count_host_sync();
uint64_t host_sync_count();

}  // namespace needle::cuda_backend

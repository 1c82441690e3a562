// Per-device execution state of the CUDA backend: one non-default stream per GPU (every kernel,
// copy and cuBLAS call of that device is ordered on it, which is what lets the caching
// allocator reuse freed blocks without events), the cuBLAS handle bound to it, and the device's
// properties. Created lazily on first use, so loading the library touches no GPU.
#pragma once

#include <mutex>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace needle::cuda_backend {

struct DeviceContext {
  int index = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudaDeviceProp props{};
  // Guards cublas's math mode, which matmul switches when TF32 is allowed or not.
  std::mutex cublas_mutex;
  cublasMath_t math_mode = CUBLAS_DEFAULT_MATH;
};

// The context of GPU `index` (which the caller has checked exists); thread-safe.
DeviceContext& device_context(int index);
inline cudaStream_t stream_for(int index) {
  return device_context(index).stream;
}

// Makes `index` the calling thread's current device for the guard's lifetime.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace needle::cuda_backend

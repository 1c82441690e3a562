// Turns every CUDA runtime, cuBLAS, cuRAND and (in builds with cuDNN) cuDNN status into a
// needle::DeviceError that carries the library's own error string, the failing expression and
// the call site. Also the debugging mode NEEDLE_CUDA_SYNC=1 (needle/cuda.h): work queued on a
// stream fails later, asynchronously, so a status check at the call only sees launch errors;
// in that mode check_queued, which follows every kernel launch (NEEDLE_CHECK_LAUNCH), cuBLAS
// and cuDNN call and asynchronous copy (NEEDLE_CUDA_QUEUED), waits for the stream and reports
// a failure there, naming the op.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>
// NEEDLE_WITH_CUDNN is defined for the `needle` target only when cmake/FindCUDNN.cmake found
// cuDNN; the kernels and the tests never see cudnn.h.
#ifdef NEEDLE_WITH_CUDNN
#include <cudnn.h>
#endif

namespace needle::cuda_backend {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file,
                                     int line);
[[noreturn]] void throw_curand_error(curandStatus_t status, const char* expr, const char* file,
                                     int line);
const char* curand_status_string(curandStatus_t status);

// Whether NEEDLE_CUDA_SYNC is set to anything but "" or "0"; read once, at the first call.
bool sync_mode();
// Called right after `what` was queued on `stream`. Does nothing unless sync_mode(); then waits
// for the stream (not counted as a host wait: cuda_host_sync_count() reports the program's
// own) and throws DeviceError("CUDA error after <what> at <file>:<line>: ...") if any work on it
// failed.
void check_queued(cudaStream_t stream, const char* what, const char* file, int line);
#ifdef NEEDLE_WITH_CUDNN
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file,
                                    int line);
#endif

}  // namespace needle::cuda_backend

#define NEEDLE_CUDA_CHECK(expr)                                                            \
  do {                                                                                     \
    const cudaError_t needle_status_ = (expr);                                             \
    if (needle_status_ != cudaSuccess) {                                                   \
      ::needle::cuda_backend::throw_cuda_error(needle_status_, #expr, __FILE__, __LINE__); \
    }                                                                                      \
  } while (0)

// After a cuBLAS or cuDNN call or an asynchronous copy queued on `stream`, `what` naming it.
#define NEEDLE_CUDA_QUEUED(stream, what) \
  ::needle::cuda_backend::check_queued((stream), (what), __FILE__, __LINE__)

#define NEEDLE_CUBLAS_CHECK(expr)                                                            \
  do {                                                                                       \
    const cublasStatus_t needle_status_ = (expr);                                            \
    if (needle_status_ != CUBLAS_STATUS_SUCCESS) {                                           \
      ::needle::cuda_backend::throw_cublas_error(needle_status_, #expr, __FILE__, __LINE__); \
    }                                                                                        \
  } while (0)

#define NEEDLE_CURAND_CHECK(expr)                                                            \
  do {                                                                                       \
    const curandStatus_t needle_status_ = (expr);                                            \
    if (needle_status_ != CURAND_STATUS_SUCCESS) {                                           \
      ::needle::cuda_backend::throw_curand_error(needle_status_, #expr, __FILE__, __LINE__); \
    }                                                                                        \
  } while (0)

#ifdef NEEDLE_WITH_CUDNN
#define NEEDLE_CUDNN_CHECK(expr)                                                            \
  do {                                                                                      \
    const cudnnStatus_t needle_status_ = (expr);                                            \
    if (needle_status_ != CUDNN_STATUS_SUCCESS) {                                           \
      ::needle::cuda_backend::throw_cudnn_error(needle_status_, #expr, __FILE__, __LINE__); \
    }                                                                                       \
  } while (0)
#endif

// Turns every CUDA runtime, cuBLAS, cuRAND and (in builds with cuDNN) cuDNN status into a
// needle::DeviceError that carries the library's own error string, the failing expression and
// the call site.
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

// Turns every CUDA runtime, cuBLAS and cuRAND status into a needle::DeviceError that carries
// the library's own error string, the failing expression and the call site.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

namespace needle::cuda_backend {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file,
                                     int line);
[[noreturn]] void throw_curand_error(curandStatus_t status, const char* expr, const char* file,
                                     int line);
const char* curand_status_string(curandStatus_t status);

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

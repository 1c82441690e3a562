// The error paths of cuda_check.h and of the kernels' launch checks.
#include "backends/cuda/cuda_check.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "kernels/kernels.cuh"
#include "needle/error.h"

namespace needle::cuda_backend {

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  // Reset the runtime's "last error" so that the next, unrelated launch check does not report
  // this failure again (sticky errors such as illegal addresses stay regardless).
  (void)cudaGetLastError();
  throw DeviceError(fmt::format("CUDA error {} ({}): {} in `{}` at {}:{}", static_cast<int>(status),
                                cudaGetErrorName(status), cudaGetErrorString(status), expr, file,
                                line));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw DeviceError(fmt::format("cuBLAS error {} ({}): {} in `{}` at {}:{}",
                                static_cast<int>(status), cublasGetStatusName(status),
                                cublasGetStatusString(status), expr, file, line));
}

const char* curand_status_string(curandStatus_t status) {
  switch (status) {
    case CURAND_STATUS_SUCCESS:
      return "no errors";
    case CURAND_STATUS_VERSION_MISMATCH:
      return "header file and linked library version mismatch";
    case CURAND_STATUS_NOT_INITIALIZED:
      return "generator not initialized";
    case CURAND_STATUS_ALLOCATION_FAILED:
      return "memory allocation failed";
    case CURAND_STATUS_TYPE_ERROR:
      return "generator is wrong type";
    case CURAND_STATUS_OUT_OF_RANGE:
      return "argument out of range";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE:
      return "length requested is not a multiple of dimension";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED:
      return "GPU does not have double precision";
    case CURAND_STATUS_LAUNCH_FAILURE:
      return "kernel launch failure";
    case CURAND_STATUS_PREEXISTING_FAILURE:
      return "preexisting failure on library entry";
    case CURAND_STATUS_INITIALIZATION_FAILED:
      return "initialization of CUDA failed";
    case CURAND_STATUS_ARCH_MISMATCH:
      return "architecture mismatch, GPU does not support feature";
    case CURAND_STATUS_INTERNAL_ERROR:
      return "internal library error";
  }
  return "unknown cuRAND status";
}

void throw_curand_error(curandStatus_t status, const char* expr, const char* file, int line) {
  throw DeviceError(fmt::format("cuRAND error {}: {} in `{}` at {}:{}", static_cast<int>(status),
                                curand_status_string(status), expr, file, line));
}

bool sync_mode() {
  static const bool on = [] {
    const char* v = std::getenv("NEEDLE_CUDA_SYNC");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  }();
  return on;
}

void check_queued(cudaStream_t stream, const char* what, const char* file, int line) {
  if (!sync_mode()) return;
  cudaError_t status = cudaStreamSynchronize(stream);
  // A failed launch is reported by cudaGetLastError even when the stream has nothing queued.
  if (status == cudaSuccess) status = cudaGetLastError();
  if (status == cudaSuccess) return;
  (void)cudaGetLastError();
  throw DeviceError(fmt::format("CUDA error after {} at {}:{}: {} ({}; NEEDLE_CUDA_SYNC=1)", what,
                                file, line, cudaGetErrorString(status), cudaGetErrorName(status)));
}

#ifdef NEEDLE_WITH_CUDNN
void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line) {
  // cuDNN 9 keeps a per-thread message with the detail behind the status code (which
  // descriptor or engine rejected the call); cudnnGetErrorString alone says only "BAD_PARAM".
  char detail[512] = {};
#if CUDNN_MAJOR >= 9
  cudnnGetLastErrorString(detail, sizeof(detail));
  detail[sizeof(detail) - 1] = '\0';
#endif
  throw DeviceError(fmt::format("cuDNN error {} ({}){}{} in `{}` at {}:{}",
                                static_cast<int>(status), cudnnGetErrorString(status),
                                detail[0] != '\0' ? ": " : "", detail, expr, file, line));
}
#endif

}  // namespace needle::cuda_backend

namespace needle::kernels {

void check_launch(const char* what, cudaStream_t stream, const char* file, int line) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) {
    throw DeviceError(fmt::format("CUDA kernel launch failed in {}: {} ({}) at {}:{}", what,
                                  cudaGetErrorString(status), cudaGetErrorName(status), file,
                                  line));
  }
  if (cuda_backend::sync_mode()) {
    cuda_backend::check_queued(stream, fmt::format("{} (kernel launch)", what).c_str(), file, line);
  }
}

void throw_unknown_code(const char* family, int code) {
  throw Error(fmt::format("{}: unknown op code {}", family, code));
}

}  // namespace needle::kernels

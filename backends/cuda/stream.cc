// Lazily created per-device streams and cuBLAS handles.
#include "backends/cuda/stream.h"

#include <array>
#include <memory>

#include "backends/cuda/cuda_check.h"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

constexpr int kMaxDevices = 64;

struct Slot {
  std::once_flag once;
  std::unique_ptr<DeviceContext> context;
};

std::array<Slot, kMaxDevices>& slots() {
  // Never destroyed: streams and handles must not be released after the CUDA runtime has shut
  // down at process exit, and the driver reclaims them anyway.
  static auto* table = new std::array<Slot, kMaxDevices>();
  return *table;
}

}  // namespace

DeviceContext& device_context(int index) {
  NEEDLE_CHECK_AS(DeviceError, index >= 0 && index < kMaxDevices,
                  "cuda:{}: device index out of range", index);
  Slot& slot = slots()[static_cast<size_t>(index)];
  std::call_once(slot.once, [&] {
    auto ctx = std::make_unique<DeviceContext>();
    ctx->index = index;
    DeviceGuard guard(index);
    NEEDLE_CUDA_CHECK(cudaGetDeviceProperties(&ctx->props, index));
    NEEDLE_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    NEEDLE_CUBLAS_CHECK(cublasCreate(&ctx->cublas));
    NEEDLE_CUBLAS_CHECK(cublasSetStream(ctx->cublas, ctx->stream));
    // Full fp32 precision unless needle::cuda_set_allow_tf32(true) says otherwise.
    NEEDLE_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH));
    slot.context = std::move(ctx);
  });
  // A failed initialisation throws out of call_once and leaves the flag unset: the next call
  // retries rather than returning a half-made context.
  return *slot.context;
}

DeviceGuard::DeviceGuard(int index) {
  int current = -1;
  NEEDLE_CUDA_CHECK(cudaGetDevice(&current));
  if (current != index) {
    NEEDLE_CUDA_CHECK(cudaSetDevice(index));
    previous_ = current;
  }
}

DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0) (void)cudaSetDevice(previous_);  // destructors must not throw
}

}  // namespace needle::cuda_backend

// cuDNN handles, one per GPU (see cudnn_handles.h).
#include "backends/cuda/cudnn_handles.h"

#ifdef NEEDLE_WITH_CUDNN

#include <array>

#include "backends/cuda/stream.h"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

constexpr int kMaxDevices = 64;

std::array<CudnnSlot, kMaxDevices>& cudnn_slots() {
  // Never destroyed, like the streams (stream.cc): cudnnDestroy after the CUDA runtime has shut
  // down at process exit would fail, and the driver reclaims the handles anyway.
  static auto* table = new std::array<CudnnSlot, kMaxDevices>();
  return *table;
}

}  // namespace

CudnnSlot& cudnn_slot(int index) {
  NEEDLE_CHECK_AS(DeviceError, index >= 0 && index < kMaxDevices,
                  "cuda:{}: device index out of range", index);
  CudnnSlot& slot = cudnn_slots()[static_cast<size_t>(index)];
  std::call_once(slot.once, [&] {
    // The headers and the loaded library must agree on the major version: the legacy
    // convolution API's structs and enums are only stable within one.
    const size_t loaded = cudnnGetVersion();
    constexpr size_t kMajorUnit = CUDNN_MAJOR >= 9 ? 10000 : 1000;
    NEEDLE_CHECK_AS(DeviceError, loaded / kMajorUnit == CUDNN_MAJOR,
                    "conv2d: needle was built against cuDNN {}.{}.{} but loaded cuDNN version {}; "
                    "put the matching libcudnn first on the library path",
                    CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL, loaded);
    cudnnHandle_t handle = nullptr;
    NEEDLE_CUDNN_CHECK(cudnnCreate(&handle));
    const cudnnStatus_t status = cudnnSetStream(handle, stream_for(index));
    if (status != CUDNN_STATUS_SUCCESS) {
      (void)cudnnDestroy(handle);
      throw_cudnn_error(status, "cudnnSetStream(handle, stream_for(index))", __FILE__, __LINE__);
    }
    slot.handle = handle;
  });
  // A failed creation throws out of call_once and leaves the flag unset: the next call retries.
  return slot;
}

std::string take_cudnn_detail() {
#if CUDNN_MAJOR >= 9
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof(detail));
  detail[sizeof(detail) - 1] = '\0';
  return detail;
#else
  return {};
#endif
}

}  // namespace needle::cuda_backend

#endif  // NEEDLE_WITH_CUDNN

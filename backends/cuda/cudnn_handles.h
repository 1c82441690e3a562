// cuDNN's per-GPU handles and RAII owners of its descriptors, for the convolution (conv2d.cc).
// Compiled only with cuDNN (NEEDLE_WITH_CUDNN).
#pragma once

#ifdef NEEDLE_WITH_CUDNN

#include <mutex>
#include <string>

#include "backends/cuda/cuda_check.h"

namespace needle::cuda_backend {

// One GPU's cuDNN handle, created on first use and bound to that GPU's stream.
struct CudnnSlot {
  std::once_flag once;
  cudnnHandle_t handle = nullptr;
  // A cuDNN handle must not be used by two host threads at once; this also keeps the math type
  // of a call's descriptor paired with the algorithm chosen for it.
  std::mutex mutex;
};

// The slot of GPU `index` with its handle created and bound to the device's stream. The caller
// has made `index` current (DeviceGuard): a cuDNN handle belongs to the device current when it
// is created. A failed creation throws and is retried by the next call.
CudnnSlot& cudnn_slot(int index);

// cuDNN's per-thread detail message (cuDNN 9), read after a failure we tolerate so that it goes
// into our note; reading it is also meant to keep it from showing up later beside an unrelated
// error (cuda_check.cc reads it for every failure it reports).
std::string take_cudnn_detail();

// Owns one cuDNN descriptor. Destroy failures are ignored: destructors must not throw and the
// descriptor is host memory.
template <typename T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class Descriptor {
 public:
  Descriptor() { NEEDLE_CUDNN_CHECK(Create(&desc_)); }
  ~Descriptor() { (void)Destroy(desc_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  T get() const { return desc_; }

 private:
  T desc_ = nullptr;
};

using TensorDesc =
    Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc =
    Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                            cudnnDestroyConvolutionDescriptor>;

}  // namespace needle::cuda_backend

#endif  // NEEDLE_WITH_CUDNN

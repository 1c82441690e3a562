// Compact device memory of one array's size, allocated through a backend and returned to it when
// the guard dies (also when a kernel throws). For the composed defaults in src/backend/, which
// build an optional kernel from the required ones and need temporaries on the kernel's device.
#pragma once

#include <cstddef>

#include "needle/backend.h"

namespace needle::detail {

class ScratchBuffer {
 public:
  // Room for an array of `shape` and `dtype` on `device`, viewed compactly.
  ScratchBuffer(Backend& backend, const Shape& shape, DType dtype, const Device& device)
      : backend_(backend), device_(device) {
    nbytes_ = static_cast<size_t>(numel(shape)) * dtype_size(dtype);
    ptr_ = backend_.allocate(nbytes_, device_);
    view_ = StridedView{ptr_, 0, shape, compact_strides(shape), dtype, device};
  }
  // Room for a compact copy of `like`.
  ScratchBuffer(Backend& backend, const StridedView& like)
      : ScratchBuffer(backend, like.shape, like.dtype, like.device) {}
  ~ScratchBuffer() { backend_.deallocate(ptr_, nbytes_, device_); }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  const StridedView& view() const { return view_; }

 private:
  Backend& backend_;
  Device device_;
  size_t nbytes_ = 0;
  void* ptr_ = nullptr;
  StridedView view_;
};

}  // namespace needle::detail

// The Backend's default convolution entry points: a backend that has not implemented
// convolution yet (the CUDA backend until its cuDNN path lands) still builds and fails with a
// clear DeviceError instead of a missing symbol or silent garbage.
#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

[[noreturn]] void unsupported(const Backend& backend) {
  throw DeviceError(fmt::format("conv2d is not supported by the {} backend", backend.name()));
}

}  // namespace

void Backend::conv2d_forward(const StridedView&, const StridedView&, const StridedView&,
                             const StridedView&, const Conv2dParams&) {
  unsupported(*this);
}

void Backend::conv2d_backward_input(const StridedView&, const StridedView&, const StridedView&,
                                    const Conv2dParams&) {
  unsupported(*this);
}

void Backend::conv2d_backward_weight(const StridedView&, const StridedView&, const StridedView&,
                                     const Conv2dParams&) {
  unsupported(*this);
}

}  // namespace needle

// The bodies of the optional kernels for a backend that does not implement them. The front
// (dispatch_front.cc) only calls them when the backend's supports() claims the feature, so
// reaching one means a backend that claims more than it implements: it fails with the same
// "not supported" error instead of a missing symbol or silent garbage.
#include "needle/backend.h"

namespace needle {

void* Backend::do_allocate_pinned_host(size_t) {
  throw_unsupported(BackendFeature::PinnedHostMemory);
}

void Backend::do_free_pinned_host(void*) {
  throw_unsupported(BackendFeature::PinnedHostMemory);
}

Conv2dSaved Backend::do_conv2d_forward(const StridedView&, const StridedView&, const StridedView&,
                                       const StridedView&, const Conv2dParams&, bool) {
  throw_unsupported(BackendFeature::Conv2d);
}

void Backend::do_conv2d_backward_input(const StridedView&, const StridedView&, const StridedView&,
                                       const Conv2dParams&) {
  throw_unsupported(BackendFeature::Conv2d);
}

void Backend::do_conv2d_backward_weight(const StridedView&, const StridedView&, const StridedView&,
                                        const Conv2dParams&) {
  throw_unsupported(BackendFeature::Conv2d);
}

void Backend::do_batch_norm_forward(const StridedView&, const StridedView&, const StridedView&,
                                    double, const StridedView&, const StridedView&,
                                    const StridedView&) {
  throw_unsupported(BackendFeature::FusedBatchNorm);
}

void Backend::do_batch_norm_backward(const StridedView&, const StridedView&, const StridedView&,
                                     const StridedView&, const StridedView&, const StridedView&,
                                     const StridedView&, const StridedView&) {
  throw_unsupported(BackendFeature::FusedBatchNorm);
}

}  // namespace needle

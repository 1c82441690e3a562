// The Backend's default index range check: the values are converted to a compact int64 array
// on their device, read to the host and checked there, at once. This is what every backend
// whose copy_to_host is cheap wants (the CPU's is a memcpy); a backend that queues work would
// wait here, and checks on the device instead (backends/cuda/index_checks.h).
#include <vector>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {

void Backend::check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                IndexErrorMessage message) {
  NEEDLE_CHECK_AS(DTypeError, !is_floating(values.dtype) && values.dtype != DType::Bool,
                  "check_index_range: indices need an integer dtype, got {}",
                  dtype_name(values.dtype));
  const int64_t n = values.numel();
  if (n == 0) return;
  std::vector<int64_t> host(static_cast<size_t>(n));
  const size_t nbytes = host.size() * sizeof(int64_t);
  // Scratch on the values' device, returned even when a copy throws.
  struct Scratch {
    Backend& backend;
    Device device;
    size_t nbytes;
    void* ptr;
    ~Scratch() { backend.deallocate(ptr, nbytes, device); }
  } dense{*this, values.device, nbytes, allocate(nbytes, values.device)};
  copy(values, StridedView{dense.ptr, 0, values.shape, compact_strides(values.shape), DType::Int64,
                           values.device});
  copy_to_host(dense.ptr, host.data(), nbytes, values.device);
  for (size_t i = 0; i < host.size(); ++i) {
    if (host[i] < lo || host[i] >= hi) throw IndexError(message(host[i], static_cast<int64_t>(i)));
  }
}

}  // namespace needle

// The Backend's default index range check: the values are converted to a compact int64 array
// on their device, read to the host and checked there, at once. This is what every backend
// whose copy_to_host is cheap wants (the CPU's is a memcpy); a backend that queues work would
// wait here, and checks on the device instead (backends/cuda/index_checks.h).
#include <vector>

#include "needle/backend.h"
#include "needle/error.h"
#include "src/backend/scratch_buffer.h"

namespace needle {

void Backend::do_check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                   IndexErrorMessage message) {
  std::vector<int64_t> host(static_cast<size_t>(values.numel()));
  const detail::ScratchBuffer dense(*this, values.shape, DType::Int64, values.device);
  copy(values, dense.view());
  copy_to_host(dense.view().data, host.data(), host.size() * sizeof(int64_t), values.device);
  for (size_t i = 0; i < host.size(); ++i) {
    if (host[i] < lo || host[i] >= hi) throw IndexError(message(host[i], static_cast<int64_t>(i)));
  }
}

}  // namespace needle

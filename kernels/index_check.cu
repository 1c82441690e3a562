// Device-side index range checks (Backend::check_index_range on CUDA): the check a training
// step makes of its labels without waiting for the GPU. The result stays in an IndexCheckRecord
// until the host's next wait reads it.
#include "kernels/common.cuh"

namespace needle::kernels {
namespace {

constexpr int kCheckThreads = 512;
constexpr unsigned long long kNone = ~0ull;

template <typename T>
__device__ __forceinline__ long long value_at(const ElementwiseArgs& args, int64_t i) {
  const int64_t off = offsets_of<int64_t, 1>(args, i).off[0];
  return static_cast<long long>(static_cast<const T*>(args.data[0])[off]);
}

template <typename T>
__global__ void __launch_bounds__(kCheckThreads)
    check_range_kernel(ElementwiseArgs args, long long lo, long long hi, IndexCheckRecord* record,
                       unsigned long long check) {
  __shared__ unsigned long long first;
  if (threadIdx.x == 0) first = kNone;
  __syncthreads();
  // Each thread visits increasing positions, so its first offender is the only one it reports.
  for (int64_t i = threadIdx.x; i < args.numel; i += blockDim.x) {
    const long long v = value_at<T>(args, i);
    if (v < lo || v >= hi) {
      atomicMin(&first, static_cast<unsigned long long>(i));
      break;
    }
  }
  __syncthreads();
  if (threadIdx.x == 0 && first != kNone && record->failed_check == kNone) {
    record->failed_check = check;
    record->position = static_cast<long long>(first);
    record->value = value_at<T>(args, static_cast<int64_t>(first));
  }
}

}  // namespace

void launch_check_index_range(const ElementwiseArgs& args, long long lo, long long hi,
                              IndexCheckRecord* record, unsigned long long check,
                              cudaStream_t stream) {
  if (args.numel == 0) return;
  dispatch(args.dtype[0], [&](auto tag) {
    using T = typename decltype(tag)::type;
    // The host accepts integer views only (a DTypeError before launch otherwise).
    if constexpr (std::is_integral<T>::value && !std::is_same<T, bool>::value) {
      check_range_kernel<T><<<1, kCheckThreads, 0, stream>>>(args, lo, hi, record, check);
    }
  });
  NEEDLE_CHECK_LAUNCH("check_index_range", stream);
}

}  // namespace needle::kernels

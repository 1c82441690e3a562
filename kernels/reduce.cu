// Reductions (sum, max, min, argmax, argmin) over any set of axes. The host side describes the
// input as M output rows of R reduced elements (ReduceArgs); two kernel shapes cover the cases:
//  - row: the reduced run is (usually) innermost in memory; a warp or a whole block reduces one
//    row with 16-byte loads where the run is dense, then a warp-shuffle tree;
//  - column: a kept axis is innermost (reducing leading axes) or rows are short; threads along x
//    take 32 consecutive outputs so loads stay coalesced, threads along y split the run.
// When there are too few rows to fill the GPU, `splits` blocks share a row and write partial
// results that a second pass combines (deterministic: no atomics, argmax keeps the first
// maximum). Float sums accumulate in double and integer sums in int64, as on the CPU.
#include <algorithm>
#include <cstdint>

#include "kernels/common.cuh"
#include "kernels/elementwise.cuh"

namespace needle::kernels {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kBlock = 512;

template <typename T>
struct Limits {
  // The identity of max (lowest) and of min (highest) without std::numeric_limits, which is not
  // usable in device code without --expt-relaxed-constexpr.
  __device__ static T lowest() {
    if constexpr (std::is_same<T, float>::value) {
      return -__int_as_float(0x7f800000);
    } else if constexpr (std::is_same<T, double>::value) {
      return -__longlong_as_double(0x7ff0000000000000ll);
    } else if constexpr (std::is_same<T, int32_t>::value) {
      return INT32_MIN;
    } else if constexpr (std::is_same<T, int64_t>::value) {
      return INT64_MIN;
    } else {
      return T(0);  // uint8_t, bool
    }
  }
  __device__ static T highest() {
    if constexpr (std::is_same<T, float>::value) {
      return __int_as_float(0x7f800000);
    } else if constexpr (std::is_same<T, double>::value) {
      return __longlong_as_double(0x7ff0000000000000ll);
    } else if constexpr (std::is_same<T, int32_t>::value) {
      return INT32_MAX;
    } else if constexpr (std::is_same<T, int64_t>::value) {
      return INT64_MAX;
    } else if constexpr (std::is_same<T, uint8_t>::value) {
      return uint8_t(255);
    } else {
      return true;
    }
  }
};

template <typename T>
__device__ __forceinline__ T shfl_down(T v, int delta) {
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_down_sync(kFullMask, static_cast<int>(v), delta));
  } else {
    return __shfl_down_sync(kFullMask, v, delta);
  }
}

template <typename T>
struct SumReducer {
  using Acc = typename std::conditional<kIsFloat<T>, double, int64_t>::type;
  __device__ static Acc identity() { return Acc(0); }
  __device__ static Acc make(T v, int64_t) { return static_cast<Acc>(v); }
  __device__ static Acc combine(Acc a, Acc b) { return a + b; }
  __device__ static Acc shuffle(Acc a, int d) { return shfl_down(a, d); }
};

// NaN wins (as in NumPy), otherwise the extreme value.
template <typename T, bool kMax>
__device__ __forceinline__ bool better(T v, T best) {
  return (kMax ? v > best : v < best) || (is_nan(v) && !is_nan(best));
}

template <typename T, bool kMax>
struct ExtremeReducer {
  using Acc = T;
  __device__ static Acc identity() { return kMax ? Limits<T>::lowest() : Limits<T>::highest(); }
  __device__ static Acc make(T v, int64_t) { return v; }
  __device__ static Acc combine(Acc a, Acc b) { return better<T, kMax>(b, a) ? b : a; }
  __device__ static Acc shuffle(Acc a, int d) { return shfl_down(a, d); }
};

template <typename T>
struct ArgAcc {
  T value;
  int64_t index;
};

// Ties and NaN pairs go to the smaller index, so the result does not depend on the tree's
// shape: the first maximum wins, as in NumPy.
template <typename T, bool kMax>
struct ArgReducer {
  using Acc = ArgAcc<T>;
  __device__ static Acc identity() { return Acc{ExtremeReducer<T, kMax>::identity(), INT64_MAX}; }
  __device__ static Acc make(T v, int64_t r) { return Acc{v, r}; }
  __device__ static Acc combine(Acc a, Acc b) {
    if (better<T, kMax>(b.value, a.value)) return b;
    if (better<T, kMax>(a.value, b.value)) return a;
    return b.index < a.index ? b : a;
  }
  __device__ static Acc shuffle(Acc a, int d) {
    return Acc{shfl_down(a.value, d), shfl_down(a.index, d)};
  }
};

template <typename T, ReduceOp Op>
struct ReducerFor;
template <typename T>
struct ReducerFor<T, ReduceOp::Sum> {
  using type = SumReducer<T>;
};
template <typename T>
struct ReducerFor<T, ReduceOp::Max> {
  using type = ExtremeReducer<T, true>;
};
template <typename T>
struct ReducerFor<T, ReduceOp::Min> {
  using type = ExtremeReducer<T, false>;
};
template <typename T>
struct ReducerFor<T, ReduceOp::Argmax> {
  using type = ArgReducer<T, true>;
};
template <typename T>
struct ReducerFor<T, ReduceOp::Argmin> {
  using type = ArgReducer<T, false>;
};

template <typename Acc>
__device__ __forceinline__ void store_out(void* out, DType dt, int64_t m, Acc v) {
  switch (dt) {
    case DType::Float32:
      static_cast<float*>(out)[m] = cast_to<float>(v);
      break;
    case DType::Float64:
      static_cast<double*>(out)[m] = cast_to<double>(v);
      break;
    case DType::Int32:
      static_cast<int32_t*>(out)[m] = cast_to<int32_t>(v);
      break;
    case DType::Int64:
      static_cast<int64_t*>(out)[m] = cast_to<int64_t>(v);
      break;
    case DType::UInt8:
      static_cast<uint8_t*>(out)[m] = cast_to<uint8_t>(v);
      break;
    case DType::Bool:
      static_cast<bool*>(out)[m] = cast_to<bool>(v);
      break;
  }
}

template <typename T>
__device__ __forceinline__ void store_out(void* out, DType, int64_t m, ArgAcc<T> v) {
  static_cast<int64_t*>(out)[m] = v.index;  // argmax/argmin write Int64 indices
}

// Offset of row-major index `idx` over `ndim` dims (innermost first).
template <typename IndexT>
__device__ __forceinline__ IndexT offset_of(IndexT idx, int ndim, const int64_t* sizes,
                                            const int64_t* strides) {
  IndexT off = 0;
#pragma unroll
  for (int d = 0; d < kMaxDims; ++d) {
    if (d == ndim) break;
    const IndexT size = static_cast<IndexT>(sizes[d]);
    const IndexT q = idx / size;
    off += (idx - q * size) * static_cast<IndexT>(strides[d]);
    idx = q;
  }
  return off;
}

template <typename IndexT>
__device__ __forceinline__ IndexT red_offset(const ReduceArgs& a, int64_t r) {
  if (a.red_ndim == 1) return static_cast<IndexT>(r) * static_cast<IndexT>(a.red_strides[0]);
  return offset_of<IndexT>(static_cast<IndexT>(r), a.red_ndim, a.red_sizes, a.red_strides);
}

template <typename Red>
__device__ __forceinline__ typename Red::Acc warp_reduce(typename Red::Acc acc) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1)
    acc = Red::combine(acc, Red::shuffle(acc, d));
  return acc;
}

// Folds the elements [r0, r1) of a dense row into acc with 16-byte loads, four in flight.
template <typename T, typename Red>
__device__ __forceinline__ typename Red::Acc fold_dense_row(const T* row, int64_t r0, int64_t r1,
                                                            int lane, int lanes,
                                                            typename Red::Acc acc) {
  constexpr int V = 16 / sizeof(T);
  using VecT = Vec<T, V>;
  const int64_t misaligned = (reinterpret_cast<uintptr_t>(row + r0) % 16) / sizeof(T);
  int64_t head = misaligned ? V - misaligned : 0;
  if (head > r1 - r0) head = r1 - r0;
  if (lane < head) acc = Red::combine(acc, Red::make(row[r0 + lane], r0 + lane));
  const int64_t rv = r0 + head;
  const int64_t nvec = (r1 - rv) / V;
  const VecT* vrow = reinterpret_cast<const VecT*>(row + rv);
  int64_t k = lane;
  for (; k + 3 * lanes < nvec; k += 4 * lanes) {
    VecT v[4];
#pragma unroll
    for (int u = 0; u < 4; ++u)
      v[u] = vrow[k + u * lanes];
#pragma unroll
    for (int u = 0; u < 4; ++u) {
#pragma unroll
      for (int i = 0; i < V; ++i) {
        acc = Red::combine(acc, Red::make(v[u].v[i], rv + (k + u * lanes) * V + i));
      }
    }
  }
  for (; k < nvec; k += lanes) {
    const VecT v = vrow[k];
#pragma unroll
    for (int i = 0; i < V; ++i)
      acc = Red::combine(acc, Red::make(v.v[i], rv + k * V + i));
  }
  for (int64_t r = rv + nvec * V + lane; r < r1; r += lanes) {
    acc = Red::combine(acc, Red::make(row[r], r));
  }
  return acc;
}

template <typename Acc>
__device__ __forceinline__ Acc* shared_acc() {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  return reinterpret_cast<Acc*>(smem_raw);
}

// blockDim = (lanes along the row, rows); blockIdx.y picks the split of the row.
template <typename T, typename Red, typename IndexT>
__global__ void __launch_bounds__(kBlock)
    reduce_rows(ReduceArgs a, int64_t chunk, int splits, typename Red::Acc* partials) {
  using Acc = typename Red::Acc;
  const int lane = threadIdx.x, lanes = blockDim.x;
  const int64_t m = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  const int64_t r0 = int64_t(blockIdx.y) * chunk;
  const int64_t r1 = min(a.R, r0 + chunk);
  Acc acc = Red::identity();
  if (m < a.M) {
    const T* in =
        static_cast<const T*>(a.in) +
        offset_of<IndexT>(static_cast<IndexT>(m), a.kept_ndim, a.kept_sizes, a.kept_strides);
    if (a.red_ndim == 1 && a.red_strides[0] == 1) {
      acc = fold_dense_row<T, Red>(in, r0, r1, lane, lanes, acc);
    } else {
      for (int64_t r = r0 + lane; r < r1; r += lanes) {
        acc = Red::combine(acc, Red::make(in[red_offset<IndexT>(a, r)], r));
      }
    }
  }
  acc = warp_reduce<Red>(acc);
  const int warps = lanes / 32;
  if (warps > 1) {
    Acc* smem = shared_acc<Acc>();
    if (lane % 32 == 0) smem[threadIdx.y * warps + lane / 32] = acc;
    __syncthreads();
    if (lane == 0) {
      for (int w = 1; w < warps; ++w)
        acc = Red::combine(acc, smem[threadIdx.y * warps + w]);
    }
  }
  if (lane == 0 && m < a.M) {
    if (splits == 1) {
      store_out(a.out, a.out_dtype, m, acc);
    } else {
      partials[m * splits + blockIdx.y] = acc;
    }
  }
}

// blockDim = (32 outputs, threads along the run); blockIdx.y picks the split of the run.
template <typename T, typename Red, typename IndexT>
__global__ void __launch_bounds__(kBlock)
    reduce_columns(ReduceArgs a, int64_t chunk, int splits, typename Red::Acc* partials) {
  using Acc = typename Red::Acc;
  const int64_t m = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t r0 = int64_t(blockIdx.y) * chunk;
  const int64_t r1 = min(a.R, r0 + chunk);
  Acc acc = Red::identity();
  if (m < a.M) {
    const T* in =
        static_cast<const T*>(a.in) +
        offset_of<IndexT>(static_cast<IndexT>(m), a.kept_ndim, a.kept_sizes, a.kept_strides);
    for (int64_t r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
      acc = Red::combine(acc, Red::make(in[red_offset<IndexT>(a, r)], r));
    }
  }
  Acc* smem = shared_acc<Acc>();
  smem[threadIdx.y * blockDim.x + threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && m < a.M) {
    for (unsigned y = 1; y < blockDim.y; ++y) {
      acc = Red::combine(acc, smem[y * blockDim.x + threadIdx.x]);
    }
    if (splits == 1) {
      store_out(a.out, a.out_dtype, m, acc);
    } else {
      partials[m * splits + blockIdx.y] = acc;
    }
  }
}

// One warp per output row combines that row's `splits` partial results.
template <typename Red>
__global__ void __launch_bounds__(kThreads)
    reduce_partials(const typename Red::Acc* partials, int splits, int64_t M, void* out,
                    DType out_dtype) {
  const int64_t m = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (m >= M) return;  // whole warps leave together, so the shuffles below stay converged
  typename Red::Acc acc = Red::identity();
  for (int s = lane; s < splits; s += 32)
    acc = Red::combine(acc, partials[m * splits + s]);
  acc = warp_reduce<Red>(acc);
  if (lane == 0) store_out(out, out_dtype, m, acc);
}

template <typename Fn>
void dispatch_reduce(ReduceOp op, DType dt, Fn&& fn) {
  dispatch(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool known = visit_op(op, [&](auto op_c) {
      fn(TypeTag<T>{}, TypeTag<typename ReducerFor<T, decltype(op_c)::value>::type>{});
    });
    if (!known) throw_unknown_code("reduce", static_cast<int>(op));
  });
}

size_t acc_size(ReduceOp op, DType dt) {
  size_t size = 0;
  dispatch_reduce(op, dt, [&](auto, auto red_tag) {
    using Red = typename decltype(red_tag)::type;
    size = sizeof(typename Red::Acc);
  });
  return size;
}

int64_t pow2_at_least(int64_t n) {
  int64_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

}  // namespace

ReducePlan plan_reduce(ReduceOp op, const ReduceArgs& a, int sm_count) {
  ReducePlan p;
  const int64_t target_blocks = int64_t(sm_count > 0 ? sm_count : 1) * (2048 / kBlock);
  const int64_t red_inner =
      a.red_ndim > 0 ? (a.red_strides[0] < 0 ? -a.red_strides[0] : a.red_strides[0]) : 0;
  const int64_t kept_inner =
      a.kept_ndim > 0 ? (a.kept_strides[0] < 0 ? -a.kept_strides[0] : a.kept_strides[0]) : 0;
  // Short rows waste a warp's lanes, and rows strided in memory while outputs are dense read
  // uncoalesced: both go to the column shape.
  p.column = a.M > 1 && (a.R < 32 || (red_inner != 1 && kept_inner == 1));
  int64_t per_split_threads;
  if (p.column) {
    p.block_x = 32;
    p.block_y = static_cast<int>(a.R >= 16 ? 16 : pow2_at_least(a.R));
    p.grid_x = (a.M + 31) / 32;
    per_split_threads = p.block_y;
  } else {
    p.block_x = a.R >= 512 ? 512 : a.R >= 256 ? 256 : a.R >= 128 ? 128 : a.R >= 64 ? 64 : 32;
    p.block_y = static_cast<int>(std::min<int64_t>(kBlock / p.block_x, pow2_at_least(a.M)));
    p.grid_x = (a.M + p.block_y - 1) / p.block_y;
    per_split_threads = p.block_x;
  }
  // Split long runs across blocks when the rows alone cannot fill the GPU; each thread should
  // still fold at least 16 elements.
  int64_t splits = 1;
  if (p.grid_x < target_blocks) {
    splits = std::min<int64_t>((target_blocks + p.grid_x - 1) / p.grid_x,
                               a.R / (per_split_threads * 16));
    splits = std::max<int64_t>(1, std::min<int64_t>(splits, 1024));
  }
  int64_t chunk = (a.R + splits - 1) / splits;
  chunk = (chunk + 63) / 64 * 64;  // split starts stay 16-byte aligned in dense rows
  splits = (a.R + chunk - 1) / chunk;
  if (splits < 1) splits = 1;
  p.splits = static_cast<int>(splits);
  p.chunk = chunk;
  p.workspace_bytes =
      p.splits > 1 ? static_cast<size_t>(a.M) * p.splits * acc_size(op, a.in_dtype) : 0;
  return p;
}

void launch_reduce(ReduceOp op, const ReduceArgs& a, const ReducePlan& p, void* workspace,
                   const char* what, cudaStream_t stream) {
  if (a.M == 0) return;
  dispatch_reduce(op, a.in_dtype, [&](auto t_tag, auto red_tag) {
    using T = typename decltype(t_tag)::type;
    using Red = typename decltype(red_tag)::type;
    using Acc = typename Red::Acc;
    Acc* partials = static_cast<Acc*>(workspace);
    const dim3 block(p.block_x, p.block_y);
    const dim3 grid(static_cast<unsigned>(p.grid_x), static_cast<unsigned>(p.splits));
    const size_t smem =
        p.column ? sizeof(Acc) * p.block_x * p.block_y : sizeof(Acc) * (p.block_x / 32) * p.block_y;
    if (p.column) {
      if (a.index32) {
        reduce_columns<T, Red, int32_t>
            <<<grid, block, smem, stream>>>(a, p.chunk, p.splits, partials);
      } else {
        reduce_columns<T, Red, int64_t>
            <<<grid, block, smem, stream>>>(a, p.chunk, p.splits, partials);
      }
    } else {
      if (a.index32) {
        reduce_rows<T, Red, int32_t><<<grid, block, smem, stream>>>(a, p.chunk, p.splits, partials);
      } else {
        reduce_rows<T, Red, int64_t><<<grid, block, smem, stream>>>(a, p.chunk, p.splits, partials);
      }
    }
    NEEDLE_CHECK_LAUNCH(what, stream);
    if (p.splits > 1) {
      const int64_t rows_per_block = kThreads / 32;
      const unsigned blocks = static_cast<unsigned>((a.M + rows_per_block - 1) / rows_per_block);
      reduce_partials<Red>
          <<<blocks, kThreads, 0, stream>>>(partials, p.splits, a.M, a.out, a.out_dtype);
      NEEDLE_CHECK_LAUNCH(what, stream);  // the second pass, over the splits' partials
    }
  });
}

}  // namespace needle::kernels

// The generic elementwise launcher behind unary, binary, scalar, where, copy and fill: a
// vectorised kernel for dense operands (16-byte loads for float32) and a strided kernel with
// 32- or 64-bit index math for everything else (broadcast, transposed, sliced, flipped views).
// Functors take 0 to 3 input values and return the output value.
#pragma once

#include "kernels/common.cuh"

namespace needle::kernels {

// An unused input slot.
struct None {};

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <int NIN, typename F, typename A, typename B, typename C>
__device__ __forceinline__ auto apply(const F& f, A a, B b, C c) {
  if constexpr (NIN == 0) {
    return f();
  } else if constexpr (NIN == 1) {
    return f(a);
  } else if constexpr (NIN == 2) {
    return f(a, b);
  } else {
    return f(a, b, c);
  }
}

template <typename T>
__device__ __forceinline__ T load_at(const void* p, int64_t i) {
  if constexpr (std::is_same<T, None>::value) {
    return None{};
  } else {
    return static_cast<const T*>(p)[i];
  }
}

template <typename T, int V>
__device__ __forceinline__ Vec<T, V> load_vec(const void* p, int64_t i) {
  if constexpr (std::is_same<T, None>::value) {
    return Vec<T, V>{};
  } else {
    return *reinterpret_cast<const Vec<T, V>*>(static_cast<const T*>(p) + i);
  }
}

constexpr int kVec = 4;

// Dense operands: each thread handles kVec consecutive elements with one vector load per input
// when every pointer is aligned to the vector size (checked on the host), else element-wise.
template <int NIN, typename O, typename A, typename B, typename C, typename F>
__global__ void __launch_bounds__(kThreads)
    ew_contiguous(int64_t n, O* out, const void* pa, const void* pb, const void* pc, F f,
                  bool aligned) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x * kVec;
  for (int64_t base = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) * kVec; base < n;
       base += step) {
    if (aligned && base + kVec <= n) {
      const Vec<A, kVec> va = load_vec<A, kVec>(pa, base);
      const Vec<B, kVec> vb = load_vec<B, kVec>(pb, base);
      const Vec<C, kVec> vc = load_vec<C, kVec>(pc, base);
      Vec<O, kVec> vo;
#pragma unroll
      for (int i = 0; i < kVec; ++i)
        vo.v[i] = apply<NIN>(f, va.v[i], vb.v[i], vc.v[i]);
      *reinterpret_cast<Vec<O, kVec>*>(out + base) = vo;
    } else {
#pragma unroll
      for (int i = 0; i < kVec; ++i) {
        if (base + i < n) {
          out[base + i] = apply<NIN>(f, load_at<A>(pa, base + i), load_at<B>(pb, base + i),
                                     load_at<C>(pc, base + i));
        }
      }
    }
  }
}

template <typename IndexT, int NIN, typename O, typename A, typename B, typename C, typename F>
__global__ void __launch_bounds__(kThreads) ew_strided(ElementwiseArgs args, F f) {
  const IndexT n = static_cast<IndexT>(args.numel);
  const IndexT step = static_cast<IndexT>(gridDim.x) * blockDim.x;
  O* out = static_cast<O*>(args.data[0]);
  for (IndexT i = static_cast<IndexT>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const Offsets<IndexT, NIN + 1> o = offsets_of<IndexT, NIN + 1>(args, i);
    A a{};
    B b{};
    C c{};
    if constexpr (NIN >= 1) a = load_at<A>(args.data[1], o.off[1]);
    if constexpr (NIN >= 2) b = load_at<B>(args.data[2], o.off[2]);
    if constexpr (NIN >= 3) c = load_at<C>(args.data[3], o.off[3]);
    out[o.off[0]] = apply<NIN>(f, a, b, c);
  }
}

template <typename T>
constexpr size_t size_of() {
  if constexpr (std::is_same<T, None>::value) {
    return 1;
  } else {
    return sizeof(T);
  }
}

inline bool aligned_to(const void* p, size_t bytes) {
  return p == nullptr || reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

// Runs `f` over every element of args (operand 0 = output of type O; inputs of types A, B, C,
// None for unused slots).
template <int NIN, typename O, typename A = None, typename B = None, typename C = None, typename F>
void run_elementwise(const ElementwiseArgs& args, const F& f, const char* what,
                     cudaStream_t stream) {
  if (args.numel == 0) return;
  if (args.contiguous) {
    const bool aligned = aligned_to(args.data[0], sizeof(O) * kVec) &&
                         aligned_to(args.data[1], size_of<A>() * kVec) &&
                         aligned_to(args.data[2], size_of<B>() * kVec) &&
                         aligned_to(args.data[3], size_of<C>() * kVec);
    const unsigned grid = grid_for((args.numel + kVec - 1) / kVec, kThreads);
    ew_contiguous<NIN, O, A, B, C>
        <<<grid, kThreads, 0, stream>>>(args.numel, static_cast<O*>(args.data[0]), args.data[1],
                                        args.data[2], args.data[3], f, aligned);
  } else if (args.index32) {
    ew_strided<int32_t, NIN, O, A, B, C>
        <<<grid_for(args.numel, kThreads), kThreads, 0, stream>>>(args, f);
  } else {
    ew_strided<int64_t, NIN, O, A, B, C>
        <<<grid_for(args.numel, kThreads), kThreads, 0, stream>>>(args, f);
  }
  NEEDLE_CHECK_LAUNCH(what, stream);
}

}  // namespace needle::kernels

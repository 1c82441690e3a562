// The shared machinery that iterates N strided operands of one shape: size-1 dimensions are
// dropped, dimensions are ordered by one operand's strides and adjacent dimensions that are
// contiguous in every operand are merged, then an odometer walks the outer dimensions while a
// kernel-supplied `inner(ptrs, byte_strides, n)` runs a tight loop over the last one. Large
// iterations are split across OpenMP threads by flat index; an input that is transposed
// relative to the output is walked in cache-sized 2-D tiles instead.
#pragma once

#include <omp.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle::cpu_backend {

// Layouts hold at most needle::kMaxDims axes, the rank limit the dispatch front enforces.
// Below this many elements a kernel runs on the calling thread: a parallel region costs
// microseconds, which small ops cannot repay.
constexpr int64_t kParallelThreshold = 32768;

// Bool is stored as one byte; kernels load and store it through uint8_t so that a byte that is
// neither 0 nor 1 still reads as true instead of being undefined behaviour.
template <typename T>
struct StorageOf {
  using type = T;
};
template <>
struct StorageOf<bool> {
  using type = uint8_t;
};
template <typename T>
using storage_t = typename StorageOf<T>::type;

template <typename T>
inline T load(const void* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return *static_cast<const uint8_t*>(p) != 0;
  } else {
    return *static_cast<const T*>(p);
  }
}

template <typename T>
inline void store(void* p, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    *static_cast<uint8_t*>(p) = v ? 1 : 0;
  } else {
    *static_cast<T*>(p) = v;
  }
}

inline int64_t iabs(int64_t x) {
  return x < 0 ? -x : x;
}

template <int N>
struct Layout {
  int nd = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};  // bytes
  std::array<char*, N> base{};       // offset-adjusted
  int64_t elsize[N] = {};
  int64_t numel = 1;
};

inline int max_threads() {
  return omp_in_parallel() ? 1 : omp_get_max_threads();
}

// Builds the iteration layout of `views` (all of `shape`). Dimensions are ordered so that
// operand `order_by` is walked in memory order (its smallest stride innermost); with
// `allow_flip`, a dimension along which that operand has a negative stride is walked
// backwards in every operand, which is harmless for elementwise kernels and lets the inner
// loop run forward.
template <int N>
Layout<N> make_layout(const Shape& shape, const std::array<const StridedView*, N>& views,
                      int order_by = 0, bool allow_flip = true) {
  Layout<N> L;
  int64_t elsize[N];
  for (int k = 0; k < N; ++k) {
    elsize[k] = static_cast<int64_t>(dtype_size(views[k]->dtype));
    L.elsize[k] = elsize[k];
    L.base[k] = static_cast<char*>(views[k]->data) + views[k]->offset * elsize[k];
  }
  L.numel = numel(shape);
  if (L.numel == 0) return L;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    L.shape[L.nd] = shape[d];
    for (int k = 0; k < N; ++k)
      L.stride[k][L.nd] = views[k]->strides[d] * elsize[k];
    ++L.nd;
  }
  if (allow_flip) {
    for (int d = 0; d < L.nd; ++d) {
      if (L.stride[order_by][d] < 0) {
        for (int k = 0; k < N; ++k) {
          L.base[k] += (L.shape[d] - 1) * L.stride[k][d];
          L.stride[k][d] = -L.stride[k][d];
        }
      }
    }
  }
  // Stable insertion sort by decreasing |stride| of `order_by`; zero strides (broadcast) keep
  // their place so that a broadcast operand does not reorder a compact output.
  auto key = [&](int d) { return iabs(L.stride[order_by][d]); };
  for (int i = 1; i < L.nd; ++i) {
    for (int j = i; j > 0; --j) {
      if (key(j) == 0 || key(j - 1) == 0 || key(j - 1) >= key(j)) break;
      std::swap(L.shape[j], L.shape[j - 1]);
      for (int k = 0; k < N; ++k)
        std::swap(L.stride[k][j], L.stride[k][j - 1]);
    }
  }
  // Merge dimension d into d+1 when, in every operand, stepping d equals a full sweep of d+1.
  int out = 0;
  for (int d = 0; d < L.nd; ++d) {
    if (out > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k) {
        if (L.stride[k][out - 1] != L.stride[k][d] * L.shape[d]) mergeable = false;
      }
      if (mergeable) {
        L.shape[out - 1] *= L.shape[d];
        for (int k = 0; k < N; ++k)
          L.stride[k][out - 1] = L.stride[k][d];
        continue;
      }
    }
    L.shape[out] = L.shape[d];
    for (int k = 0; k < N; ++k)
      L.stride[k][out] = L.stride[k][d];
    ++out;
  }
  L.nd = out;
  return L;
}

// Walks flat indices [begin, end) of `L`, calling inner(ptrs, strides, n) for each run along
// the last dimension (partial runs at both ends).
template <int N, typename Inner>
void walk(const Layout<N>& L, int64_t begin, int64_t end, Inner&& inner) {
  if (begin >= end) return;
  std::array<char*, N> p = L.base;
  std::array<int64_t, N> s_last{};
  if (L.nd == 0) {
    inner(p, s_last, int64_t{1});
    return;
  }
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = L.nd - 1; d >= 0; --d) {
    idx[d] = rem % L.shape[d];
    rem /= L.shape[d];
    for (int k = 0; k < N; ++k)
      p[k] += idx[d] * L.stride[k][d];
  }
  const int last = L.nd - 1;
  for (int k = 0; k < N; ++k)
    s_last[k] = L.stride[k][last];
  int64_t remaining = end - begin;
  while (true) {
    const int64_t run = std::min(L.shape[last] - idx[last], remaining);
    inner(p, s_last, run);
    remaining -= run;
    if (remaining == 0) break;
    for (int k = 0; k < N; ++k)
      p[k] -= idx[last] * s_last[k];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; --d) {
      ++idx[d];
      for (int k = 0; k < N; ++k)
        p[k] += L.stride[k][d];
      if (idx[d] < L.shape[d]) break;
      for (int k = 0; k < N; ++k)
        p[k] -= L.stride[k][d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

// True when input k is read across cache lines along the last dimension but contiguously
// along the one before: the transposed-input case that tiling fixes.
template <int N>
bool is_transposed_input(const Layout<N>& L, int k) {
  const int last = L.nd - 1, prev = L.nd - 2;
  return iabs(L.stride[k][last]) > 64 && iabs(L.stride[k][prev]) <= 16;
}

template <int N>
bool wants_tiling(const Layout<N>& L) {
  if (L.nd < 2) return false;
  if (L.shape[L.nd - 1] < 16 || L.shape[L.nd - 2] < 16) return false;
  for (int k = 1; k < N; ++k) {
    if (is_transposed_input(L, k)) return true;
  }
  return false;
}

// Copies a (rows x cols) tile read with strides (s_row, s_col) into dense row-major `dst`,
// walking the source along rows' contiguous direction, i.e. in the source's memory order.
template <typename E>
void gather_tile(const char* src, int64_t s_row, int64_t s_col, int64_t rows, int64_t cols,
                 char* dst) {
  auto* d = reinterpret_cast<E*>(dst);
  for (int64_t j = 0; j < cols; ++j) {
    const char* col = src + j * s_col;
    // The next source rows sit a large stride away, beyond the hardware prefetcher's reach.
    if (j + 4 < cols) {
      for (int64_t b = 0; b < rows * static_cast<int64_t>(sizeof(E)); b += 64) {
        __builtin_prefetch(col + 4 * s_col + b);
      }
    }
    for (int64_t i = 0; i < rows; ++i) {
      d[i * cols + j] = *reinterpret_cast<const E*>(col + i * s_row);
    }
  }
}

#if defined(__SSE2__)
// The 4-byte case (float32, int32) of a transposed input, whose rows are contiguous
// (s_row == 4): 4x4 blocks are loaded as four vectors, transposed in registers and stored as
// four, a quarter of the scalar loop's loads and stores. The transposed add is otherwise bound
// by this copy.
inline void gather_tile_transposed4(const char* src, int64_t s_col, int64_t rows, int64_t cols,
                                    char* dst) {
  auto* d = reinterpret_cast<float*>(dst);
  const int64_t rows4 = rows / 4 * 4, cols4 = cols / 4 * 4;
  for (int64_t j = 0; j < cols4; j += 4) {
    const char* c0 = src + j * s_col;
    if (j + 8 < cols) {
      for (int64_t b = 0; b < rows * 4; b += 64) {
        for (int64_t q = 0; q < 4; ++q)
          __builtin_prefetch(c0 + (8 + q) * s_col + b);
      }
    }
    for (int64_t i = 0; i < rows4; i += 4) {
      __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(c0 + i * 4));
      __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(c0 + s_col + i * 4));
      __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(c0 + 2 * s_col + i * 4));
      __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(c0 + 3 * s_col + i * 4));
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(d + i * cols + j, r0);
      _mm_storeu_ps(d + (i + 1) * cols + j, r1);
      _mm_storeu_ps(d + (i + 2) * cols + j, r2);
      _mm_storeu_ps(d + (i + 3) * cols + j, r3);
    }
  }
  // The ragged right and bottom edges.
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t first_row = j < cols4 ? rows4 : 0;
    for (int64_t i = first_row; i < rows; ++i)
      d[i * cols + j] = *reinterpret_cast<const float*>(src + j * s_col + i * 4);
  }
}
#endif

inline void gather_tile_bytes(int64_t elsize, const char* src, int64_t s_row, int64_t s_col,
                              int64_t rows, int64_t cols, char* dst) {
  switch (elsize) {
    case 1:
      return gather_tile<uint8_t>(src, s_row, s_col, rows, cols, dst);
    case 2:
      return gather_tile<uint16_t>(src, s_row, s_col, rows, cols, dst);
    case 4:
#if defined(__SSE2__)
      if (s_row == 4) return gather_tile_transposed4(src, s_col, rows, cols, dst);
#endif
      return gather_tile<uint32_t>(src, s_row, s_col, rows, cols, dst);
    default:
      return gather_tile<uint64_t>(src, s_row, s_col, rows, cols, dst);
  }
}

// Tiled walk over the last two dimensions. A transposed input's tile is first gathered into a
// small dense buffer, reading it in its own memory order: each cache line it loads is used in
// full at once, so power-of-two row strides (which map a column of a 2048-wide matrix onto one
// L1 set) no longer evict lines before their other elements are read. The kernel then runs
// its contiguous fast path over the tile.
template <int N, typename Inner>
void walk_tiled(const Layout<N>& L, Inner&& inner) {
  constexpr int64_t kTileRows = 128, kTileCols = 64;
  const int last = L.nd - 1, prev = L.nd - 2;
  const int64_t rows = L.shape[prev], cols = L.shape[last];
  const int64_t tr = (rows + kTileRows - 1) / kTileRows, tc = (cols + kTileCols - 1) / kTileCols;
  int64_t outer = 1;
  for (int d = 0; d < prev; ++d)
    outer *= L.shape[d];
  const int64_t units = outer * tr * tc;
  bool gathered[N] = {};
  for (int k = 1; k < N; ++k)
    gathered[k] = is_transposed_input(L, k);
  auto run_unit = [&](int64_t u, char* scratch) {
    const int64_t j0 = (u % tc) * kTileCols;
    const int64_t i0 = (u / tc % tr) * kTileRows;
    int64_t o = u / (tc * tr);
    std::array<char*, N> p = L.base;
    for (int d = prev - 1; d >= 0; --d) {
      const int64_t i = o % L.shape[d];
      o /= L.shape[d];
      for (int k = 0; k < N; ++k)
        p[k] += i * L.stride[k][d];
    }
    const int64_t ni = std::min(rows, i0 + kTileRows) - i0;
    const int64_t nj = std::min(cols, j0 + kTileCols) - j0;
    std::array<int64_t, N> s_last, s_prev;
    for (int k = 0; k < N; ++k) {
      s_last[k] = L.stride[k][last];
      s_prev[k] = L.stride[k][prev];
      p[k] += i0 * L.stride[k][prev] + j0 * L.stride[k][last];
      if (gathered[k]) {
        char* buf = scratch + k * kTileRows * kTileCols * 8;
        gather_tile_bytes(L.elsize[k], p[k], s_prev[k], s_last[k], ni, nj, buf);
        p[k] = buf;
        s_last[k] = L.elsize[k];
        s_prev[k] = nj * L.elsize[k];
      }
    }
    for (int64_t i = 0; i < ni; ++i) {
      inner(p, s_last, nj);
      for (int k = 0; k < N; ++k)
        p[k] += s_prev[k];
    }
  };
  const size_t scratch_bytes = static_cast<size_t>(N * kTileRows * kTileCols * 8);
  const int threads = L.numel >= kParallelThreshold ? max_threads() : 1;
  // Every thread's tile buffer is allocated here, before the region: an allocation that
  // failed inside it would call std::terminate.
  std::vector<char> scratch(scratch_bytes * static_cast<size_t>(threads));
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      char* mine = scratch.data() + scratch_bytes * static_cast<size_t>(omp_get_thread_num());
      // Dynamic: on a shared machine a descheduled thread must not hold up the others.
#pragma omp for schedule(dynamic, 4)
      for (int64_t u = 0; u < units; ++u)
        run_unit(u, mine);
    }
  } else {
    for (int64_t u = 0; u < units; ++u)
      run_unit(u, scratch.data());
  }
}

// Runs `inner` over every element of `L`, in parallel when it is large. `inner` must not
// throw (it runs inside OpenMP regions).
template <int N, typename Inner>
void for_each_run(const Layout<N>& L, Inner&& inner, bool allow_tiling = true) {
  if (L.numel == 0) return;
  if (allow_tiling && wants_tiling(L)) {
    walk_tiled(L, inner);
    return;
  }
  const int threads = L.numel >= kParallelThreshold ? max_threads() : 1;
  if (threads <= 1) {
    walk(L, 0, L.numel, inner);
    return;
  }
  // Several chunks per thread, handed out dynamically: on a shared 2-core machine a thread
  // that is descheduled mid-op would otherwise hold the whole op until it runs again. Chunk
  // boundaries on multiples of 1024 elements keep threads off each other's cache lines.
  int64_t chunk = std::max<int64_t>(16384, L.numel / (int64_t{threads} * 8));
  chunk = (chunk + 1023) / 1024 * 1024;
  const int64_t chunks = (L.numel + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t c = 0; c < chunks; ++c) {
    walk(L, c * chunk, std::min(L.numel, (c + 1) * chunk), inner);
  }
}

}  // namespace needle::cpu_backend

// Data movement kernels: strided copy with dtype cast (compact, astype, slice assignment),
// strided fill, and the counter-based Philox random fills.
#include <cstring>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/strided_loop.h"
#include "src/core/philox.h"

namespace needle::cpu_backend {
namespace {

// Plain memcpy of a large buffer, split across threads (one thread cannot saturate memory).
void parallel_memcpy(char* dst, const char* src, size_t nbytes) {
  const int threads = nbytes >= static_cast<size_t>(kParallelThreshold) * 8 ? max_threads() : 1;
  if (threads <= 1) {
    std::memcpy(dst, src, nbytes);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const size_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    size_t chunk = (nbytes + nt - 1) / nt;
    chunk = (chunk + 63) / 64 * 64;
    const size_t b = std::min(nbytes, t * chunk), e = std::min(nbytes, b + chunk);
    if (e > b) std::memcpy(dst + b, src + b, e - b);
  }
}

template <typename S, typename D>
void copy_runs(const Layout<2>& L) {
  for_each_run(L, [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    char* d = p[0];
    const char* src = p[1];
    if (s[0] == sizeof(D) && s[1] == sizeof(S)) {
      if constexpr (std::is_same_v<S, D>) {
        std::memcpy(d, src, n * sizeof(D));
      } else {
        auto* dd = reinterpret_cast<storage_t<D>*>(d);
        auto* ss = reinterpret_cast<const storage_t<S>*>(src);
        for (int64_t i = 0; i < n; ++i) {
          store<D>(dd + i, static_cast<D>(load<S>(ss + i)));
        }
      }
    } else if (s[1] == 0) {
      const D v = static_cast<D>(load<S>(src));
      for (int64_t i = 0; i < n; ++i)
        store<D>(d + i * s[0], v);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        store<D>(d + i * s[0], static_cast<D>(load<S>(src + i * s[1])));
      }
    }
  });
}

}  // namespace

void CpuBackend::do_copy(const StridedView& src, const StridedView& dst) {
  if (src.dtype == dst.dtype && src.is_contiguous() && dst.is_contiguous()) {
    const size_t es = dtype_size(src.dtype);
    char* d = static_cast<char*>(dst.data) + dst.offset * es;
    const char* s = static_cast<const char*>(src.data) + src.offset * es;
    if (d != s) parallel_memcpy(d, s, src.numel() * es);
    return;
  }
  const Layout<2> L = make_layout<2>(src.shape, {&dst, &src});
  dispatch_dtype(src.dtype, [&](auto st) {
    dispatch_dtype(dst.dtype, [&](auto dt) {
      copy_runs<typename decltype(st)::type, typename decltype(dt)::type>(L);
    });
  });
}

void CpuBackend::do_fill(const StridedView& dst, double value) {
  const Layout<1> L = make_layout<1>(dst.shape, {&dst});
  dispatch_dtype(dst.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = static_cast<T>(value);
    for_each_run(L, [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
      if (s[0] == sizeof(T)) {
        auto* d = reinterpret_cast<storage_t<T>*>(p[0]);
        const storage_t<T> sv = static_cast<storage_t<T>>(v);
        for (int64_t i = 0; i < n; ++i)
          d[i] = sv;
      } else {
        for (int64_t i = 0; i < n; ++i)
          store<T>(p[0] + i * s[0], v);
      }
    });
  });
}

namespace {

// Fills dst (compact) with gen(counter) for counters offset + i. Element i depends only on its
// counter, so the result is the same for any number of threads.
template <typename Gen>
void random_fill(Backend& backend, const StridedView& dst, uint64_t offset, Gen gen) {
  const int64_t n = dst.numel();
  if (!dst.is_contiguous()) {
    // Generate densely, then scatter through the strided copy.
    std::vector<double> tmp(static_cast<size_t>(n));
    StridedView dense{tmp.data(),     0,         dst.shape, compact_strides(dst.shape),
                      DType::Float64, dst.device};
    random_fill(backend, dense, offset, gen);
    backend.copy(dense, dst);
    return;
  }
  dispatch_dtype(dst.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto* d = reinterpret_cast<storage_t<T>*>(static_cast<char*>(dst.data) +
                                              dst.offset * sizeof(storage_t<T>));
    const int threads = n >= 4096 ? max_threads() : 1;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) {
      store<T>(d + i, static_cast<T>(gen(offset + static_cast<uint64_t>(i), T{})));
    }
  });
}

// Rounding low + (high - low) * u to a narrow type can land on `high`; keep [low, high).
template <typename T>
T clamp_below(double v, double low, double high) {
  T r = static_cast<T>(v);
  if constexpr (std::is_floating_point_v<T>) {
    if (high > low && r >= static_cast<T>(high))
      r = std::nextafter(static_cast<T>(high), static_cast<T>(low));
  }
  return r;
}

}  // namespace

void CpuBackend::do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset,
                                   double low, double high) {
  random_fill(*this, dst, offset, [=](uint64_t c, auto zero) {
    using T = decltype(zero);
    return clamp_below<T>(low + (high - low) * philox::uniform(seed, c), low, high);
  });
}

void CpuBackend::do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset,
                                  double mean, double std) {
  random_fill(*this, dst, offset, [=](uint64_t c, auto zero) {
    using T = decltype(zero);
    return static_cast<T>(mean + std * philox::normal(seed, c));
  });
}

}  // namespace needle::cpu_backend

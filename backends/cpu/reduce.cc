// Reductions (sum, max, min, argmax, argmin) over any set of axes into a compact keepdims
// output. The kept axes (K) index the output; the reduced axes (R) are folded. Two walks:
//  - inner: R holds a's innermost memory dimension (row sums): each output reduces a run that
//    is contiguous in memory, with a SIMD accumulator;
//  - outer: K holds it (column sums): rows of a are accumulated into a vector of accumulators,
//    so every read is sequential and no output is revisited with a stride.
// Float sums accumulate in double (exact enough for millions of float32 elements), integer
// sums in int64. Large reductions split K across threads, or R with per-thread partials that
// are merged in thread order (so argmax keeps the first maximum).
#include <cmath>
#include <limits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/region_errors.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

template <typename T, ReduceOp OP>
struct Reducer;

template <typename T>
struct Reducer<T, ReduceOp::Sum> {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  static Acc init() { return Acc{0}; }
  static void merge(Acc& acc, const Acc& other) { acc += other; }
  // Folds n elements at byte stride s starting at p (flat reduce index idx0) into acc.
  static void run(Acc& acc, const char* p, int64_t s, int64_t n, int64_t /*idx0*/) {
    Acc sum{0};
    if (s == static_cast<int64_t>(sizeof(storage_t<T>))) {
      const auto* x = reinterpret_cast<const storage_t<T>*>(p);
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < n; ++i)
        sum += static_cast<Acc>(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        sum += static_cast<Acc>(load<T>(p + i * s));
    }
    acc += sum;
  }
  // acc[i] += x[i] for a run of outputs (the outer walk).
  static void accumulate(Acc* acc, const char* p, int64_t s, int64_t n, int64_t /*idx*/) {
    if (s == static_cast<int64_t>(sizeof(storage_t<T>))) {
      const auto* x = reinterpret_cast<const storage_t<T>*>(p);
      for (int64_t i = 0; i < n; ++i)
        acc[i] += static_cast<Acc>(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        acc[i] += static_cast<Acc>(load<T>(p + i * s));
    }
  }
};

// Max and Min: NaN wins (as in NumPy), otherwise the extreme value.
template <typename T, bool kMax>
struct ExtremeReducer {
  // Bool accumulates as a byte: std::vector<bool> has no data().
  using Acc = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
  static Acc init() {
    if constexpr (std::is_floating_point_v<T>) {
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    } else {
      return static_cast<Acc>(kMax ? std::numeric_limits<T>::lowest()
                                   : std::numeric_limits<T>::max());
    }
  }
  static bool better(T v, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      return (kMax ? v > best : v < best) || (std::isnan(v) && !std::isnan(best));
    } else {
      return kMax ? v > best : v < best;
    }
  }
  static void merge(Acc& acc, const Acc& other) {
    if (better(other, acc)) acc = other;
  }
  static void run(Acc& acc, const char* p, int64_t s, int64_t n, int64_t /*idx0*/) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = load<T>(p + i * s);
      if (better(v, acc)) acc = v;
    }
  }
  static void accumulate(Acc* acc, const char* p, int64_t s, int64_t n, int64_t /*idx*/) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = load<T>(p + i * s);
      if (better(v, acc[i])) acc[i] = v;
    }
  }
};
template <typename T>
struct Reducer<T, ReduceOp::Max> : ExtremeReducer<T, true> {};
template <typename T>
struct Reducer<T, ReduceOp::Min> : ExtremeReducer<T, false> {};

// Argmax/Argmin: strict comparison keeps the first extreme; merging partials in index order
// does the same across threads.
template <typename T, bool kMax>
struct ArgReducer {
  struct Acc {
    T value;
    int64_t index;
  };
  using E = ExtremeReducer<T, kMax>;
  static Acc init() { return Acc{static_cast<T>(E::init()), 0}; }
  static void merge(Acc& acc, const Acc& other) {
    if (E::better(other.value, acc.value)) acc = other;
  }
  static void run(Acc& acc, const char* p, int64_t s, int64_t n, int64_t idx0) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = load<T>(p + i * s);
      if (E::better(v, acc.value)) acc = Acc{v, idx0 + i};
    }
  }
  static void accumulate(Acc* acc, const char* p, int64_t s, int64_t n, int64_t idx) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = load<T>(p + i * s);
      if (E::better(v, acc[i].value)) acc[i] = Acc{v, idx};
    }
  }
};
template <typename T>
struct Reducer<T, ReduceOp::Argmax> : ArgReducer<T, true> {};
template <typename T>
struct Reducer<T, ReduceOp::Argmin> : ArgReducer<T, false> {};

// A Layout<1> over the given dims of `a`, in their original order, with adjacent dims merged
// where a's strides allow (the flat index of K must stay out's flat index).
Layout<1> sub_layout(const StridedView& a, const std::vector<int64_t>& dims) {
  Layout<1> L;
  const auto es = static_cast<int64_t>(dtype_size(a.dtype));
  L.base[0] = static_cast<char*>(a.data) + a.offset * es;
  for (int64_t d : dims) {
    if (a.shape[d] == 1) continue;
    const int64_t stride = a.strides[d] * es;
    if (L.nd > 0 && L.stride[0][L.nd - 1] == stride * a.shape[d]) {
      L.shape[L.nd - 1] *= a.shape[d];
      L.stride[0][L.nd - 1] = stride;
      continue;
    }
    L.shape[L.nd] = a.shape[d];
    L.stride[0][L.nd] = stride;
    ++L.nd;
  }
  L.numel = 1;
  for (int d = 0; d < L.nd; ++d)
    L.numel *= L.shape[d];
  return L;
}

Layout<1> rebase(Layout<1> L, const char* p) {
  L.base[0] = const_cast<char*>(p);
  return L;
}

int64_t min_abs_stride(const Layout<1>& L) {
  int64_t m = std::numeric_limits<int64_t>::max();
  for (int d = 0; d < L.nd; ++d)
    m = std::min(m, iabs(L.stride[0][d]));
  return m;
}

template <typename T, ReduceOp OP>
void reduce_into(const Layout<1>& LK, const Layout<1>& LR,
                 std::vector<typename Reducer<T, OP>::Acc>& acc) {
  using Red = Reducer<T, OP>;
  using Acc = typename Red::Acc;
  const int64_t nk = LK.numel, nr = LR.numel;
  const int64_t total = nk * nr;
  const int threads = total >= kParallelThreshold ? max_threads() : 1;
  acc.assign(static_cast<size_t>(nk), Red::init());

  // Folds R-range [r0, r1) of the slice starting at `base` into `a`.
  auto fold_r = [&](Acc& a, const char* base, int64_t r0, int64_t r1) {
    int64_t idx = r0;
    walk(rebase(LR, base), r0, r1,
         [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
           Red::run(a, p[0], s[0], n, idx);
           idx += n;
         });
  };
  // Outputs [o0, o1), R-range [r0, r1), in the inner order.
  auto inner_walk = [&](Acc* out, int64_t o0, int64_t o1, int64_t r0, int64_t r1) {
    int64_t o = o0;
    walk(LK, o0, o1,
         [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
           for (int64_t i = 0; i < n; ++i, ++o)
             fold_r(out[o - o0], p[0] + i * s[0], r0, r1);
         });
  };
  // Outputs [o0, o1), R-range [r0, r1), rows of R outermost.
  auto outer_walk = [&](Acc* out, int64_t o0, int64_t o1, int64_t r0, int64_t r1) {
    int64_t r = r0;
    walk(LR, r0, r1,
         [&](const std::array<char*, 1>& pr, const std::array<int64_t, 1>& sr, int64_t nr_run) {
           for (int64_t j = 0; j < nr_run; ++j, ++r) {
             int64_t o = o0;
             walk(rebase(LK, pr[0] + j * sr[0]), o0, o1,
                  [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                    Red::accumulate(out + (o - o0), p[0], s[0], n, r);
                    o += n;
                  });
           }
         });
  };

  const bool inner = LK.nd == 0 || (LR.nd > 0 && min_abs_stride(LR) < min_abs_stride(LK));
  auto body = [&](Acc* out, int64_t o0, int64_t o1, int64_t r0, int64_t r1) {
    if (inner) {
      inner_walk(out, o0, o1, r0, r1);
    } else {
      outer_walk(out, o0, o1, r0, r1);
    }
  };

  const bool split_k = nk >= (inner ? 2 : 256) * int64_t{threads};
  if (threads <= 1) {
    body(acc.data(), 0, nk, 0, nr);
  } else if (split_k) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t chunk = (nk + nt - 1) / nt;
      const int64_t o0 = std::min(nk, t * chunk), o1 = std::min(nk, o0 + chunk);
      if (o1 > o0) body(acc.data() + o0, o0, o1, 0, nr);
    }
  } else {
    // Few outputs: split R; each thread folds its share into private accumulators, merged in
    // thread order afterwards.
    std::vector<std::vector<Acc>> partial(static_cast<size_t>(threads));
    RegionErrors errors;  // an accumulator that cannot be allocated must not terminate
#pragma omp parallel num_threads(threads)
    errors.run([&] {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t chunk = (nr + nt - 1) / nt;
      const int64_t r0 = std::min(nr, t * chunk), r1 = std::min(nr, r0 + chunk);
      auto& mine = partial[static_cast<size_t>(t)];
      resize_scratch(mine, static_cast<size_t>(nk), "reduce");
      std::fill(mine.begin(), mine.end(), Red::init());
      if (r1 > r0) body(mine.data(), 0, nk, r0, r1);
    });
    errors.rethrow();
    for (auto& part : partial) {
      for (size_t o = 0; o < part.size(); ++o)
        Red::merge(acc[o], part[o]);
    }
  }
}

// Writes the accumulators into out's dtype.
template <typename Acc>
void write_out(const std::vector<Acc>& acc, const StridedView& out) {
  dispatch_dtype(out.dtype, [&](auto tag) {
    using TO = typename decltype(tag)::type;
    auto* o = static_cast<storage_t<TO>*>(out.data) + out.offset;
    for (size_t i = 0; i < acc.size(); ++i)
      store<TO>(o + i, static_cast<TO>(acc[i]));
  });
}

}  // namespace

void CpuBackend::do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                           const StridedView& out) {
  std::vector<int64_t> kdims, rdims;
  for (size_t d = 0, i = 0; d < a.shape.size(); ++d) {
    const bool reduced = i < axes.size() && axes[i] == static_cast<int64_t>(d);
    (reduced ? rdims : kdims).push_back(static_cast<int64_t>(d));
    i += reduced;
  }
  const Layout<1> LK = sub_layout(a, kdims), LR = sub_layout(a, rdims);
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto run = [&](auto op_c) {
      using Red = Reducer<T, decltype(op_c)::value>;
      std::vector<typename Red::Acc> acc;
      reduce_into<T, decltype(op_c)::value>(LK, LR, acc);
      if constexpr (decltype(op_c)::value == ReduceOp::Argmax ||
                    decltype(op_c)::value == ReduceOp::Argmin) {
        std::vector<int64_t> idx(acc.size());
        for (size_t i = 0; i < acc.size(); ++i)
          idx[i] = acc[i].index;
        write_out(idx, out);
      } else {
        write_out(acc, out);
      }
    };
    if (!visit_op(op, run)) {
      throw Error(fmt::format("reduce: unknown op code {}", static_cast<int>(op)));
    }
  });
}

}  // namespace needle::cpu_backend

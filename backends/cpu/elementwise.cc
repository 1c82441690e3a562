// Elementwise kernels: unary, binary, binary with a scalar, and where, over strided operands
// of one shape (broadcasting arrives as zero strides). Each (op, dtype) pair is its own
// template instantiation; the inner loops have contiguous and broadcast fast paths the
// compiler can vectorise, and a generic strided path.
#include "backends/common/scalar_ops.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

using namespace scalar_ops;

// out = f(a)
template <typename TO, typename TA, typename F>
void map1(const Layout<2>& L, F f) {
  using SO = storage_t<TO>;
  using SA = storage_t<TA>;
  for_each_run(L, [f](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    if (s[0] == sizeof(SO) && s[1] == sizeof(SA)) {
      auto* o = reinterpret_cast<SO*>(p[0]);
      const auto* a = reinterpret_cast<const SA*>(p[1]);
      for (int64_t i = 0; i < n; ++i)
        store<TO>(o + i, static_cast<TO>(f(load<TA>(a + i))));
    } else if (s[1] == 0) {
      const TO v = static_cast<TO>(f(load<TA>(p[1])));
      for (int64_t i = 0; i < n; ++i)
        store<TO>(p[0] + i * s[0], v);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        store<TO>(p[0] + i * s[0], static_cast<TO>(f(load<TA>(p[1] + i * s[1]))));
      }
    }
  });
}

// out = f(a, b)
template <typename TO, typename T, typename F>
void map2(const Layout<3>& L, F f) {
  using SO = storage_t<TO>;
  using S = storage_t<T>;
  for_each_run(L, [f](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
    auto* o = reinterpret_cast<SO*>(p[0]);
    const auto* a = reinterpret_cast<const S*>(p[1]);
    const auto* b = reinterpret_cast<const S*>(p[2]);
    if (s[0] == sizeof(SO)) {
      if (s[1] == sizeof(S) && s[2] == sizeof(S)) {
        for (int64_t i = 0; i < n; ++i) {
          store<TO>(o + i, static_cast<TO>(f(load<T>(a + i), load<T>(b + i))));
        }
        return;
      }
      if (s[1] == sizeof(S) && s[2] == 0) {
        const T bv = load<T>(b);
        for (int64_t i = 0; i < n; ++i)
          store<TO>(o + i, static_cast<TO>(f(load<T>(a + i), bv)));
        return;
      }
      if (s[1] == 0 && s[2] == sizeof(S)) {
        const T av = load<T>(a);
        for (int64_t i = 0; i < n; ++i)
          store<TO>(o + i, static_cast<TO>(f(av, load<T>(b + i))));
        return;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      store<TO>(p[0] + i * s[0],
                static_cast<TO>(f(load<T>(p[1] + i * s[1]), load<T>(p[2] + i * s[2]))));
    }
  });
}

// A dtype the op has no formula for: the front rejected it already (op_domain), so this is
// the unreachable branch of the compile-time dispatch.
[[noreturn]] void unsupported(const char* op, DType dtype) {
  throw DTypeError(fmt::format("{}: dtype {} is not supported (float32 or float64 expected)", op,
                               dtype_name(dtype)));
}

// A code outside needle/op_codes.h's lists (a corrupted value): an error, never a no-op.
[[noreturn]] void unknown_op(const char* family, int code) {
  throw Error(fmt::format("{}: unknown op code {}", family, code));
}

}  // namespace

void CpuBackend::do_unary(UnaryOp op, const StridedView& a, const StridedView& out) {
  const char* name = op_name(op);
  const Layout<2> L = make_layout<2>(out.shape, {&out, &a});
  const bool known = visit_op(op, [&](auto op_c) {
    using OpC = decltype(op_c);
    dispatch_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (unary_supported<OpC::value, T>()) {
        map1<unary_result_t<OpC::value, T>, T>(L, [](T x) { return unary_fn<OpC::value, T>(x); });
      } else {
        unsupported(name, a.dtype);
      }
    });
  });
  if (!known) unknown_op("unary", static_cast<int>(op));
}

void CpuBackend::do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                           const StridedView& out) {
  const Layout<3> L = make_layout<3>(out.shape, {&out, &a, &b});
  const bool known = visit_op(op, [&](auto op_c) {
    using OpC = decltype(op_c);
    dispatch_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      map2<binary_result_t<OpC::value, T>, T>(
          L, [](T x, T y) { return binary_fn<OpC::value, T>(x, y); });
    });
  });
  if (!known) unknown_op("binary", static_cast<int>(op));
}

void CpuBackend::do_binary_scalar(BinaryOp op, const StridedView& a, double scalar,
                                  bool scalar_first, const StridedView& out) {
  const Layout<2> L = make_layout<2>(out.shape, {&out, &a});
  const bool known = visit_op(op, [&](auto op_c) {
    using OpC = decltype(op_c);
    dispatch_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using TO = binary_result_t<OpC::value, T>;
      const T s = static_cast<T>(scalar);
      if (scalar_first) {
        map1<TO, T>(L, [s](T x) { return binary_fn<OpC::value, T>(s, x); });
      } else {
        map1<TO, T>(L, [s](T x) { return binary_fn<OpC::value, T>(x, s); });
      }
    });
  });
  if (!known) unknown_op("binary_scalar", static_cast<int>(op));
}

void CpuBackend::do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                          const StridedView& out) {
  const Layout<4> L = make_layout<4>(out.shape, {&out, &cond, &a, &b});
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using S = storage_t<T>;
    for_each_run(L, [](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
      if (s[0] == sizeof(S) && s[1] == 1 && s[2] == sizeof(S) && s[3] == sizeof(S)) {
        auto* o = reinterpret_cast<S*>(p[0]);
        const auto* c = reinterpret_cast<const uint8_t*>(p[1]);
        const auto* x = reinterpret_cast<const S*>(p[2]);
        const auto* y = reinterpret_cast<const S*>(p[3]);
        for (int64_t i = 0; i < n; ++i)
          o[i] = c[i] != 0 ? x[i] : y[i];
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        const bool c = p[1][i * s[1]] != 0;
        store<T>(p[0] + i * s[0], c ? load<T>(p[2] + i * s[2]) : load<T>(p[3] + i * s[3]));
      }
    });
  });
}

}  // namespace needle::cpu_backend

// The scalar formula of every elementwise op code (needle/op_codes.h), written once for both
// backends: the CPU's strided loops (backends/cpu/elementwise.cc) and the CUDA kernels
// (kernels/unary.cu, binary.cu, binary_scalar.cu) instantiate these same functions, so the two
// devices cannot disagree on a formula, and the CPU tests check the GPU's arithmetic too.
//
// Integer arithmetic wraps (computed in the unsigned type) instead of invoking undefined
// behaviour; integer division by zero yields 0 and INT_MIN / -1 wraps, so no input can trap
// (SIGFPE on the CPU, garbage on a GPU). Floating maximum/minimum propagate NaN as NumPy does.
// C++17 with <cmath> only: std:: math functions have device overloads under nvcc.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "needle/op_codes.h"

#if defined(__CUDACC__)
#define NEEDLE_SCALAR_FN __host__ __device__ __forceinline__
#else
#define NEEDLE_SCALAR_FN inline
#endif

namespace needle::scalar_ops {

template <typename T>
constexpr bool is_float_v = std::is_floating_point_v<T>;
template <typename T>
constexpr bool is_signed_int_v = std::is_integral_v<T>&& std::is_signed_v<T>;

template <typename T>
NEEDLE_SCALAR_FN T wrap_add(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <typename T>
NEEDLE_SCALAR_FN T wrap_sub(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}
template <typename T>
NEEDLE_SCALAR_FN T wrap_mul(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    return static_cast<T>(static_cast<unsigned>(a) * static_cast<unsigned>(b));
  } else {
    return static_cast<T>(a * b);
  }
}

template <typename T>
NEEDLE_SCALAR_FN T int_div(T a, T b) {
  if (b == 0) return T{0};
  if constexpr (is_signed_int_v<T>) {
    if (b == T{-1}) return wrap_sub(T{0}, a);
  }
  return static_cast<T>(a / b);
}

// Integer power by squaring; negative exponents truncate toward zero as 1 / a^-b does.
template <typename T>
NEEDLE_SCALAR_FN T int_pow(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    if (b < 0) {
      if (a == 1) return T{1};
      if (a == -1) return (b % 2 == 0) ? T{1} : T{-1};
      return T{0};
    }
  }
  T result{1}, base = a;
  auto e = static_cast<uint64_t>(b);
  while (e != 0) {
    if (e & 1u) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
    e >>= 1;
  }
  return result;
}

// Which (op, element type) pairs have a kernel; the dispatch front refuses the others with a
// DTypeError before any backend runs.
template <UnaryOp OP, typename T>
constexpr bool unary_supported() {
  return !requires_floating(OP) || is_float_v<T>;
}

// The element type an op writes for inputs of type T.
template <UnaryOp OP, typename T>
using unary_result_t = std::conditional_t<op_result(OP) == OpResult::Bool, bool, T>;
template <BinaryOp OP, typename T>
using binary_result_t = std::conditional_t<op_result(OP) == OpResult::Bool, bool, T>;

template <UnaryOp OP, typename T>
NEEDLE_SCALAR_FN unary_result_t<OP, T> unary_fn(T x) {
  if constexpr (OP == UnaryOp::Neg) {
    return wrap_sub(T{0}, x);
  } else if constexpr (OP == UnaryOp::Exp) {
    return std::exp(x);
  } else if constexpr (OP == UnaryOp::Log) {
    return std::log(x);
  } else if constexpr (OP == UnaryOp::Sqrt) {
    return std::sqrt(x);
  } else if constexpr (OP == UnaryOp::Tanh) {
    return std::tanh(x);
  } else if constexpr (OP == UnaryOp::Sigmoid) {
    return T{1} / (T{1} + std::exp(-x));
  } else if constexpr (OP == UnaryOp::Relu) {
    return x > T{0} ? x : T{0};
  } else if constexpr (OP == UnaryOp::Abs) {
    if constexpr (is_float_v<T>) {
      return std::fabs(x);
    } else if constexpr (is_signed_int_v<T>) {
      return x < 0 ? wrap_sub(T{0}, x) : x;
    } else {
      return x;
    }
  } else if constexpr (OP == UnaryOp::Sign) {
    if constexpr (is_float_v<T>) {
      // Selects rather than bool arithmetic, so that the CPU loop vectorizes (relu's gradient
      // mask is a sign); NaN stays NaN, and both zeros give +0.
      const T positive = x > T{0} ? T{1} : T{0};
      const T negative = x < T{0} ? T{1} : T{0};
      return x != x ? x : positive - negative;
    } else if constexpr (is_signed_int_v<T>) {
      return static_cast<T>((x > T{0}) - (x < T{0}));
    } else {
      return static_cast<T>(x > T{0});
    }
  } else if constexpr (OP == UnaryOp::Sin) {
    return std::sin(x);
  } else if constexpr (OP == UnaryOp::Cos) {
    return std::cos(x);
  } else if constexpr (OP == UnaryOp::Square) {
    return wrap_mul(x, x);
  } else if constexpr (OP == UnaryOp::Reciprocal) {
    return T{1} / x;
  } else if constexpr (OP == UnaryOp::Log1p) {
    return std::log1p(x);
  } else if constexpr (OP == UnaryOp::Expm1) {
    return std::expm1(x);
  } else if constexpr (OP == UnaryOp::Erf) {
    return std::erf(x);
  } else if constexpr (OP == UnaryOp::Gelu) {
    // x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (PyTorch's default).
    return T{0.5} * x * (T{1} + std::erf(x * T{0.70710678118654752440}));
  } else if constexpr (OP == UnaryOp::GeluTanh) {
    // PyTorch's approximate="tanh": Phi(x) ~ (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2.
    return T{0.5} * x *
           (T{1} + std::tanh(T{0.79788456080286535588} * (x + T{0.044715} * x * x * x)));
  } else if constexpr (OP == UnaryOp::Silu) {
    return x / (T{1} + std::exp(-x));
  } else {
    static_assert(OP == UnaryOp::LogicalNot, "an op code of the list has no formula here");
    return x == T{0};
  }
}

template <BinaryOp OP, typename T>
NEEDLE_SCALAR_FN binary_result_t<OP, T> binary_fn(T a, T b) {
  if constexpr (OP == BinaryOp::Add) {
    return wrap_add(a, b);
  } else if constexpr (OP == BinaryOp::Sub) {
    return wrap_sub(a, b);
  } else if constexpr (OP == BinaryOp::Mul) {
    return wrap_mul(a, b);
  } else if constexpr (OP == BinaryOp::Div) {
    if constexpr (is_float_v<T>) {
      return a / b;
    } else {
      return int_div(a, b);
    }
  } else if constexpr (OP == BinaryOp::Pow) {
    if constexpr (is_float_v<T>) {
      return std::pow(a, b);
    } else {
      return int_pow(a, b);
    }
  } else if constexpr (OP == BinaryOp::Maximum) {
    if constexpr (is_float_v<T>) {
      return (a > b || a != a) ? a : b;
    } else {
      return a > b ? a : b;
    }
  } else if constexpr (OP == BinaryOp::Minimum) {
    if constexpr (is_float_v<T>) {
      return (a < b || a != a) ? a : b;
    } else {
      return a < b ? a : b;
    }
  } else if constexpr (OP == BinaryOp::Eq) {
    return a == b;
  } else if constexpr (OP == BinaryOp::Ne) {
    return a != b;
  } else if constexpr (OP == BinaryOp::Lt) {
    return a < b;
  } else if constexpr (OP == BinaryOp::Le) {
    return a <= b;
  } else if constexpr (OP == BinaryOp::Gt) {
    return a > b;
  } else {
    static_assert(OP == BinaryOp::Ge, "an op code of the list has no formula here");
    return a >= b;
  }
}

}  // namespace needle::scalar_ops

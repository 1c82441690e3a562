// The scalar functions behind the elementwise kernels, one constexpr switch per op so that each
// kernel instantiation inlines exactly one of them. Integer arithmetic wraps (computed in the
// unsigned type) instead of invoking undefined behaviour; integer division by zero yields 0
// and INT_MIN / -1 wraps, so no input can raise SIGFPE.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "needle/backend.h"

namespace needle::cpu_backend {

template <typename T>
constexpr bool is_float_v = std::is_floating_point_v<T>;
template <typename T>
constexpr bool is_signed_int_v = std::is_integral_v<T>&& std::is_signed_v<T>;

template <typename T>
inline T wrap_add(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <typename T>
inline T wrap_sub(T a, T b) {
  if constexpr (is_signed_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}
template <typename T>
inline T wrap_mul(T a, T b) {
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
inline T int_div(T a, T b) {
  if (b == 0) return T{0};
  if constexpr (is_signed_int_v<T>) {
    if (b == T{-1}) return wrap_sub(T{0}, a);
  }
  return static_cast<T>(a / b);
}

// Integer power by squaring; negative exponents truncate toward zero as 1 / a^-b does.
template <typename T>
inline T int_pow(T a, T b) {
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

// Which (op, dtype) pairs exist; the others throw DTypeError before any loop runs.
template <UnaryOp OP, typename T>
constexpr bool unary_supported() {
  return !requires_floating(OP) || is_float_v<T>;
}

template <UnaryOp OP, typename T>
inline auto unary_fn(T x) {
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
      // Selects rather than bool arithmetic, so that the loop vectorizes (relu's gradient mask
      // is a sign); NaN stays NaN, and both zeros give +0.
      const T positive = x > T{0} ? T{1} : T{0};
      const T negative = x < T{0} ? T{1} : T{0};
      return x != x ? x : positive - negative;
    } else {
      return static_cast<T>((x > T{0}) - (x < T{0}));
    }
  } else if constexpr (OP == UnaryOp::Sin) {
    return std::sin(x);
  } else if constexpr (OP == UnaryOp::Cos) {
    return std::cos(x);
  } else if constexpr (OP == UnaryOp::Square) {
    return wrap_mul(x, x);
  } else if constexpr (OP == UnaryOp::Reciprocal) {
    return T{1} / x;
  } else {
    static_assert(OP == UnaryOp::LogicalNot);
    return x == T{0};
  }
}

template <BinaryOp OP, typename T>
inline auto binary_fn(T a, T b) {
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
    // NaN propagates, as in NumPy's maximum.
    if constexpr (is_float_v<T>) {
      return (a > b || std::isnan(a)) ? a : b;
    } else {
      return a > b ? a : b;
    }
  } else if constexpr (OP == BinaryOp::Minimum) {
    if constexpr (is_float_v<T>) {
      return (a < b || std::isnan(a)) ? a : b;
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
    static_assert(OP == BinaryOp::Ge);
    return a >= b;
  }
}

// Calls fn(std::integral_constant<Op, op>{}) so that kernels are instantiated per op.
template <typename Fn>
decltype(auto) dispatch_unary_op(UnaryOp op, Fn&& fn) {
  using E = UnaryOp;
  switch (op) {
    case E::Neg:
      return fn(std::integral_constant<E, E::Neg>{});
    case E::Exp:
      return fn(std::integral_constant<E, E::Exp>{});
    case E::Log:
      return fn(std::integral_constant<E, E::Log>{});
    case E::Sqrt:
      return fn(std::integral_constant<E, E::Sqrt>{});
    case E::Tanh:
      return fn(std::integral_constant<E, E::Tanh>{});
    case E::Sigmoid:
      return fn(std::integral_constant<E, E::Sigmoid>{});
    case E::Relu:
      return fn(std::integral_constant<E, E::Relu>{});
    case E::Abs:
      return fn(std::integral_constant<E, E::Abs>{});
    case E::Sign:
      return fn(std::integral_constant<E, E::Sign>{});
    case E::Sin:
      return fn(std::integral_constant<E, E::Sin>{});
    case E::Cos:
      return fn(std::integral_constant<E, E::Cos>{});
    case E::Square:
      return fn(std::integral_constant<E, E::Square>{});
    case E::Reciprocal:
      return fn(std::integral_constant<E, E::Reciprocal>{});
    case E::LogicalNot:
      return fn(std::integral_constant<E, E::LogicalNot>{});
  }
  throw Error(fmt::format("unary: unknown op code {}", static_cast<int>(op)));
}

template <typename Fn>
decltype(auto) dispatch_binary_op(BinaryOp op, Fn&& fn) {
  using E = BinaryOp;
  switch (op) {
    case E::Add:
      return fn(std::integral_constant<E, E::Add>{});
    case E::Sub:
      return fn(std::integral_constant<E, E::Sub>{});
    case E::Mul:
      return fn(std::integral_constant<E, E::Mul>{});
    case E::Div:
      return fn(std::integral_constant<E, E::Div>{});
    case E::Pow:
      return fn(std::integral_constant<E, E::Pow>{});
    case E::Maximum:
      return fn(std::integral_constant<E, E::Maximum>{});
    case E::Minimum:
      return fn(std::integral_constant<E, E::Minimum>{});
    case E::Eq:
      return fn(std::integral_constant<E, E::Eq>{});
    case E::Ne:
      return fn(std::integral_constant<E, E::Ne>{});
    case E::Lt:
      return fn(std::integral_constant<E, E::Lt>{});
    case E::Le:
      return fn(std::integral_constant<E, E::Le>{});
    case E::Gt:
      return fn(std::integral_constant<E, E::Gt>{});
    case E::Ge:
      return fn(std::integral_constant<E, E::Ge>{});
  }
  throw Error(fmt::format("binary: unknown op code {}", static_cast<int>(op)));
}

}  // namespace needle::cpu_backend

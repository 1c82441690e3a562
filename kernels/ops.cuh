// The scalar math of every elementwise op, as device functions templated on the op and the
// element type. Integer and bool arithmetic is done in a wider type and cast back, as C++ does
// on the CPU; floating max/min propagate NaN as NumPy does.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.cuh"

namespace needle::kernels {

// Unary ops that make sense for integer (and bool) elements; the rest need a floating type.
constexpr bool unary_supports_integers(KUnary op) {
  return op == KUnary::Neg || op == KUnary::Abs || op == KUnary::Sign || op == KUnary::Square ||
         op == KUnary::Relu || op == KUnary::LogicalNot;
}

template <typename T>
using Wide = typename std::conditional<
    kIsFloat<T>, T, typename std::conditional<sizeof(T) == 8, int64_t, int32_t>::type>::type;

// Integer arithmetic wraps (done in the unsigned type) like the CPU backend, instead of signed
// overflow; for float types this is plain arithmetic.
template <typename T, bool kFloat = kIsFloat<T>>
struct BitsOf {
  using type = T;
};
template <typename T>
struct BitsOf<T, false> {
  using type = typename std::make_unsigned<Wide<T>>::type;
};
template <typename T>
using Bits = typename BitsOf<T>::type;

template <typename T>
__device__ __forceinline__ T wrap_add(T a, T b) {
  return cast_to<T>(static_cast<Bits<T>>(static_cast<Bits<T>>(a) + static_cast<Bits<T>>(b)));
}
template <typename T>
__device__ __forceinline__ T wrap_sub(T a, T b) {
  return cast_to<T>(static_cast<Bits<T>>(static_cast<Bits<T>>(a) - static_cast<Bits<T>>(b)));
}
template <typename T>
__device__ __forceinline__ T wrap_mul(T a, T b) {
  return cast_to<T>(static_cast<Bits<T>>(static_cast<Bits<T>>(a) * static_cast<Bits<T>>(b)));
}

template <KUnary Op, typename T>
__device__ __forceinline__ T unary_op(T x) {
  constexpr bool f32 = std::is_same<T, float>::value;
  using W = Wide<T>;
  const W w = static_cast<W>(x);
  if constexpr (Op == KUnary::Neg) {
    return wrap_sub<T>(T(0), x);
  } else if constexpr (Op == KUnary::Abs) {
    if constexpr (kIsFloat<T>) {
      return f32 ? fabsf(x) : fabs(x);
    } else {
      return w < 0 ? wrap_sub<T>(T(0), x) : x;
    }
  } else if constexpr (Op == KUnary::Sign) {
    if (is_nan(x)) return x;
    return cast_to<T>(static_cast<W>((w > W(0)) - (w < W(0))));
  } else if constexpr (Op == KUnary::Square) {
    return wrap_mul<T>(x, x);
  } else if constexpr (Op == KUnary::Relu) {
    return w > W(0) ? x : T(0);
  } else if constexpr (Op == KUnary::Exp) {
    return f32 ? expf(x) : exp(x);
  } else if constexpr (Op == KUnary::Log) {
    return f32 ? logf(x) : log(x);
  } else if constexpr (Op == KUnary::Sqrt) {
    return f32 ? sqrtf(x) : sqrt(x);
  } else if constexpr (Op == KUnary::Tanh) {
    return f32 ? tanhf(x) : tanh(x);
  } else if constexpr (Op == KUnary::Sigmoid) {
    return f32 ? 1.0f / (1.0f + expf(-x)) : 1.0 / (1.0 + exp(-x));
  } else if constexpr (Op == KUnary::Sin) {
    return f32 ? sinf(x) : sin(x);
  } else if constexpr (Op == KUnary::Cos) {
    return f32 ? cosf(x) : cos(x);
  } else if constexpr (Op == KUnary::Reciprocal) {
    return T(1) / x;
  } else {
    static_assert(Op != KUnary::LogicalNot, "LogicalNot writes Bool: see launch_unary");
    return x;
  }
}

template <typename T>
__device__ __forceinline__ T int_pow(T base, T exp) {
  // Negative exponents of integers truncate toward zero, as 1 / base**-exp would.
  if constexpr (std::is_signed<T>::value) {
    if (exp < 0) return base == 1 ? T(1) : (base == -1 ? ((exp % 2) ? T(-1) : T(1)) : T(0));
  }
  T result = 1;
  uint64_t e = static_cast<uint64_t>(exp);
  while (e != 0) {
    if (e & 1u) result = wrap_mul<T>(result, base);
    base = wrap_mul<T>(base, base);
    e >>= 1;
  }
  return result;
}

// Arithmetic ops return T; comparisons return bool.
template <KBinary Op, typename T>
__device__ __forceinline__ auto binary_op(T a, T b) {
  constexpr bool f32 = std::is_same<T, float>::value;
  using W = Wide<T>;
  const W x = static_cast<W>(a), y = static_cast<W>(b);
  if constexpr (Op == KBinary::Add) {
    return wrap_add<T>(a, b);
  } else if constexpr (Op == KBinary::Sub) {
    return wrap_sub<T>(a, b);
  } else if constexpr (Op == KBinary::Mul) {
    return wrap_mul<T>(a, b);
  } else if constexpr (Op == KBinary::Div) {
    if constexpr (kIsFloat<T>) {
      return a / b;
    } else {
      // Division by zero gives 0 and INT_MIN / -1 wraps, as on the CPU (the GPU would not trap
      // but would return garbage).
      if (y == 0) return T(0);
      if (y == -1) return wrap_sub<T>(T(0), a);
      return cast_to<T>(x / y);
    }
  } else if constexpr (Op == KBinary::Pow) {
    if constexpr (kIsFloat<T>) {
      return f32 ? powf(a, b) : pow(a, b);
    } else {
      return int_pow<T>(a, b);
    }
  } else if constexpr (Op == KBinary::Maximum) {
    return (a > b || is_nan(a)) ? a : b;
  } else if constexpr (Op == KBinary::Minimum) {
    return (a < b || is_nan(a)) ? a : b;
  } else if constexpr (Op == KBinary::Eq) {
    return a == b;
  } else if constexpr (Op == KBinary::Ne) {
    return a != b;
  } else if constexpr (Op == KBinary::Lt) {
    return a < b;
  } else if constexpr (Op == KBinary::Le) {
    return a <= b;
  } else if constexpr (Op == KBinary::Gt) {
    return a > b;
  } else {
    return a >= b;
  }
}

constexpr bool is_comparison_op(KBinary op) {
  return op >= KBinary::Eq;
}

}  // namespace needle::kernels

// DType: the element types an NDArray can hold, their sizes and names, and the compile-time
// mapping between C++ types and DType that kernels dispatch on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "needle/error.h"
#include "needle/op_codes.h"

namespace needle {

// DType itself and the list it comes from live in op_codes.h (device code needs them too).
constexpr size_t dtype_size(DType dtype) {
  switch (dtype) {
#define NEEDLE_X(e, name, type, bytes) \
  case DType::e:                       \
    return bytes;
    NEEDLE_DTYPES(NEEDLE_X)
#undef NEEDLE_X
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
#define NEEDLE_X(e, name, type, bytes) \
  case DType::e:                       \
    return name;
    NEEDLE_DTYPES(NEEDLE_X)
#undef NEEDLE_X
  }
  return "unknown";
}

constexpr bool is_floating(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}

// The DType of a C++ element type; bool is stored as one byte per element.
template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::Float32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::Float64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::Int64;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return DType::UInt8;
  else if constexpr (std::is_same_v<T, bool>)
    return DType::Bool;
  else
    static_assert(sizeof(T) == 0, "no needle DType for this C++ type");
}

// Calls `fn(TypeTag<T>{})` with the C++ type of `dtype`. Kernels write
//   dispatch_dtype(dt, [&](auto tag) { using T = typename decltype(tag)::type; ... });
template <typename Fn>
decltype(auto) dispatch_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
#define NEEDLE_X(e, name, type, bytes) \
  case DType::e:                       \
    return fn(TypeTag<type>{});
    NEEDLE_DTYPES(NEEDLE_X)
#undef NEEDLE_X
  }
  throw DTypeError(fmt::format("unknown dtype code {}", static_cast<int>(dtype)));
}

// As dispatch_dtype, for the two floating types only; `op` names the caller in the error.
template <typename Fn>
decltype(auto) dispatch_floating(DType dtype, std::string_view op, Fn&& fn) {
  switch (dtype) {
    case DType::Float32:
      return fn(TypeTag<float>{});
    case DType::Float64:
      return fn(TypeTag<double>{});
    default:
      throw DTypeError(fmt::format("{}: dtype {} is not supported (float32 or float64 expected)",
                                   op, dtype_name(dtype)));
  }
}

}  // namespace needle

template <>
struct fmt::formatter<needle::DType> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(needle::DType d, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(needle::dtype_name(d), ctx);
  }
};

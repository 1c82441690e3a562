// needle::Error and its subclasses: every failure a user can cause surfaces as one of these,
// with a message that names the operation and the shapes, dtypes or devices involved.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace needle {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Shapes that do not fit together: broadcasting, matmul, reshape, axes.
class ShapeError : public Error {
  using Error::Error;
};
// A dtype an operation does not support, or two dtypes that do not mix.
class DTypeError : public Error {
  using Error::Error;
};
// Mixed devices, a missing GPU, a backend that is not built.
class DeviceError : public Error {
  using Error::Error;
};
// Out-of-range indices, slices and labels.
class IndexError : public Error {
  using Error::Error;
};
// Unreadable, truncated or corrupt files.
class IOError : public Error {
  using Error::Error;
};

}  // namespace needle

namespace needle::detail {

// The failing branch of NEEDLE_CHECK_AS, out of line and cold: the message is formatted only on
// failure, and the formatting code stays out of the checking function, which stays small enough
// to inline (the dispatch front runs about ten checks per kernel call, on every small op).
template <typename ErrorType, typename... Args>
[[noreturn, gnu::cold, gnu::noinline]] void throw_formatted(fmt::format_string<Args...> format,
                                                            Args&&... args) {
  throw ErrorType(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace needle::detail

// Throws `ErrorType` with a fmt-formatted message when `cond` is false; the message's arguments
// are evaluated only then. Used for checks a user can trigger; internal invariants use the same
// macro so nothing ever aborts.
#define NEEDLE_CHECK_AS(ErrorType, cond, ...)                    \
  do {                                                           \
    if (!(cond)) [[unlikely]]                                    \
      ::needle::detail::throw_formatted<ErrorType>(__VA_ARGS__); \
  } while (0)

#define NEEDLE_CHECK(cond, ...) NEEDLE_CHECK_AS(::needle::Error, cond, __VA_ARGS__)

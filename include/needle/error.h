// needle::Error and its subclasses: every failure a user can cause surfaces as one of these,
// with a message that names the operation and the shapes, dtypes or devices involved.
#pragma once

#include <stdexcept>
#include <string>

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

// Throws `ErrorType` with a fmt-formatted message when `cond` is false. Used for checks a
// user can trigger; internal invariants use the same macro so nothing ever aborts.
#define NEEDLE_CHECK_AS(ErrorType, cond, ...)               \
  do {                                                      \
    if (!(cond)) throw ErrorType(fmt::format(__VA_ARGS__)); \
  } while (0)

#define NEEDLE_CHECK(cond, ...) NEEDLE_CHECK_AS(::needle::Error, cond, __VA_ARGS__)

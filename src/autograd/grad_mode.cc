// Grad mode: the per-thread switch that NoGradGuard flips, and the error helpers every op uses.
#include <string>
#include <string_view>

#include "needle/autograd.h"
#include "src/autograd/record.h"

namespace needle {
namespace autograd {

thread_local bool grad_mode_enabled = true;

namespace {
std::string prefixed(const char* op, const char* what) {
  std::string_view msg(what);
  std::string_view name(op);
  if (msg.size() > name.size() && msg.substr(0, name.size()) == name && msg[name.size()] == ':') {
    return std::string(msg);
  }
  return fmt::format("{}: {}", op, msg);
}
}  // namespace

void rethrow_named(const char* op) {
  try {
    throw;
  } catch (const ShapeError& e) {
    throw ShapeError(prefixed(op, e.what()));
  } catch (const DTypeError& e) {
    throw DTypeError(prefixed(op, e.what()));
  } catch (const DeviceError& e) {
    throw DeviceError(prefixed(op, e.what()));
  } catch (const IndexError& e) {
    throw IndexError(prefixed(op, e.what()));
  } catch (const IOError& e) {
    throw IOError(prefixed(op, e.what()));
  } catch (const Error& e) {
    throw Error(prefixed(op, e.what()));
  }
}

void throw_mixed(const char* op, const Tensor& a, const Tensor& b) {
  if (!(a.device() == b.device())) {
    throw DeviceError(fmt::format("{}: inputs are on different devices: {} {} and {} {}", op,
                                  shape_str(a.shape()), a.device(), shape_str(b.shape()),
                                  b.device()));
  }
  throw DTypeError(fmt::format("{}: inputs have different dtypes: {} {} and {} {}", op,
                               shape_str(a.shape()), a.dtype(), shape_str(b.shape()), b.dtype()));
}

}  // namespace autograd

bool is_grad_enabled() {
  return autograd::grad_mode_enabled;
}
void set_grad_enabled(bool enabled) {
  autograd::grad_mode_enabled = enabled;
}

}  // namespace needle

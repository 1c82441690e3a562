// The table of backends keyed by device type, filled by each backend's static registrar.
#include <array>
#include <mutex>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

// One slot per type of needle/device.h's list, filled by that type's backend.
std::array<std::unique_ptr<Backend>, kDeviceTypeCount>& registry() {
  static std::array<std::unique_ptr<Backend>, kDeviceTypeCount> table;
  return table;
}

// The slot of `type`; a value outside the list (a corrupted or drifted code) is an error, never
// an out-of-bounds access.
std::unique_ptr<Backend>& slot(DeviceType type) {
  const size_t i = static_cast<size_t>(type);
  NEEDLE_CHECK_AS(DeviceError, i < kDeviceTypeCount, "unknown device type {}", i);
  return registry()[i];
}

}  // namespace

void register_backend(DeviceType type, std::unique_ptr<Backend> backend) {
  slot(type) = std::move(backend);
}

bool has_backend(DeviceType type) {
  return static_cast<size_t>(type) < kDeviceTypeCount && slot(type) != nullptr;
}

Backend& backend_for(DeviceType type) {
  auto& backend = slot(type);
  if (!backend) {
    // Only the host is always built; every other backend is a build option, NEEDLE_<TYPE>.
    throw DeviceError(fmt::format(
        "no {} backend in this build of libneedle{}", device_type_name(type),
        type == kHostDeviceType ? ""
                                : fmt::format(" (configure with NEEDLE_{0}=ON and a {0} toolkit)",
                                              device_type_label(type))));
  }
  return *backend;
}

}  // namespace needle

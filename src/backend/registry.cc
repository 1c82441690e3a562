// The table of backends keyed by device type, filled by each backend's static registrar.
#include <array>
#include <mutex>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

constexpr size_t kDeviceTypes = 2;

std::array<std::unique_ptr<Backend>, kDeviceTypes>& registry() {
  static std::array<std::unique_ptr<Backend>, kDeviceTypes> table;
  return table;
}

const char* device_type_name(DeviceType t) {
  return t == DeviceType::CPU ? "cpu" : "cuda";
}

}  // namespace

void register_backend(DeviceType type, std::unique_ptr<Backend> backend) {
  registry()[static_cast<size_t>(type)] = std::move(backend);
}

bool has_backend(DeviceType type) {
  return registry()[static_cast<size_t>(type)] != nullptr;
}

Backend& backend_for(DeviceType type) {
  auto& slot = registry()[static_cast<size_t>(type)];
  if (!slot) {
    throw DeviceError(fmt::format(
        "no {} backend in this build of libneedle{}", device_type_name(type),
        type == DeviceType::CUDA ? " (configure with NEEDLE_CUDA=ON and a CUDA toolkit)" : ""));
  }
  return *slot;
}

}  // namespace needle

// Device naming and availability, answered through the backend registry so that nothing here
// depends on which backends were built. Every device type is handled alike, from the list in
// needle/device.h; cuda() and friends are its CUDA entries.
#include "needle/device.h"

#include <string_view>
#include <vector>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

// "cpu, cuda or cuda:N": the spellings parse_device accepts, for its error message.
std::string expected_spellings() {
  std::vector<std::string> names;
  for (DeviceType type : kDeviceTypes) {
    names.emplace_back(device_type_name(type));
    if (type != kHostDeviceType) names.push_back(fmt::format("{}:N", device_type_name(type)));
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

bool device_available(DeviceType type) {
  return has_backend(type) && backend_for(type).device_count() > 0;
}

std::string device_status(DeviceType type) {
  if (!has_backend(type)) {
    return fmt::format(
        "{0} backend not built (configured with NEEDLE_{0}=OFF, or no {0} toolkit found)",
        device_type_label(type));
  }
  return backend_for(type).availability();
}

Device make_device(DeviceType type, int index) {
  // The host's one device always exists (Device{} is it), whatever the registry holds.
  if (type == kHostDeviceType && index == 0) return Device{type, 0};
  const char* name = device_type_name(type);
  NEEDLE_CHECK_AS(DeviceError, device_available(type), "{}({}): no {} device available: {}", name,
                  index, device_type_label(type), device_status(type));
  int count = backend_for(type).device_count();
  NEEDLE_CHECK_AS(DeviceError, index >= 0 && index < count,
                  "{}({}): device index out of range, {} {} device(s) present", name, index, count,
                  device_type_label(type));
  return Device{type, index};
}

Device cpu() {
  return Device{DeviceType::CPU, 0};
}

bool cuda_available() {
  return device_available(DeviceType::CUDA);
}

std::string cuda_status() {
  return device_status(DeviceType::CUDA);
}

Device cuda(int index) {
  return make_device(DeviceType::CUDA, index);
}

Device default_device() {
  return cuda_available() ? cuda(0) : cpu();
}

Device parse_device(const std::string& name) {
  const std::string_view spelled(name);
  for (DeviceType type : kDeviceTypes) {
    const std::string_view prefix = device_type_name(type);
    if (spelled == prefix) return make_device(type, 0);
    if (spelled.size() > prefix.size() && spelled.substr(0, prefix.size()) == prefix &&
        spelled[prefix.size()] == ':') {
      const std::string_view digits = spelled.substr(prefix.size() + 1);
      if (!digits.empty() && digits.size() <= 4 &&
          digits.find_first_not_of("0123456789") == std::string_view::npos) {
        return make_device(type, std::stoi(std::string(digits)));
      }
      break;
    }
  }
  throw Error(
      fmt::format("parse_device: '{}' is not a device (expected {})", name, expected_spellings()));
}

}  // namespace needle

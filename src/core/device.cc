// Device naming and CUDA availability, answered through the backend registry so that nothing
// here depends on whether the CUDA backend was built.
#include "needle/device.h"

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {

Device cpu() {
  return Device{DeviceType::CPU, 0};
}

bool cuda_available() {
  return has_backend(DeviceType::CUDA) && backend_for(DeviceType::CUDA).device_count() > 0;
}

std::string cuda_status() {
  if (!has_backend(DeviceType::CUDA)) {
    return "CUDA backend not built (configured with NEEDLE_CUDA=OFF, or no CUDA toolkit found)";
  }
  return backend_for(DeviceType::CUDA).availability();
}

Device cuda(int index) {
  NEEDLE_CHECK_AS(DeviceError, cuda_available(), "cuda({}): no CUDA device available: {}", index,
                  cuda_status());
  int count = backend_for(DeviceType::CUDA).device_count();
  NEEDLE_CHECK_AS(DeviceError, index >= 0 && index < count,
                  "cuda({}): device index out of range, {} CUDA device(s) present", index, count);
  return Device{DeviceType::CUDA, index};
}

Device default_device() {
  return cuda_available() ? cuda(0) : cpu();
}

Device parse_device(const std::string& name) {
  if (name == "cpu") return cpu();
  if (name == "cuda") return cuda(0);
  if (name.rfind("cuda:", 0) == 0) {
    const std::string digits = name.substr(5);
    NEEDLE_CHECK(!digits.empty() && digits.size() <= 4 &&
                     digits.find_first_not_of("0123456789") == std::string::npos,
                 "parse_device: '{}' is not a device (expected cpu, cuda or cuda:N)", name);
    return cuda(std::stoi(digits));
  }
  throw Error(
      fmt::format("parse_device: '{}' is not a device (expected cpu, cuda or cuda:N)", name));
}

}  // namespace needle

// Device: where an array's memory lives (the CPU or one device of an accelerator), and the
// functions that name devices. Which backend serves a device is the registry's business
// (backend.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include <fmt/format.h>

// Every device type, written once: X(Enumerator, "name"). The enum, device_type_name(),
// kDeviceTypes and kDeviceTypeCount below, Device::str(), parse_device() and the backend
// registry's table and messages are all generated from this list, so a new device is one line
// here plus its backend's folder (backends/<name>/, which registers itself with
// register_backend()). The enumerator, in capitals, names the type in messages ("no CUDA device
// available") and its build option (NEEDLE_CUDA). CPU, the host, comes first: it is always built,
// has exactly one device and prints as its bare name, "cpu"; every other type prints as
// "<name>:<index>".
#define NEEDLE_DEVICE_TYPES(X) \
  X(CPU, "cpu")                \
  X(CUDA, "cuda")

namespace needle {

enum class DeviceType : uint8_t {
#define NEEDLE_X(e, name) e,
  NEEDLE_DEVICE_TYPES(NEEDLE_X)
#undef NEEDLE_X
};

// Every device type, in list order.
#define NEEDLE_X(e, name) DeviceType::e,
inline constexpr DeviceType kDeviceTypes[] = {NEEDLE_DEVICE_TYPES(NEEDLE_X)};
#undef NEEDLE_X
inline constexpr size_t kDeviceTypeCount = sizeof(kDeviceTypes) / sizeof(kDeviceTypes[0]);
// The host: always built, one device, the default Device.
inline constexpr DeviceType kHostDeviceType = DeviceType::CPU;

// "cpu", "cuda": what str() and parse_device() spell. "unknown" for a value outside the list.
constexpr const char* device_type_name(DeviceType type) {
  switch (type) {
#define NEEDLE_X(e, name) \
  case DeviceType::e:     \
    return name;
    NEEDLE_DEVICE_TYPES(NEEDLE_X)
#undef NEEDLE_X
  }
  return "unknown";
}

// "CPU", "CUDA": the enumerator, which names the type in messages and in its build option.
constexpr const char* device_type_label(DeviceType type) {
  switch (type) {
#define NEEDLE_X(e, name) \
  case DeviceType::e:     \
    return #e;
    NEEDLE_DEVICE_TYPES(NEEDLE_X)
#undef NEEDLE_X
  }
  return "unknown";
}

struct Device {
  DeviceType type = kHostDeviceType;
  int index = 0;

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  // "cpu" for the host, "cuda:0", "cuda:1", ... for the others.
  std::string str() const {
    return type == kHostDeviceType ? std::string(device_type_name(type))
                                   : fmt::format("{}:{}", device_type_name(type), index);
  }
  friend bool operator==(const Device&, const Device&) = default;
};

Device cpu();
// Throws DeviceError when this build has no CUDA backend or the GPU `index` does not exist.
Device cuda(int index = 0);
// True when the CUDA backend is built and at least one GPU is present.
bool cuda_available();
// Why CUDA is or is not available, e.g. "CUDA backend not built (NEEDLE_CUDA=OFF)".
std::string cuda_status();
// cuda(0) when available, else cpu().
Device default_device();
// Parses "<name>" (device 0) and "<name>:N" for every listed type: "cpu", "cuda", "cuda:1"
// ("cpu:0" is the CPU too). Throws DeviceError, as make_device() does, for a device this build
// or machine lacks, and Error on anything else.
Device parse_device(const std::string& name);

// The same questions for any listed type; cuda(i) is make_device(DeviceType::CUDA, i) and
// cuda_available()/cuda_status() are these for DeviceType::CUDA.
// Device `index` of `type`; throws DeviceError when this build has no backend for `type` or the
// device does not exist ("cuda(1): no CUDA device available: ...").
Device make_device(DeviceType type, int index = 0);
// True when `type`'s backend is built and has at least one device.
bool device_available(DeviceType type);
// Why `type` is or is not available, e.g. "CUDA backend not built (...)".
std::string device_status(DeviceType type);

inline std::ostream& operator<<(std::ostream& os, const Device& d) {
  return os << d.str();
}

}  // namespace needle

template <>
struct fmt::formatter<needle::Device> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(const needle::Device& d, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(d.str(), ctx);
  }
};

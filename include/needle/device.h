// Device: where an array's memory lives (the CPU or one CUDA GPU), and the functions that
// name devices. Which backend serves a device is the registry's business (backend.h).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include <fmt/format.h>

namespace needle {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const { return is_cpu() ? "cpu" : fmt::format("cuda:{}", index); }
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
// Parses "cpu", "cuda", "cuda:1"; throws Error on anything else.
Device parse_device(const std::string& name);

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

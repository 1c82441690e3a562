// CpuBackend memory and host-copy methods, and its registration for DeviceType::CPU.
#include "backends/cpu/cpu_backend.h"

#include <cstring>
#include <memory>

#include "needle/error.h"

namespace needle::cpu_backend {

void* CpuBackend::allocate(size_t nbytes, const Device& device) {
  return allocator_.allocate(nbytes);
}

void CpuBackend::deallocate(void* ptr, size_t nbytes, const Device& device) {
  allocator_.deallocate(ptr);
}

MemoryStats CpuBackend::memory_stats(const Device& device) const {
  return allocator_.stats();
}

void CpuBackend::empty_cache() {
  allocator_.empty_cache();
}

void CpuBackend::copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                                const Device& device) {
  if (nbytes > 0) std::memcpy(device_ptr, host, nbytes);
}

void CpuBackend::copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                              const Device& device) {
  if (nbytes > 0) std::memcpy(host, device_ptr, nbytes);
}

namespace {
// libneedle is a shared library, so this object is always linked and the registrar runs when
// the library loads; the registry is a function-local static, so initialisation order is safe.
[[maybe_unused]] const bool registered =
    (register_backend(DeviceType::CPU, std::make_unique<CpuBackend>()), true);
}  // namespace

}  // namespace needle::cpu_backend

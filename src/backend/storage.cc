// Storage: device memory released through the backend that allocated it (which may cache it).
#include <atomic>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "needle/backend.h"

namespace needle {
namespace {
std::atomic<int64_t> live_storages{0};
}

Storage::Storage(size_t nbytes, const Device& device)
    : nbytes_(nbytes), device_(device), backend_(&backend_for(device)) {
  data_ = backend_->allocate(nbytes, device);
  live_storages.fetch_add(1, std::memory_order_relaxed);
}

Storage::~Storage() {
  // A destructor must not throw (it would terminate the program), yet a backend that refuses
  // the pointer (the CUDA allocator's report of a block freed twice) points at a real bug:
  // say so on stderr.
  try {
    backend_->deallocate(data_, nbytes_, device_);
  } catch (const std::exception& e) {
    fmt::print(stderr, "needle: releasing a {}-byte Storage on {} failed: {}\n", nbytes_,
               device_.str(), e.what());
  }
  live_storages.fetch_sub(1, std::memory_order_relaxed);
}

int64_t Storage::live_count() {
  return live_storages.load(std::memory_order_relaxed);
}

}  // namespace needle

// Failures inside OpenMP parallel regions. An exception that leaves a region calls
// std::terminate, so a kernel whose threads can fail (a scratch buffer that cannot be
// allocated, a check) runs that work through RegionErrors, which keeps the first exception and
// rethrows it on the calling thread once the region has ended. Scratch buffers grow through
// resize_scratch, which turns std::bad_alloc (which names neither the op nor the size) into a
// needle::Error that does.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include "needle/error.h"

namespace needle::cpu_backend {

class RegionErrors {
 public:
  // Runs fn(), keeping its exception instead of letting it escape the region. Once a thread
  // has failed, the others skip the work they have not started: its result is lost anyway.
  template <typename Fn>
  void run(Fn&& fn) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      fn();
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  // Rethrows the first kept exception, if any; called after the region.
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr error_;
};

// Grows `buffer` to at least `n` elements (it never shrinks: scratch is kept for reuse).
template <typename T>
void resize_scratch(std::vector<T>& buffer, size_t n, const char* op) {
  if (buffer.size() >= n) return;
  try {
    buffer.resize(n);
  } catch (const std::exception&) {  // bad_alloc, or length_error beyond max_size()
    const bool fits = n <= SIZE_MAX / sizeof(T);
    throw Error(fits ? fmt::format("{}: out of memory allocating {} bytes of scratch space", op,
                                   n * sizeof(T))
                     : fmt::format("{}: out of memory allocating {} scratch elements of {} bytes",
                                   op, n, sizeof(T)));
  }
}

}  // namespace needle::cpu_backend

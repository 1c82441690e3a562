// Helpers for the CUDA backend tests: the same bytes in a CPU buffer and a CUDA buffer (both
// allocated through their backends), views over them with identical shape/strides/offset, and
// element-wise comparison of results read back to the host. Every CUDA test starts with
// NEEDLE_REQUIRE_CUDA() (require_cuda.h), which skips with a visible reason when no GPU is
// present, and fails under NEEDLE_REQUIRE_CUDA=1.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "needle/backend.h"
#include "needle/cuda.h"
#include "needle/device.h"
#include "require_cuda.h"
#include "tests/test_values.h"

namespace needle::cuda_test {

// One allocation through a backend, returned on destruction.
class Buffer {
 public:
  Buffer(const Device& device, DType dtype, int64_t elems)
      : device_(device), dtype_(dtype), bytes_(static_cast<size_t>(elems) * dtype_size(dtype)) {
    ptr_ = backend_for(device).allocate(bytes_, device);
  }
  ~Buffer() { backend_for(device_).deallocate(ptr_, bytes_, device_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return ptr_; }
  DType dtype() const { return dtype_; }
  const Device& device() const { return device_; }
  int64_t elems() const { return static_cast<int64_t>(bytes_ / dtype_size(dtype_)); }

  void upload(const std::vector<double>& values);
  std::vector<double> download() const;

  StridedView view(const Shape& shape, const Strides& strides, int64_t offset = 0) const {
    return StridedView{ptr_, offset, shape, strides, dtype_, device_};
  }
  StridedView dense(const Shape& shape) const { return view(shape, compact_strides(shape)); }

 private:
  Device device_;
  DType dtype_;
  size_t bytes_;
  void* ptr_ = nullptr;
};

inline std::vector<uint8_t> to_bytes(DType dtype, const std::vector<double>& values) {
  std::vector<uint8_t> bytes(values.size() * dtype_size(dtype));
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (size_t i = 0; i < values.size(); ++i) {
      const T v = static_cast<T>(values[i]);
      std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
    }
  });
  return bytes;
}

inline std::vector<double> from_bytes(DType dtype, const std::vector<uint8_t>& bytes) {
  std::vector<double> values(bytes.size() / dtype_size(dtype));
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (size_t i = 0; i < values.size(); ++i) {
      T v;
      std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
      values[i] = static_cast<double>(v);
    }
  });
  return values;
}

inline void Buffer::upload(const std::vector<double>& values) {
  const std::vector<uint8_t> bytes = to_bytes(dtype_, values);
  backend_for(device_).copy_from_host(bytes.data(), ptr_, bytes.size(), device_);
}

inline std::vector<double> Buffer::download() const {
  std::vector<uint8_t> bytes(bytes_);
  backend_for(device_).copy_to_host(ptr_, bytes.data(), bytes_, device_);
  return from_bytes(dtype_, bytes);
}

// The same contents on the CPU and on cuda:0.
struct Twin {
  Buffer cpu, gpu;
  Twin(DType dtype, int64_t elems, const std::vector<double>& values)
      : cpu(needle::cpu(), dtype, elems), gpu(needle::cuda(0), dtype, elems) {
    cpu.upload(values);
    gpu.upload(values);
  }
  Twin(DType dtype, int64_t elems) : Twin(dtype, elems, std::vector<double>(elems, 0.0)) {}
};

using test_values::random_values;

// Relative-or-absolute tolerance comparison; NaNs must match NaNs.
inline void expect_close(const std::vector<double>& expected, const std::vector<double>& actual,
                         double rtol, double atol, const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  int failures = 0;
  for (size_t i = 0; i < expected.size() && failures < 10; ++i) {
    const double e = expected[i], a = actual[i];
    const bool ok = (std::isnan(e) && std::isnan(a)) || e == a ||
                    std::fabs(e - a) <= atol + rtol * std::fabs(e);
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << ": element " << i << " cpu=" << e << " cuda=" << a;
    }
  }
}

inline double rtol_for(DType dtype) {
  return dtype == DType::Float32 ? 2e-5 : dtype == DType::Float64 ? 1e-12 : 0.0;
}

}  // namespace needle::cuda_test

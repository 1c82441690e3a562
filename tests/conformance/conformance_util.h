// The conformance suite's machinery: one value-parametrised fixture over the devices
// "reference", "cpu" and "cuda", whose backend under test is the ReferenceBackend itself,
// backend_for(cpu()) or backend_for(cuda(0)); buffers allocated through a backend and filled
// and read with its copy_from_host / copy_to_host; and Twins, the same contents once in the
// backend under test and once in the ReferenceBackend, so that every test runs one call on both
// and compares what they wrote: integers and bools exactly, floating values within a relative
// tolerance (NaN equals NaN). The cuda instance skips with the reason when no GPU is present
// and fails under NEEDLE_REQUIRE_CUDA=1 (require_cuda.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/reference/reference_backend.h"
#include "needle/backend.h"
#include "needle/device.h"
#include "needle/error.h"
#include "require_cuda.h"
#include "tests/test_values.h"

namespace needle::conformance {

using reference_backend::ReferenceBackend;

// The ReferenceBackend every result is compared with, and the "reference" instance's backend.
inline ReferenceBackend& reference() {
  static ReferenceBackend backend;
  return backend;
}

// Calls fn(TypeTag<T>{}) with the C++ type of `dtype`.
template <typename Fn>
void with_dtype(DType dtype, Fn&& fn) {
  if (!visit_dtype(dtype, fn)) ADD_FAILURE() << "unknown dtype " << static_cast<int>(dtype);
}

// An array's elements on the host, as copy_to_host gives them (bool: one byte each).
struct Host {
  DType dtype = DType::Float32;
  std::vector<unsigned char> bytes;

  int64_t size() const { return static_cast<int64_t>(bytes.size() / dtype_size(dtype)); }
  template <typename T>
  T get(int64_t i) const {
    if constexpr (std::is_same_v<T, bool>) {
      return bytes[static_cast<size_t>(i)] != 0;
    } else {
      T v;
      std::memcpy(&v, bytes.data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
      return v;
    }
  }
  // Element i converted to double (exact for every value the tests use).
  double value(int64_t i) const {
    double v = 0;
    with_dtype(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      v = static_cast<double>(get<T>(i));
    });
    return v;
  }
  std::vector<double> values() const {
    std::vector<double> v(static_cast<size_t>(size()));
    for (int64_t i = 0; i < size(); ++i)
      v[static_cast<size_t>(i)] = value(i);
    return v;
  }
  // Each value cast to `dtype` (callers keep the casts defined: no negatives into uint8).
  static Host of(DType dtype, const std::vector<double>& values) {
    Host h{dtype, std::vector<unsigned char>(values.size() * dtype_size(dtype))};
    with_dtype(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      for (size_t i = 0; i < values.size(); ++i) {
        if constexpr (std::is_same_v<T, bool>) {
          h.bytes[i] = values[i] != 0.0 ? 1 : 0;
        } else {
          const T v = static_cast<T>(values[i]);
          std::memcpy(h.bytes.data() + i * sizeof(T), &v, sizeof(T));
        }
      }
    });
    return h;
  }
};

// One allocation of `elems` elements through `backend`, returned on destruction.
class Buffer {
 public:
  Buffer(Backend& backend, const Device& device, DType dtype, int64_t elems)
      : backend_(&backend),
        device_(device),
        dtype_(dtype),
        bytes_(static_cast<size_t>(elems) * dtype_size(dtype)) {
    ptr_ = backend_->allocate(bytes_, device_);
  }
  ~Buffer() {
    if (ptr_ != nullptr) backend_->deallocate(ptr_, bytes_, device_);
  }
  Buffer(Buffer&& other) noexcept
      : backend_(other.backend_),
        device_(other.device_),
        dtype_(other.dtype_),
        bytes_(other.bytes_),
        ptr_(std::exchange(other.ptr_, nullptr)) {}
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer& operator=(Buffer&&) = delete;

  void* data() const { return ptr_; }
  DType dtype() const { return dtype_; }
  int64_t elems() const { return static_cast<int64_t>(bytes_ / dtype_size(dtype_)); }

  void upload(const Host& h) {
    EXPECT_EQ(h.dtype, dtype_);
    ASSERT_EQ(h.bytes.size(), bytes_);
    if (bytes_ > 0) backend_->copy_from_host(h.bytes.data(), ptr_, bytes_, device_);
  }
  Host download() const {
    Host h{dtype_, std::vector<unsigned char>(bytes_)};
    if (bytes_ > 0) backend_->copy_to_host(ptr_, h.bytes.data(), bytes_, device_);
    return h;
  }

  StridedView view(const Shape& shape, const Strides& strides, int64_t offset = 0) const {
    return StridedView{ptr_, offset, shape, strides, dtype_, device_};
  }
  StridedView dense(const Shape& shape, int64_t offset = 0) const {
    return view(shape, compact_strides(shape), offset);
  }

 private:
  Backend* backend_;
  Device device_;
  DType dtype_;
  size_t bytes_;
  void* ptr_ = nullptr;
};

// One side of a comparison: the backend under test or the reference, and its device.
struct Side {
  Backend* backend = nullptr;
  Device device;
  bool is_reference = false;
  Backend& operator*() const { return *backend; }
  Backend* operator->() const { return backend; }
};

// The same contents in a buffer of each side.
class Twin {
 public:
  Twin(const Side& dut, const Side& ref, const Host& contents)
      : dut_(*dut, dut.device, contents.dtype, contents.size()),
        ref_(*ref, ref.device, contents.dtype, contents.size()) {
    dut_.upload(contents);
    ref_.upload(contents);
  }
  const Buffer& on(const Side& side) const { return side.is_reference ? ref_ : dut_; }
  StridedView view(const Side& side, const Shape& shape, const Strides& strides,
                   int64_t offset = 0) const {
    return on(side).view(shape, strides, offset);
  }
  StridedView dense(const Side& side, const Shape& shape, int64_t offset = 0) const {
    return on(side).dense(shape, offset);
  }
  Host dut_host() const { return dut_.download(); }
  Host ref_host() const { return ref_.download(); }
  DType dtype() const { return dut_.dtype(); }

 private:
  Buffer dut_, ref_;
};

// |actual - expected| <= atol + rtol |expected| for floating values; integers and bools must be
// equal.
struct Tolerance {
  double rtol = 0.0;
  double atol = 0.0;
};

inline Tolerance tolerance_for(DType dtype) {
  return dtype == DType::Float32   ? Tolerance{2e-5, 0.0}
         : dtype == DType::Float64 ? Tolerance{1e-12, 0.0}
                                   : Tolerance{};
}

// Compares what the backend under test wrote with what the reference wrote, element by element
// over the whole buffer (so elements a strided output must not touch are checked too); at most
// ten mismatches are reported, then their count.
inline void expect_match(const Host& actual, const Host& expected, Tolerance tol,
                         const std::string& what) {
  ASSERT_EQ(actual.dtype, expected.dtype) << what;
  ASSERT_EQ(actual.bytes.size(), expected.bytes.size()) << what;
  int64_t mismatches = 0;
  with_dtype(actual.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < actual.size(); ++i) {
      const T a = actual.get<T>(i), e = expected.get<T>(i);
      bool ok = a == e;
      if constexpr (std::is_floating_point_v<T>) {
        ok = ok || (std::isnan(a) && std::isnan(e)) ||
             std::fabs(static_cast<double>(a) - static_cast<double>(e)) <=
                 tol.atol + tol.rtol * std::fabs(static_cast<double>(e));
      }
      if (!ok && ++mismatches <= 10) {
        ADD_FAILURE() << what << ": element " << i << " is " << fmt::format("{}", a)
                      << ", the reference has " << fmt::format("{}", e);
      }
    }
  });
  if (mismatches > 10) ADD_FAILURE() << what << ": " << mismatches << " mismatches in all";
}

inline void expect_match(const Twin& out, Tolerance tol, const std::string& what) {
  expect_match(out.dut_host(), out.ref_host(), tol, what);
}
inline void expect_match(const Twin& out, const std::string& what) {
  expect_match(out, tolerance_for(out.dtype()), what);
}

using test_values::random_values;

// Puts NaN, both infinities and both zeros at a few positions (floating dtypes only).
inline std::vector<double> with_specials(DType dtype, std::vector<double> v) {
  if (!is_floating(dtype)) return v;
  const double specials[] = {std::nan(""), INFINITY, -INFINITY, 0.0, -0.0};
  for (size_t i = 0; i < v.size(); i += 7)
    v[i] = specials[(i / 7) % 5];
  return v;
}

// A value no kernel writes by accident, to fill outputs before a call.
inline double sentinel(DType dtype) {
  return dtype == DType::Bool    ? 1.0
         : dtype == DType::UInt8 ? 77.0
         : is_floating(dtype)    ? -777.25
                                 : -77.0;
}

// An input or output layout: a view of `shape` with `strides` and `offset` over a buffer of
// `elems` elements; `writable` when no two of its elements share memory (no zero strides).
struct Layout {
  std::string name;
  Shape shape;
  Strides strides;
  int64_t offset = 0;
  int64_t elems = 0;
  bool writable = true;
};

// Every view kind the seam promises to take: dense, 0-d, transposed and permuted, broadcast
// (zero strides), sliced with steps, flipped (negative strides), nonzero offsets, zero-size,
// junk strides along size-1 axes, high rank, and sizes big enough for the CPU's parallel and
// tiled paths.
inline std::vector<Layout> layouts() {
  return {
      {"dense", {3, 5, 7}, {35, 7, 1}, 0, 105, true},
      {"scalar_0d", {}, {}, 3, 5, true},
      {"transposed", {5, 7}, {1, 5}, 0, 35, true},
      {"permuted", {4, 3, 5}, {1, 20, 4}, 0, 60, true},
      {"broadcast_rows", {5, 7}, {0, 1}, 0, 7, false},
      {"broadcast_inner", {4, 3, 6}, {3, 1, 0}, 0, 12, false},
      {"broadcast_all", {2, 3}, {0, 0}, 2, 3, false},
      {"sliced_stepped", {5, 7}, {16, 2}, 18, 160, true},
      {"flipped", {6, 7}, {7, -1}, 6, 42, true},
      {"flipped_both", {6, 7}, {-7, -1}, 41, 42, true},
      {"offset_dense", {101}, {1}, 3, 104, true},
      {"zero_size", {3, 0, 4}, {0, 4, 1}, 0, 0, true},
      {"size1_junk_strides", {1, 6, 1}, {999, 1, -7}, 0, 6, true},
      {"rank6", {2, 3, 1, 2, 3, 2}, {1, 2, 36, 6, 12, 72}, 0, 144, true},
      {"large_dense", {200, 197}, {197, 1}, 0, 200 * 197, true},
      {"large_transposed", {181, 190}, {1, 181}, 1, 181 * 190 + 1, true},
  };
}

// The devices every conformance test runs on. A new backend adds its name here and its
// (backend, device) pair to ConformanceTest::SetUp.
#define NEEDLE_CONFORMANCE_DEVICES "reference", "cpu", "cuda"

// The value-parametrised fixture. GetParam() is one of NEEDLE_CONFORMANCE_DEVICES.
class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "cuda" && !cuda_available()) {
      NEEDLE_SKIP_WITHOUT_CUDA("CUDA unavailable: " + cuda_status());
    }
    const Device device = GetParam() == "cuda" ? cuda(0) : cpu();
    Backend* backend = GetParam() == "reference" ? &reference() : &backend_for(device);
    dut_ = Side{backend, device, false};
    ref_ = Side{&reference(), cpu(), true};
  }

  Backend& backend() const { return *dut_.backend; }
  const Device& device() const { return dut_.device; }
  bool is_cuda() const { return dut_.device.is_cuda(); }
  const Side& dut() const { return dut_; }
  const Side& ref() const { return ref_; }

  // Runs fn(side) for the backend under test and for the reference.
  template <typename Fn>
  void on_both(Fn&& fn) const {
    fn(dut_);
    fn(ref_);
  }

  Twin twin(const Host& contents) const { return Twin(dut_, ref_, contents); }
  Twin twin(DType dtype, const std::vector<double>& values) const {
    return twin(Host::of(dtype, values));
  }
  // `elems` elements of sentinel(dtype).
  Twin output(DType dtype, int64_t elems) const {
    return twin(dtype, std::vector<double>(static_cast<size_t>(elems), sentinel(dtype)));
  }

  // A buffer of the backend under test alone.
  Buffer buffer(DType dtype, int64_t elems) const {
    return Buffer(*dut_.backend, dut_.device, dtype, elems);
  }

 private:
  Side dut_, ref_;
};

// Instantiates every TEST_P of `fixture` as Devices/<fixture>.<test>/{reference,cpu,cuda}.
#define NEEDLE_INSTANTIATE_CONFORMANCE(fixture)                        \
  INSTANTIATE_TEST_SUITE_P(                                            \
      Devices, fixture, ::testing::Values(NEEDLE_CONFORMANCE_DEVICES), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

}  // namespace needle::conformance

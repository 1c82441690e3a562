// check_index_range conformance: values in range pass on every integer dtype and layout; the
// first value out of range in row-major order is reported as an IndexError with the caller's
// message, naming it and its position in the view. A backend may defer the check (CUDA checks
// on the device and throws at the next point where the host waits: synchronize or
// copy_to_host), so the throw is expected from the call and a synchronize together; afterwards
// the device works again.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"
#include "tests/core/expect_error.h"

namespace needle::conformance {
namespace {

class ConformanceIndexCheck : public ConformanceTest {
 protected:
  // Checks `values` against [lo, hi) and waits for the device.
  void check(const StridedView& values, int64_t lo, int64_t hi) {
    backend().check_index_range(values, lo, hi, [](int64_t v, int64_t i) {
      return fmt::format("value {} at position {} is out of range", v, i);
    });
    backend().synchronize(device());
  }
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceIndexCheck);

TEST_P(ConformanceIndexCheck, InRangePasses) {
  for (DType dt : {DType::Int64, DType::Int32, DType::UInt8}) {
    Buffer b = buffer(dt, 8);
    b.upload(Host::of(dt, {0, 1, 2, 3, 4, 3, 2, 1}));
    EXPECT_NO_THROW(check(b.dense({8}), 0, 5)) << dtype_name(dt);
    EXPECT_NO_THROW(check(b.view({2, 2}, {1, 4}, 1), 1, 4)) << dtype_name(dt);  // transposed
    EXPECT_NO_THROW(check(b.view({4}, {0}, 3), 3, 4)) << dtype_name(dt);        // broadcast
    EXPECT_NO_THROW(check(b.dense({0}), 0, 0)) << dtype_name(dt);               // empty
  }
}

TEST_P(ConformanceIndexCheck, FirstOutOfRangeValueThrowsIndexError) {
  for (DType dt : {DType::Int64, DType::Int32, DType::UInt8}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    Buffer b = buffer(dt, 6);
    b.upload(Host::of(dt, {1, 4, 7, 9, 2, 0}));
    needle::testing::expect_error<IndexError>([&] { check(b.dense({6}), 0, 5); },
                                              "value 7 at position 2 is out of range");
    // Positions count the view's elements in row-major order: b[::-1] reads 0, 2, 9, ...
    needle::testing::expect_error<IndexError>([&] { check(b.view({6}, {-1}, 5), 0, 5); },
                                              "value 9 at position 2");
    // A 2-D view, transposed: (3, 2) over (2, 3) storage reads 1, 9, 4, 2, 7, 0.
    needle::testing::expect_error<IndexError>(
        [&] {
          check(b.view({3, 2}, {1, 3}), 0, 5);
        },
        "value 9 at position 1");
    // The lower bound.
    needle::testing::expect_error<IndexError>([&] { check(b.dense({6}), 2, 100); },
                                              "value 1 at position 0");
    // Reported once: the device works afterwards.
    EXPECT_NO_THROW(check(b.dense({6}), 0, 10));
  }
  Buffer negative = buffer(DType::Int64, 3);
  negative.upload(Host::of(DType::Int64, {0, -1, 2}));
  needle::testing::expect_error<IndexError>([&] { check(negative.dense({3}), 0, 3); },
                                            "value -1 at position 1");
}

TEST_P(ConformanceIndexCheck, TheFirstFailureQueuedIsTheOneReported) {
  Buffer first = buffer(DType::Int64, 2), second = buffer(DType::Int64, 2);
  first.upload(Host::of(DType::Int64, {0, 3}));
  second.upload(Host::of(DType::Int64, {5, 0}));
  auto message = [](const char* which) {
    return [which](int64_t v, int64_t i) {
      return fmt::format("{}: value {} at position {}", which, v, i);
    };
  };
  needle::testing::expect_error<IndexError>(
      [&] {
        backend().check_index_range(first.dense({2}), 0, 3, message("first"));
        backend().check_index_range(second.dense({2}), 0, 3, message("second"));
        backend().synchronize(device());
      },
      "first: value 3 at position 1");
  EXPECT_NO_THROW(backend().synchronize(device()));  // nothing left to report
}

}  // namespace
}  // namespace needle::conformance

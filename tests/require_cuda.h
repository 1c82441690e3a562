// Skipping for want of a GPU, in one place. A test that needs CUDA (or cuDNN) skips with the
// reason on a machine without one, so CI on a CPU-only machine stays green and shows why. Under
// NEEDLE_REQUIRE_CUDA=1 (which tests/gpu/run.sh sets) the same test fails instead: on a GPU
// machine a skip means the run did not test what it was for (a CPU-only configure, a driver
// mismatch, cuDNN not found), and it must not pass as if it had.
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "needle/device.h"

namespace needle_test {

// True when NEEDLE_REQUIRE_CUDA is set to anything but "" or "0".
inline bool cuda_required() {
  const char* v = std::getenv("NEEDLE_REQUIRE_CUDA");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace needle_test

// Ends the current test (or SetUp) for want of CUDA or cuDNN: skipped with `reason` normally,
// failed with it under NEEDLE_REQUIRE_CUDA=1. `reason` is anything convertible to std::string.
#define NEEDLE_SKIP_WITHOUT_CUDA(reason)                                                     \
  do {                                                                                       \
    const std::string needle_reason_ = (reason);                                             \
    if (::needle_test::cuda_required()) {                                                    \
      GTEST_FAIL() << "NEEDLE_REQUIRE_CUDA=1, but this test cannot run: " << needle_reason_; \
    }                                                                                        \
    GTEST_SKIP() << needle_reason_;                                                          \
  } while (0)

// Skips (or fails, as above) unless a CUDA device is available.
#define NEEDLE_REQUIRE_CUDA()                                                   \
  do {                                                                          \
    if (!::needle::cuda_available()) {                                          \
      NEEDLE_SKIP_WITHOUT_CUDA("CUDA unavailable: " + ::needle::cuda_status()); \
    }                                                                           \
  } while (0)

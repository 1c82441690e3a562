// Deterministic test inputs shared by the device suites (tests/conformance, tests/cuda).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "needle/dtype.h"

namespace needle::test_values {

// Deterministic values suited to `dtype`: uniform in [lo, hi) for the floating types, rounded
// to integers (x 10) for int32/int64, |x| x 40 floored for uint8, 0/1 for bool.
inline std::vector<double> random_values(DType dtype, int64_t n, uint32_t seed, double lo = -3.0,
                                         double hi = 3.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) {
    x = dist(gen);
    if (dtype == DType::Bool) {
      x = x > (lo + hi) / 2 ? 1.0 : 0.0;
    } else if (dtype == DType::UInt8) {
      x = std::floor(std::fabs(x) * 40.0);
    } else if (!is_floating(dtype)) {
      x = std::round(x * 10.0);
    }
  }
  return v;
}

}  // namespace needle::test_values

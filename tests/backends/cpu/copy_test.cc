// Data movement on the CPU backend, for what only the CPU has: its identity and the threaded
// memcpy of large contiguous copies at element offsets. Strided copies with casts, fills, host
// round trips and the Philox random fills are the conformance suite's (tests/conformance),
// which runs them on every backend.
#include <gtest/gtest.h>

#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

TEST(CpuBackend, Identity) {
  auto& be = cpu_backend();
  EXPECT_EQ(be.name(), "cpu");
  EXPECT_EQ(be.device_count(), 1);
  EXPECT_EQ(be.availability(), "cpu");
  be.synchronize(cpu());
}

TEST(Copy, ContiguousWithOffsetUsesMemcpy) {
  std::vector<double> src = iota_vec<double>(200000), dst(200001, -1);
  cpu_backend().copy(view(src, {100000}, {1}, 100000), view(dst, {100000}, {1}, 1));
  EXPECT_EQ(dst[0], -1);
  EXPECT_EQ(dst[1], 100000);
  EXPECT_EQ(dst[100000], 199999);
}

}  // namespace
}  // namespace needle::test

// Random-stream conformance: the same seed and counter offset give the same numbers on every
// device as on the reference (uniform exactly, normal to the last bits: libm's log and cos may
// differ by an ulp), element i of dst in row-major order taking counter offset + i also for a
// non-compact dst, and two fills at consecutive offsets continuing one stream.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

#include "src/core/philox.h"

namespace needle::conformance {
namespace {

class ConformanceRandom : public ConformanceTest {};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceRandom);

Tolerance normal_tolerance(DType dtype) {
  return dtype == DType::Float32 ? Tolerance{1e-6, 1e-12} : Tolerance{1e-13, 1e-12};
}

TEST_P(ConformanceRandom, UniformEqualsTheReferenceExactly) {
  const int64_t n = 100003;
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt8}) {
    // A negative value cast to uint8 is undefined behaviour: not a case to compare.
    const double low = dt == DType::UInt8 ? 0.0 : -2.0;
    for (uint64_t offset : {uint64_t{0}, uint64_t{77}, uint64_t{1} << 40}) {
      const Twin out = output(dt, n);
      on_both([&](const Side& s) { s->random_uniform(out.dense(s, {n}), 1234, offset, low, 5.0); });
      expect_match(out, Tolerance{}, fmt::format("uniform {} offset {}", dtype_name(dt), offset));
    }
  }
}

TEST_P(ConformanceRandom, NormalMatchesTheReference) {
  const int64_t n = 100003;
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Twin out = output(dt, n);
    on_both([&](const Side& s) { s->random_normal(out.dense(s, {n}), 99, 5, 1.0, 3.0); });
    expect_match(out, normal_tolerance(dt), fmt::format("normal {}", dtype_name(dt)));
  }
}

TEST_P(ConformanceRandom, NonCompactDestinationTakesRowMajorCounters) {
  for (const Layout& L : layouts()) {
    if (!L.writable) continue;
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Twin u = output(dt, L.elems), g = output(dt, L.elems);
      on_both([&](const Side& s) {
        s->random_uniform(u.view(s, L.shape, L.strides, L.offset), 7, 3, -1.0, 1.0);
        s->random_normal(g.view(s, L.shape, L.strides, L.offset), 8, 11, 0.0, 2.0);
      });
      const std::string what = fmt::format("{} {}", dtype_name(dt), L.name);
      expect_match(u, Tolerance{}, "uniform " + what);
      expect_match(g, normal_tolerance(dt), "normal " + what);
    }
  }
}

TEST_P(ConformanceRandom, OffsetsContinueTheSameStream) {
  // Two fills of 1000 at offsets 0 and 1000 equal one fill of 2000.
  for (DType dt : {DType::Float32, DType::Float64}) {
    Buffer whole = buffer(dt, 2000), parts = buffer(dt, 2000);
    backend().random_normal(whole.dense({2000}), 3, 0, 0.0, 1.0);
    backend().random_normal(parts.dense({1000}), 3, 0, 0.0, 1.0);
    backend().random_normal(parts.dense({1000}, 1000), 3, 1000, 0.0, 1.0);
    EXPECT_EQ(whole.download().bytes, parts.download().bytes) << dtype_name(dt);
    backend().random_uniform(whole.dense({2000}), 4, 0, 0.0, 1.0);
    backend().random_uniform(parts.dense({1000}), 4, 0, 0.0, 1.0);
    backend().random_uniform(parts.dense({1000}, 1000), 4, 1000, 0.0, 1.0);
    EXPECT_EQ(whole.download().bytes, parts.download().bytes) << dtype_name(dt);
  }
}

// The stream itself, known from the Philox header: the reference is checked too.
TEST_P(ConformanceRandom, KnownAnswersAndRange) {
  Buffer d = buffer(DType::Float64, 10);
  backend().random_uniform(d.dense({10}), 7, 100, 0.0, 1.0);
  const std::vector<double> u = d.download().values();
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(u[static_cast<size_t>(i)], philox::uniform(7, 100 + static_cast<uint64_t>(i)));
  backend().random_normal(d.dense({10}), 123, 5, 1.0, 2.0);
  EXPECT_NEAR(d.download().values()[3], 1.0 + 2.0 * philox::normal(123, 8), 1e-12);
  // float32 values stay below `high` even where rounding would reach it.
  const int64_t n = 50000;
  Buffer f = buffer(DType::Float32, n);
  backend().random_uniform(f.dense({n}), 42, 0, -2.0, 3.0);
  const std::vector<double> v = f.download().values();
  double sum = 0;
  for (double x : v) {
    ASSERT_GE(x, -2.0);
    ASSERT_LT(x, 3.0);
    sum += x;
  }
  EXPECT_NEAR(sum / static_cast<double>(n), 0.5, 0.05);
  EXPECT_EQ(v[17], static_cast<double>(static_cast<float>(-2.0 + 5.0 * philox::uniform(42, 17))));
}

}  // namespace
}  // namespace needle::conformance

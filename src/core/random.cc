// The global counter-based generator behind manual_seed.
#include "needle/random.h"

#include "needle/error.h"
#include "src/core/philox.h"

namespace needle {

Generator& default_generator() {
  static Generator generator(0x5EED);
  return generator;
}

void manual_seed(uint64_t seed) {
  default_generator().set_seed(seed);
}

void Generator::set_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

Generator::Draw Generator::reserve(uint64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  Draw d{seed_, offset_};
  offset_ += count;
  return d;
}

uint64_t Generator::next_u64() {
  Draw d = reserve(1);
  philox::Words w = philox::philox4x32_10(d.seed, d.offset);
  return (static_cast<uint64_t>(w.x[0]) << 32) | w.x[1];
}

double Generator::next_double() {
  return (next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

int64_t Generator::next_int(int64_t low, int64_t high) {
  NEEDLE_CHECK(high > low, "Generator::next_int: empty range [{}, {})", low, high);
  const uint64_t span = static_cast<uint64_t>(high - low);
  // Rejection sampling keeps every value equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return low + static_cast<int64_t>(x % span);
}

}  // namespace needle

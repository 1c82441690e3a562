// The seeded random source. Random fills are counter-based (Philox4x32-10): a fill of n
// elements takes a (seed, offset) pair and advances the offset by n, so the same seed gives the
// same numbers on every backend, and draws are independent of thread count.
#pragma once

#include <cstdint>
#include <mutex>

namespace needle {

// Makes rand/randn/init/dropout/shuffle repeatable: resets the global generator.
void manual_seed(uint64_t seed);

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}

  struct Draw {
    uint64_t seed;
    uint64_t offset;
  };
  // Reserves `count` Philox counters for one fill; thread-safe.
  Draw reserve(uint64_t count);
  // A uniform 64-bit value for host-side decisions (shuffles, augmentation parameters).
  uint64_t next_u64();
  // Uniform in [0, 1).
  double next_double();
  // Uniform integer in [low, high).
  int64_t next_int(int64_t low, int64_t high);

  void set_seed(uint64_t seed);
  uint64_t seed() const { return seed_; }

 private:
  std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator that manual_seed resets.
Generator& default_generator();

}  // namespace needle

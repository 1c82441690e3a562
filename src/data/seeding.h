// Seed derivation for the loader: independent streams for each (seed, epoch) shuffle and each
// (seed, epoch, example) augmentation, so results never depend on thread scheduling.
// Internal to src/data.
#pragma once

#include <cstdint>

namespace needle::data::detail {

// SplitMix64's finaliser: a bijective mix, so distinct inputs give distinct, well-spread keys.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  return splitmix64(a ^ splitmix64(b));
}

inline uint64_t epoch_seed(uint64_t loader_seed, int64_t epoch) {
  return mix_seed(loader_seed, static_cast<uint64_t>(epoch));
}
// The shuffle draws from a stream that no example index can collide with.
inline uint64_t shuffle_seed(uint64_t epoch_seed) {
  return mix_seed(epoch_seed, ~0ull);
}
inline uint64_t example_seed(uint64_t epoch_seed, int64_t index) {
  return mix_seed(epoch_seed, static_cast<uint64_t>(index));
}

}  // namespace needle::data::detail

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), shared by the
// CPU backend and the CUDA kernels so that both produce identical random arrays for a seed. It
// lives in src/core/ (above the seam) because src/core/random.cc uses it too; the backends and
// kernels/*.cu include it as "src/core/philox.h" (the repository root is on their include path).
// Dependency-free C++17, so nvcc compiles it as device code.
// Element i of a fill with (seed, offset) uses counter offset + i; its first output word gives a
// uniform, its first two give a normal (Box-Muller).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define NEEDLE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define NEEDLE_HOST_DEVICE inline
#endif

namespace needle::philox {

struct Words {
  uint32_t x[4];
};

NEEDLE_HOST_DEVICE uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

NEEDLE_HOST_DEVICE Words philox4x32_10(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Words{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with the full mantissa of the type.
NEEDLE_HOST_DEVICE float to_uniform_float(uint32_t x) {
  return (x >> 8) * (1.0f / 16777216.0f);
}
NEEDLE_HOST_DEVICE double to_uniform_double(uint32_t a, uint32_t b) {
  uint64_t bits = (static_cast<uint64_t>(a) << 21) ^ (b >> 11);  // 53 random bits
  return (bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

NEEDLE_HOST_DEVICE double uniform(uint64_t seed, uint64_t counter) {
  Words w = philox4x32_10(seed, counter);
  return to_uniform_double(w.x[0], w.x[1]);
}

// Standard normal via Box-Muller on two uniforms; 1 - u keeps the log argument in (0, 1].
NEEDLE_HOST_DEVICE double normal(uint64_t seed, uint64_t counter) {
  Words w = philox4x32_10(seed, counter);
  double u1 = 1.0 - to_uniform_double(w.x[0], w.x[1]);
  double u2 = to_uniform_double(w.x[2], w.x[3]);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

}  // namespace needle::philox

// The cache of cuDNN algorithm choices (conv2d.cc): one choice per (pass, shapes, parameters,
// dtype, device, TF32 switch), made once with cuDNN's heuristics and reused in-process, never
// persisted. Compiled only with cuDNN (NEEDLE_WITH_CUDNN).
#pragma once

#ifdef NEEDLE_WITH_CUDNN

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "backends/cuda/cuda_check.h"

namespace needle::cuda_backend {

// The algorithm of one pass (a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t), the math type it
// runs with and its workspace size.
struct AlgoChoice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
};

// Everything the choice depends on. The TF32 switch is in as `strict`, which is what it changes.
using AlgoKey = std::array<int64_t, 18>;

// The cached choice for `key` (counted as a hit), or nothing.
std::optional<AlgoChoice> cache_find(const AlgoKey& key);
// Remembers `choice`; a racing thread's equal choice may already be there.
void cache_insert(const AlgoKey& key, const AlgoChoice& choice);

}  // namespace needle::cuda_backend

#endif  // NEEDLE_WITH_CUDNN

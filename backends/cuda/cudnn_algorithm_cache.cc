// The cache of cuDNN algorithm choices (see cudnn_algorithm_cache.h) and its test counters.
#include "backends/cuda/cudnn_algorithm_cache.h"

#ifdef NEEDLE_WITH_CUDNN

#include <map>
#include <mutex>

#include "backends/cuda/cuda_backend.h"

namespace needle::cuda_backend {
namespace {

struct AlgoCache {
  std::mutex mutex;
  std::map<AlgoKey, AlgoChoice> choices;
  size_t hits = 0;
};

AlgoCache& algo_cache() {
  static auto* cache = new AlgoCache();  // never destroyed: other static destructors may convolve
  return *cache;
}

}  // namespace

std::optional<AlgoChoice> cache_find(const AlgoKey& key) {
  AlgoCache& cache = algo_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  const auto it = cache.choices.find(key);
  if (it == cache.choices.end()) return std::nullopt;
  ++cache.hits;
  return it->second;
}

void cache_insert(const AlgoKey& key, const AlgoChoice& choice) {
  AlgoCache& cache = algo_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.choices.emplace(key, choice);  // a racing thread's equal choice may already be there
}

size_t conv_algorithm_cache_size() {
  AlgoCache& cache = algo_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cache.choices.size();
}

size_t conv_algorithm_cache_hits() {
  AlgoCache& cache = algo_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cache.hits;
}

}  // namespace needle::cuda_backend

#endif  // NEEDLE_WITH_CUDNN

// Transform: the interface of every augmentation and preprocessing step (transforms/*.h).
// Transforms run inside the loader's worker threads on host Images in CHW layout; random ones
// draw only from the Generator they are handed (one per example, derived from the loader's seed
// and the example's index), so results never depend on thread timing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "needle/data/image.h"
#include "needle/ndarray.h"
#include "needle/random.h"

namespace needle::data {

class Transform {
 public:
  virtual ~Transform() = default;
  // Rewrites `image` (float32, CHW) in place; it may change the shape (crops, resizes). Must be
  // safe to call from several threads at once: implementations keep no mutable state.
  virtual void apply(Image& image, Generator& gen) const = 0;
  // For errors and printing, e.g. "RandomCrop(28, padding=2)".
  virtual std::string name() const = 0;

  // Convenience for single arrays (tests, interactive use): a (C, H, W) array in, a new
  // float32 (C, H', W') host array out.
  NDArray operator()(const NDArray& image, Generator& gen) const;
};

// Applied in list order, as needle's Dataset(transforms=[...]).
using Transforms = std::vector<std::shared_ptr<const Transform>>;

}  // namespace needle::data

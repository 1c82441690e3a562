// Dataset: the abstract indexed collection the DataLoader reads. A subclass implements size()
// and get(index, gen) (and adds `using Dataset::get;` to keep the one-argument get visible);
// image datasets also override get_into(), the loader's allocation-free path that decodes
// straight into a reused host Image.
#pragma once

#include <cstdint>

#include "needle/data/example.h"
#include "needle/data/image.h"
#include "needle/data/transform.h"
#include "needle/random.h"

namespace needle::data {

class Dataset {
 public:
  explicit Dataset(Transforms transforms = {}) : transforms_(std::move(transforms)) {}
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // Example `index` (0 <= index < size()) after the transforms; random transforms draw from
  // `gen`. Called from the loader's worker threads concurrently: must not mutate the dataset.
  virtual Example get(int64_t index, Generator& gen) const = 0;
  // As get(index, gen) with a generator seeded from default_generator().
  Example get(int64_t index) const;
  // Writes example `index` (after the transforms) into `image`, reusing its memory, and returns
  // the label. The default goes through get(); image datasets override it to decode in place.
  virtual int64_t get_into(int64_t index, Generator& gen, Image& image) const;

  const Transforms& transforms() const { return transforms_; }

 protected:
  // Runs the transforms in order on `image`.
  void apply_transforms(Image& image, Generator& gen) const;
  // Throws IndexError naming `dataset` unless 0 <= index < size().
  void check_index(int64_t index, const char* dataset) const;

 private:
  Transforms transforms_;
};

}  // namespace needle::data

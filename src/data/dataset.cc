// Dataset: the defaults shared by every dataset.
#include "needle/data/dataset.h"

#include "needle/error.h"

namespace needle::data {

Example Dataset::get(int64_t index) const {
  Generator gen(default_generator().next_u64());
  return get(index, gen);
}

int64_t Dataset::get_into(int64_t index, Generator& gen, Image& image) const {
  Example example = get(index, gen);
  image.assign(example.image);
  return example.label;
}

void Dataset::apply_transforms(Image& image, Generator& gen) const {
  for (const auto& t : transforms_) {
    NEEDLE_CHECK(t != nullptr, "Dataset: a transform in the list is null");
    t->apply(image, gen);
  }
}

void Dataset::check_index(int64_t index, const char* dataset) const {
  NEEDLE_CHECK_AS(IndexError, index >= 0 && index < size(),
                  "{}: index {} is out of range for a dataset of {} examples", dataset, index,
                  size());
}

}  // namespace needle::data

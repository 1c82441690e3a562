// Compose: transforms in sequence.
#include "needle/data/transforms/compose.h"

#include <fmt/format.h>

#include "needle/error.h"

namespace needle::data {

Compose::Compose(Transforms transforms) : transforms_(std::move(transforms)) {
  for (const auto& t : transforms_) {
    NEEDLE_CHECK(t != nullptr, "Compose: a transform in the list is null");
  }
}

void Compose::apply(Image& image, Generator& gen) const {
  for (const auto& t : transforms_)
    t->apply(image, gen);
}

std::string Compose::name() const {
  std::string out = "Compose(";
  for (size_t i = 0; i < transforms_.size(); ++i) {
    if (i) out += ", ";
    out += transforms_[i]->name();
  }
  return out + ")";
}

}  // namespace needle::data

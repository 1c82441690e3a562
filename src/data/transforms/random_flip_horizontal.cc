// RandomFlipHorizontal: a left-right mirror with probability p.
#include "needle/data/transforms/random_flip_horizontal.h"

#include <algorithm>

#include <fmt/format.h>

#include "needle/error.h"

namespace needle::data {

RandomFlipHorizontal::RandomFlipHorizontal(double p) : p_(p) {
  NEEDLE_CHECK(p >= 0.0 && p <= 1.0, "RandomFlipHorizontal: p must be in [0, 1], got {}", p);
}

void RandomFlipHorizontal::apply(Image& image, Generator& gen) const {
  image.check_chw("RandomFlipHorizontal");
  // One draw per image whatever p is, so p does not shift later transforms' draws.
  if (!(gen.next_double() < p_)) return;
  const int64_t rows = image.channels() * image.height(), w = image.width();
  for (int64_t r = 0; r < rows; ++r) {
    float* row = image.data.data() + r * w;
    std::reverse(row, row + w);
  }
}

std::string RandomFlipHorizontal::name() const {
  return fmt::format("RandomFlipHorizontal(p={})", p_);
}

}  // namespace needle::data

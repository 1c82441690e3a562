// RandomCrop: zero padding and a crop at a random offset, done as one shifted copy.
#include "needle/data/transforms/random_crop.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/image_ops.h"

namespace needle::data {

RandomCrop::RandomCrop(int64_t size, int64_t padding) : RandomCrop(size, size, padding) {}

RandomCrop::RandomCrop(int64_t height, int64_t width, int64_t padding)
    : height_(height), width_(width), padding_(padding) {
  NEEDLE_CHECK(height > 0 && width > 0 && padding >= 0,
               "RandomCrop: size must be positive and padding non-negative, got ({}, {}) and {}",
               height, width, padding);
}

void RandomCrop::apply(Image& image, Generator& gen) const {
  image.check_chw("RandomCrop");
  const int64_t c = image.channels(), h = image.height(), w = image.width();
  NEEDLE_CHECK_AS(ShapeError, height_ <= h + 2 * padding_ && width_ <= w + 2 * padding_,
                  "RandomCrop: a ({}, {}) crop does not fit a {}x{} image padded by {}", height_,
                  width_, h, w, padding_);
  // Offsets into the padded image; minus the padding, they index the input.
  const int64_t top = gen.next_int(0, h + 2 * padding_ - height_ + 1) - padding_;
  const int64_t left = gen.next_int(0, w + 2 * padding_ - width_ + 1) - padding_;
  std::vector<float>& out = detail::thread_scratch();
  out.assign(static_cast<size_t>(c * height_ * width_), 0.0f);
  // The output columns [x_begin, x_end) read inside the input; the rest stay zero.
  const int64_t x_begin = std::max<int64_t>(0, -left);
  const int64_t x_end = std::min<int64_t>(width_, w - left);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t y = 0; y < height_; ++y) {
      const int64_t sy = y + top;
      if (sy < 0 || sy >= h || x_begin >= x_end) continue;
      const float* src = image.data.data() + (ch * h + sy) * w + (left + x_begin);
      float* dst = out.data() + (ch * height_ + y) * width_ + x_begin;
      std::copy(src, src + (x_end - x_begin), dst);
    }
  }
  std::swap(image.data, out);
  image.shape.assign({c, height_, width_});
}

std::string RandomCrop::name() const {
  return fmt::format("RandomCrop(({}, {}), padding={})", height_, width_, padding_);
}

}  // namespace needle::data

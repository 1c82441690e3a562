// RandomResizedCrop: torchvision's window sampling, then one bilinear resize of the window.
#include "needle/data/transforms/random_resized_crop.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/image_ops.h"

namespace needle::data {

RandomResizedCrop::RandomResizedCrop(int64_t size, std::pair<double, double> scale,
                                     std::pair<double, double> ratio)
    : RandomResizedCrop(size, size, scale, ratio) {}

RandomResizedCrop::RandomResizedCrop(int64_t height, int64_t width, std::pair<double, double> scale,
                                     std::pair<double, double> ratio)
    : height_(height), width_(width), scale_(scale), ratio_(ratio) {
  NEEDLE_CHECK(height > 0 && width > 0, "RandomResizedCrop: size must be positive, got ({}, {})",
               height, width);
  NEEDLE_CHECK(scale.first > 0.0 && scale.first <= scale.second,
               "RandomResizedCrop: scale must be a positive range, got ({}, {})", scale.first,
               scale.second);
  NEEDLE_CHECK(ratio.first > 0.0 && ratio.first <= ratio.second,
               "RandomResizedCrop: ratio must be a positive range, got ({}, {})", ratio.first,
               ratio.second);
}

RandomResizedCrop::CropBox RandomResizedCrop::get_params(int64_t h, int64_t w,
                                                         Generator& gen) const {
  const double area = static_cast<double>(h * w);
  const double log_r0 = std::log(ratio_.first), log_r1 = std::log(ratio_.second);
  int64_t top = 0, left = 0, ch = h, cw = w;
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target =
        area * (scale_.first + (scale_.second - scale_.first) * gen.next_double());
    const double aspect = std::exp(log_r0 + (log_r1 - log_r0) * gen.next_double());
    const auto cand_w = static_cast<int64_t>(std::lround(std::sqrt(target * aspect)));
    const auto cand_h = static_cast<int64_t>(std::lround(std::sqrt(target / aspect)));
    if (cand_w > 0 && cand_w <= w && cand_h > 0 && cand_h <= h) {
      ch = cand_h;
      cw = cand_w;
      top = gen.next_int(0, h - ch + 1);
      left = gen.next_int(0, w - cw + 1);
      found = true;
    }
  }
  if (!found) {
    // torchvision's fallback: the largest centred window whose aspect is within `ratio`.
    const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
    if (in_ratio < ratio_.first) {
      cw = w;
      ch = std::max<int64_t>(1, std::lround(static_cast<double>(w) / ratio_.first));
    } else if (in_ratio > ratio_.second) {
      ch = h;
      cw = std::max<int64_t>(1, std::lround(static_cast<double>(h) * ratio_.second));
    }
    ch = std::min(ch, h);
    cw = std::min(cw, w);
    top = (h - ch) / 2;
    left = (w - cw) / 2;
  }
  return CropBox{top, left, ch, cw};
}

void RandomResizedCrop::apply(Image& image, Generator& gen) const {
  image.check_chw("RandomResizedCrop");
  const int64_t c = image.channels(), h = image.height(), w = image.width();
  const CropBox box = get_params(h, w, gen);
  std::vector<float>& out = detail::thread_scratch();
  out.resize(static_cast<size_t>(c * height_ * width_));
  detail::resize_window(image.data.data(), c, h, w, box.top, box.left, box.height, box.width,
                        out.data(), height_, width_);
  std::swap(image.data, out);
  image.shape.assign({c, height_, width_});
}

std::string RandomResizedCrop::name() const {
  return fmt::format("RandomResizedCrop(({}, {}), scale=({}, {}), ratio=({}, {}))", height_, width_,
                     scale_.first, scale_.second, ratio_.first, ratio_.second);
}

}  // namespace needle::data

// Resize: bilinear, align_corners=false.
#include "needle/data/transforms/resize.h"

#include <utility>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/image_ops.h"

namespace needle::data {

Resize::Resize(int64_t height, int64_t width) : height_(height), width_(width) {
  NEEDLE_CHECK(height > 0 && width > 0, "Resize: size must be positive, got ({}, {})", height,
               width);
}

void Resize::apply(Image& image, Generator&) const {
  image.check_chw("Resize");
  const int64_t c = image.channels(), h = image.height(), w = image.width();
  if (h == height_ && w == width_) return;
  std::vector<float>& out = detail::thread_scratch();
  out.resize(static_cast<size_t>(c * height_ * width_));
  detail::resize_window(image.data.data(), c, h, w, 0, 0, h, w, out.data(), height_, width_);
  std::swap(image.data, out);
  image.shape.assign({c, height_, width_});
}

std::string Resize::name() const {
  return fmt::format("Resize({}, {})", height_, width_);
}

}  // namespace needle::data

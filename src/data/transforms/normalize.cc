// Normalize: per-channel standardisation.
#include "needle/data/transforms/normalize.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "needle/error.h"

namespace needle::data {

Normalize::Normalize(std::vector<float> mean, std::vector<float> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  NEEDLE_CHECK(!mean_.empty() && mean_.size() == std_.size(),
               "Normalize: mean and std need the same, non-zero number of values, got {} and {}",
               mean_.size(), std_.size());
  for (float s : std_)
    NEEDLE_CHECK(s != 0.0f, "Normalize: std must be non-zero, got {}", s);
}

void Normalize::apply(Image& image, Generator&) const {
  image.check_chw("Normalize");
  const int64_t channels = image.channels(), plane = image.height() * image.width();
  NEEDLE_CHECK_AS(ShapeError, mean_.size() == 1 || static_cast<int64_t>(mean_.size()) == channels,
                  "Normalize: {} mean/std values for an image with {} channels", mean_.size(),
                  channels);
  for (int64_t c = 0; c < channels; ++c) {
    const size_t k = mean_.size() == 1 ? 0 : static_cast<size_t>(c);
    const float m = mean_[k], inv = 1.0f / std_[k];
    float* p = image.data.data() + c * plane;
    for (int64_t i = 0; i < plane; ++i)
      p[i] = (p[i] - m) * inv;
  }
}

std::string Normalize::name() const {
  return fmt::format("Normalize(mean=[{}], std=[{}])", fmt::join(mean_, ", "),
                     fmt::join(std_, ", "));
}

}  // namespace needle::data

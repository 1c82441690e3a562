// ColorJitter: brightness and contrast factors drawn per image.
#include "needle/data/transforms/color_jitter.h"

#include <algorithm>

#include <fmt/format.h>

#include "needle/error.h"

namespace needle::data {

namespace {

double draw_factor(double strength, Generator& gen) {
  const double low = std::max(0.0, 1.0 - strength), high = 1.0 + strength;
  return low + (high - low) * gen.next_double();
}

}  // namespace

ColorJitter::ColorJitter(double brightness, double contrast)
    : brightness_(brightness), contrast_(contrast) {
  NEEDLE_CHECK(brightness >= 0.0 && contrast >= 0.0,
               "ColorJitter: strengths must be non-negative, got brightness={} contrast={}",
               brightness, contrast);
}

void ColorJitter::apply(Image& image, Generator& gen) const {
  image.check_chw("ColorJitter");
  std::vector<float>& px = image.data;
  if (brightness_ > 0.0) {
    const float f = static_cast<float>(draw_factor(brightness_, gen));
    for (float& v : px)
      v = std::clamp(v * f, 0.0f, 1.0f);
  }
  if (contrast_ > 0.0) {
    const float f = static_cast<float>(draw_factor(contrast_, gen));
    // The mean grey level: ITU-R 601 luma for RGB (as torchvision), the plain mean otherwise.
    const int64_t plane = image.height() * image.width();
    double sum = 0.0;
    if (image.channels() == 3) {
      const float weights[3] = {0.299f, 0.587f, 0.114f};
      for (int64_t c = 0; c < 3; ++c) {
        double s = 0.0;
        for (int64_t i = 0; i < plane; ++i)
          s += px[static_cast<size_t>(c * plane + i)];
        sum += weights[c] * s;
      }
      sum /= static_cast<double>(plane);
    } else {
      for (float v : px)
        sum += v;
      sum /= static_cast<double>(px.size());
    }
    const float offset = (1.0f - f) * static_cast<float>(sum);
    for (float& v : px)
      v = std::clamp(f * v + offset, 0.0f, 1.0f);
  }
}

std::string ColorJitter::name() const {
  return fmt::format("ColorJitter(brightness={}, contrast={})", brightness_, contrast_);
}

}  // namespace needle::data

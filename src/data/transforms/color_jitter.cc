// ColorJitter: brightness and contrast factors drawn per image.
#include "needle/data/transforms/color_jitter.h"

#include <algorithm>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/color_ops.h"

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

ColorJitter::Factors ColorJitter::get_params(Generator& gen) const {
  Factors f;
  if (brightness_ > 0.0) f.brightness = draw_factor(brightness_, gen);
  if (contrast_ > 0.0) f.contrast = draw_factor(contrast_, gen);
  return f;
}

void ColorJitter::apply(Image& image, Generator& gen) const {
  image.check_chw("ColorJitter");
  const Factors f = get_params(gen);
  // A zero strength skips its step, so it does not clamp values outside [0, 1] either.
  if (brightness_ > 0.0) detail::adjust_brightness(image.data, static_cast<float>(f.brightness));
  if (contrast_ > 0.0)
    detail::adjust_contrast(image.data, image.channels(), static_cast<float>(f.contrast));
}

std::string ColorJitter::name() const {
  return fmt::format("ColorJitter(brightness={}, contrast={})", brightness_, contrast_);
}

}  // namespace needle::data

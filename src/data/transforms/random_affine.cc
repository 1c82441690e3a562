// RandomAffine: rotation, scale and translation drawn per image, one warp.
#include "needle/data/transforms/random_affine.h"

#include <cmath>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/image_ops.h"

namespace needle::data {

RandomAffine::RandomAffine(double degrees, std::pair<double, double> translate,
                           std::pair<double, double> scale)
    : degrees_(degrees), translate_(translate), scale_(scale) {
  NEEDLE_CHECK(degrees >= 0.0, "RandomAffine: degrees must be non-negative, got {}", degrees);
  NEEDLE_CHECK(translate.first >= 0.0 && translate.first <= 1.0 && translate.second >= 0.0 &&
                   translate.second <= 1.0,
               "RandomAffine: translate fractions must be in [0, 1], got ({}, {})", translate.first,
               translate.second);
  NEEDLE_CHECK(scale.first > 0.0 && scale.first <= scale.second,
               "RandomAffine: scale must be a positive range, got ({}, {})", scale.first,
               scale.second);
}

void RandomAffine::apply(Image& image, Generator& gen) const {
  image.check_chw("RandomAffine");
  const int64_t c = image.channels(), h = image.height(), w = image.width();
  // Draw order as torchvision: angle, translation, scale.
  const double angle = -degrees_ + 2.0 * degrees_ * gen.next_double();
  const double max_dx = translate_.first * static_cast<double>(w);
  const double max_dy = translate_.second * static_cast<double>(h);
  const double tx = std::round(-max_dx + 2.0 * max_dx * gen.next_double());
  const double ty = std::round(-max_dy + 2.0 * max_dy * gen.next_double());
  const double s = scale_.first + (scale_.second - scale_.first) * gen.next_double();
  double m[6];
  detail::affine_inverse(angle, s, tx, ty, h, w, m);
  std::vector<float>& out = detail::thread_scratch();
  out.resize(image.data.size());
  detail::warp_affine(image.data.data(), c, h, w, m, out.data());
  std::swap(image.data, out);
}

std::string RandomAffine::name() const {
  return fmt::format("RandomAffine(degrees={}, translate=({}, {}), scale=({}, {}))", degrees_,
                     translate_.first, translate_.second, scale_.first, scale_.second);
}

}  // namespace needle::data

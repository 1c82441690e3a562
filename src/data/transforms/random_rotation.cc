// RandomRotation: an affine warp by a random angle.
#include "needle/data/transforms/random_rotation.h"

#include <utility>

#include <fmt/format.h>

#include "needle/error.h"
#include "src/data/image_ops.h"

namespace needle::data {

RandomRotation::RandomRotation(double degrees) : RandomRotation(-degrees, degrees) {
  NEEDLE_CHECK(degrees >= 0.0, "RandomRotation: degrees must be non-negative, got {}", degrees);
}

RandomRotation::RandomRotation(double min_degrees, double max_degrees)
    : min_degrees_(min_degrees), max_degrees_(max_degrees) {
  NEEDLE_CHECK(min_degrees <= max_degrees, "RandomRotation: empty range [{}, {}]", min_degrees,
               max_degrees);
}

void RandomRotation::apply(Image& image, Generator& gen) const {
  image.check_chw("RandomRotation");
  const double angle = min_degrees_ + (max_degrees_ - min_degrees_) * gen.next_double();
  const int64_t c = image.channels(), h = image.height(), w = image.width();
  double m[6];
  detail::affine_inverse(angle, 1.0, 0.0, 0.0, h, w, m);
  std::vector<float>& out = detail::thread_scratch();
  out.resize(image.data.size());
  detail::warp_affine(image.data.data(), c, h, w, m, out.data());
  std::swap(image.data, out);
}

std::string RandomRotation::name() const {
  return fmt::format("RandomRotation([{}, {}])", min_degrees_, max_degrees_);
}

}  // namespace needle::data

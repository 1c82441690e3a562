// Brightness and contrast blends on CHW float buffers (see color_ops.h).
#include "src/data/color_ops.h"

#include <algorithm>

namespace needle::data::detail {

void adjust_brightness(std::vector<float>& px, float factor) {
  for (float& v : px)
    v = std::clamp(v * factor, 0.0f, 1.0f);
}

void adjust_contrast(std::vector<float>& px, int64_t channels, float factor) {
  const auto plane = static_cast<int64_t>(px.size()) / channels;
  double mean = 0.0;
  if (channels == 3) {
    const double weights[3] = {0.2989, 0.587, 0.114};
    for (int64_t c = 0; c < 3; ++c) {
      double s = 0.0;
      for (int64_t i = 0; i < plane; ++i)
        s += px[static_cast<size_t>(c * plane + i)];
      mean += weights[c] * s;
    }
    mean /= static_cast<double>(plane);
  } else {
    for (float v : px)
      mean += v;
    mean /= static_cast<double>(px.size());
  }
  const float offset = (1.0f - factor) * static_cast<float>(mean);
  for (float& v : px)
    v = std::clamp(factor * v + offset, 0.0f, 1.0f);
}

}  // namespace needle::data::detail

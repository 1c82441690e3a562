// The deterministic cores of ColorJitter, torchvision's adjust_brightness and adjust_contrast for
// float images in [0, 1], on raw CHW buffers. Split from the transform so that a fixed factor can
// be checked against torchvision's formulas. Internal to src/data.
#pragma once

#include <cstdint>
#include <vector>

namespace needle::data::detail {

// px = clamp(factor * px, 0, 1): torchvision's blend with a black image.
void adjust_brightness(std::vector<float>& px, float factor);

// px = clamp(factor * px + (1 - factor) * m, 0, 1) with m the mean of the grayscale image:
// torchvision's rgb_to_grayscale weights (0.2989, 0.587, 0.114) for three channels, the plain
// mean for any other count (torchvision accepts only one channel there).
void adjust_contrast(std::vector<float>& px, int64_t channels, float factor);

}  // namespace needle::data::detail

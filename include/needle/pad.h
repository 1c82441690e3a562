// Differentiable constant padding (np.pad / torch.nn.functional.pad with mode "constant"): the
// gradient is the interior slice of the output gradient.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "needle/tensor.h"

namespace needle {

// One (before, after) pair of non-negative widths per leading axis (missing trailing axes are
// not padded), filled with `value`.
Tensor pad(const Tensor& a, const std::vector<std::pair<int64_t, int64_t>>& widths,
           double value = 0.0);

}  // namespace needle

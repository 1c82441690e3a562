// Batch: what one step of a DataLoader yields.
#pragma once

#include "needle/tensor.h"

namespace needle::data {

struct Batch {
  Tensor images;  // float32, (B, C, H, W) (the examples' shape with B prepended), on the device
  Tensor labels;  // int64, (B,), on the device
};

}  // namespace needle::data

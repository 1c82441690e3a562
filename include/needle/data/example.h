// Example: what a Dataset returns for one index: an image array and its class label.
#pragma once

#include <cstdint>

#include "needle/ndarray.h"

namespace needle::data {

struct Example {
  NDArray image;      // float32, (C, H, W) for image datasets, after the dataset's transforms
  int64_t label = 0;  // the class index
};

}  // namespace needle::data

// nn::Flatten: keeps the batch axis and folds the rest into one.
#include "needle/nn/flatten.h"

#include "needle/ops.h"

namespace needle::nn {

Tensor FlattenImpl::forward(const Tensor& input) {
  NEEDLE_CHECK_AS(ShapeError, input.ndim() >= 1, "Flatten: input must have a batch axis, got {}",
                  shape_str(input.shape()));
  const int64_t batch = input.shape(0);
  return reshape(input, {batch, batch == 0 ? 0 : input.numel() / batch});
}

}  // namespace needle::nn

// Transform: the NDArray convenience entry point.
#include "needle/data/transform.h"

namespace needle::data {

NDArray Transform::operator()(const NDArray& image, Generator& gen) const {
  Image im = Image::from_ndarray(image);
  apply(im, gen);
  return im.to_ndarray();
}

}  // namespace needle::data

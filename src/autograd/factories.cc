// Tensor factories: thin wrappers that make leaves from NDArray constructors.
#include "needle/factories.h"

#include "needle/ndarray.h"

namespace needle {

Tensor zeros(const Shape& shape, Device device, DType dtype, bool requires_grad) {
  return Tensor(NDArray::zeros(shape, dtype, device), requires_grad);
}

Tensor ones(const Shape& shape, Device device, DType dtype, bool requires_grad) {
  return Tensor(NDArray::ones(shape, dtype, device), requires_grad);
}

Tensor full(const Shape& shape, double value, Device device, DType dtype, bool requires_grad) {
  return Tensor(NDArray::full(shape, value, dtype, device), requires_grad);
}

Tensor rand(const Shape& shape, Device device, DType dtype, bool requires_grad) {
  return Tensor(NDArray::rand(shape, 0.0, 1.0, dtype, device), requires_grad);
}

Tensor randn(const Shape& shape, Device device, DType dtype, bool requires_grad) {
  return Tensor(NDArray::randn(shape, 0.0, 1.0, dtype, device), requires_grad);
}

Tensor arange(int64_t n, Device device, DType dtype) {
  return Tensor(NDArray::arange(n, dtype, device));
}

Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), like.device(), like.dtype());
}

Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), like.device(), like.dtype());
}

}  // namespace needle

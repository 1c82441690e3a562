// Tensor factories: new leaf tensors filled with constants or random numbers. Random ones draw
// from the global generator, so manual_seed() makes them repeatable.
#pragma once

#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/shape.h"
#include "needle/tensor.h"

namespace needle {

Tensor zeros(const Shape& shape, Device device = cpu(), DType dtype = DType::Float32,
             bool requires_grad = false);
Tensor ones(const Shape& shape, Device device = cpu(), DType dtype = DType::Float32,
            bool requires_grad = false);
Tensor full(const Shape& shape, double value, Device device = cpu(), DType dtype = DType::Float32,
            bool requires_grad = false);
// Uniform in [0, 1).
Tensor rand(const Shape& shape, Device device = cpu(), DType dtype = DType::Float32,
            bool requires_grad = false);
// Normal with mean 0 and standard deviation 1.
Tensor randn(const Shape& shape, Device device = cpu(), DType dtype = DType::Float32,
             bool requires_grad = false);
// 0, 1, ..., n-1 (int64 by default).
Tensor arange(int64_t n, Device device = cpu(), DType dtype = DType::Int64);

// Same shape, dtype and device as `like`; never requires grad.
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);

}  // namespace needle

// The initializers of init.h: the basic fills and the fan-based formulas, all drawn from the
// global generator through NDArray's random constructors.
#include "needle/init.h"

#include <cmath>

#include "needle/error.h"
#include "needle/ndarray.h"

namespace needle::init {
namespace {

Tensor leaf(NDArray value, const Options& o) {
  return Tensor(std::move(value), o.requires_grad);
}

Shape fan_shape(int64_t fan_in, int64_t fan_out, const Shape& shape, const char* op) {
  NEEDLE_CHECK(fan_in > 0 && fan_out > 0, "init::{}: fans must be positive, got ({}, {})", op,
               fan_in, fan_out);
  return shape.empty() ? Shape{fan_in, fan_out} : shape;
}

void check_float(const Options& o, const char* op) {
  NEEDLE_CHECK_AS(DTypeError, is_floating(o.dtype),
                  "init::{}: dtype {} is not supported (float32 or float64 expected)", op,
                  dtype_name(o.dtype));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

Tensor uniform(const Shape& shape, double low, double high, const Options& o) {
  check_float(o, "uniform");
  NEEDLE_CHECK(low <= high, "init::uniform: low {} is above high {}", low, high);
  return leaf(NDArray::rand(shape, low, high, o.dtype, o.device), o);
}

Tensor normal(const Shape& shape, double mean, double std, const Options& o) {
  check_float(o, "normal");
  NEEDLE_CHECK(std >= 0.0, "init::normal: std must be >= 0, got {}", std);
  return leaf(NDArray::randn(shape, mean, std, o.dtype, o.device), o);
}

Tensor constant(const Shape& shape, double value, const Options& o) {
  return leaf(NDArray::full(shape, value, o.dtype, o.device), o);
}

Tensor zeros(const Shape& shape, const Options& o) {
  return constant(shape, 0.0, o);
}
Tensor ones(const Shape& shape, const Options& o) {
  return constant(shape, 1.0, o);
}

Tensor xavier_uniform(int64_t fan_in, int64_t fan_out, double gain, const Shape& shape,
                      const Options& o) {
  const Shape s = fan_shape(fan_in, fan_out, shape, "xavier_uniform");
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform(s, -a, a, o);
}

Tensor xavier_normal(int64_t fan_in, int64_t fan_out, double gain, const Shape& shape,
                     const Options& o) {
  const Shape s = fan_shape(fan_in, fan_out, shape, "xavier_normal");
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal(s, 0.0, std, o);
}

Tensor kaiming_uniform(int64_t fan_in, int64_t fan_out, const Shape& shape,
                       Nonlinearity nonlinearity, const Options& o) {
  const Shape s = fan_shape(fan_in, fan_out, shape, "kaiming_uniform");
  const double bound = calculate_gain(nonlinearity) * std::sqrt(3.0 / static_cast<double>(fan_in));
  return uniform(s, -bound, bound, o);
}

Tensor kaiming_normal(int64_t fan_in, int64_t fan_out, const Shape& shape,
                      Nonlinearity nonlinearity, const Options& o) {
  const Shape s = fan_shape(fan_in, fan_out, shape, "kaiming_normal");
  const double std = calculate_gain(nonlinearity) / std::sqrt(static_cast<double>(fan_in));
  return normal(s, 0.0, std, o);
}

}  // namespace needle::init

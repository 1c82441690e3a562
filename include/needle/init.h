// Parameter initializers (needle's init module, PyTorch's torch.nn.init formulas). Each returns
// a new leaf Tensor of `shape`, drawn through NDArray::rand / NDArray::randn from the global
// generator, so manual_seed() makes every initialization repeatable. As in needle, the
// fan-based initializers take (fan_in, fan_out) and default to the shape {fan_in, fan_out};
// layers pass their own shape (Linear: {out, in}) and the fans that the formula should use.
#pragma once

#include <cstdint>

#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/shape.h"
#include "needle/tensor.h"

namespace needle::init {

// Where and how a new tensor is made; the defaults are float32 on the CPU, no grad.
struct Options {
  Device device = cpu();
  DType dtype = DType::Float32;
  bool requires_grad = false;
};

enum class Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU };
// PyTorch's calculate_gain: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu),
// sqrt(2 / (1 + slope^2)) (leaky relu with negative slope `param`).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

// U(low, high).
Tensor uniform(const Shape& shape, double low = 0.0, double high = 1.0, const Options& = {});
// N(mean, std^2).
Tensor normal(const Shape& shape, double mean = 0.0, double std = 1.0, const Options& = {});
Tensor constant(const Shape& shape, double value, const Options& = {});
Tensor zeros(const Shape& shape, const Options& = {});
Tensor ones(const Shape& shape, const Options& = {});

// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform(int64_t fan_in, int64_t fan_out, double gain = 1.0, const Shape& shape = {},
                      const Options& = {});
// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal(int64_t fan_in, int64_t fan_out, double gain = 1.0, const Shape& shape = {},
                     const Options& = {});
// U(-b, b), b = gain * sqrt(3 / fan_in) (sqrt(6 / fan_in) for ReLU). fan_out only sets the
// default shape, as in needle.
Tensor kaiming_uniform(int64_t fan_in, int64_t fan_out, const Shape& shape = {},
                       Nonlinearity nonlinearity = Nonlinearity::ReLU, const Options& = {});
// N(0, std^2), std = gain / sqrt(fan_in) (sqrt(2 / fan_in) for ReLU).
Tensor kaiming_normal(int64_t fan_in, int64_t fan_out, const Shape& shape = {},
                      Nonlinearity nonlinearity = Nonlinearity::ReLU, const Options& = {});

}  // namespace needle::init

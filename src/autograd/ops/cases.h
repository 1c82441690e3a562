// Helpers for registering op-table cases (private to src/autograd/ops): random input makers and
// a static registrar, so each op file lists its cases right after its ops.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "needle/ndarray.h"
#include "needle/op_table.h"
#include "needle/tensor.h"

namespace needle::autograd::cases {

using Inputs = std::vector<Tensor>;
using Maker = std::function<Inputs(DType)>;

// Inputs of the given shapes, uniform in [low, high).
inline Maker uniform(std::vector<Shape> shapes, double low = -1.0, double high = 1.0) {
  return [shapes = std::move(shapes), low, high](DType dtype) {
    Inputs inputs;
    for (const Shape& s : shapes)
      inputs.emplace_back(NDArray::rand(s, low, high, dtype));
    return inputs;
  };
}

// Registers its cases during static initialisation of the library.
struct Registrar {
  explicit Registrar(std::vector<OpCase> op_cases) {
    for (OpCase& c : op_cases)
      register_op_case(std::move(c));
  }
};

}  // namespace needle::autograd::cases

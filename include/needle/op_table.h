// The op table: one entry per differentiable op and input pattern (broadcast, batched, ...),
// registered next to the op's definition in src/autograd/ops/. Tests are generated from it:
// every entry gets a numerical gradient check on its own inputs and on non-compact (transposed,
// strided) views of them, and the smooth ones a second-order check.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "needle/dtype.h"
#include "needle/tensor.h"

namespace needle {

struct OpCase {
  std::string name;  // "add/broadcast", "matmul/batched", ...
  int arity = 1;     // how many differentiable inputs `apply` takes
  // Random inputs at which the op is differentiable (e.g. positive for log, no ties for max),
  // CPU, in `dtype`, not requiring grad. Draws from the global generator.
  std::function<std::vector<Tensor>(DType dtype)> make_inputs;
  // The op applied to the inputs (integer arguments such as indices are captured).
  std::function<Tensor(const std::vector<Tensor>&)> apply;
  // Twice differentiable at those inputs, so second-order checks apply.
  bool smooth = true;
};

// Every registered case, in registration order.
const std::vector<OpCase>& op_table();

// Adds a case; src/autograd/ops/*.cc call it from static registrars.
void register_op_case(OpCase op_case);

}  // namespace needle

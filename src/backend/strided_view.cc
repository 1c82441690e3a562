// StridedView helpers and the names of the kernel ops used in error messages.
#include "needle/backend.h"

namespace needle {

bool StridedView::is_contiguous() const {
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg",     "exp",    "log",        "sqrt",       "tanh",
                                "sigmoid", "relu",   "abs",        "sign",       "sin",
                                "cos",     "square", "reciprocal", "logical_not"};
  return names[static_cast<int>(op)];
}

const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
  return names[static_cast<int>(op)];
}

const char* op_name(ReduceOp op) {
  static const char* names[] = {"sum", "max", "min", "argmax", "argmin"};
  return names[static_cast<int>(op)];
}

}  // namespace needle

// Matrix product: 2-D, 1-D as NumPy, and batched N-D with broadcasting of the batch dims.
// The gradient contracts with the other operand and sums over broadcast batch dims.
#include <algorithm>
#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using autograd::sum_to;
using Grads = std::vector<Tensor>;

// Inputs are at least 2-D here: matmul() turns 1-D operands into matrices first.
struct MatMulOp final : Op {
  const char* name() const override { return "matmul"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return needle::matmul(a, b); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = out.node()->inputs[0];
    const Tensor& b = out.node()->inputs[1];
    return {a.requires_grad() ? sum_to(matmul(g, transpose(b)), a.shape()) : Tensor(),
            b.requires_grad() ? sum_to(matmul(transpose(a), g), b.shape()) : Tensor()};
  }
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 1 && b.ndim() >= 1,
                  "matmul: both operands need at least 1 dimension, got {} @ {}",
                  shape_str(a.shape()), shape_str(b.shape()));
  const int64_t k_a = a.shape().back();
  const int64_t k_b = b.ndim() == 1 ? b.shape()[0] : b.shape()[b.shape().size() - 2];
  NEEDLE_CHECK_AS(ShapeError, k_a == k_b, "matmul: inner dimensions differ: {} @ {}",
                  shape_str(a.shape()), shape_str(b.shape()));
  if (a.ndim() > 2 || b.ndim() > 2) {
    const Shape batch_a(a.shape().begin(), a.shape().end() - std::min<int64_t>(a.ndim(), 2));
    const Shape batch_b(b.shape().begin(), b.shape().end() - std::min<int64_t>(b.ndim(), 2));
    try {
      broadcast_shapes(batch_a, batch_b, "matmul");
    } catch (const ShapeError&) {
      throw ShapeError(fmt::format("matmul: batch dimensions do not broadcast: {} @ {}",
                                   shape_str(a.shape()), shape_str(b.shape())));
    }
  }
  if (a.ndim() == 1 || b.ndim() == 1) {
    // As NumPy: a vector is a row (left) or a column (right) whose axis is dropped afterwards.
    const Tensor a2 = a.ndim() == 1 ? unsqueeze(a, 0) : a;
    const Tensor b2 = b.ndim() == 1 ? unsqueeze(b, 1) : b;
    Tensor out = apply_op(MatMulOp{}, a2, b2);
    if (b.ndim() == 1) out = squeeze(out, {-1});
    if (a.ndim() == 1) out = squeeze(out, {-1 - (b.ndim() == 1 ? 0 : 1)});
    return out;
  }
  return apply_op(MatMulOp{}, a, b);
}

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

Tensor mm(const Inputs& x) {
  return matmul(x[0], x[1]);
}

const autograd::cases::Registrar registrar({
    {"matmul", 2, uniform({{3, 4}, {4, 5}}), mm},
    {"matmul/batched", 2, uniform({{2, 3, 4}, {2, 4, 5}}), mm},
    {"matmul/broadcast_2d_3d", 2, uniform({{2, 4}, {3, 4, 2}}), mm},
    {"matmul/broadcast_3d_2d", 2, uniform({{3, 2, 4}, {4, 3}}), mm},
    {"matmul/broadcast_batch", 2, uniform({{3, 2, 1}, {3, 3, 1, 2}}), mm},
    {"matmul/vector_matrix", 2, uniform({{4}, {4, 3}}), mm},
    {"matmul/matrix_vector", 2, uniform({{3, 4}, {4}}), mm},
    {"matmul/dot", 2, uniform({{4}, {4}}), mm},
});

}  // namespace
}  // namespace needle

// Masking (ops.h): a differentiable where(cond, a, b), masked_fill, and the triangles tril/triu
// that causal attention masks are made of. The condition is a Bool constant: the gradient of a
// (b) is g where cond holds (does not), zero elsewhere, summed back over broadcast axes. Both
// gradients are where() again, so they differentiate in turn.
#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using autograd::constant;
using autograd::sum_to;
using Grads = std::vector<Tensor>;

struct WhereOp final : Op {
  Tensor cond;  // Bool, never differentiated
  explicit WhereOp(Tensor cond_) : cond(std::move(cond_)) {}
  const char* name() const override { return "where"; }
  NDArray compute(const NDArray& a, const NDArray& b) const {
    return needle::where(cond.data(), a, b);
  }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = out.node()->inputs[0];
    const Tensor& b = out.node()->inputs[1];
    const Tensor zero = constant(NDArray::zeros({}, g.dtype(), g.device()));
    return {a.requires_grad() ? sum_to(where(cond, g, zero), a.shape()) : Tensor(),
            b.requires_grad() ? sum_to(where(cond, zero, g), b.shape()) : Tensor()};
  }
};

// Elements (i, j) of the last two axes with j - i <= k (lower) or >= k (upper), as a Bool
// (rows, cols) array made on `device` from two broadcast aranges.
NDArray triangle_mask(int64_t rows, int64_t cols, int64_t k, bool lower, const Device& device) {
  const NDArray i = NDArray::arange(rows, DType::Int64, device).reshape({rows, 1});
  const NDArray j = NDArray::arange(cols, DType::Int64, device).reshape({1, cols});
  const NDArray diagonal = j - i;
  return lower ? le(diagonal, static_cast<double>(k)) : ge(diagonal, static_cast<double>(k));
}

Tensor triangle(const Tensor& a, int64_t k, bool lower) {
  const char* op = lower ? "tril" : "triu";
  NEEDLE_CHECK(a.defined(), "{}: undefined tensor", op);
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 2, "{}: needs at least 2 dimensions, got shape {}", op,
                  shape_str(a.shape()));
  const Tensor mask =
      constant(triangle_mask(a.shape(a.ndim() - 2), a.shape(a.ndim() - 1), k, lower, a.device()));
  return where(mask, a, constant(NDArray::zeros({}, a.dtype(), a.device())));
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  NEEDLE_CHECK(cond.defined() && a.defined() && b.defined(), "where: undefined tensor");
  NEEDLE_CHECK_AS(DTypeError, cond.dtype() == DType::Bool,
                  "where: condition has dtype {}, bool expected", dtype_name(cond.dtype()));
  return apply_op(WhereOp(constant(cond.data())), a, b);
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, double value) {
  NEEDLE_CHECK(a.defined() && mask.defined(), "masked_fill: undefined tensor");
  NEEDLE_CHECK_AS(DTypeError, mask.dtype() == DType::Bool,
                  "masked_fill: mask has dtype {}, bool expected", dtype_name(mask.dtype()));
  NEEDLE_CHECK_AS(ShapeError, broadcast_shapes(mask.shape(), a.shape(), "masked_fill") == a.shape(),
                  "masked_fill: mask of shape {} does not broadcast to the input's shape {}",
                  shape_str(mask.shape()), shape_str(a.shape()));
  return where(mask, constant(NDArray::full({}, value, a.dtype(), a.device())), a);
}

Tensor tril(const Tensor& a, int64_t k) {
  return triangle(a, k, /*lower=*/true);
}

Tensor triu(const Tensor& a, int64_t k) {
  return triangle(a, k, /*lower=*/false);
}

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

Tensor checkerboard(const Shape& shape, const Device& device) {
  std::vector<uint8_t> bits;
  for (int64_t i = 0; i < numel(shape); ++i)
    bits.push_back(static_cast<uint8_t>((i * 7 / 3) % 2));
  return Tensor(NDArray::from_vector<uint8_t>(bits, shape, device).astype(DType::Bool));
}

const autograd::cases::Registrar masking_cases({
    {"where", 2, uniform({{3, 4}, {3, 4}}),
     [](const Inputs& x) {
       return where(checkerboard({3, 4}, x[0].device()), x[0], x[1]);
     }},
    {"where/broadcast", 2, uniform({{3, 1}, {4}}),
     [](const Inputs& x) {
       return where(checkerboard({3, 4}, x[0].device()), x[0], x[1]);
     }},
    {"masked_fill", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) {
       return masked_fill(x[0], checkerboard({3, 4}, x[0].device()), -2.5);
     }},
    {"tril", 1, uniform({{2, 4, 5}}), [](const Inputs& x) { return tril(x[0]); }},
    {"triu/offset", 1, uniform({{4, 3}}), [](const Inputs& x) { return triu(x[0], 1); }},
});

}  // namespace
}  // namespace needle

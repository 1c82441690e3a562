// Elementwise, reduction and matmul free functions on NDArray: validate devices, dtypes and
// shapes, express broadcasting as zero strides, allocate a compact output and call the device's
// backend on the strided inputs directly (never compacting them first). This is the op path
// that small-array workloads hammer, so it avoids temporaries beyond the output itself.
#include "needle/ndarray.h"
#include "src/ndarray/access.h"

namespace needle {
namespace {

void check_pair(const NDArray& a, const NDArray& b, const char* op) {
  NEEDLE_CHECK(a.defined() && b.defined(), "{}: undefined array", op);
  NEEDLE_CHECK_AS(DeviceError, a.device() == b.device(),
                  "{}: arrays on different devices: {} and {}", op, a.device(), b.device());
  NEEDLE_CHECK_AS(DTypeError, a.dtype() == b.dtype(), "{}: dtypes differ: {} and {}", op, a.dtype(),
                  b.dtype());
}

void check_floating(DType dtype, const char* op) {
  NEEDLE_CHECK_AS(DTypeError, is_floating(dtype),
                  "{}: dtype {} is not supported (float32 or float64 expected)", op,
                  dtype_name(dtype));
}

// `shape` with the (sorted) `axes` removed: a reduction's result without keepdims.
Shape drop_axes(const Shape& shape, const Axes& axes) {
  Shape out;
  out.reserve(shape.size() - axes.size());
  size_t k = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (k < axes.size() && axes[k] == static_cast<int64_t>(i)) {
      ++k;
      continue;
    }
    out.push_back(shape[i]);
  }
  return out;
}

NDArray reduce(ReduceOp op, const NDArray& a, Axes axes, bool keepdims) {
  const char* name = op_name(op);
  NEEDLE_CHECK(a.defined(), "{}: undefined array", name);
  Shape kept = a.shape();
  for (int64_t ax : axes)
    kept[static_cast<size_t>(ax)] = 1;
  NDArray out =
      NDArrayAccess::empty(std::move(kept), result_dtype(op_result(op), a.dtype()), a.device());
  if (a.numel() == 0) {
    // As NumPy: an empty sum is 0, an empty max/min/argmax has no value.
    NEEDLE_CHECK_AS(ShapeError, op == ReduceOp::Sum || out.numel() == 0,
                    "{}: cannot reduce an array of shape {} over an axis of size 0", name,
                    shape_str(a.shape()));
    out.fill(0.0);
  } else if (axes.empty()) {
    // A 0-d input: there is nothing to reduce over.
    backend_for(a.device()).copy(a.view(), out.view());
  } else {
    backend_for(a.device()).reduce(op, a.view(), axes, out.view());
  }
  if (keepdims || axes.empty()) return out;
  Shape shape = drop_axes(a.shape(), axes);
  Strides strides = compact_strides(shape);
  return NDArrayAccess::with_view(out, std::move(shape), std::move(strides), 0);
}

NDArray reduce_axes(ReduceOp op, const NDArray& a, const Axes& axes, bool keepdims) {
  NEEDLE_CHECK(a.defined(), "{}: undefined array", op_name(op));
  return reduce(op, a, normalize_axes(axes, a.ndim(), op_name(op)), keepdims);
}

NDArray reduce_arg(ReduceOp op, const NDArray& a, int64_t axis, bool keepdims) {
  NEEDLE_CHECK(a.defined(), "{}: undefined array", op_name(op));
  return reduce(op, a, Axes{normalize_axis(axis, a.ndim(), op_name(op))}, keepdims);
}

}  // namespace

// --- elementwise --------------------------------------------------------------------------------

NDArray unary(UnaryOp op, const NDArray& a) {
  NEEDLE_CHECK(a.defined(), "{}: undefined array", op_name(op));
  if (requires_floating(op)) check_floating(a.dtype(), op_name(op));
  NDArray out =
      NDArrayAccess::empty(Shape(a.shape()), result_dtype(op_result(op), a.dtype()), a.device());
  if (out.numel() > 0) backend_for(a.device()).unary(op, a.view(), out.view());
  return out;
}

NDArray binary(BinaryOp op, const NDArray& a, const NDArray& b) {
  const char* name = op_name(op);
  check_pair(a, b, name);
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), name);
  NDArray out =
      NDArrayAccess::empty(std::move(shape), result_dtype(op_result(op), a.dtype()), a.device());
  if (out.numel() == 0) return out;
  StridedView ta, tb;
  backend_for(a.device())
      .binary(op, broadcast_view(a, out.shape(), ta), broadcast_view(b, out.shape(), tb),
              out.view());
  return out;
}

NDArray binary(BinaryOp op, const NDArray& a, double scalar, bool scalar_first) {
  NEEDLE_CHECK(a.defined(), "{}: undefined array", op_name(op));
  NDArray out =
      NDArrayAccess::empty(Shape(a.shape()), result_dtype(op_result(op), a.dtype()), a.device());
  if (out.numel() == 0) return out;
  // x ** 2 is the common case (squared errors): a multiply is exact and much cheaper than pow,
  // on every device.
  if (op == BinaryOp::Pow && !scalar_first && scalar == 2.0 && is_floating(a.dtype())) {
    backend_for(a.device()).unary(UnaryOp::Square, a.view(), out.view());
  } else {
    backend_for(a.device()).binary_scalar(op, a.view(), scalar, scalar_first, out.view());
  }
  return out;
}

NDArray operator+(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Add, a, b);
}
NDArray operator-(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Sub, a, b);
}
NDArray operator*(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Mul, a, b);
}
NDArray operator/(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Div, a, b);
}
NDArray operator+(const NDArray& a, double s) {
  return binary(BinaryOp::Add, a, s);
}
NDArray operator-(const NDArray& a, double s) {
  return binary(BinaryOp::Sub, a, s);
}
NDArray operator*(const NDArray& a, double s) {
  return binary(BinaryOp::Mul, a, s);
}
NDArray operator/(const NDArray& a, double s) {
  return binary(BinaryOp::Div, a, s);
}
NDArray operator+(double s, const NDArray& a) {
  return binary(BinaryOp::Add, a, s, true);
}
NDArray operator-(double s, const NDArray& a) {
  return binary(BinaryOp::Sub, a, s, true);
}
NDArray operator*(double s, const NDArray& a) {
  return binary(BinaryOp::Mul, a, s, true);
}
NDArray operator/(double s, const NDArray& a) {
  return binary(BinaryOp::Div, a, s, true);
}
NDArray operator-(const NDArray& a) {
  return unary(UnaryOp::Neg, a);
}

NDArray pow(const NDArray& a, double exponent) {
  return binary(BinaryOp::Pow, a, exponent);
}
NDArray pow(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Pow, a, b);
}
NDArray maximum(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Maximum, a, b);
}
NDArray maximum(const NDArray& a, double s) {
  return binary(BinaryOp::Maximum, a, s);
}
NDArray minimum(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Minimum, a, b);
}
NDArray minimum(const NDArray& a, double s) {
  return binary(BinaryOp::Minimum, a, s);
}
NDArray exp(const NDArray& a) {
  return unary(UnaryOp::Exp, a);
}
NDArray log(const NDArray& a) {
  return unary(UnaryOp::Log, a);
}
NDArray sqrt(const NDArray& a) {
  return unary(UnaryOp::Sqrt, a);
}
NDArray tanh(const NDArray& a) {
  return unary(UnaryOp::Tanh, a);
}
NDArray sigmoid(const NDArray& a) {
  return unary(UnaryOp::Sigmoid, a);
}
NDArray relu(const NDArray& a) {
  return unary(UnaryOp::Relu, a);
}
NDArray abs(const NDArray& a) {
  return unary(UnaryOp::Abs, a);
}
NDArray sign(const NDArray& a) {
  return unary(UnaryOp::Sign, a);
}
NDArray sin(const NDArray& a) {
  return unary(UnaryOp::Sin, a);
}
NDArray cos(const NDArray& a) {
  return unary(UnaryOp::Cos, a);
}
NDArray square(const NDArray& a) {
  return unary(UnaryOp::Square, a);
}
NDArray reciprocal(const NDArray& a) {
  return unary(UnaryOp::Reciprocal, a);
}
NDArray log1p(const NDArray& a) {
  return unary(UnaryOp::Log1p, a);
}
NDArray expm1(const NDArray& a) {
  return unary(UnaryOp::Expm1, a);
}
NDArray erf(const NDArray& a) {
  return unary(UnaryOp::Erf, a);
}
NDArray gelu(const NDArray& a) {
  return unary(UnaryOp::Gelu, a);
}
NDArray gelu_tanh(const NDArray& a) {
  return unary(UnaryOp::GeluTanh, a);
}
NDArray silu(const NDArray& a) {
  return unary(UnaryOp::Silu, a);
}
NDArray logical_not(const NDArray& a) {
  return unary(UnaryOp::LogicalNot, a);
}

NDArray eq(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Eq, a, b);
}
NDArray ne(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Ne, a, b);
}
NDArray lt(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Lt, a, b);
}
NDArray le(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Le, a, b);
}
NDArray gt(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Gt, a, b);
}
NDArray ge(const NDArray& a, const NDArray& b) {
  return binary(BinaryOp::Ge, a, b);
}
NDArray eq(const NDArray& a, double s) {
  return binary(BinaryOp::Eq, a, s);
}
NDArray ne(const NDArray& a, double s) {
  return binary(BinaryOp::Ne, a, s);
}
NDArray lt(const NDArray& a, double s) {
  return binary(BinaryOp::Lt, a, s);
}
NDArray le(const NDArray& a, double s) {
  return binary(BinaryOp::Le, a, s);
}
NDArray gt(const NDArray& a, double s) {
  return binary(BinaryOp::Gt, a, s);
}
NDArray ge(const NDArray& a, double s) {
  return binary(BinaryOp::Ge, a, s);
}

namespace {
NDArray softmax_along(const NDArray& a, int64_t axis, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  NEEDLE_CHECK(a.defined(), "{}: undefined array", op);
  check_floating(a.dtype(), op);
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 1, "{}: needs at least one dimension, got a scalar", op);
  const int64_t ax = normalize_axis(axis, a.ndim(), op);
  const NDArray in = a.compact();
  NDArray out = NDArrayAccess::empty(Shape(a.shape()), a.dtype(), a.device());
  backend_for(a.device()).softmax(in.view(), ax, log, out.view());
  return out;
}
}  // namespace

NDArray softmax(const NDArray& a, int64_t axis) {
  return softmax_along(a, axis, /*log=*/false);
}
NDArray log_softmax(const NDArray& a, int64_t axis) {
  return softmax_along(a, axis, /*log=*/true);
}

NDArray where(const NDArray& cond, const NDArray& a, const NDArray& b) {
  check_pair(a, b, "where");
  NEEDLE_CHECK(cond.defined(), "where: undefined array");
  NEEDLE_CHECK_AS(DeviceError, cond.device() == a.device(),
                  "where: arrays on different devices: {} and {}", cond.device(), a.device());
  NEEDLE_CHECK_AS(DTypeError, cond.dtype() == DType::Bool,
                  "where: condition has dtype {}, bool expected", cond.dtype());
  Shape shape =
      a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), "where");
  if (cond.shape() != shape) shape = broadcast_shapes(cond.shape(), shape, "where");
  NDArray out = NDArrayAccess::empty(std::move(shape), a.dtype(), a.device());
  if (out.numel() == 0) return out;
  StridedView tc, ta, tb;
  backend_for(a.device())
      .where(broadcast_view(cond, out.shape(), tc), broadcast_view(a, out.shape(), ta),
             broadcast_view(b, out.shape(), tb), out.view());
  return out;
}

// --- reductions ---------------------------------------------------------------------------------

NDArray sum(const NDArray& a, const Axes& axes, bool keepdims) {
  // As in PyTorch, integer and bool sums accumulate in int64: a count of true values
  // (sum(eq(pred, label))) must not saturate at true or wrap at 255.
  if (a.defined() && !is_floating(a.dtype()) && a.dtype() != DType::Int64) {
    return reduce_axes(ReduceOp::Sum, a.astype(DType::Int64), axes, keepdims);
  }
  return reduce_axes(ReduceOp::Sum, a, axes, keepdims);
}

NDArray max(const NDArray& a, const Axes& axes, bool keepdims) {
  return reduce_axes(ReduceOp::Max, a, axes, keepdims);
}

NDArray min(const NDArray& a, const Axes& axes, bool keepdims) {
  return reduce_axes(ReduceOp::Min, a, axes, keepdims);
}

NDArray mean(const NDArray& a, const Axes& axes, bool keepdims) {
  NEEDLE_CHECK(a.defined(), "mean: undefined array");
  check_floating(a.dtype(), "mean");
  Axes norm = normalize_axes(axes, a.ndim(), "mean");
  int64_t count = 1;
  for (int64_t ax : norm)
    count *= a.shape()[static_cast<size_t>(ax)];
  NDArray out = reduce(ReduceOp::Sum, a, std::move(norm), keepdims);
  // `out` is fresh and compact: dividing in place saves a second allocation. An empty mean is
  // 0 / 0 = nan, as in NumPy.
  if (out.numel() > 0) {
    backend_for(out.device())
        .binary_scalar(BinaryOp::Div, out.view(), static_cast<double>(count), false, out.view());
  }
  return out;
}

NDArray argmax(const NDArray& a, int64_t axis, bool keepdims) {
  return reduce_arg(ReduceOp::Argmax, a, axis, keepdims);
}

NDArray argmin(const NDArray& a, int64_t axis, bool keepdims) {
  return reduce_arg(ReduceOp::Argmin, a, axis, keepdims);
}

// --- matmul -------------------------------------------------------------------------------------

NDArray matmul(const NDArray& a, const NDArray& b) {
  check_pair(a, b, "matmul");
  check_floating(a.dtype(), "matmul");
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 1 && b.ndim() >= 1,
                  "matmul: 0-d arrays are not allowed: {} @ {}", shape_str(a.shape()),
                  shape_str(b.shape()));
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  // A 1-D operand is promoted to a matrix (a row for a, a column for b), as in NumPy.
  const int64_t m = a_vec ? 1 : as[as.size() - 2];
  const int64_t k = as.back();
  const int64_t kb = b_vec ? bs[0] : bs[bs.size() - 2];
  const int64_t n = b_vec ? 1 : bs.back();
  NEEDLE_CHECK_AS(ShapeError, k == kb, "matmul: inner dimensions differ: {} @ {}", shape_str(as),
                  shape_str(bs));

  const Shape a_batch(as.begin(), as.end() - std::min<ptrdiff_t>(2, as.size()));
  const Shape b_batch(bs.begin(), bs.end() - std::min<ptrdiff_t>(2, bs.size()));
  Shape batch = a_batch == b_batch ? a_batch : broadcast_shapes(a_batch, b_batch, "matmul");
  const size_t nb = batch.size();

  // Views of a (batch..., m, k) and b (batch..., k, n), zero strides on broadcast batch dims.
  StridedView av = a.view(), bv = b.view();
  auto expand = [&](StridedView& v, const Shape& own_batch, int64_t rows, int64_t cols, bool vec,
                    bool is_a) {
    const Strides& s = v.strides;
    int64_t rs, cs;
    if (vec) {
      // The strides a reshape would give ((1, k) and (k, 1) of a compact vector are (k, 1) and
      // (1, 1)), so a backend sees the usual row-major layout with a valid leading dimension.
      rs = is_a ? cols * s[0] : s[0];
      cs = is_a ? s[0] : 1;
    } else {
      rs = s[s.size() - 2];
      cs = s.back();
    }
    Strides strides(nb + 2, 0);
    const size_t lead = nb - own_batch.size();
    for (size_t i = 0; i < own_batch.size(); ++i) {
      strides[lead + i] = own_batch[i] == 1 && batch[lead + i] != 1 ? 0 : s[i];
    }
    strides[nb] = rs;
    strides[nb + 1] = cs;
    Shape shape(batch);
    shape.push_back(rows);
    shape.push_back(cols);
    v.shape = std::move(shape);
    v.strides = std::move(strides);
  };
  expand(av, a_batch, m, k, a_vec, true);
  expand(bv, b_batch, k, n, b_vec, false);

  Shape out_shape = std::move(batch);
  out_shape.push_back(m);
  out_shape.push_back(n);
  NDArray out = NDArrayAccess::empty(std::move(out_shape), a.dtype(), a.device());
  if (out.numel() > 0) {
    if (k == 0) {
      out.fill(0.0);
    } else {
      backend_for(a.device()).matmul(av, bv, out.view());
    }
  }
  if (!a_vec && !b_vec) return out;
  // Drop the promoted axes again.
  Shape shape(out.shape().begin(), out.shape().end() - 2);
  if (!a_vec) shape.push_back(m);
  if (!b_vec) shape.push_back(n);
  Strides strides = compact_strides(shape);
  return NDArrayAccess::with_view(out, std::move(shape), std::move(strides), 0);
}

}  // namespace needle

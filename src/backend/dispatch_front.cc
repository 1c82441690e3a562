// The checking front of the dispatch seam: every public kernel entry point of Backend validates
// its arguments here, once for every backend, and then calls the backend's do_* method. The
// messages name the op (op_name for op codes) and the offending shape or dtype, as a user of
// NDArray would want to read them; backends never repeat these checks.
#include <algorithm>
#include <initializer_list>
#include <string>

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

// The checks run on every kernel call, so each is a cheap test first; only a failing one goes on
// to find and format the error (the formatting itself is out of line, error.h).

[[gnu::always_inline]] inline bool same_shape(const Shape& a, const Shape& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// One stride per axis, the stated rank limit, no negative size, memory present.
[[gnu::always_inline]] inline bool well_formed(const StridedView& v) {
  const size_t nd = v.shape.size();
  if (v.strides.size() != nd || nd > static_cast<size_t>(kMaxDims) || v.data == nullptr)
    return false;
  for (int64_t s : v.shape) {
    if (s < 0) return false;
  }
  return true;
}

// A view's own consistency: one stride per axis, the stated rank limit.
void check_view(const char* op, const char* what, const StridedView& v) {
  NEEDLE_CHECK_AS(ShapeError, v.strides.size() == v.shape.size(),
                  "{}: {} has {} strides for {} dimensions", op, what, v.strides.size(),
                  v.shape.size());
  NEEDLE_CHECK_AS(ShapeError, v.ndim() <= kMaxDims,
                  "{}: {} has {} dimensions; at most {} are supported", op, what, v.ndim(),
                  kMaxDims);
  for (int64_t s : v.shape) {
    NEEDLE_CHECK_AS(ShapeError, s >= 0, "{}: {} has a negative dimension: {}", op, what,
                    shape_str(v.shape));
  }
}

struct Operand {
  const char* what;
  const StridedView* view;
};

// `d` is a device of `backend` that exists.
[[gnu::always_inline]] inline bool device_exists(const Backend& backend, const Device& d) {
  return d.type == backend.device_type() && d.index >= 0 && d.index < backend.device_count();
}

void check_device(const Backend& backend, const char* op, const char* what, const Device& d) {
  NEEDLE_CHECK_AS(DeviceError, d.type == backend.device_type(),
                  "{}: {} is on {}, which the {} backend does not serve", op, what, d.str(),
                  backend.name());
  NEEDLE_CHECK_AS(DeviceError, d.index >= 0 && d.index < backend.device_count(),
                  "{}: {} is on {}, but {} {} device(s) are present ({})", op, what, d.str(),
                  backend.device_count(), backend.name(), backend.availability());
}

// The error of check_operands, found again the slow way, in the order a reader expects.
[[noreturn, gnu::cold, gnu::noinline]] void throw_operand_error(
    const Backend& backend, const char* op, std::initializer_list<Operand> operands,
    bool same_index) {
  const Device* first = nullptr;
  for (const Operand& o : operands) {
    check_view(op, o.what, *o.view);
    const Device& d = o.view->device;
    if (first == nullptr || !same_index || d != *first) {
      check_device(backend, op, o.what, d);
      NEEDLE_CHECK_AS(DeviceError, first == nullptr || !same_index,
                      "{}: operands on different devices ({} and {}); all must be on one device",
                      op, first->str(), d.str());
    }
    NEEDLE_CHECK(o.view->data != nullptr, "{}: {} is missing (no memory)", op, o.what);
    if (first == nullptr) first = &d;
  }
  throw Error(fmt::format("{}: invalid operands", op));  // not reached: a check above threw
}

// Every operand given (optional ones are passed only when present) has memory, is well formed
// and lies on one existing device of `backend` (with `same_index` false, on devices of it that
// may differ: copy). The backend is asked about a device only when it differs from the first
// operand's, which was checked already.
[[gnu::always_inline]] inline void check_operands(const Backend& backend, const char* op,
                                                  std::initializer_list<Operand> operands,
                                                  bool same_index = true) {
  const Device& first = operands.begin()->view->device;
  bool ok = device_exists(backend, first);
  for (const Operand& o : operands) {
    const Device& d = o.view->device;
    ok = ok && well_formed(*o.view) && (d == first || (!same_index && device_exists(backend, d)));
  }
  if (!ok) [[unlikely]]
    throw_operand_error(backend, op, operands, same_index);
}

// Optional views (a bias, a gradient not asked for) are absent: data == nullptr.
bool present(const StridedView& v) {
  return v.data != nullptr;
}

[[gnu::always_inline]] inline void check_shape(const char* op, const char* what,
                                               const StridedView& v, const Shape& expected) {
  NEEDLE_CHECK_AS(ShapeError, same_shape(v.shape, expected), "{}: {} has shape {}, expected {}", op,
                  what, shape_str(v.shape), shape_str(expected));
}

void check_dtype(const char* op, const char* what, const StridedView& v, DType expected) {
  NEEDLE_CHECK_AS(DTypeError, v.dtype == expected, "{}: {} has dtype {}, expected {}", op, what,
                  dtype_name(v.dtype), dtype_name(expected));
}

void check_floating(const char* op, DType dtype) {
  NEEDLE_CHECK_AS(DTypeError, is_floating(dtype),
                  "{}: dtype {} is not supported (float32 or float64 expected)", op,
                  dtype_name(dtype));
}

void check_compact(const char* op, const char* what, const StridedView& v) {
  NEEDLE_CHECK_AS(ShapeError, v.is_contiguous(), "{}: {} {} must be compact", op, what,
                  shape_str(v.shape));
}

// An op code outside its list (a corrupted or drifted value) is an error, never a no-op.
template <typename Code>
void check_known(const char* family, Code op) {
  NEEDLE_CHECK(visit_op(op, [](auto) {}), "{}: unknown op code {}", family, static_cast<int>(op));
}

// The compact (C) per-channel vectors of batch normalization.
void check_channel_vector(const char* op, const char* what, const StridedView& v, int64_t channels,
                          DType dtype) {
  if (!present(v)) return;
  NEEDLE_CHECK_AS(ShapeError, v.shape == Shape{channels} && v.is_contiguous(),
                  "{}: {} must be a compact ({}) array, got {}", op, what, channels,
                  shape_str(v.shape));
  check_dtype(op, what, v, dtype);
}

int64_t batch_norm_channels(const char* op, const StridedView& x) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() >= 2 && x.is_contiguous(),
                  "{}: expected a compact (N, C, ...) array, got shape {}", op, shape_str(x.shape));
  check_floating(op, x.dtype);
  return x.shape[1];
}

// The views of one convolution call: compact, 4-D, one floating dtype.
void check_conv_views(const char* op, std::initializer_list<Operand> views) {
  const StridedView& first = *views.begin()->view;
  check_floating(op, first.dtype);
  for (const Operand& o : views) {
    if (!present(*o.view)) continue;
    NEEDLE_CHECK_AS(ShapeError, o.view->ndim() == 4 && o.view->is_contiguous(),
                    "{}: {} must be a compact 4-D array, got {}", op, o.what,
                    shape_str(o.view->shape));
    NEEDLE_CHECK_AS(DTypeError, o.view->dtype == first.dtype, "{}: dtypes differ: {} and {}", op,
                    dtype_name(first.dtype), dtype_name(o.view->dtype));
  }
}

void check_conv_shapes(const char* op, const Shape& input, const Shape& weight, const Shape& out,
                       const Conv2dParams& p) {
  const Shape expected = conv2d_output_shape(input, weight, p, op);
  NEEDLE_CHECK_AS(ShapeError, out == expected,
                  "{}: output has shape {}, expected {} for input {} and weight {}", op,
                  shape_str(out), shape_str(expected), shape_str(input), shape_str(weight));
}

void check_conv_bias(const char* op, const char* what, const StridedView& bias, int64_t channels,
                     DType dtype) {
  if (!present(bias)) return;
  NEEDLE_CHECK_AS(ShapeError, bias.shape == Shape{channels} && bias.is_contiguous(),
                  "{}: {} must be a compact ({}) array, got {}", op, what, channels,
                  shape_str(bias.shape));
  NEEDLE_CHECK_AS(DTypeError, bias.dtype == dtype, "{}: dtypes differ: {} and {}", op,
                  dtype_name(dtype), dtype_name(bias.dtype));
}

// The optimizer state arrays: param's shape and dtype, floating.
void check_like_param(const char* op, const StridedView& param, const StridedView& other,
                      const char* what) {
  NEEDLE_CHECK_AS(ShapeError, other.shape == param.shape, "{}: {} has shape {}, parameter {}", op,
                  what, shape_str(other.shape), shape_str(param.shape));
  NEEDLE_CHECK_AS(DTypeError, other.dtype == param.dtype, "{}: {} has dtype {}, parameter {}", op,
                  what, dtype_name(other.dtype), dtype_name(param.dtype));
}

}  // namespace

const char* feature_name(BackendFeature feature) {
  switch (feature) {
    case BackendFeature::Conv2d:
      return "conv2d";
    case BackendFeature::FusedBatchNorm:
      return "fused batch_norm";
    case BackendFeature::PinnedHostMemory:
      return "pinned host memory";
  }
  return "unknown feature";
}

void Backend::throw_unsupported(BackendFeature feature) const {
  throw DeviceError(
      fmt::format("{} is not supported by the {} backend", feature_name(feature), name()));
}

// --- pinned host memory ------------------------------------------------------------------------

void* Backend::allocate_pinned_host(size_t nbytes) {
  if (!supports(BackendFeature::PinnedHostMemory))
    throw_unsupported(BackendFeature::PinnedHostMemory);
  return do_allocate_pinned_host(nbytes);
}

void Backend::free_pinned_host(void* ptr) {
  if (ptr == nullptr) return;
  do_free_pinned_host(ptr);
}

// --- data movement -----------------------------------------------------------------------------

void Backend::copy(const StridedView& src, const StridedView& dst) {
  check_operands(*this, "copy", {{"destination", &dst}, {"source", &src}}, /*same_index=*/false);
  check_shape("copy", "destination", dst, src.shape);
  if (src.numel() == 0) return;
  do_copy(src, dst);
}

void Backend::fill(const StridedView& dst, double value) {
  check_operands(*this, "fill", {{"destination", &dst}});
  if (dst.numel() == 0) return;
  do_fill(dst, value);
}

void Backend::random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset, double low,
                             double high) {
  check_operands(*this, "random_uniform", {{"destination", &dst}});
  if (dst.numel() == 0) return;
  do_random_uniform(dst, seed, offset, low, high);
}

void Backend::random_normal(const StridedView& dst, uint64_t seed, uint64_t offset, double mean,
                            double std) {
  check_operands(*this, "random_normal", {{"destination", &dst}});
  if (dst.numel() == 0) return;
  do_random_normal(dst, seed, offset, mean, std);
}

// --- elementwise -------------------------------------------------------------------------------

void Backend::unary(UnaryOp op, const StridedView& a, const StridedView& out) {
  check_known("unary", op);
  const char* name = op_name(op);
  check_operands(*this, name, {{"output", &out}, {"input", &a}});
  check_shape(name, "input", a, out.shape);
  if (requires_floating(op)) check_floating(name, a.dtype);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  if (out.numel() == 0) return;
  do_unary(op, a, out);
}

void Backend::binary(BinaryOp op, const StridedView& a, const StridedView& b,
                     const StridedView& out) {
  check_known("binary", op);
  const char* name = op_name(op);
  check_operands(*this, name, {{"output", &out}, {"lhs", &a}, {"rhs", &b}});
  check_shape(name, "lhs", a, out.shape);
  check_shape(name, "rhs", b, out.shape);
  NEEDLE_CHECK_AS(DTypeError, a.dtype == b.dtype, "{}: operand dtypes differ: {} and {}", name,
                  dtype_name(a.dtype), dtype_name(b.dtype));
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  if (out.numel() == 0) return;
  do_binary(op, a, b, out);
}

void Backend::binary_scalar(BinaryOp op, const StridedView& a, double scalar, bool scalar_first,
                            const StridedView& out) {
  check_known("binary", op);
  const char* name = op_name(op);
  check_operands(*this, name, {{"output", &out}, {"input", &a}});
  check_shape(name, "input", a, out.shape);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  if (out.numel() == 0) return;
  do_binary_scalar(op, a, scalar, scalar_first, out);
}

void Backend::where(const StridedView& cond, const StridedView& a, const StridedView& b,
                    const StridedView& out) {
  check_operands(*this, "where",
                 {{"output", &out}, {"condition", &cond}, {"lhs", &a}, {"rhs", &b}});
  check_shape("where", "condition", cond, out.shape);
  check_shape("where", "lhs", a, out.shape);
  check_shape("where", "rhs", b, out.shape);
  check_dtype("where", "condition", cond, DType::Bool);
  check_dtype("where", "lhs", a, out.dtype);
  check_dtype("where", "rhs", b, out.dtype);
  if (out.numel() == 0) return;
  do_where(cond, a, b, out);
}

// --- reductions --------------------------------------------------------------------------------

void Backend::reduce(ReduceOp op, const StridedView& a, const Axes& axes, const StridedView& out) {
  check_known("reduce", op);
  const char* name = op_name(op);
  check_operands(*this, name, {{"output", &out}, {"input", &a}});
  NEEDLE_CHECK_AS(ShapeError, !axes.empty(), "{}: no axes to reduce over", name);
  Shape kept = a.shape;
  int64_t reduced_elements = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    NEEDLE_CHECK_AS(ShapeError, axes[i] >= 0 && axes[i] < a.ndim(),
                    "{}: axis {} out of range for {} dimensions", name, axes[i], a.ndim());
    NEEDLE_CHECK_AS(ShapeError, i == 0 || axes[i] > axes[i - 1],
                    "{}: axes must be sorted and unique", name);
    reduced_elements *= a.shape[static_cast<size_t>(axes[i])];
    kept[static_cast<size_t>(axes[i])] = 1;
  }
  const bool arg = op == ReduceOp::Argmax || op == ReduceOp::Argmin;
  NEEDLE_CHECK_AS(ShapeError, !arg || axes.size() == 1, "{}: takes exactly one axis, got {}", name,
                  axes.size());
  check_shape(name, "output", out, kept);
  check_compact(name, "output", out);
  check_dtype(name, "output", out, result_dtype(op_result(op), a.dtype));
  if (out.numel() == 0) return;
  if (reduced_elements == 0) {
    NEEDLE_CHECK_AS(ShapeError, op == ReduceOp::Sum,
                    "{}: cannot reduce an empty axis (input shape {})", name, shape_str(a.shape));
    do_fill(out, 0.0);
    return;
  }
  do_reduce(op, a, axes, out);
}

// --- linear algebra ----------------------------------------------------------------------------

void Backend::matmul(const StridedView& a, const StridedView& b, const StridedView& out) {
  check_operands(*this, "matmul", {{"output", &out}, {"lhs", &a}, {"rhs", &b}});
  const int64_t nd = out.ndim();
  NEEDLE_CHECK_AS(ShapeError, nd >= 2 && a.ndim() == nd && b.ndim() == nd,
                  "matmul: expected operands of equal rank >= 2: {} @ {} -> {}", shape_str(a.shape),
                  shape_str(b.shape), shape_str(out.shape));
  bool ok = a.shape[nd - 1] == b.shape[nd - 2] && a.shape[nd - 2] == out.shape[nd - 2] &&
            b.shape[nd - 1] == out.shape[nd - 1];
  for (int64_t d = 0; d < nd - 2; ++d) {
    ok = ok && a.shape[d] == out.shape[d] && b.shape[d] == out.shape[d];
  }
  NEEDLE_CHECK_AS(ShapeError, ok, "matmul: shapes do not match: {} @ {} -> {}", shape_str(a.shape),
                  shape_str(b.shape), shape_str(out.shape));
  NEEDLE_CHECK_AS(DTypeError, a.dtype == b.dtype && a.dtype == out.dtype,
                  "matmul: dtypes differ: {} @ {} -> {}", dtype_name(a.dtype), dtype_name(b.dtype),
                  dtype_name(out.dtype));
  check_floating("matmul", a.dtype);
  check_compact("matmul", "output", out);
  constexpr int64_t kBlasLimit = int64_t{1} << 31;  // BLAS dimensions are 32-bit ints
  NEEDLE_CHECK_AS(ShapeError,
                  out.shape[nd - 1] < kBlasLimit && out.shape[nd - 2] < kBlasLimit &&
                      a.shape[nd - 1] < kBlasLimit,
                  "matmul: matrix dimensions too large for BLAS: {} @ {}", shape_str(a.shape),
                  shape_str(b.shape));
  if (out.numel() == 0) return;
  if (a.shape[nd - 1] == 0) {  // a sum over nothing
    do_fill(out, 0.0);
    return;
  }
  do_matmul(a, b, out);
}

// --- softmax -----------------------------------------------------------------------------------

namespace {
// Compact views of one shape and floating dtype, with `axis` one of their axes.
void check_softmax_views(const char* op, int64_t axis, std::initializer_list<Operand> views) {
  const StridedView& first = *views.begin()->view;
  check_floating(op, first.dtype);
  NEEDLE_CHECK_AS(ShapeError, axis >= 0 && axis < first.ndim(),
                  "{}: axis {} out of range for {} dimensions", op, axis, first.ndim());
  for (const Operand& o : views) {
    check_shape(op, o.what, *o.view, first.shape);
    check_dtype(op, o.what, *o.view, first.dtype);
    check_compact(op, o.what, *o.view);
  }
}
}  // namespace

void Backend::softmax(const StridedView& a, int64_t axis, bool log, const StridedView& out) {
  const char* op = log ? "log_softmax" : "softmax";
  check_operands(*this, op, {{"output", &out}, {"input", &a}});
  check_softmax_views(op, axis, {{"input", &a}, {"output", &out}});
  if (out.numel() == 0) return;
  do_softmax(a, axis, log, out);
}

void Backend::softmax_backward(const StridedView& out, const StridedView& grad_out, int64_t axis,
                               bool log, const StridedView& grad_input) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  check_operands(*this, op,
                 {{"grad_input", &grad_input}, {"output", &out}, {"grad_out", &grad_out}});
  check_softmax_views(op, axis,
                      {{"output", &out}, {"grad_out", &grad_out}, {"grad_input", &grad_input}});
  if (grad_input.numel() == 0) return;
  do_softmax_backward(out, grad_out, axis, log, grad_input);
}

// --- convolution -------------------------------------------------------------------------------

Conv2dSaved Backend::conv2d_forward(const StridedView& input, const StridedView& weight,
                                    const StridedView& bias, const StridedView& out,
                                    const Conv2dParams& params, bool save_for_backward) {
  const char* op = "conv2d";
  if (!supports(BackendFeature::Conv2d)) throw_unsupported(BackendFeature::Conv2d);
  check_operands(*this, op, {{"output", &out}, {"input", &input}, {"weight", &weight}});
  if (present(bias)) check_operands(*this, op, {{"output", &out}, {"bias", &bias}});
  check_conv_views(op, {{"input", &input}, {"weight", &weight}, {"output", &out}});
  check_conv_shapes(op, input.shape, weight.shape, out.shape, params);
  check_conv_bias(op, "bias", bias, out.shape[1], input.dtype);
  return do_conv2d_forward(input, weight, bias, out, params, save_for_backward);
}

void Backend::conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                    const StridedView& grad_input, const Conv2dParams& params) {
  const char* op = "conv2d_backward_input";
  if (!supports(BackendFeature::Conv2d)) throw_unsupported(BackendFeature::Conv2d);
  check_operands(*this, op,
                 {{"grad_input", &grad_input}, {"grad_out", &grad_out}, {"weight", &weight}});
  check_conv_views(op, {{"grad_out", &grad_out}, {"weight", &weight}, {"grad_input", &grad_input}});
  check_conv_shapes(op, grad_input.shape, weight.shape, grad_out.shape, params);
  do_conv2d_backward_input(grad_out, weight, grad_input, params);
}

void Backend::conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                     const StridedView& grad_weight, const Conv2dParams& params) {
  const char* op = "conv2d_backward_weight";
  if (!supports(BackendFeature::Conv2d)) throw_unsupported(BackendFeature::Conv2d);
  check_operands(*this, op,
                 {{"grad_weight", &grad_weight}, {"input", &input}, {"grad_out", &grad_out}});
  check_conv_views(op, {{"input", &input}, {"grad_out", &grad_out}, {"grad_weight", &grad_weight}});
  check_conv_shapes(op, input.shape, grad_weight.shape, grad_out.shape, params);
  do_conv2d_backward_weight(input, grad_out, grad_weight, params);
}

void Backend::conv2d_backward(const StridedView& grad_out, const StridedView& input,
                              const StridedView& weight, const StridedView& grad_input,
                              const StridedView& grad_weight, const StridedView& grad_bias,
                              const Conv2dParams& params, const Conv2dSaved& saved) {
  const char* op = "conv2d_backward";
  if (!supports(BackendFeature::Conv2d)) throw_unsupported(BackendFeature::Conv2d);
  NEEDLE_CHECK_AS(ShapeError, !present(grad_input) || present(weight),
                  "{}: the input gradient needs the weight", op);
  NEEDLE_CHECK_AS(ShapeError, !present(grad_weight) || present(input),
                  "{}: the weight gradient needs the input", op);
  // The problem's shapes come from whichever of input/weight (or their gradients) are given.
  const StridedView& in = present(input) ? input : grad_input;
  const StridedView& w = present(weight) ? weight : grad_weight;
  NEEDLE_CHECK_AS(ShapeError, present(in) && present(w),
                  "{}: needs the input (or its gradient) and the weight (or its gradient)", op);
  for (const Operand& o :
       {Operand{"input", &input}, Operand{"weight", &weight}, Operand{"grad_input", &grad_input},
        Operand{"grad_weight", &grad_weight}, Operand{"grad_bias", &grad_bias}}) {
    if (present(*o.view)) check_operands(*this, op, {{"grad_out", &grad_out}, o});
  }
  check_conv_views(op, {{"grad_out", &grad_out},
                        {"input", &input},
                        {"weight", &weight},
                        {"grad_input", &grad_input},
                        {"grad_weight", &grad_weight}});
  check_conv_shapes(op, in.shape, w.shape, grad_out.shape, params);
  if (present(input) && present(grad_input)) {
    NEEDLE_CHECK_AS(ShapeError, input.shape == grad_input.shape,
                    "{}: grad_input {} does not match the input {}", op,
                    shape_str(grad_input.shape), shape_str(input.shape));
  }
  if (present(weight) && present(grad_weight)) {
    NEEDLE_CHECK_AS(ShapeError, weight.shape == grad_weight.shape,
                    "{}: grad_weight {} does not match the weight {}", op,
                    shape_str(grad_weight.shape), shape_str(weight.shape));
  }
  check_conv_bias(op, "grad_bias", grad_bias, grad_out.shape[1], grad_out.dtype);
  do_conv2d_backward(grad_out, input, weight, grad_input, grad_weight, grad_bias, params, saved);
}

// --- batch normalization -----------------------------------------------------------------------

void Backend::batch_norm_forward(const StridedView& x, const StridedView& weight,
                                 const StridedView& bias, double eps, const StridedView& y,
                                 const StridedView& mean, const StridedView& var) {
  const char* op = "batch_norm";
  if (!supports(BackendFeature::FusedBatchNorm)) throw_unsupported(BackendFeature::FusedBatchNorm);
  check_operands(*this, op, {{"y", &y}, {"x", &x}, {"mean", &mean}, {"var", &var}});
  for (const Operand& o : {Operand{"weight", &weight}, Operand{"bias", &bias}}) {
    if (present(*o.view)) check_operands(*this, op, {{"x", &x}, o});
  }
  const int64_t channels = batch_norm_channels(op, x);
  NEEDLE_CHECK_AS(ShapeError, y.shape == x.shape && y.is_contiguous(),
                  "{}: output must be compact {}", op, shape_str(x.shape));
  check_dtype(op, "y", y, x.dtype);
  for (auto [v, what] :
       {std::pair{&weight, "weight"}, {&bias, "bias"}, {&mean, "mean"}, {&var, "var"}})
    check_channel_vector(op, what, *v, channels, x.dtype);
  if (x.numel() == 0) return;
  do_batch_norm_forward(x, weight, bias, eps, y, mean, var);
}

void Backend::batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                                  const StridedView& mean, const StridedView& invstd,
                                  const StridedView& weight, const StridedView& grad_input,
                                  const StridedView& grad_weight, const StridedView& grad_bias) {
  const char* op = "batch_norm_backward";
  if (!supports(BackendFeature::FusedBatchNorm)) throw_unsupported(BackendFeature::FusedBatchNorm);
  check_operands(*this, op,
                 {{"grad_out", &grad_out},
                  {"x", &x},
                  {"mean", &mean},
                  {"invstd", &invstd},
                  {"grad_weight", &grad_weight},
                  {"grad_bias", &grad_bias}});
  for (const Operand& o : {Operand{"weight", &weight}, Operand{"grad_input", &grad_input}}) {
    if (present(*o.view)) check_operands(*this, op, {{"x", &x}, o});
  }
  const int64_t channels = batch_norm_channels(op, x);
  NEEDLE_CHECK_AS(ShapeError, grad_out.shape == x.shape && grad_out.is_contiguous(),
                  "{}: grad_out must be compact {}", op, shape_str(x.shape));
  check_dtype(op, "grad_out", grad_out, x.dtype);
  if (present(grad_input)) {
    NEEDLE_CHECK_AS(ShapeError, grad_input.shape == x.shape && grad_input.is_contiguous(),
                    "{}: grad_input must be compact {}", op, shape_str(x.shape));
    check_dtype(op, "grad_input", grad_input, x.dtype);
  }
  for (auto [v, what] : {std::pair{&mean, "mean"},
                         {&invstd, "invstd"},
                         {&weight, "weight"},
                         {&grad_weight, "grad_weight"},
                         {&grad_bias, "grad_bias"}})
    check_channel_vector(op, what, *v, channels, x.dtype);
  if (x.numel() == 0) return;
  do_batch_norm_backward(grad_out, x, mean, invstd, weight, grad_input, grad_weight, grad_bias);
}

// --- optimizer updates -------------------------------------------------------------------------

void Backend::sgd_step(const StridedView& param, const StridedView& grad,
                       const StridedView& momentum_buf, const SgdStepArgs& args) {
  const char* op = "sgd_step";
  const bool use_momentum = args.momentum != 0.0;
  check_operands(*this, op, {{"parameter", &param}, {"gradient", &grad}});
  check_floating(op, param.dtype);
  check_like_param(op, param, grad, "gradient");
  if (use_momentum) {
    check_operands(*this, op, {{"parameter", &param}, {"momentum buffer", &momentum_buf}});
    check_like_param(op, param, momentum_buf, "momentum buffer");
  }
  if (param.numel() == 0) return;
  do_sgd_step(param, grad, momentum_buf, args);
}

void Backend::adam_step(const StridedView& param, const StridedView& grad,
                        const StridedView& exp_avg, const StridedView& exp_avg_sq,
                        const AdamStepArgs& args) {
  const char* op = "adam_step";
  check_operands(*this, op,
                 {{"parameter", &param},
                  {"gradient", &grad},
                  {"exp_avg", &exp_avg},
                  {"exp_avg_sq", &exp_avg_sq}});
  check_floating(op, param.dtype);
  check_like_param(op, param, grad, "gradient");
  check_like_param(op, param, exp_avg, "exp_avg");
  check_like_param(op, param, exp_avg_sq, "exp_avg_sq");
  NEEDLE_CHECK(args.step >= 1, "adam_step: step count must be >= 1, got {}", args.step);
  if (param.numel() == 0) return;
  do_adam_step(param, grad, exp_avg, exp_avg_sq, args);
}

// --- index checks ------------------------------------------------------------------------------

void Backend::check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                IndexErrorMessage message) {
  check_operands(*this, "check_index_range", {{"indices", &values}});
  NEEDLE_CHECK_AS(DTypeError, !is_floating(values.dtype) && values.dtype != DType::Bool,
                  "check_index_range: indices need an integer dtype, got {}",
                  dtype_name(values.dtype));
  if (values.numel() == 0) return;
  do_check_index_range(values, lo, hi, std::move(message));
}

}  // namespace needle

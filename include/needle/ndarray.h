// NDArray: a strided, typed view of device memory. Views (reshape where strides allow,
// permute, transpose, broadcast_to, slice, select, flip) share storage and never copy;
// compact() copies only when a caller needs dense memory. Arithmetic broadcasts as NumPy does
// and runs on the device's backend over the strided inputs directly. NDArray knows nothing of
// gradients: that is Tensor's job (tensor.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/error.h"
#include "needle/shape.h"

namespace needle {

// A Python-style slice: missing start/stop mean "from the beginning/to the end" in the
// direction of `step`; negative start/stop count from the end; out-of-range bounds clamp.
struct Slice {
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  int64_t step = 1;

  Slice() = default;
  Slice(std::optional<int64_t> start_, std::optional<int64_t> stop_, int64_t step_ = 1)
      : start(start_), stop(stop_), step(step_) {}
  static Slice all() { return Slice(); }
};

class NDArray {
 public:
  NDArray() = default;  // an undefined array: defined() is false

  // --- construction -------------------------------------------------------------------------
  static NDArray empty(const Shape& shape, DType dtype = DType::Float32, Device device = cpu());
  static NDArray full(const Shape& shape, double value, DType dtype = DType::Float32,
                      Device device = cpu());
  static NDArray zeros(const Shape& shape, DType dtype = DType::Float32, Device device = cpu());
  static NDArray ones(const Shape& shape, DType dtype = DType::Float32, Device device = cpu());
  // 0, 1, ..., n-1.
  static NDArray arange(int64_t n, DType dtype = DType::Int64, Device device = cpu());
  // Uniform in [low, high) / normal(mean, std), drawn from default_generator().
  static NDArray rand(const Shape& shape, double low = 0.0, double high = 1.0,
                      DType dtype = DType::Float32, Device device = cpu());
  static NDArray randn(const Shape& shape, double mean = 0.0, double std = 1.0,
                       DType dtype = DType::Float32, Device device = cpu());
  // Copies row-major `values` into a new array; values.size() must equal numel(shape).
  template <typename T>
  static NDArray from_vector(const std::vector<T>& values, const Shape& shape,
                             Device device = cpu());
  // Copies `count` row-major elements of type `dtype` from host memory.
  static NDArray from_host(const void* data, const Shape& shape, DType dtype,
                           Device device = cpu());

  // --- metadata -----------------------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return view_.shape; }
  int64_t shape(int64_t axis) const;  // negative axes count from the end
  const Strides& strides() const { return view_.strides; }
  int64_t offset() const { return view_.offset; }
  DType dtype() const { return view_.dtype; }
  const Device& device() const { return view_.device; }
  int64_t ndim() const { return static_cast<int64_t>(view_.shape.size()); }
  int64_t numel() const { return needle::numel(view_.shape); }
  // The view handed to kernels, and the storage it reads.
  const StridedView& view() const { return view_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // True when this and `other` view the same storage.
  bool shares_storage(const NDArray& other) const { return storage_ == other.storage_; }

  // Row-major dense from offset(): BLAS and cuDNN can take data_ptr() as it is.
  bool is_compact() const { return view_.is_contiguous(); }
  // This array when already compact, else a dense copy.
  NDArray compact() const;
  // A dense copy that never shares storage with this array.
  NDArray clone() const;
  // Pointer to element 0 of the view (device memory for a GPU array).
  void* data_ptr() const;
  template <typename T>
  T* data() const;  // checks that T matches dtype()

  // --- views (no copy) ----------------------------------------------------------------------
  // A view when the strides allow it (always for compact arrays), otherwise a compact copy:
  // the same rule as torch.reshape. One dimension may be -1.
  NDArray reshape(const Shape& shape) const;
  NDArray permute(const Axes& axes) const;
  // Swaps the last two axes (or `axis0` and `axis1`).
  NDArray transpose() const;
  NDArray transpose(int64_t axis0, int64_t axis1) const;
  NDArray broadcast_to(const Shape& shape) const;
  // One Slice per leading axis; the remaining axes are taken whole. Dimensions are kept.
  NDArray slice(const std::vector<Slice>& slices) const;
  NDArray slice(int64_t axis, std::optional<int64_t> start, std::optional<int64_t> stop,
                int64_t step = 1) const;
  // Indexes one position of `axis` and drops that axis (a[i] in NumPy for axis 0).
  NDArray select(int64_t axis, int64_t index) const;
  // Reverses the given axes through negative strides.
  NDArray flip(const Axes& axes) const;
  // Inserts / removes size-1 axes.
  NDArray unsqueeze(int64_t axis) const;
  NDArray squeeze(const Axes& axes = {}) const;

  // --- copies and in-place writes -----------------------------------------------------------
  // A new array padded with `value`: one (before, after) pair per axis, as np.pad.
  NDArray pad(const std::vector<std::pair<int64_t, int64_t>>& widths, double value = 0.0) const;
  NDArray to(const Device& device) const;  // this array when already there
  NDArray astype(DType dtype) const;       // this array when already that dtype
  // Writes `value` (broadcast to the slice's shape, cast to dtype()) into the slice.
  void assign(const std::vector<Slice>& slices, const NDArray& value);
  void assign(const std::vector<Slice>& slices, double value);
  // Writes `value` (broadcast, cast) over this whole view.
  NDArray& copy_(const NDArray& value);
  NDArray& fill(double value);

  // --- host access --------------------------------------------------------------------------
  // Row-major host copy, cast to T.
  template <typename T>
  std::vector<T> to_vector() const;
  // The value of a one-element array, cast to T.
  template <typename T>
  T item() const;

  // PyTorch-like text: "[[1.0000, 2.0000], ...]" with summarisation of large arrays.
  std::string to_string() const;
  // The same, for a caller that prints it after `indent` columns of its own (Tensor's
  // "tensor("): wrapped and nested lines are indented by that much more.
  std::string to_string(int indent) const;

 private:
  NDArray(std::shared_ptr<Storage> storage, StridedView view)
      : storage_(std::move(storage)), view_(std::move(view)) {}
  NDArray with_view(Shape shape, Strides strides, int64_t offset) const;
  void copy_to_host(void* host, DType as) const;

  std::shared_ptr<Storage> storage_;
  StridedView view_;

  friend class NDArrayAccess;
};

std::ostream& operator<<(std::ostream& os, const NDArray& a);

// --- elementwise (NumPy broadcasting; both arrays on one device with one dtype) -------------
NDArray unary(UnaryOp op, const NDArray& a);
NDArray binary(BinaryOp op, const NDArray& a, const NDArray& b);
NDArray binary(BinaryOp op, const NDArray& a, double scalar, bool scalar_first = false);

NDArray operator+(const NDArray& a, const NDArray& b);
NDArray operator-(const NDArray& a, const NDArray& b);
NDArray operator*(const NDArray& a, const NDArray& b);
NDArray operator/(const NDArray& a, const NDArray& b);
NDArray operator+(const NDArray& a, double s);
NDArray operator-(const NDArray& a, double s);
NDArray operator*(const NDArray& a, double s);
NDArray operator/(const NDArray& a, double s);
NDArray operator+(double s, const NDArray& a);
NDArray operator-(double s, const NDArray& a);
NDArray operator*(double s, const NDArray& a);
NDArray operator/(double s, const NDArray& a);
NDArray operator-(const NDArray& a);

NDArray pow(const NDArray& a, double exponent);
NDArray pow(const NDArray& a, const NDArray& b);
NDArray maximum(const NDArray& a, const NDArray& b);
NDArray maximum(const NDArray& a, double s);
NDArray minimum(const NDArray& a, const NDArray& b);
NDArray minimum(const NDArray& a, double s);
NDArray exp(const NDArray& a);
NDArray log(const NDArray& a);
NDArray sqrt(const NDArray& a);
NDArray tanh(const NDArray& a);
NDArray sigmoid(const NDArray& a);
NDArray relu(const NDArray& a);
NDArray abs(const NDArray& a);
NDArray sign(const NDArray& a);
NDArray sin(const NDArray& a);
NDArray cos(const NDArray& a);
NDArray square(const NDArray& a);
NDArray reciprocal(const NDArray& a);
// log(1 + a) and exp(a) - 1, accurate where a is tiny (where 1 + a rounds to 1).
NDArray log1p(const NDArray& a);
NDArray expm1(const NDArray& a);
// erf, and gelu (exact), gelu_tanh (its tanh approximation) and silu: ops.h says more.
NDArray erf(const NDArray& a);
NDArray gelu(const NDArray& a);
NDArray gelu_tanh(const NDArray& a);
NDArray silu(const NDArray& a);
// a == 0, as a Bool array.
NDArray logical_not(const NDArray& a);

// Comparisons give Bool arrays.
NDArray eq(const NDArray& a, const NDArray& b);
NDArray ne(const NDArray& a, const NDArray& b);
NDArray lt(const NDArray& a, const NDArray& b);
NDArray le(const NDArray& a, const NDArray& b);
NDArray gt(const NDArray& a, const NDArray& b);
NDArray ge(const NDArray& a, const NDArray& b);
NDArray eq(const NDArray& a, double s);
NDArray ne(const NDArray& a, double s);
NDArray lt(const NDArray& a, double s);
NDArray le(const NDArray& a, double s);
NDArray gt(const NDArray& a, double s);
NDArray ge(const NDArray& a, double s);
// cond ? a : b with broadcasting; cond is Bool.
NDArray where(const NDArray& cond, const NDArray& a, const NDArray& b);

// softmax and log_softmax along one axis (negative counts from the end) of a floating array,
// in one fused backend kernel (Backend::softmax); the result is compact.
NDArray softmax(const NDArray& a, int64_t axis = -1);
NDArray log_softmax(const NDArray& a, int64_t axis = -1);

// --- reductions (axes = {} means all axes; negative axes count from the end) ---------------
// sum of bool, uint8 and int32 arrays gives int64, as in PyTorch; other reductions keep dtype.
NDArray sum(const NDArray& a, const Axes& axes = {}, bool keepdims = false);
NDArray mean(const NDArray& a, const Axes& axes = {}, bool keepdims = false);
NDArray max(const NDArray& a, const Axes& axes = {}, bool keepdims = false);
NDArray min(const NDArray& a, const Axes& axes = {}, bool keepdims = false);
// Int64 indices of the first maximum along `axis`.
NDArray argmax(const NDArray& a, int64_t axis, bool keepdims = false);
NDArray argmin(const NDArray& a, int64_t axis, bool keepdims = false);

// --- linear algebra and shape ---------------------------------------------------------------
// 1-D and 2-D as NumPy; N-D batched with broadcasting of the batch dims.
NDArray matmul(const NDArray& a, const NDArray& b);
NDArray stack(const std::vector<NDArray>& arrays, int64_t axis = 0);
NDArray concatenate(const std::vector<NDArray>& arrays, int64_t axis = 0);
// Inserts `dilation` zeros after every element along each axis (needle's dilate).
NDArray dilate(const NDArray& a, const Axes& axes, int64_t dilation);
// Keeps every (dilation+1)-th element along each axis (a view).
NDArray undilate(const NDArray& a, const Axes& axes, int64_t dilation);

// --- template definitions --------------------------------------------------------------------
template <typename T>
NDArray NDArray::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(values.size()) == needle::numel(shape),
                  "from_vector: {} values do not fill shape {}", values.size(), shape_str(shape));
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return from_host(bytes.data(), shape, DType::Bool, device);
  } else {
    return from_host(values.data(), shape, dtype_of<T>(), device);
  }
}

template <typename T>
std::vector<T> NDArray::to_vector() const {
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(static_cast<size_t>(numel()));
    copy_to_host(bytes.data(), DType::Bool);
    return std::vector<bool>(bytes.begin(), bytes.end());
  } else {
    std::vector<T> out(static_cast<size_t>(numel()));
    copy_to_host(out.data(), dtype_of<T>());
    return out;
  }
}

template <typename T>
T NDArray::item() const {
  NEEDLE_CHECK_AS(ShapeError, numel() == 1,
                  "item: only one-element arrays have a value, this one has shape {}",
                  shape_str(shape()));
  return to_vector<T>()[0];
}

template <typename T>
T* NDArray::data() const {
  NEEDLE_CHECK_AS(DTypeError, dtype_of<T>() == dtype(), "data<{}>: array has dtype {}",
                  dtype_name(dtype_of<T>()), dtype_name(dtype()));
  return static_cast<T*>(data_ptr());
}

}  // namespace needle

template <>
struct fmt::formatter<needle::NDArray> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(const needle::NDArray& a, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(a.to_string(), ctx);
  }
};

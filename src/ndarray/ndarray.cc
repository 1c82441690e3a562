// NDArray construction, metadata, dense copies, device and dtype conversion, host access and
// in-place writes. Views live in ndarray_views.cc, arithmetic in ndarray_ops.cc.
#include "needle/ndarray.h"

#include "needle/random.h"
#include "src/ndarray/access.h"

namespace needle {
namespace {

size_t nbytes_of(const Shape& shape, DType dtype) {
  return static_cast<size_t>(numel(shape)) * dtype_size(dtype);
}

void check_shape(const Shape& shape, const char* op) {
  for (int64_t d : shape) {
    NEEDLE_CHECK_AS(ShapeError, d >= 0, "{}: negative dimension in shape {}", op, shape_str(shape));
  }
}

// True when writing through `v` would store more than one element in one place (a zero
// stride along an axis longer than 1, as broadcast_to makes): such a write has no defined
// result, so copy_ and assign refuse it as PyTorch does.
bool has_self_overlap(const StridedView& v) {
  for (size_t i = 0; i < v.shape.size(); ++i) {
    if (v.strides[i] == 0 && v.shape[i] > 1) return true;
  }
  return false;
}

}  // namespace

// --- NDArrayAccess / internal helpers -----------------------------------------------------------

NDArray NDArrayAccess::empty(Shape&& shape, DType dtype, const Device& device) {
  auto storage = std::make_shared<Storage>(nbytes_of(shape, dtype), device);
  StridedView v;
  v.data = storage->data();
  v.offset = 0;
  v.strides = compact_strides(shape);
  v.shape = std::move(shape);
  v.dtype = dtype;
  v.device = device;
  return NDArray(std::move(storage), std::move(v));
}

void NDArrayAccess::write(const NDArray& dst, const NDArray& value, const char* op) {
  NEEDLE_CHECK(dst.defined() && value.defined(), "{}: undefined array", op);
  NEEDLE_CHECK_AS(DeviceError, value.device() == dst.device(),
                  "{}: arrays on different devices: {} and {}", op, dst.device(), value.device());
  NEEDLE_CHECK_AS(ShapeError, !has_self_overlap(dst.view()),
                  "{}: cannot write into a broadcast view of shape {} (strides ({})): several "
                  "elements share one memory location",
                  op, shape_str(dst.shape()), fmt::join(dst.strides(), ", "));
  if (value.shape() != dst.shape()) {
    // value must broadcast to dst's shape, not the other way round.
    NEEDLE_CHECK_AS(ShapeError, broadcast_shapes(value.shape(), dst.shape(), op) == dst.shape(),
                    "{}: cannot broadcast a value of shape {} into shape {}", op,
                    shape_str(value.shape()), shape_str(dst.shape()));
  }
  if (dst.numel() == 0) return;
  // An overlapping elementwise copy (a.assign(..., a.flip(...))) would read values it has
  // already overwritten, so a value that shares dst's storage is copied out first.
  const NDArray src = value.shares_storage(dst) ? value.clone() : value;
  StridedView tmp;
  backend_for(dst.device()).copy(broadcast_view(src, dst.shape(), tmp), dst.view());
}

const StridedView& broadcast_view(const NDArray& a, const Shape& shape, StridedView& tmp) {
  const StridedView& v = a.view();
  if (v.shape == shape) return v;
  tmp.data = v.data;
  tmp.offset = v.offset;
  tmp.dtype = v.dtype;
  tmp.device = v.device;
  tmp.shape = shape;
  tmp.strides.assign(shape.size(), 0);
  const size_t lead = shape.size() - v.shape.size();
  for (size_t i = 0; i < v.shape.size(); ++i) {
    tmp.strides[lead + i] = v.shape[i] == 1 && shape[lead + i] != 1 ? 0 : v.strides[i];
  }
  return tmp;
}

// --- construction -------------------------------------------------------------------------------

NDArray NDArray::empty(const Shape& shape, DType dtype, Device device) {
  check_shape(shape, "empty");
  return NDArrayAccess::empty(Shape(shape), dtype, device);
}

NDArray NDArray::full(const Shape& shape, double value, DType dtype, Device device) {
  check_shape(shape, "full");
  NDArray out = NDArrayAccess::empty(Shape(shape), dtype, device);
  out.fill(value);
  return out;
}

NDArray NDArray::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

NDArray NDArray::ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}

NDArray NDArray::arange(int64_t n, DType dtype, Device device) {
  NEEDLE_CHECK_AS(ShapeError, n >= 0, "arange: negative length {}", n);
  // No backend kernel exists for this; it is built on the host and copied over once.
  return dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      std::vector<uint8_t> values(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        values[static_cast<size_t>(i)] = i != 0;
      return from_host(values.data(), {n}, dtype, device);
    } else {
      std::vector<T> values(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        values[static_cast<size_t>(i)] = static_cast<T>(i);
      return from_host(values.data(), {n}, dtype, device);
    }
  });
}

NDArray NDArray::rand(const Shape& shape, double low, double high, DType dtype, Device device) {
  check_shape(shape, "rand");
  NEEDLE_CHECK_AS(DTypeError, is_floating(dtype),
                  "rand: dtype {} is not supported (float32 or float64 expected)",
                  dtype_name(dtype));
  NDArray out = NDArrayAccess::empty(Shape(shape), dtype, device);
  const Generator::Draw draw = default_generator().reserve(static_cast<uint64_t>(out.numel()));
  if (out.numel() > 0) {
    backend_for(device).random_uniform(out.view_, draw.seed, draw.offset, low, high);
  }
  return out;
}

NDArray NDArray::randn(const Shape& shape, double mean, double std, DType dtype, Device device) {
  check_shape(shape, "randn");
  NEEDLE_CHECK_AS(DTypeError, is_floating(dtype),
                  "randn: dtype {} is not supported (float32 or float64 expected)",
                  dtype_name(dtype));
  NDArray out = NDArrayAccess::empty(Shape(shape), dtype, device);
  const Generator::Draw draw = default_generator().reserve(static_cast<uint64_t>(out.numel()));
  if (out.numel() > 0) {
    backend_for(device).random_normal(out.view_, draw.seed, draw.offset, mean, std);
  }
  return out;
}

NDArray NDArray::from_host(const void* data, const Shape& shape, DType dtype, Device device) {
  check_shape(shape, "from_host");
  NDArray out = NDArrayAccess::empty(Shape(shape), dtype, device);
  const size_t nbytes = nbytes_of(shape, dtype);
  if (nbytes > 0) {
    NEEDLE_CHECK(data != nullptr, "from_host: null data for shape {}", shape_str(shape));
    backend_for(device).copy_from_host(data, out.data_ptr(), nbytes, device);
  }
  return out;
}

// --- metadata and dense copies --------------------------------------------------------------

int64_t NDArray::shape(int64_t axis) const {
  return view_.shape[static_cast<size_t>(normalize_axis(axis, ndim(), "shape"))];
}

NDArray NDArray::compact() const {
  if (is_compact()) return *this;
  return clone();
}

NDArray NDArray::clone() const {
  NEEDLE_CHECK(defined(), "clone: undefined array");
  NDArray out = NDArrayAccess::empty(Shape(view_.shape), view_.dtype, view_.device);
  if (out.numel() > 0) backend_for(view_.device).copy(view_, out.view_);
  return out;
}

void* NDArray::data_ptr() const {
  NEEDLE_CHECK(defined(), "data_ptr: undefined array");
  return static_cast<char*>(view_.data) + view_.offset * static_cast<int64_t>(dtype_size(dtype()));
}

NDArray NDArray::with_view(Shape shape, Strides strides, int64_t offset) const {
  StridedView v;
  v.data = view_.data;
  v.offset = offset;
  v.shape = std::move(shape);
  v.strides = std::move(strides);
  v.dtype = view_.dtype;
  v.device = view_.device;
  return NDArray(storage_, std::move(v));
}

// --- devices and dtypes ---------------------------------------------------------------------

NDArray NDArray::to(const Device& device) const {
  NEEDLE_CHECK(defined(), "to: undefined array");
  if (device == view_.device) return *this;
  const NDArray src = compact();
  NDArray out = NDArrayAccess::empty(Shape(view_.shape), view_.dtype, device);
  const size_t nbytes = nbytes_of(view_.shape, view_.dtype);
  if (nbytes == 0) return out;
  if (src.device().is_cpu()) {
    backend_for(device).copy_from_host(src.data_ptr(), out.data_ptr(), nbytes, device);
  } else if (device.is_cpu()) {
    backend_for(src.device()).copy_to_host(src.data_ptr(), out.data_ptr(), nbytes, src.device());
  } else {
    // Two non-CPU devices: staged through host memory, which every backend can reach.
    std::vector<char> host(nbytes);
    backend_for(src.device()).copy_to_host(src.data_ptr(), host.data(), nbytes, src.device());
    backend_for(device).copy_from_host(host.data(), out.data_ptr(), nbytes, device);
  }
  return out;
}

NDArray NDArray::astype(DType dtype) const {
  NEEDLE_CHECK(defined(), "astype: undefined array");
  if (dtype == view_.dtype) return *this;
  NDArray out = NDArrayAccess::empty(Shape(view_.shape), dtype, view_.device);
  if (out.numel() > 0) backend_for(view_.device).copy(view_, out.view_);
  return out;
}

void NDArray::copy_to_host(void* host, DType as) const {
  NEEDLE_CHECK(defined(), "to_vector: undefined array");
  const int64_t n = numel();
  if (n == 0) return;
  Backend& backend = backend_for(view_.device);
  if (as == view_.dtype && is_compact()) {
    backend.copy_to_host(data_ptr(), host, static_cast<size_t>(n) * dtype_size(as), view_.device);
  } else if (view_.device.is_cpu()) {
    // Host memory is CPU device memory: one strided, casting copy straight into the caller's
    // buffer, without a temporary array.
    StridedView dst;
    dst.data = host;
    dst.offset = 0;
    dst.shape = view_.shape;
    dst.strides = compact_strides(view_.shape);
    dst.dtype = as;
    dst.device = view_.device;
    backend.copy(view_, dst);
  } else {
    const NDArray dense = astype(as).compact();
    backend.copy_to_host(dense.data_ptr(), host, static_cast<size_t>(n) * dtype_size(as),
                         view_.device);
  }
}

// --- in-place writes ------------------------------------------------------------------------

NDArray& NDArray::fill(double value) {
  NEEDLE_CHECK(defined(), "fill: undefined array");
  if (numel() > 0) backend_for(view_.device).fill(view_, value);
  return *this;
}

NDArray& NDArray::copy_(const NDArray& value) {
  NDArrayAccess::write(*this, value, "copy_");
  return *this;
}

void NDArray::assign(const std::vector<Slice>& slices, const NDArray& value) {
  NDArrayAccess::write(slice(slices), value, "assign");
}

void NDArray::assign(const std::vector<Slice>& slices, double value) {
  NDArray view = slice(slices);
  view.fill(value);
}

}  // namespace needle

// NDArray views (reshape, permute, transpose, broadcast_to, slice, select, flip, squeeze,
// unsqueeze, undilate), which only rewrite shape/strides/offset, and the shape-building copies
// (pad, dilate, stack, concatenate), which allocate and then assign into views.
#include <algorithm>

#include "needle/ndarray.h"
#include "src/ndarray/access.h"

namespace needle {
namespace {

// Strides that let `shape` view the same elements as (old_shape, old_strides) in row-major
// order, or false when no such strides exist (NumPy's _attempt_nocopy_reshape, C order):
// runs of old axes that are merged must be contiguous with each other.
bool nocopy_strides(const Shape& old_shape, const Strides& old_strides, const Shape& shape,
                    Strides& strides) {
  // Size-1 axes carry no stride information; drop them from the old geometry.
  Shape od;
  Strides os;
  od.reserve(old_shape.size());
  os.reserve(old_shape.size());
  for (size_t i = 0; i < old_shape.size(); ++i) {
    if (old_shape[i] != 1) {
      od.push_back(old_shape[i]);
      os.push_back(old_strides[i]);
    }
  }
  const size_t oldnd = od.size(), newnd = shape.size();
  strides.assign(newnd, 0);
  size_t oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < newnd && oi < oldnd) {
    int64_t np = shape[ni], op = od[oi];
    while (np != op) {
      if (np < op) {
        np *= shape[nj++];
      } else {
        op *= od[oj++];
      }
    }
    for (size_t ok = oi; ok + 1 < oj; ++ok) {
      if (os[ok] != od[ok + 1] * os[ok + 1]) return false;
    }
    strides[nj - 1] = os[oj - 1];
    for (size_t nk = nj - 1; nk > ni; --nk)
      strides[nk - 1] = strides[nk] * shape[nk];
    ni = nj++;
    oi = oj++;
  }
  const int64_t last = ni >= 1 ? strides[ni - 1] : 1;
  for (size_t nk = ni; nk < newnd; ++nk)
    strides[nk] = last;
  return true;
}

// Python's slice.indices(n) followed by len(range(...)): returns the length, sets start.
int64_t slice_indices(const Slice& s, int64_t n, int64_t& start) {
  const int64_t step = s.step;
  const int64_t lower = step > 0 ? 0 : -1;
  const int64_t upper = step > 0 ? n : n - 1;
  auto clamp = [&](int64_t v) {
    if (v < 0) {
      v += n;
      return v < lower ? lower : v;
    }
    return v > upper ? upper : v;
  };
  start = s.start ? clamp(*s.start) : (step > 0 ? lower : upper);
  const int64_t stop = s.stop ? clamp(*s.stop) : (step > 0 ? upper : lower);
  if (step > 0) return stop > start ? (stop - start - 1) / step + 1 : 0;
  return start > stop ? (start - stop - 1) / (-step) + 1 : 0;
}

// Applies one slice to axis `axis` of (shape, strides, offset).
void apply_slice(const Slice& s, size_t axis, Shape& shape, Strides& strides, int64_t& offset) {
  NEEDLE_CHECK_AS(IndexError, s.step != 0, "slice: step cannot be zero (axis {})", axis);
  int64_t start = 0;
  const int64_t len = slice_indices(s, shape[axis], start);
  if (len > 0) offset += start * strides[axis];
  shape[axis] = len;
  strides[axis] *= s.step;
}

}  // namespace

NDArray NDArray::reshape(const Shape& new_shape) const {
  // Resolve a -1 dimension.
  Shape shape = new_shape;
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NEEDLE_CHECK_AS(ShapeError, infer < 0, "reshape: more than one -1 in shape {}",
                      shape_str(new_shape));
      infer = static_cast<int64_t>(i);
    } else {
      NEEDLE_CHECK_AS(ShapeError, shape[i] >= 0, "reshape: invalid dimension {} in shape {}",
                      shape[i], shape_str(new_shape));
      known *= shape[i];
    }
  }
  const int64_t n = numel();
  if (infer >= 0) {
    NEEDLE_CHECK_AS(ShapeError, known != 0 && n % known == 0,
                    "reshape: cannot reshape array of shape {} into shape {}",
                    shape_str(this->shape()), shape_str(new_shape));
    shape[static_cast<size_t>(infer)] = n / known;
  } else {
    NEEDLE_CHECK_AS(ShapeError, known == n,
                    "reshape: cannot reshape array of shape {} into shape {}",
                    shape_str(this->shape()), shape_str(new_shape));
  }
  if (shape == this->shape()) return *this;
  if (n == 0 || is_compact()) {
    Strides strides = compact_strides(shape);
    return with_view(std::move(shape), std::move(strides), offset());
  }
  Strides strides;
  if (nocopy_strides(this->shape(), this->strides(), shape, strides)) {
    return with_view(std::move(shape), std::move(strides), offset());
  }
  // The strides cannot express the new shape (e.g. flattening a transpose): copy, as
  // torch.reshape does.
  const NDArray dense = clone();
  strides = compact_strides(shape);
  return dense.with_view(std::move(shape), std::move(strides), 0);
}

NDArray NDArray::permute(const Axes& axes) const {
  const int64_t nd = ndim();
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(axes.size()) == nd,
                  "permute: axes ({}) do not match an array of shape {}", fmt::join(axes, ", "),
                  shape_str(shape()));
  Shape shape(axes.size());
  Strides strides(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = normalize_axis(axes[i], nd, "permute");
    for (size_t j = 0; j < i; ++j) {
      NEEDLE_CHECK_AS(ShapeError, (axes[j] < 0 ? axes[j] + nd : axes[j]) != a,
                      "permute: axes ({}) are not a permutation of {} dimension(s)",
                      fmt::join(axes, ", "), nd);
    }
    shape[i] = view_.shape[static_cast<size_t>(a)];
    strides[i] = view_.strides[static_cast<size_t>(a)];
  }
  return with_view(std::move(shape), std::move(strides), offset());
}

NDArray NDArray::transpose() const {
  NEEDLE_CHECK_AS(ShapeError, ndim() >= 2, "transpose: needs at least 2 dimensions, got shape {}",
                  shape_str(shape()));
  return transpose(-2, -1);
}

NDArray NDArray::transpose(int64_t axis0, int64_t axis1) const {
  const auto a0 = static_cast<size_t>(normalize_axis(axis0, ndim(), "transpose"));
  const auto a1 = static_cast<size_t>(normalize_axis(axis1, ndim(), "transpose"));
  Shape shape = view_.shape;
  Strides strides = view_.strides;
  std::swap(shape[a0], shape[a1]);
  std::swap(strides[a0], strides[a1]);
  return with_view(std::move(shape), std::move(strides), offset());
}

NDArray NDArray::broadcast_to(const Shape& shape) const {
  if (shape == view_.shape) return *this;
  const size_t nd = shape.size(), old = view_.shape.size();
  bool ok = nd >= old;
  Strides strides(nd, 0);
  for (size_t i = 0; ok && i < old; ++i) {
    const int64_t from = view_.shape[old - 1 - i], to = shape[nd - 1 - i];
    if (from == to) {
      strides[nd - 1 - i] = view_.strides[old - 1 - i];
    } else if (from != 1) {
      ok = false;
    }
  }
  NEEDLE_CHECK_AS(ShapeError, ok, "broadcast_to: cannot broadcast shape {} to {}",
                  shape_str(view_.shape), shape_str(shape));
  for (int64_t d : shape) {
    NEEDLE_CHECK_AS(ShapeError, d >= 0, "broadcast_to: negative dimension in shape {}",
                    shape_str(shape));
  }
  return with_view(Shape(shape), std::move(strides), offset());
}

NDArray NDArray::slice(const std::vector<Slice>& slices) const {
  NEEDLE_CHECK_AS(IndexError, static_cast<int64_t>(slices.size()) <= ndim(),
                  "slice: {} slices given for an array of shape {} ({} dimension(s))",
                  slices.size(), shape_str(shape()), ndim());
  Shape shape = view_.shape;
  Strides strides = view_.strides;
  int64_t off = offset();
  for (size_t i = 0; i < slices.size(); ++i)
    apply_slice(slices[i], i, shape, strides, off);
  return with_view(std::move(shape), std::move(strides), off);
}

NDArray NDArray::slice(int64_t axis, std::optional<int64_t> start, std::optional<int64_t> stop,
                       int64_t step) const {
  const auto a = static_cast<size_t>(normalize_axis(axis, ndim(), "slice"));
  Shape shape = view_.shape;
  Strides strides = view_.strides;
  int64_t off = offset();
  apply_slice(Slice(start, stop, step), a, shape, strides, off);
  return with_view(std::move(shape), std::move(strides), off);
}

NDArray NDArray::select(int64_t axis, int64_t index) const {
  const auto a = static_cast<size_t>(normalize_axis(axis, ndim(), "select"));
  const int64_t n = view_.shape[a];
  NEEDLE_CHECK_AS(IndexError, index >= -n && index < n,
                  "select: index {} is out of range for axis {} with size {}", index, axis, n);
  const int64_t i = index < 0 ? index + n : index;
  Shape shape = view_.shape;
  Strides strides = view_.strides;
  const int64_t off = offset() + i * strides[a];
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(a));
  strides.erase(strides.begin() + static_cast<std::ptrdiff_t>(a));
  return with_view(std::move(shape), std::move(strides), off);
}

NDArray NDArray::flip(const Axes& axes) const {
  Strides strides = view_.strides;
  int64_t off = offset();
  for (int64_t a : normalize_axes(axes, ndim(), "flip")) {
    const auto i = static_cast<size_t>(a);
    if (view_.shape[i] > 0) off += (view_.shape[i] - 1) * strides[i];
    strides[i] = -strides[i];
  }
  return with_view(Shape(view_.shape), std::move(strides), off);
}

NDArray NDArray::unsqueeze(int64_t axis) const {
  const auto a = static_cast<size_t>(normalize_axis(axis, ndim() + 1, "unsqueeze"));
  Shape shape = view_.shape;
  Strides strides = view_.strides;
  // Any stride works for a size-1 axis; the compact one keeps compact arrays compact-looking.
  const int64_t stride = a < shape.size() ? shape[a] * strides[a] : 1;
  shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(a), 1);
  strides.insert(strides.begin() + static_cast<std::ptrdiff_t>(a), stride);
  return with_view(std::move(shape), std::move(strides), offset());
}

NDArray NDArray::squeeze(const Axes& axes) const {
  Shape shape;
  Strides strides;
  if (axes.empty()) {
    for (size_t i = 0; i < view_.shape.size(); ++i) {
      if (view_.shape[i] == 1) continue;
      shape.push_back(view_.shape[i]);
      strides.push_back(view_.strides[i]);
    }
  } else {
    const Axes drop = normalize_axes(axes, ndim(), "squeeze");
    size_t k = 0;
    for (size_t i = 0; i < view_.shape.size(); ++i) {
      if (k < drop.size() && drop[k] == static_cast<int64_t>(i)) {
        NEEDLE_CHECK_AS(ShapeError, view_.shape[i] == 1,
                        "squeeze: axis {} of shape {} has size {}, not 1", i,
                        shape_str(view_.shape), view_.shape[i]);
        ++k;
        continue;
      }
      shape.push_back(view_.shape[i]);
      strides.push_back(view_.strides[i]);
    }
  }
  return with_view(std::move(shape), std::move(strides), offset());
}

// --- copies that build new shapes ---------------------------------------------------------------

NDArray NDArray::pad(const std::vector<std::pair<int64_t, int64_t>>& widths, double value) const {
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(widths.size()) == ndim(),
                  "pad: {} (before, after) pairs given for an array of shape {}", widths.size(),
                  shape_str(shape()));
  Shape padded = view_.shape;
  std::vector<Slice> interior(widths.size());
  for (size_t i = 0; i < widths.size(); ++i) {
    NEEDLE_CHECK_AS(ShapeError, widths[i].first >= 0 && widths[i].second >= 0,
                    "pad: negative width ({}, {}) for axis {}", widths[i].first, widths[i].second,
                    i);
    padded[i] += widths[i].first + widths[i].second;
    interior[i] = Slice(widths[i].first, widths[i].first + view_.shape[i]);
  }
  NDArray out = full(padded, value, dtype(), device());
  out.assign(interior, *this);
  return out;
}

NDArray undilate(const NDArray& a, const Axes& axes, int64_t dilation) {
  NEEDLE_CHECK_AS(ShapeError, dilation >= 0, "undilate: negative dilation {}", dilation);
  Shape shape = a.shape();
  Strides strides = a.strides();
  for (int64_t ax : normalize_axes(axes, a.ndim(), "undilate")) {
    const auto i = static_cast<size_t>(ax);
    shape[i] = (shape[i] + dilation) / (dilation + 1);
    strides[i] *= dilation + 1;
  }
  return NDArrayAccess::with_view(a, std::move(shape), std::move(strides), a.offset());
}

NDArray dilate(const NDArray& a, const Axes& axes, int64_t dilation) {
  NEEDLE_CHECK_AS(ShapeError, dilation >= 0, "dilate: negative dilation {}", dilation);
  Shape shape = a.shape();
  for (int64_t ax : normalize_axes(axes, a.ndim(), "dilate")) {
    shape[static_cast<size_t>(ax)] *= dilation + 1;
  }
  NDArray out = NDArray::zeros(shape, a.dtype(), a.device());
  NDArrayAccess::write(undilate(out, axes, dilation), a, "dilate");
  return out;
}

namespace {

// Checks that every array in a stack/concatenate list agrees with the first on dtype and
// device (and on shape, except along `skip_axis` when it is >= 0).
void check_joinable(const std::vector<NDArray>& arrays, const char* op, int64_t skip_axis) {
  NEEDLE_CHECK_AS(ShapeError, !arrays.empty(), "{}: expects at least one array", op);
  const NDArray& first = arrays[0];
  NEEDLE_CHECK(first.defined(), "{}: array 0 is undefined", op);
  for (size_t i = 1; i < arrays.size(); ++i) {
    const NDArray& x = arrays[i];
    NEEDLE_CHECK(x.defined(), "{}: array {} is undefined", op, i);
    NEEDLE_CHECK_AS(DTypeError, x.dtype() == first.dtype(),
                    "{}: array {} has dtype {}, array 0 has {}", op, i, x.dtype(), first.dtype());
    NEEDLE_CHECK_AS(DeviceError, x.device() == first.device(),
                    "{}: array {} is on {}, array 0 on {}", op, i, x.device(), first.device());
    bool same = x.ndim() == first.ndim();
    for (int64_t d = 0; same && d < x.ndim(); ++d) {
      same = d == skip_axis ||
             x.shape()[static_cast<size_t>(d)] == first.shape()[static_cast<size_t>(d)];
    }
    NEEDLE_CHECK_AS(
        ShapeError, same, "{}: array {} has shape {}, array 0 has {}{}", op, i,
        shape_str(x.shape()), shape_str(first.shape()),
        skip_axis >= 0 ? fmt::format(" (they may differ only along axis {})", skip_axis) : "");
  }
}

}  // namespace

NDArray stack(const std::vector<NDArray>& arrays, int64_t axis) {
  check_joinable(arrays, "stack", -1);
  const NDArray& first = arrays[0];
  const int64_t a = normalize_axis(axis, first.ndim() + 1, "stack");
  Shape shape = first.shape();
  shape.insert(shape.begin() + a, static_cast<int64_t>(arrays.size()));
  NDArray out = NDArrayAccess::empty(std::move(shape), first.dtype(), first.device());
  for (size_t i = 0; i < arrays.size(); ++i) {
    NDArrayAccess::write(out.select(a, static_cast<int64_t>(i)), arrays[i], "stack");
  }
  return out;
}

NDArray concatenate(const std::vector<NDArray>& arrays, int64_t axis) {
  NEEDLE_CHECK_AS(ShapeError, arrays.empty() || arrays[0].ndim() > 0,
                  "concatenate: zero-dimensional arrays cannot be concatenated");
  const int64_t a = arrays.empty() ? 0 : normalize_axis(axis, arrays[0].ndim(), "concatenate");
  check_joinable(arrays, "concatenate", a);
  Shape shape = arrays[0].shape();
  int64_t total = 0;
  for (const NDArray& x : arrays)
    total += x.shape()[static_cast<size_t>(a)];
  shape[static_cast<size_t>(a)] = total;
  NDArray out = NDArrayAccess::empty(std::move(shape), arrays[0].dtype(), arrays[0].device());
  int64_t at = 0;
  for (const NDArray& x : arrays) {
    const int64_t len = x.shape()[static_cast<size_t>(a)];
    NDArrayAccess::write(out.slice(a, at, at + len), x, "concatenate");
    at += len;
  }
  return out;
}

}  // namespace needle

// Shape ops: reshape, permute/transpose, broadcast_to, (un)squeeze, concatenate, stack, split,
// flip, dilate/undilate, device copies. Most are NDArray views in the forward pass; their
// gradients undo the view (reshape back, inverse permutation, sum over broadcast axes).
#include <algorithm>
#include <numeric>
#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using Grads = std::vector<Tensor>;

const Tensor& input(const Tensor& out, size_t i) {
  return out.node()->inputs[i];
}

struct ReshapeOp final : Op {
  Shape shape;
  explicit ReshapeOp(Shape shape_) : shape(std::move(shape_)) {}
  const char* name() const override { return "reshape"; }
  NDArray compute(const NDArray& a) const { return a.reshape(shape); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {reshape(g, input(out, 0).shape())};
  }
};

struct PermuteOp final : Op {
  Axes axes;
  explicit PermuteOp(Axes axes_) : axes(std::move(axes_)) {}
  const char* name() const override { return "permute"; }
  NDArray compute(const NDArray& a) const { return a.permute(axes); }
  Grads gradient(const Tensor& g, const Tensor&) const override {
    Axes inverse(axes.size());
    for (size_t i = 0; i < axes.size(); ++i)
      inverse[static_cast<size_t>(axes[i])] = int64_t(i);
    return {permute(g, inverse)};
  }
};

struct BroadcastToOp final : Op {
  Shape shape;
  explicit BroadcastToOp(Shape shape_) : shape(std::move(shape_)) {}
  const char* name() const override { return "broadcast_to"; }
  NDArray compute(const NDArray& a) const { return a.broadcast_to(shape); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {autograd::sum_to(g, input(out, 0).shape())};
  }
};

struct ConcatenateOp final : Op {
  int64_t axis;  // normalized
  explicit ConcatenateOp(int64_t axis_) : axis(axis_) {}
  const char* name() const override { return "concatenate"; }
  NDArray compute(const std::vector<NDArray>& arrays) const {
    return needle::concatenate(arrays, axis);
  }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    Grads grads;
    int64_t start = 0;
    std::vector<Slice> slices(static_cast<size_t>(axis) + 1);
    for (const Tensor& in : out.node()->inputs) {
      const int64_t size = in.shape()[static_cast<size_t>(axis)];
      slices.back() = Slice(start, start + size);
      grads.push_back(in.requires_grad() ? slice(g, slices) : Tensor());
      start += size;
    }
    return grads;
  }
};

struct FlipOp final : Op {
  Axes axes;
  explicit FlipOp(Axes axes_) : axes(std::move(axes_)) {}
  const char* name() const override { return "flip"; }
  NDArray compute(const NDArray& a) const { return a.flip(axes); }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {flip(g, axes)}; }
};

struct DilateOp final : Op {
  Axes axes;
  int64_t dilation;
  DilateOp(Axes axes_, int64_t dilation_) : axes(std::move(axes_)), dilation(dilation_) {}
  const char* name() const override { return "dilate"; }
  NDArray compute(const NDArray& a) const { return needle::dilate(a, axes, dilation); }
  Grads gradient(const Tensor& g, const Tensor&) const override {
    return {undilate(g, axes, dilation)};
  }
};

struct UndilateOp final : Op {
  Axes axes;
  int64_t dilation;
  UndilateOp(Axes axes_, int64_t dilation_) : axes(std::move(axes_)), dilation(dilation_) {}
  const char* name() const override { return "undilate"; }
  NDArray compute(const NDArray& a) const { return needle::undilate(a, axes, dilation); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    // Scatter back into the kept positions (exact also when a size is not a multiple of
    // dilation + 1, where dilate(g) would not have the input's shape).
    std::vector<Slice> slices(static_cast<size_t>(input(out, 0).ndim()));
    for (int64_t a : axes)
      slices[static_cast<size_t>(a)] = Slice(0, std::nullopt, dilation + 1);
    return {autograd::scatter_slice(g, input(out, 0).shape(), slices)};
  }
};

struct ToDeviceOp final : Op {
  Device device;
  explicit ToDeviceOp(Device device_) : device(device_) {}
  const char* name() const override { return "to"; }
  NDArray compute(const NDArray& a) const { return a.to(device); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g.to(input(out, 0).device())};
  }
};

// Axes for dilate/undilate: negative ones normalized; like needle, axes past the last are
// ignored.
Axes dilation_axes(const Axes& axes, int64_t ndim, const char* op) {
  Axes kept;
  for (int64_t a : axes) {
    if (a >= ndim) continue;
    kept.push_back(normalize_axis(a, ndim, op));
  }
  return kept;
}

}  // namespace

Tensor reshape(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return apply_op(ReshapeOp(shape), a);
}

Tensor permute(const Tensor& a, const Axes& axes) {
  NEEDLE_CHECK_AS(ShapeError, static_cast<int64_t>(axes.size()) == a.ndim(),
                  "permute: {} axes given for an array of shape {}", axes.size(),
                  shape_str(a.shape()));
  Axes norm;
  std::vector<bool> seen(axes.size(), false);
  for (int64_t ax : axes) {
    const int64_t n = normalize_axis(ax, a.ndim(), "permute");
    NEEDLE_CHECK_AS(ShapeError, !seen[static_cast<size_t>(n)],
                    "permute: axes ({}) are not a permutation for shape {}", fmt::join(axes, ", "),
                    shape_str(a.shape()));
    seen[static_cast<size_t>(n)] = true;
    norm.push_back(n);
  }
  return apply_op(PermuteOp(std::move(norm)), a);
}

Tensor transpose(const Tensor& a) {
  NEEDLE_CHECK_AS(ShapeError, a.ndim() >= 2,
                  "transpose: needs at least 2 dimensions, the input has shape {}",
                  shape_str(a.shape()));
  return transpose(a, -2, -1);
}

Tensor transpose(const Tensor& a, int64_t axis0, int64_t axis1) {
  const int64_t i = normalize_axis(axis0, a.ndim(), "transpose");
  const int64_t j = normalize_axis(axis1, a.ndim(), "transpose");
  Axes axes(static_cast<size_t>(a.ndim()));
  std::iota(axes.begin(), axes.end(), int64_t{0});
  std::swap(axes[static_cast<size_t>(i)], axes[static_cast<size_t>(j)]);
  return apply_op(PermuteOp(std::move(axes)), a);
}

Tensor broadcast_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return apply_op(BroadcastToOp(shape), a);
}

Tensor unsqueeze(const Tensor& a, int64_t axis) {
  const int64_t n = normalize_axis(axis, a.ndim() + 1, "unsqueeze");
  Shape shape = a.shape();
  shape.insert(shape.begin() + n, 1);
  return reshape(a, shape);
}

Tensor squeeze(const Tensor& a, const Axes& axes) {
  Shape shape;
  if (axes.empty()) {
    for (int64_t d : a.shape()) {
      if (d != 1) shape.push_back(d);
    }
  } else {
    const Axes norm = normalize_axes(axes, a.ndim(), "squeeze");
    for (int64_t i = 0; i < a.ndim(); ++i) {
      const bool drop = std::find(norm.begin(), norm.end(), i) != norm.end();
      NEEDLE_CHECK_AS(ShapeError, !drop || a.shape()[static_cast<size_t>(i)] == 1,
                      "squeeze: axis {} of shape {} is not of size 1", i, shape_str(a.shape()));
      if (!drop) shape.push_back(a.shape()[static_cast<size_t>(i)]);
    }
  }
  return reshape(a, shape);
}

Tensor concatenate(const std::vector<Tensor>& tensors, int64_t axis) {
  NEEDLE_CHECK(!tensors.empty(), "concatenate: no tensors given");
  const int64_t n = normalize_axis(axis, tensors[0].ndim(), "concatenate");
  return apply_op(ConcatenateOp(n), tensors);
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t axis) {
  NEEDLE_CHECK(!tensors.empty(), "stack: no tensors given");
  const int64_t n = normalize_axis(axis, tensors[0].ndim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    NEEDLE_CHECK_AS(ShapeError, t.shape() == tensors[0].shape(),
                    "stack: all tensors need one shape, got {} and {}",
                    shape_str(tensors[0].shape()), shape_str(t.shape()));
    parts.push_back(unsqueeze(t, n));
  }
  return concatenate(parts, n);
}

std::vector<Tensor> split(const Tensor& a, int64_t axis) {
  const int64_t n = normalize_axis(axis, a.ndim(), "split");
  std::vector<Tensor> parts;
  const int64_t count = a.shape()[static_cast<size_t>(n)];
  parts.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    parts.push_back(select(a, n, i));
  return parts;
}

Tensor flip(const Tensor& a, const Axes& axes) {
  return apply_op(FlipOp(normalize_axes(axes, a.ndim(), "flip")), a);
}

Tensor dilate(const Tensor& a, const Axes& axes, int64_t dilation) {
  NEEDLE_CHECK_AS(ShapeError, dilation >= 0, "dilate: dilation {} is negative", dilation);
  Axes norm = dilation_axes(axes, a.ndim(), "dilate");
  if (dilation == 0 || norm.empty()) return a;
  return apply_op(DilateOp(std::move(norm), dilation), a);
}

Tensor undilate(const Tensor& a, const Axes& axes, int64_t dilation) {
  NEEDLE_CHECK_AS(ShapeError, dilation >= 0, "undilate: dilation {} is negative", dilation);
  Axes norm = dilation_axes(axes, a.ndim(), "undilate");
  if (dilation == 0 || norm.empty()) return a;
  return apply_op(UndilateOp(std::move(norm), dilation), a);
}

namespace autograd {
Tensor to_device(const Tensor& a, const Device& device) {
  return apply_op(ToDeviceOp(device), a);
}
}  // namespace autograd

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

const autograd::cases::Registrar registrar({
    {"reshape", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       return reshape(x[0], {2, 6});
     }},
    {"reshape/infer", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) {
       return reshape(x[0], {4, -1});
     }},
    {"transpose", 1, uniform({{3, 4}}), [](const Inputs& x) { return transpose(x[0]); }},
    {"transpose/axes", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) { return transpose(x[0], 0, 2); }},
    {"permute", 1, uniform({{2, 3, 4}}),
     [](const Inputs& x) {
       return permute(x[0], {1, 2, 0});
     }},
    {"broadcast_to", 1, uniform({{3, 1}}),
     [](const Inputs& x) {
       return broadcast_to(x[0], {2, 3, 4});
     }},
    {"unsqueeze", 1, uniform({{3, 4}}), [](const Inputs& x) { return unsqueeze(x[0], 1); }},
    {"squeeze", 1, uniform({{3, 1, 4}}), [](const Inputs& x) { return squeeze(x[0]); }},
    {"concatenate", 3, uniform({{2, 4}, {3, 4}, {1, 4}}),
     [](const Inputs& x) { return concatenate(x, 0); }},
    {"concatenate/axis1", 2, uniform({{2, 3}, {2, 2}}),
     [](const Inputs& x) { return concatenate(x, -1); }},
    {"stack", 2, uniform({{3, 4}, {3, 4}}), [](const Inputs& x) { return stack(x, 0); }},
    {"stack/axis1", 3, uniform({{3, 4}, {3, 4}, {3, 4}}),
     [](const Inputs& x) { return stack(x, 1); }},
    {"split", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       std::vector<Tensor> parts = split(x[0], 1);
       return parts[0] * 2.0 + parts[1] * parts[3] - parts[2];
     }},
    {"flip", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       return flip(x[0], {0, 1});
     }},
    {"flip/axis1", 1, uniform({{2, 3, 4}}), [](const Inputs& x) { return flip(x[0], {1}); }},
    {"dilate", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       return dilate(x[0], {0, 1}, 1);
     }},
    {"dilate/axis1_d2", 1, uniform({{3, 4}}), [](const Inputs& x) { return dilate(x[0], {1}, 2); }},
    {"undilate", 1, uniform({{6, 4}}), [](const Inputs& x) { return undilate(x[0], {0}, 1); }},
    {"undilate/uneven", 1, uniform({{5, 7}}),
     [](const Inputs& x) {
       return undilate(x[0], {0, 1}, 2);
     }},
    {"to/cpu", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0].to(cpu()) * 1.0; }},
});

}  // namespace
}  // namespace needle

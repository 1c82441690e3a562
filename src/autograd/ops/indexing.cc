// Indexing: differentiable slicing and select (their gradient scatters into zeros), one_hot for
// integer labels and torch-style gather. gather is built from one_hot and differentiable Tensor
// ops, so its scatter-add gradient (and the gradient of that) needs no kernel of its own.
#include <numeric>
#include <vector>

#include "needle/backend.h"
#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using Grads = std::vector<Tensor>;

struct SliceOp final : Op {
  std::vector<Slice> slices;
  explicit SliceOp(std::vector<Slice> slices_) : slices(std::move(slices_)) {}
  const char* name() const override { return "slice"; }
  NDArray compute(const NDArray& a) const { return a.slice(slices); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {autograd::scatter_slice(g, out.node()->inputs[0].shape(), slices)};
  }
};

// zeros(shape)[slices] = g. Slicing's gradient; its own gradient slices again.
struct ScatterSliceOp final : Op {
  Shape shape;
  std::vector<Slice> slices;
  ScatterSliceOp(Shape shape_, std::vector<Slice> slices_)
      : shape(std::move(shape_)), slices(std::move(slices_)) {}
  const char* name() const override { return "scatter_slice"; }
  NDArray compute(const NDArray& g) const {
    NDArray out = NDArray::zeros(shape, g.dtype(), g.device());
    out.assign(slices, g);
    return out;
  }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {slice(g, slices)}; }
};

bool is_integer(DType dtype) {
  return dtype == DType::Int32 || dtype == DType::Int64 || dtype == DType::UInt8;
}

}  // namespace

namespace autograd {
Tensor scatter_slice(const Tensor& g, const Shape& shape, const std::vector<Slice>& slices) {
  return apply_op(ScatterSliceOp(shape, slices), g);
}
}  // namespace autograd

Tensor slice(const Tensor& a, const std::vector<Slice>& slices) {
  NEEDLE_CHECK_AS(IndexError, static_cast<int64_t>(slices.size()) <= a.ndim(),
                  "slice: {} slices for an array of shape {}", slices.size(), shape_str(a.shape()));
  return apply_op(SliceOp(slices), a);
}

Tensor select(const Tensor& a, int64_t axis, int64_t index) {
  const int64_t ax = normalize_axis(axis, a.ndim(), "select");
  const int64_t size = a.shape()[static_cast<size_t>(ax)];
  NEEDLE_CHECK_AS(IndexError, index >= -size && index < size,
                  "select: index {} is out of range for axis {} of shape {}", index, axis,
                  shape_str(a.shape()));
  const int64_t i = index < 0 ? index + size : index;
  std::vector<Slice> slices(static_cast<size_t>(ax) + 1);
  slices.back() = Slice(i, i + 1);
  Shape shape = a.shape();
  shape.erase(shape.begin() + ax);
  return reshape(slice(a, slices), shape);
}

namespace {

// one_hot after checking labels in [0, num_classes) with the backend's range check, which on
// a GPU throws `message`'s IndexError at the next host wait rather than stopping here (loss.h).
Tensor checked_one_hot(const Tensor& labels, int64_t num_classes, DType dtype,
                       IndexErrorMessage message) {
  const NDArray& data = labels.data();
  backend_for(data.device()).check_index_range(data.view(), 0, num_classes, std::move(message));
  const NDArray ids = data.astype(DType::Int64);
  const NDArray classes = NDArray::arange(num_classes, DType::Int64, ids.device());
  return Tensor(eq(ids.unsqueeze(ids.ndim()), classes).astype(dtype));
}

}  // namespace

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  NEEDLE_CHECK_AS(DTypeError, is_integer(labels.dtype()),
                  "one_hot: labels need an integer dtype, got {} (shape {})", labels.dtype(),
                  shape_str(labels.shape()));
  NEEDLE_CHECK_AS(ShapeError, num_classes > 0, "one_hot: num_classes is {}", num_classes);
  return checked_one_hot(labels, num_classes, dtype,
                         [num_classes, shape = labels.shape()](int64_t value, int64_t position) {
                           return fmt::format(
                               "one_hot: label {} at position {} is out of range [0, {}) (labels "
                               "of shape {})",
                               value, position, num_classes, shape_str(shape));
                         });
}

Tensor gather(const Tensor& a, int64_t axis, const Tensor& index) {
  NEEDLE_CHECK_AS(DTypeError, is_integer(index.dtype()),
                  "gather: index needs an integer dtype, got {} (shape {})", index.dtype(),
                  shape_str(index.shape()));
  NEEDLE_CHECK_AS(ShapeError, index.ndim() == a.ndim(),
                  "gather: index of shape {} needs the rank of the input, shape {}",
                  shape_str(index.shape()), shape_str(a.shape()));
  NEEDLE_CHECK_AS(DeviceError, index.device() == a.device(),
                  "gather: input is on {} and index on {}", a.device(), index.device());
  const int64_t d = normalize_axis(axis, a.ndim(), "gather");
  const size_t du = static_cast<size_t>(d);
  const int64_t classes = a.shape()[du];
  // Restrict a to the index's extent along the other axes.
  std::vector<Slice> slices(static_cast<size_t>(a.ndim()));
  bool whole = true;
  for (size_t e = 0; e < slices.size(); ++e) {
    if (e == du) continue;
    NEEDLE_CHECK_AS(ShapeError, index.shape()[e] <= a.shape()[e],
                    "gather: index of shape {} is larger than the input, shape {}, along axis {}",
                    shape_str(index.shape()), shape_str(a.shape()), e);
    slices[e] = Slice(0, index.shape()[e]);
    whole = whole && index.shape()[e] == a.shape()[e];
  }
  Tensor src = whole ? a : slice(a, slices);
  // Move `axis` last, then add a size-1 axis in its place: (..., 1, ..., C).
  Axes order;
  for (int64_t e = 0; e < a.ndim(); ++e) {
    if (e != d) order.push_back(e);
  }
  order.push_back(d);
  src = unsqueeze(permute(src, order), d);
  // out[..., j, ...] = sum_c src[..., c] * [index[..., j, ...] == c]
  const Tensor mask = checked_one_hot(
      index, classes, a.dtype(),
      [axis, shape = a.shape(), index_shape = index.shape()](int64_t value, int64_t position) {
        return fmt::format(
            "gather: index {} at position {} (index of shape {}) is out of range for axis {} of "
            "shape {}",
            value, position, shape_str(index_shape), axis, shape_str(shape));
      });
  return sum(src * mask, {-1});
}

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

// The captured indices of a case, on the device of the input they index.
Tensor index_tensor(const std::vector<int64_t>& values, const Shape& shape, const Device& device) {
  return Tensor::from_vector(values, shape, device);
}

const autograd::cases::Registrar registrar({
    {"slice", 1, uniform({{5, 4}}),
     [](const Inputs& x) {
       return x[0].slice({Slice(1, 4), Slice(std::nullopt, std::nullopt, 2)});
     }},
    {"slice/negative", 1, uniform({{5, 4}}),
     [](const Inputs& x) {
       return x[0].slice({Slice(-2, std::nullopt), Slice(3, 0, -1)});
     }},
    {"select", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0].select(1, -1); }},
    {"gather/axis1", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       return gather(x[0], 1, index_tensor({3, 0, 1, 1, 2, 2}, {3, 2}, x[0].device()));
     }},
    {"gather/axis0_smaller", 1, uniform({{3, 4}}),
     [](const Inputs& x) {
       return gather(x[0], 0, index_tensor({2, 0, 1, 0, 0, 2}, {2, 3}, x[0].device()));
     }},
    {"gather/labels", 1, uniform({{4, 5}}),
     [](const Inputs& x) {
       return gather(x[0], -1, index_tensor({4, 0, 2, 2}, {4, 1}, x[0].device()));
     }},
});

}  // namespace
}  // namespace needle

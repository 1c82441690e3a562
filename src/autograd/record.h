// The op path shared by every built-in op (private to src/autograd): run `compute` on the
// inputs' values, then either return a bare leaf (no input requires grad, or grad mode is off:
// inference pays one node allocation and nothing else) or record a node with the op and its
// inputs. Stateless ops share one instance, so recording them allocates only the node.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "needle/error.h"
#include "needle/ndarray.h"
#include "needle/op.h"
#include "needle/tensor.h"

namespace needle::autograd {

// Per-thread grad mode (grad_mode.cc); NoGradGuard flips it.
extern thread_local bool grad_mode_enabled;

// Rethrows the exception in flight with "`op`: " in front of its message unless it already
// starts with it, keeping its needle::Error subclass. Call only inside a catch block.
[[noreturn]] void rethrow_named(const char* op);

// A ShapeError/DTypeError/DeviceError when two inputs do not share a dtype or device.
[[noreturn]] void throw_mixed(const char* op, const Tensor& a, const Tensor& b);

inline Tensor make_leaf(NDArray&& value) {
  return Tensor(std::make_shared<Node>(std::move(value), false));
}

inline Tensor make_recorded(NDArray&& value, std::shared_ptr<const Op> op, InputList&& inputs) {
  auto node = std::make_shared<Node>(std::move(value), true);
  node->op = std::move(op);
  node->inputs = std::move(inputs);
  return Tensor(std::move(node));
}

// Ops without parameters are shared: one instance per type for the life of the process.
template <class OpT>
std::shared_ptr<const Op> share_op(OpT&& op) {
  using T = std::decay_t<OpT>;
  if constexpr (sizeof(T) == sizeof(Op) && std::is_default_constructible_v<T>) {
    static const std::shared_ptr<const Op> instance = std::make_shared<T>();
    return instance;
  } else {
    return std::make_shared<T>(std::forward<OpT>(op));
  }
}

template <class F>
NDArray compute_named(const char* op, F&& f) {
  try {
    return f();
  } catch (const Error&) {
    rethrow_named(op);
  }
}

template <class OpT>
Tensor apply_op(OpT&& op, const Tensor& a) {
  NDArray value = compute_named(op.name(), [&] { return op.compute(a.data()); });
  if (!a.requires_grad() || !grad_mode_enabled) return make_leaf(std::move(value));
  return make_recorded(std::move(value), share_op(std::forward<OpT>(op)), InputList(a));
}

template <class OpT>
Tensor apply_op(OpT&& op, const Tensor& a, const Tensor& b) {
  const NDArray& av = a.data();
  const NDArray& bv = b.data();
  if (av.dtype() != bv.dtype() || !(av.device() == bv.device())) throw_mixed(op.name(), a, b);
  NDArray value = compute_named(op.name(), [&] { return op.compute(av, bv); });
  if (!(a.requires_grad() || b.requires_grad()) || !grad_mode_enabled) {
    return make_leaf(std::move(value));
  }
  return make_recorded(std::move(value), share_op(std::forward<OpT>(op)), InputList(a, b));
}

template <class OpT>
Tensor apply_op(OpT&& op, const std::vector<Tensor>& inputs) {
  std::vector<NDArray> values;
  values.reserve(inputs.size());
  bool any_grad = false;
  for (const Tensor& t : inputs) {
    values.push_back(t.data());
    any_grad = any_grad || t.requires_grad();
  }
  NDArray value = compute_named(op.name(), [&] { return op.compute(values); });
  if (!any_grad || !grad_mode_enabled) return make_leaf(std::move(value));
  return make_recorded(std::move(value), share_op(std::forward<OpT>(op)), InputList(inputs));
}

// A constant (not requiring grad) made from an NDArray, for masks inside gradients.
inline Tensor constant(NDArray value) {
  return make_leaf(std::move(value));
}

// Sums `g` down to `shape` over the axes that broadcasting added or stretched: the gradient of
// a broadcast input. Returns g itself when the shapes already agree.
Tensor sum_to(const Tensor& g, const Shape& shape);

// zeros(shape) with `g` written into `slices`: the gradient of slicing (ops/indexing.cc).
Tensor scatter_slice(const Tensor& g, const Shape& shape, const std::vector<Slice>& slices);

// The differentiable device copy behind Tensor::to (ops/shape_ops.cc).
Tensor to_device(const Tensor& a, const Device& device);

}  // namespace needle::autograd

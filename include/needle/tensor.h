// Tensor: the autograd handle. A Tensor is a cheap, shared handle to one graph node that holds
// an NDArray value, the Op that made it (with the op's parameters), its input nodes, whether it
// requires a gradient, and the gradient accumulated into it by backward(). Ops run eagerly: the
// value exists as soon as the expression is written. A node records its op and inputs only when
// one of its inputs requires grad and no NoGradGuard is alive, so inference builds no graph.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/error.h"
#include "needle/ndarray.h"
#include "needle/shape.h"

namespace needle {

class Op;
namespace autograd {
struct Node;
}

class Tensor {
 public:
  // An undefined tensor (defined() is false): what grad() returns before any backward().
  Tensor() = default;
  // A 1-D float32 CPU tensor: `ndl::Tensor t({1.f, 2.f, 3.f});`.
  Tensor(std::initializer_list<float> values, bool requires_grad = false);
  // A leaf that shares `value` (no copy).
  explicit Tensor(NDArray value, bool requires_grad = false);

  // Copies row-major `values` into a new leaf of `shape`.
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = cpu(),
                            bool requires_grad = false) {
    return Tensor(NDArray::from_vector<T>(values, shape, device), requires_grad);
  }

  // --- metadata -----------------------------------------------------------------------------
  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  int64_t shape(int64_t axis) const;  // negative axes count from the end
  int64_t ndim() const;
  int64_t numel() const;
  DType dtype() const;
  const Device& device() const;
  // The value as an NDArray (shared, no copy; writing into it bypasses autograd).
  const NDArray& data() const;

  // A copy on `device` (this tensor when already there); differentiable.
  Tensor to(const Device& device) const;
  // Row-major host copy, cast to T.
  template <typename T>
  std::vector<T> to_vector() const {
    return data().to_vector<T>();
  }
  // The value of a one-element tensor, cast to T.
  template <typename T>
  T item() const {
    return data().item<T>();
  }

  // --- autograd -----------------------------------------------------------------------------
  bool requires_grad() const;
  // Only leaves take a flag; intermediate results require grad iff an input does. Returns
  // *this so that `Tensor x = ndl::randn({3}).set_requires_grad(true);` reads naturally.
  Tensor& set_requires_grad(bool requires_grad = true);
  // A leaf has no op: it was made by the user, by a factory or by an op that recorded nothing.
  bool is_leaf() const;
  // Back-propagates from this one-element tensor with a seed of one; gradients accumulate
  // (add) into the .grad of every leaf that requires grad, across calls, as in PyTorch.
  void backward() const;
  // As backward(), seeded with `out_grad` (same shape as this tensor).
  void backward(const Tensor& out_grad) const;
  // The accumulated gradient (undefined until a backward() reaches this leaf).
  Tensor grad() const;
  // Forgets the accumulated gradient (grad() becomes undefined).
  void zero_grad() const;
  // A new leaf sharing this value, cut from the graph.
  Tensor detach() const;
  // The name of the op that made this tensor, or "" for a leaf.
  std::string op_name() const;

  // --- indexing (differentiable) ------------------------------------------------------------
  // One Slice per leading axis, dimensions kept, as NDArray::slice.
  Tensor slice(const std::vector<Slice>& slices) const;
  // a[index] along `axis`, dropping that axis.
  Tensor select(int64_t axis, int64_t index) const;

  // PyTorch-style text: "tensor([1.0000, 2.0000], requires_grad=true)".
  std::string to_string() const;

  // Graph nodes alive in this process (leaves included): tests use it to prove that graphs are
  // freed when their last tensor dies.
  static int64_t live_count();

  // For the autograd engine and ops (not for users).
  explicit Tensor(std::shared_ptr<autograd::Node> node) : node_(std::move(node)) {}
  autograd::Node* node() const { return node_.get(); }
  const std::shared_ptr<autograd::Node>& node_ptr() const { return node_; }
  std::shared_ptr<autograd::Node> release_node() { return std::move(node_); }

 private:
  std::shared_ptr<autograd::Node> node_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

namespace autograd {

// An op's inputs: two inline slots cover almost every op, so recording a node usually costs
// one allocation (the node itself).
class InputList {
 public:
  InputList() = default;
  explicit InputList(const Tensor& a) : inline_{a, Tensor()}, size_(1) {}
  InputList(const Tensor& a, const Tensor& b) : inline_{a, b}, size_(2) {}
  explicit InputList(std::vector<Tensor> inputs)
      : heap_(std::move(inputs)), size_(static_cast<uint32_t>(heap_.size())), on_heap_(true) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Tensor& operator[](size_t i) const { return begin()[i]; }
  const Tensor* begin() const { return on_heap_ ? heap_.data() : inline_; }
  const Tensor* end() const { return begin() + size_; }
  Tensor* begin() { return on_heap_ ? heap_.data() : inline_; }
  Tensor* end() { return begin() + size_; }
  std::vector<Tensor> to_vector() const { return std::vector<Tensor>(begin(), end()); }
  void clear() {
    inline_[0] = Tensor();
    inline_[1] = Tensor();
    heap_.clear();
    size_ = 0;
    on_heap_ = false;
  }

 private:
  Tensor inline_[2];
  std::vector<Tensor> heap_;
  uint32_t size_ = 0;
  bool on_heap_ = false;
};

// One vertex of the graph. Nodes own their inputs (shared), never their consumers, so a graph
// lives exactly as long as some tensor reaches it.
struct Node {
  Node();
  Node(NDArray value_, bool requires_grad_);
  // Releases the inputs iteratively: a 100,000-long chain must not recurse 100,000 deep.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  NDArray value;
  std::shared_ptr<const Op> op;  // null for leaves
  InputList inputs;
  Tensor grad;        // accumulated by backward() (leaves only)
  Tensor pending;     // scratch: the gradient being summed during one backward pass
  uint64_t mark = 0;  // scratch: the pass that last visited this node
  bool requires_grad = false;
};

}  // namespace autograd

// --- inline accessors (hot path) ---------------------------------------------------------------
inline const NDArray& Tensor::data() const {
  NEEDLE_CHECK(node_ != nullptr, "Tensor: this tensor is undefined (default-constructed)");
  return node_->value;
}
inline const Shape& Tensor::shape() const {
  return data().shape();
}
inline int64_t Tensor::shape(int64_t axis) const {
  return data().shape(axis);
}
inline int64_t Tensor::ndim() const {
  return data().ndim();
}
inline int64_t Tensor::numel() const {
  return data().numel();
}
inline DType Tensor::dtype() const {
  return data().dtype();
}
inline const Device& Tensor::device() const {
  return data().device();
}
inline bool Tensor::requires_grad() const {
  return node_ != nullptr && node_->requires_grad;
}
inline bool Tensor::is_leaf() const {
  return node_ == nullptr || node_->op == nullptr;
}

}  // namespace needle

template <>
struct fmt::formatter<needle::Tensor> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(const needle::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(t.to_string(), ctx);
  }
};

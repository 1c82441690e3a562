// Tensor and graph nodes: construction, the node counter, iterative destruction, printing.
#include "needle/tensor.h"

#include <atomic>
#include <sstream>
#include <string>
#include <vector>

#include "needle/autograd.h"
#include "needle/factories.h"
#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/record.h"

namespace needle {
namespace autograd {
namespace {

std::atomic<int64_t> live_nodes{0};

// Destroying the last handle to the head of a long chain would otherwise destroy the chain
// recursively (node -> inputs -> node ...) and overflow the stack. Instead the outermost dying
// node keeps a local queue, nested destructors append the inputs they solely own to it, and the
// outermost one drains it. Only a trivially destructible pointer is thread_local, so a Tensor
// destroyed during static destruction never touches a destroyed thread_local.
thread_local std::vector<std::shared_ptr<Node>>* active_release_queue = nullptr;

void take_sole_inputs(InputList& inputs, std::vector<std::shared_ptr<Node>>& queue) {
  for (Tensor& t : inputs) {
    // Only a sole owner would trigger a nested destruction; shared inputs just lose a count.
    if (t.node() != nullptr && t.node_ptr().use_count() == 1) queue.push_back(t.release_node());
  }
  inputs.clear();
}

}  // namespace

Node::Node() {
  live_nodes.fetch_add(1, std::memory_order_relaxed);
}

Node::Node(NDArray value_, bool requires_grad_)
    : value(std::move(value_)), requires_grad(requires_grad_) {
  live_nodes.fetch_add(1, std::memory_order_relaxed);
}

Node::~Node() {
  live_nodes.fetch_sub(1, std::memory_order_relaxed);
  if (inputs.empty()) return;
  if (active_release_queue != nullptr) {
    take_sole_inputs(inputs, *active_release_queue);
    return;
  }
  std::vector<std::shared_ptr<Node>> queue;
  take_sole_inputs(inputs, queue);
  active_release_queue = &queue;
  while (!queue.empty()) {
    std::shared_ptr<Node> next = std::move(queue.back());
    queue.pop_back();
    next.reset();  // may append this node's own inputs to the queue
  }
  active_release_queue = nullptr;
}

}  // namespace autograd

using autograd::Node;

Tensor::Tensor(std::initializer_list<float> values, bool requires_grad)
    : Tensor(NDArray::from_vector(std::vector<float>(values),
                                  Shape{static_cast<int64_t>(values.size())}),
             requires_grad) {}

Tensor::Tensor(NDArray value, bool requires_grad) {
  NEEDLE_CHECK(value.defined(), "Tensor: the NDArray is undefined");
  node_ = std::make_shared<Node>(std::move(value), false);
  if (requires_grad) set_requires_grad(true);
}

int64_t Tensor::live_count() {
  return autograd::live_nodes.load(std::memory_order_relaxed);
}

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  NEEDLE_CHECK(defined(), "set_requires_grad: the tensor is undefined");
  NEEDLE_CHECK(is_leaf(),
               "set_requires_grad: only leaf tensors take the flag; this one was made by '{}' "
               "(use detach() to get a leaf)",
               op_name());
  NEEDLE_CHECK_AS(DTypeError, !requires_grad || is_floating(dtype()),
                  "set_requires_grad: only floating-point tensors can require gradients; this "
                  "one has dtype {} and shape {}",
                  dtype(), shape_str(shape()));
  node_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  NEEDLE_CHECK(defined(), "grad: the tensor is undefined");
  return node_->grad;
}

void Tensor::zero_grad() const {
  NEEDLE_CHECK(defined(), "zero_grad: the tensor is undefined");
  node_->grad = Tensor();
}

Tensor Tensor::detach() const {
  return Tensor(data());
}

std::string Tensor::op_name() const {
  if (node_ == nullptr || node_->op == nullptr) return "";
  return node_->op->name();
}

Tensor Tensor::to(const Device& device) const {
  if (this->device() == device) return *this;
  return autograd::to_device(*this, device);
}

Tensor Tensor::slice(const std::vector<Slice>& slices) const {
  return needle::slice(*this, slices);
}

Tensor Tensor::select(int64_t axis, int64_t index) const {
  return needle::select(*this, axis, index);
}

std::string Tensor::to_string() const {
  if (!defined()) return "tensor(undefined)";
  // Continuation lines line up under the first element, as PyTorch prints them.
  std::string text = "tensor(" + data().to_string(7);
  if (device() != cpu()) text += fmt::format(", device='{}'", device());
  if (dtype() != DType::Float32) text += fmt::format(", dtype={}", dtype());
  if (!is_leaf()) {
    text += fmt::format(", grad_fn=<{}>", op_name());
  } else if (requires_grad()) {
    text += ", requires_grad=true";
  }
  text += ")";
  return text;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << t.to_string();
}

}  // namespace needle

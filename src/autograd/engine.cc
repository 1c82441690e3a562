// The backward engine: a reverse topological walk of the recorded graph that sums each node's
// incoming gradients and hands them to its op's `gradient`. Both the sort and the walk are
// iterative (explicit stacks), so graph depth is bounded by memory, not by the call stack.
#include <atomic>
#include <unordered_map>
#include <vector>

#include "needle/autograd.h"
#include "needle/factories.h"
#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/record.h"

namespace needle {
namespace autograd {
namespace {

std::atomic<uint64_t> pass_counter{0};

// Post-order DFS (inputs before their consumers) over the nodes that require grad, reached from
// `roots`. Each entry points at a Tensor held by the graph (or by the caller for roots), so the
// walk copies no shared_ptrs.
std::vector<const Tensor*> topo_sort(const std::vector<const Tensor*>& roots, uint64_t mark) {
  struct Frame {
    const Tensor* tensor;
    size_t next_input;
  };
  std::vector<const Tensor*> order;
  std::vector<Frame> stack;
  for (const Tensor* root : roots) {
    Node* r = root->node();
    if (!r->requires_grad || r->mark == mark) continue;
    r->mark = mark;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& top = stack.back();
      const InputList& inputs = top.tensor->node()->inputs;
      if (top.next_input < inputs.size()) {
        const Tensor& in = inputs[top.next_input++];
        Node* child = in.node();
        if (child != nullptr && child->requires_grad && child->mark != mark) {
          child->mark = mark;
          stack.push_back({&in, 0});  // `top` is not used after this
        }
      } else {
        order.push_back(top.tensor);
        stack.pop_back();
      }
    }
  }
  return order;
}

void add_into(Tensor& slot, Tensor g) {
  slot = slot.defined() ? slot + g : std::move(g);
}

// Sets grad mode for the pass and clears every node's scratch gradient on the way out, also when
// a gradient throws.
class PassScope {
 public:
  PassScope(const std::vector<const Tensor*>& order, bool create_graph)
      : order_(order), previous_(grad_mode_enabled) {
    grad_mode_enabled = create_graph;
  }
  ~PassScope() {
    grad_mode_enabled = previous_;
    for (const Tensor* t : order_)
      t->node()->pending = Tensor();
  }
  PassScope(const PassScope&) = delete;
  PassScope& operator=(const PassScope&) = delete;

 private:
  const std::vector<const Tensor*>& order_;
  bool previous_;
};

// Runs one backward pass from `outputs` seeded with `seeds`. With `captured` null, gradients
// reaching leaves are accumulated into their .grad; otherwise the gradient reaching each of
// `targets` is stored in (*captured)[i] and no .grad changes.
void run_backward(const std::vector<const Tensor*>& outputs, const std::vector<Tensor>& seeds,
                  bool create_graph, const std::vector<Tensor>* targets,
                  std::vector<Tensor>* captured) {
  const uint64_t mark = pass_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::vector<const Tensor*> order = topo_sort(outputs, mark);
  PassScope scope(order, create_graph);

  std::unordered_map<const Node*, size_t> target_index;
  if (targets != nullptr) {
    for (size_t i = 0; i < targets->size(); ++i)
      target_index.emplace((*targets)[i].node(), i);
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    add_into(outputs[i]->node()->pending, seeds[i]);

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Tensor& out = **it;
    Node* node = out.node();
    Tensor g = std::move(node->pending);
    node->pending = Tensor();
    if (!g.defined()) continue;

    if (targets != nullptr) {
      auto found = target_index.find(node);
      if (found != target_index.end()) (*captured)[found->second] = g;
    }
    if (node->op == nullptr) {
      if (targets == nullptr) {
        // Stored dense and detached: optimizers read and may update it in place.
        NDArray value = g.data().is_compact() ? g.data() : g.data().compact();
        node->grad = node->grad.defined() ? Tensor(node->grad.data() + value) : Tensor(value);
      }
      continue;
    }

    std::vector<Tensor> grads = node->op->gradient(g, out);
    const InputList& inputs = node->inputs;
    NEEDLE_CHECK(grads.size() == inputs.size(),
                 "{}: backward returned {} gradient(s) for {} input(s)", node->op->name(),
                 grads.size(), inputs.size());
    for (size_t j = 0; j < inputs.size(); ++j) {
      const Tensor& in = inputs[j];
      if (!in.requires_grad() || !grads[j].defined()) continue;
      NEEDLE_CHECK_AS(ShapeError, grads[j].shape() == in.shape(),
                      "{}: the gradient for input {} has shape {} but the input has shape {}",
                      node->op->name(), j, shape_str(grads[j].shape()), shape_str(in.shape()));
      add_into(in.node()->pending, std::move(grads[j]));
    }
  }
}

Tensor check_seed(const char* what, const Tensor& output, const Tensor& seed) {
  if (!seed.defined()) {
    NEEDLE_CHECK_AS(ShapeError, output.numel() == 1,
                    "{}: a gradient can be created implicitly only for one-element outputs; this "
                    "output has shape {}, so pass out_grad",
                    what, shape_str(output.shape()));
    return ones(output.shape(), output.device(), output.dtype());
  }
  NEEDLE_CHECK_AS(ShapeError, seed.shape() == output.shape(),
                  "{}: out_grad has shape {} but the output has shape {}", what,
                  shape_str(seed.shape()), shape_str(output.shape()));
  NEEDLE_CHECK_AS(DTypeError, seed.dtype() == output.dtype(),
                  "{}: out_grad has dtype {} but the output has dtype {}", what, seed.dtype(),
                  output.dtype());
  NEEDLE_CHECK_AS(DeviceError, seed.device() == output.device(),
                  "{}: out_grad is on {} but the output is on {}", what, seed.device(),
                  output.device());
  return seed;
}

void backward_from(const Tensor& output, const Tensor& out_grad) {
  NEEDLE_CHECK(output.defined(), "backward: the tensor is undefined");
  NEEDLE_CHECK(output.requires_grad(),
               "backward: this tensor of shape {} does not require grad (no input of its "
               "computation requires grad, or it was computed under NoGradGuard)",
               shape_str(output.shape()));
  Tensor seed = check_seed("backward", output, out_grad);
  run_backward({&output}, {seed}, /*create_graph=*/false, nullptr, nullptr);
}

}  // namespace
}  // namespace autograd

void Tensor::backward() const {
  autograd::backward_from(*this, Tensor());
}

void Tensor::backward(const Tensor& out_grad) const {
  NEEDLE_CHECK(out_grad.defined(), "backward: out_grad is undefined");
  autograd::backward_from(*this, out_grad);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool create_graph) {
  NEEDLE_CHECK(!outputs.empty(), "grad: no outputs given");
  NEEDLE_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
               "grad: {} grad_outputs for {} outputs", grad_outputs.size(), outputs.size());
  std::vector<const Tensor*> roots;
  std::vector<Tensor> seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    NEEDLE_CHECK(out.defined(), "grad: output {} is undefined", i);
    NEEDLE_CHECK(out.requires_grad(), "grad: output {} (shape {}) does not require grad", i,
                 shape_str(out.shape()));
    roots.push_back(&out);
    seeds.push_back(
        autograd::check_seed("grad", out, grad_outputs.empty() ? Tensor() : grad_outputs[i]));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    NEEDLE_CHECK(inputs[i].defined(), "grad: input {} is undefined", i);
    NEEDLE_CHECK(inputs[i].requires_grad(), "grad: input {} (shape {}) does not require grad", i,
                 shape_str(inputs[i].shape()));
  }
  std::vector<Tensor> result(inputs.size());
  autograd::run_backward(roots, seeds, create_graph, &inputs, &result);
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (size_t k = 0; k < i && !result[i].defined(); ++k) {
      if (inputs[k].node() == inputs[i].node()) result[i] = result[k];  // listed twice
    }
    if (!result[i].defined()) result[i] = zeros_like(inputs[i]);
  }
  return result;
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         bool create_graph) {
  return grad(outputs, inputs, {}, create_graph);
}

}  // namespace needle

// nn::Module: registration, recursive traversal (parameters, buffers, state dict), mode and
// device changes, and the two printed forms (nested repr and the forward-pass summary).
#include "needle/nn/module.h"

#include <fmt/format.h>

#include <sstream>
#include <unordered_map>

#include "needle/autograd.h"
#include "needle/tensor.h"

namespace needle::nn {
namespace {

// summary() sets this for the duration of one forward pass; operator() then records a row per
// module call. Thread-local so that a summary on one thread never sees another's calls.
struct SummaryRow {
  int depth = 0;
  std::string name;
  Shape output;
  int64_t params = 0;
};
struct SummaryRecorder {
  std::unordered_map<const Module*, std::string> names;
  std::vector<SummaryRow> rows;
  int depth = 0;
};
thread_local SummaryRecorder* g_recorder = nullptr;

void check_name(const std::string& owner, const std::string& what, const std::string& name) {
  NEEDLE_CHECK(!name.empty(), "{}: {} name must not be empty", owner, what);
  NEEDLE_CHECK(name.find('.') == std::string::npos, "{}: {} name '{}' must not contain '.'", owner,
               what, name);
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0 && digits[static_cast<size_t>(i - 1)] != '-') out += ',';
    out += digits[static_cast<size_t>(i)];
  }
  return out;
}

}  // namespace

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor&) {
  throw Error(fmt::format("{}: this module has no single-input forward(Tensor)", type_name_));
}

Tensor Module::operator()(const Tensor& input) {
  if (g_recorder == nullptr) return forward(input);
  SummaryRecorder& rec = *g_recorder;
  const size_t row = rec.rows.size();
  auto it = rec.names.find(this);
  std::string name = it == rec.names.end() ? std::string() : it->second;
  name = name.empty() ? type_name_ : fmt::format("{} ({})", name, type_name_);
  int64_t own = 0;
  for (const auto& [n, p] : parameters_)
    own += p.numel();
  rec.rows.push_back({rec.depth, std::move(name), {}, own});
  ++rec.depth;
  struct DepthGuard {
    int& depth;
    ~DepthGuard() { --depth; }
  } guard{rec.depth};
  Tensor out = forward(input);
  rec.rows[row].output = out.shape();
  return out;
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(type_name_, "parameter", name);
  NEEDLE_CHECK(tensor.defined(), "{}: parameter '{}' is undefined", type_name_, name);
  for (const auto& [n, p] : parameters_) {
    NEEDLE_CHECK(n != name, "{}: parameter '{}' is already registered", type_name_, name);
  }
  if (!tensor.is_leaf()) tensor = tensor.detach();
  tensor.set_requires_grad(requires_grad);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_name(type_name_, "buffer", name);
  NEEDLE_CHECK(tensor.defined(), "{}: buffer '{}' is undefined", type_name_, name);
  for (const auto& [n, b] : buffers_) {
    NEEDLE_CHECK(n != name, "{}: buffer '{}' is already registered", type_name_, name);
  }
  if (!tensor.is_leaf()) tensor = tensor.detach();
  buffers_.emplace_back(name, tensor);
  return tensor;
}

void Module::register_child(const std::string& name, std::shared_ptr<Module> child) {
  check_name(type_name_, "submodule", name);
  NEEDLE_CHECK(child != nullptr, "{}: submodule '{}' is null", type_name_, name);
  NEEDLE_CHECK(child.get() != this, "{}: a module cannot be its own submodule", type_name_);
  for (const auto& [n, c] : children_) {
    NEEDLE_CHECK(n != name, "{}: submodule '{}' is already registered", type_name_, name);
  }
  children_.emplace_back(name, std::move(child));
}

void Module::collect(const std::string& prefix, bool recurse, bool want_params,
                     NamedList<Tensor>& out) const {
  for (const auto& [name, t] : want_params ? parameters_ : buffers_) {
    out.emplace_back(prefix + name, t);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) {
    child->collect(prefix + name + ".", true, want_params, out);
  }
}

NamedList<Tensor> Module::named_parameters(bool recurse) const {
  NamedList<Tensor> out;
  collect("", recurse, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters(recurse))
    out.push_back(t);
  return out;
}

NamedList<Tensor> Module::named_buffers(bool recurse) const {
  NamedList<Tensor> out;
  collect("", recurse, false, out);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_buffers(recurse))
    out.push_back(t);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [name, c] : children_)
    out.push_back(c);
  return out;
}

NamedList<std::shared_ptr<Module>> Module::named_children() const {
  return children_;
}

NamedList<std::shared_ptr<Module>> Module::named_modules() const {
  NamedList<std::shared_ptr<Module>> out;
  // A module owned only by a raw object (not a shared_ptr) cannot hand out shared_from_this;
  // give the root an aliasing pointer that owns nothing instead of throwing.
  std::shared_ptr<const Module> self = weak_from_this().lock();
  out.emplace_back(
      "", self ? std::const_pointer_cast<Module>(self)
               : std::shared_ptr<Module>(std::shared_ptr<Module>(), const_cast<Module*>(this)));
  for (const auto& [name, child] : children_) {
    for (auto& [sub, m] : child->named_modules()) {
      out.emplace_back(sub.empty() ? name : name + "." + sub, m);
    }
  }
  return out;
}

NamedList<Tensor> Module::state_dict() const {
  NamedList<Tensor> out;
  for (const auto& [prefix, m] : named_modules()) {
    const std::string p = prefix.empty() ? "" : prefix + ".";
    for (const auto& [n, t] : m->parameters_)
      out.emplace_back(p + n, t);
    for (const auto& [n, t] : m->buffers_)
      out.emplace_back(p + n, t);
  }
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_)
    child->train(on);
}

void Module::to(const Device& device) {
  auto move = [&](const Tensor& t) {
    autograd::Node* node = t.node();
    if (node->value.device() != device) node->value = node->value.to(device);
    if (node->grad.defined() && node->grad.device() != device) {
      node->grad = Tensor(node->grad.data().to(device));
    }
  };
  for (auto& [name, t] : named_parameters())
    move(t);
  for (auto& [name, t] : named_buffers())
    move(t);
}

void Module::zero_grad() {
  for (auto& [name, t] : named_parameters())
    t.zero_grad();
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters())
    n += t.numel();
  return n;
}

void Module::print(std::ostream& os, int indent) const {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  const std::string extra = extra_repr();
  os << type_name_ << "(";
  if (children_.empty()) {
    os << extra << ")";
    return;
  }
  os << "\n";
  if (!extra.empty()) os << pad << extra << "\n";
  for (const auto& [name, child] : children_) {
    os << pad << "(" << name << "): ";
    child->print(os, indent + 2);
    os << "\n";
  }
  os << std::string(static_cast<size_t>(indent), ' ') << ")";
}

std::string Module::to_string() const {
  std::ostringstream os;
  print(os, 0);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& module) {
  return os << module.to_string();
}

std::string Module::summary(const Shape& input_shape, const Device& device, DType dtype) {
  SummaryRecorder rec;
  for (auto& [name, m] : named_modules())
    rec.names[m.get()] = name;
  const bool was_training = training_;
  eval();
  {
    NoGradGuard no_grad;
    SummaryRecorder* previous = g_recorder;
    g_recorder = &rec;
    struct Restore {
      SummaryRecorder* previous;
      ~Restore() { g_recorder = previous; }
    } restore{previous};
    try {
      (*this)(Tensor(NDArray::zeros(input_shape, dtype, device)));
    } catch (...) {
      train(was_training);
      throw;
    }
  }
  train(was_training);

  size_t name_width = 12;
  for (const auto& r : rec.rows) {
    name_width = std::max(name_width, r.name.size() + 2 * static_cast<size_t>(r.depth));
  }
  name_width += 2;
  const size_t shape_width = 20;
  const size_t width = name_width + shape_width + 12;
  std::ostringstream os;
  os << fmt::format("{:<{}}{:<{}}{:>12}\n", "Layer (type)", name_width, "Output shape", shape_width,
                    "Param #");
  os << std::string(width, '=') << "\n";
  for (const auto& r : rec.rows) {
    os << fmt::format("{:<{}}{:<{}}{:>12}\n",
                      std::string(2 * static_cast<size_t>(r.depth), ' ') + r.name, name_width,
                      shape_str(r.output), shape_width, with_commas(r.params));
  }
  os << std::string(width, '=') << "\n";
  int64_t trainable = 0;
  for (auto& [name, t] : named_parameters()) {
    if (t.requires_grad()) trainable += t.numel();
  }
  os << "Total params: " << with_commas(num_parameters()) << "\n";
  os << "Trainable params: " << with_commas(trainable) << "\n";
  return os.str();
}

}  // namespace needle::nn

// nn::Module, the base of every layer, loss and model, and the ownership story used by all of
// them: LibTorch's holder form. A layer is implemented as `class LinearImpl : public Module`
// and `NEEDLE_MODULE(Linear)` generates `Linear`, a cheap handle around
// std::shared_ptr<LinearImpl>. Copying a holder shares the module (as copying a
// std::shared_ptr does); `model->forward(x)` and `model(x)` both run it; `*model` is the
// module itself (for save/load and printing). Modules are registered with their parent by
// name, in registration order, which fixes the order of parameters(), state dict keys and the
// printed summary.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "needle/device.h"
#include "needle/error.h"
#include "needle/shape.h"
#include "needle/tensor.h"

namespace needle::nn {

class Module;

// Anything that holds a module: a ModuleHolder or a std::shared_ptr to a Module subclass.
template <typename M>
concept ModuleLike = std::is_convertible_v<const M&, std::shared_ptr<Module>>;

// (name, value) pairs in registration order.
template <typename T>
using NamedList = std::vector<std::pair<std::string, T>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  // `type_name` is what printing shows ("Linear"); subclasses pass their own.
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-input forward that Sequential, Residual and summary() call. Modules with a
  // different signature (losses) define their own forward/operator() and leave this throwing.
  virtual Tensor forward(const Tensor& input);
  // Runs forward(); also what summary() hooks to record output shapes.
  Tensor operator()(const Tensor& input);

  const std::string& type_name() const { return type_name_; }

  // --- registered state ---------------------------------------------------------------------
  // Parameters of this module and (recurse) all descendants, in registration order, depth
  // first; names are dotted paths: "0.weight", "2.0.fn.0.bias".
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedList<Tensor> named_parameters(bool recurse = true) const;
  // Non-trainable state such as BatchNorm's running statistics.
  std::vector<Tensor> buffers(bool recurse = true) const;
  NamedList<Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  NamedList<std::shared_ptr<Module>> named_children() const;
  // This module ("") and every descendant, depth first.
  NamedList<std::shared_ptr<Module>> named_modules() const;
  // Parameters then buffers of each module, depth first: PyTorch's state_dict() order and keys.
  NamedList<Tensor> state_dict() const;

  // --- mode, device, gradients ----------------------------------------------------------------
  // Sets training mode on this module and every descendant (Dropout, BatchNorm read it).
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter and buffer to `device` in place: each Tensor handle keeps its
  // identity (the graph node is reused), so optimizers built before to() keep working (they
  // move their own state on their next step). Gradients move too.
  void to(const Device& device);
  // Forgets the gradient of every parameter (grad() becomes undefined, as needle's reset_grad).
  void zero_grad();
  // Total number of parameter elements.
  int64_t num_parameters() const;

  // --- printing -----------------------------------------------------------------------------
  // "in_features=3, out_features=4, bias=true": what the module prints inside its parentheses.
  virtual std::string extra_repr() const { return ""; }
  // PyTorch-style nested repr: "Sequential(\n  (0): Linear(in_features=...)\n ...)".
  std::string to_string() const;
  // Runs a forward pass on zeros of `input_shape` (eval mode, no graph; the mode is restored)
  // and returns a table: one row per module call with its output shape and its own parameter
  // count, then the total parameter count.
  std::string summary(const Shape& input_shape, const Device& device = cpu(),
                      DType dtype = DType::Float32);

 protected:
  // Registers a parameter under `name` (a leaf that requires grad) and returns it; the
  // subclass keeps the returned handle as a member, which is the same tensor.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor tensor);
  // Registers a child module (a holder or a shared_ptr) and returns it unchanged.
  template <ModuleLike M>
  M register_module(const std::string& name, M module) {
    register_child(name, module);
    return module;
  }
  void register_child(const std::string& name, std::shared_ptr<Module> child);

 private:
  void collect(const std::string& prefix, bool recurse, bool want_params,
               NamedList<Tensor>& out) const;
  void print(std::ostream& os, int indent) const;

  std::string type_name_;
  bool training_ = true;
  NamedList<Tensor> parameters_;
  NamedList<Tensor> buffers_;
  NamedList<std::shared_ptr<Module>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

// The handle NEEDLE_MODULE generates. Constructor arguments go to Impl's constructor
// (`nn::Linear fc(784, 100)`); a default-constructed holder owns a default-constructed Impl
// when Impl has a default constructor.
template <typename Impl>
class ModuleHolder {
 public:
  using ImplType = Impl;

  template <typename I = Impl, std::enable_if_t<std::is_default_constructible_v<I>, int> = 0>
  ModuleHolder() : impl_(std::make_shared<Impl>()) {}
  // An empty holder, to be assigned later (`nn::Linear fc{nullptr};` as a class member).
  ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit
  // Wraps an existing module (shared, not copied).
  ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {  // NOLINT: implicit
    NEEDLE_CHECK(impl_ != nullptr, "ModuleHolder: null module");
  }
  // Builds a new Impl from the arguments; never chosen for copies of a holder or for an
  // existing shared_ptr, which share instead.
  template <typename First, typename... Rest,
            std::enable_if_t<!std::is_base_of_v<ModuleHolder, std::decay_t<First>> &&
                                 !std::is_convertible_v<First, std::shared_ptr<Impl>> &&
                                 std::is_constructible_v<Impl, First, Rest...>,
                             int> = 0>
  explicit ModuleHolder(First&& first, Rest&&... rest)
      : impl_(std::make_shared<Impl>(std::forward<First>(first), std::forward<Rest>(rest)...)) {}

  bool is_empty() const { return impl_ == nullptr; }
  Impl* operator->() const { return checked(); }
  Impl& operator*() const { return *checked(); }
  Impl* get() const { return impl_.get(); }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  operator std::shared_ptr<Module>() const { return impl_; }  // NOLINT: implicit by design

  // model(x) / loss(logits, labels): Impl's call operator.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) const {
    return (*checked())(std::forward<Args>(args)...);
  }

 private:
  Impl* checked() const {
    NEEDLE_CHECK(impl_ != nullptr, "ModuleHolder: the module is empty (built from nullptr)");
    return impl_.get();
  }

  std::shared_ptr<Impl> impl_;
};

}  // namespace needle::nn

// Declares the holder `Name` for `NameImpl` (LibTorch's TORCH_MODULE).
#define NEEDLE_MODULE(Name)                                     \
  class Name : public ::needle::nn::ModuleHolder<Name##Impl> {  \
   public:                                                      \
    using ::needle::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
  }

// nn::Sequential: runs its children in order, each on the previous one's output. Children are
// named by position ("0", "1", ...), so parameter names read "1.weight" as in PyTorch.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "needle/error.h"
#include "needle/nn/module.h"

namespace needle::nn {

class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  // Sequential(nn::Linear(2, 3), nn::ReLU(), ...): holders or shared_ptrs to modules.
  template <ModuleLike M, ModuleLike... Ms>
  explicit SequentialImpl(const M& first, const Ms&... rest) : Module("Sequential") {
    push_back(first);
    (push_back(rest), ...);
  }

  // Appends a module under the next index.
  void push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& input) override;

  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  // The i-th child; IndexError when out of range.
  const std::shared_ptr<Module>& operator[](size_t index) const;
  const std::shared_ptr<Module>& at(size_t index) const { return (*this)[index]; }
  // The i-th child as its concrete type (`seq->at<LinearImpl>(0)->weight`); Error when the
  // child is of another type.
  template <typename M>
  std::shared_ptr<M> at(size_t index) const {
    auto typed = std::dynamic_pointer_cast<M>((*this)[index]);
    NEEDLE_CHECK(typed != nullptr, "Sequential: child {} is a {}, not the type asked for", index,
                 (*this)[index]->type_name());
    return typed;
  }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  // For models that are a Sequential with a name of their own (MLPResNet).
  explicit SequentialImpl(std::string type_name) : Module(std::move(type_name)) {}

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
NEEDLE_MODULE(Sequential);

}  // namespace needle::nn

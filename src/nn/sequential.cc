// nn::Sequential: children named by position, run in order.
#include "needle/nn/sequential.h"

#include <string>

namespace needle::nn {

void SequentialImpl::push_back(std::shared_ptr<Module> module) {
  register_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

Tensor SequentialImpl::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& m : modules_)
    x = (*m)(x);
  return x;
}

const std::shared_ptr<Module>& SequentialImpl::operator[](size_t index) const {
  NEEDLE_CHECK_AS(IndexError, index < modules_.size(),
                  "Sequential: index {} is out of range for {} modules", index, modules_.size());
  return modules_[index];
}

}  // namespace needle::nn

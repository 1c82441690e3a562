// User-defined ops: a Function's forward/backward wrapped as a graph Op.
#include "needle/function.h"

#include <string>
#include <utility>

#include "needle/op.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

class FunctionOp final : public Op {
 public:
  explicit FunctionOp(std::shared_ptr<Function> fn) : fn_(std::move(fn)), name_(fn_->name()) {}
  const char* name() const override { return name_.c_str(); }
  NDArray compute(const std::vector<NDArray>& inputs) const {
    NDArray out = fn_->forward(inputs);
    NEEDLE_CHECK(out.defined(), "{}: forward returned an undefined NDArray", name_);
    return out;
  }
  std::vector<Tensor> gradient(const Tensor& out_grad, const Tensor& output) const override {
    std::vector<Tensor> inputs = output.node()->inputs.to_vector();
    return fn_->backward(out_grad, inputs, output);
  }

 private:
  std::shared_ptr<Function> fn_;
  std::string name_;
};

}  // namespace

Tensor apply(std::shared_ptr<Function> fn, const std::vector<Tensor>& inputs) {
  NEEDLE_CHECK(fn != nullptr, "apply: the Function is null");
  for (size_t i = 0; i < inputs.size(); ++i) {
    NEEDLE_CHECK(inputs[i].defined(), "{}: input {} is undefined", fn->name(), i);
  }
  return autograd::apply_op(FunctionOp(std::move(fn)), inputs);
}

}  // namespace needle

// optim::Optimizer: the base of SGD, Adam and AdamW. It owns the list of parameters (shared
// Tensor handles, so the module and the optimizer see the same storage) and each parameter's
// state buffers, created lazily on the first step as zeros of the parameter's shape, dtype and
// device. Steps update parameter storage in place through the backend's fused kernels
// (Backend::sgd_step / adam_step): no graph is recorded and, after the first step, nothing is
// allocated. A parameter moved with Module::to() keeps its handle; its state follows it on the
// next step.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "needle/ndarray.h"
#include "needle/tensor.h"

namespace needle::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (parameters without one are skipped).
  virtual void step() = 0;
  // Forgets every parameter's gradient (grad() becomes undefined).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  // Completed step() calls (Adam's t).
  int64_t step_count() const { return step_count_; }
  const std::vector<Tensor>& parameters() const { return params_; }
  // "SGD", "Adam", "AdamW": recorded in checkpoints and checked when loading.
  virtual std::string name() const = 0;

  // --- checkpoint support (serialize.h) -------------------------------------------------------
  // Every existing state buffer as ("<param index>.<buffer name>", array), in parameter order.
  std::vector<std::pair<std::string, NDArray>> state_tensors() const;
  // Scalars to save with them: the optimizer's name, lr, step count and hyper-parameters.
  virtual std::map<std::string, std::string> state_metadata() const;
  // Replaces the state, lr, step count and hyper-parameters with `tensors` and `metadata` (as
  // produced above, PyTorch's load_state_dict restores hyper-parameters too) after validating
  // all of it: a foreign optimizer name, an unknown key, a parameter index out of range, a
  // shape/dtype that differs from the parameter's or a malformed value throws Error and changes
  // nothing.
  void load_state(const std::vector<std::pair<std::string, NDArray>>& tensors,
                  const std::map<std::string, std::string>& metadata);

 protected:
  // The named state buffer of parameter `index`, created as zeros on first use and moved to
  // the parameter's device if the parameter has moved.
  NDArray& state_buffer(size_t index, const std::string& name);
  // The state buffer names this optimizer uses (for validating a loaded state).
  virtual std::vector<std::string> state_names() const = 0;
  void count_step() { ++step_count_; }
  // Reads the subclass's hyper-parameters from checkpoint metadata; with commit == false it
  // only validates (throws on a missing or malformed value), with commit == true it assigns.
  virtual void load_hyperparameters(const std::map<std::string, std::string>& metadata,
                                    bool commit) = 0;
  // The number stored under `key`; Error naming the key when missing or malformed.
  double metadata_number(const std::map<std::string, std::string>& metadata,
                         const std::string& key) const;

  std::vector<Tensor> params_;
  double lr_;

 private:
  int64_t step_count_ = 0;
  // A deque per parameter: creating one buffer must not move another that a step holds.
  std::vector<std::deque<std::pair<std::string, NDArray>>> state_;
};

}  // namespace needle::optim

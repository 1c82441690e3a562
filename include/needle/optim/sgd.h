// optim::SGD with momentum and weight decay exactly as the lecture (and needle) write them:
//   g' = g + weight_decay * w                 (L2 folded into the gradient)
//   u  = momentum * u + (1 - momentum) * g'   (an exponential moving average, u starts at 0)
//   w  = w - lr * u                           (w - lr * g' when momentum == 0)
// PyTorch instead accumulates u = momentum * u + (1 - dampening) * g' with dampening 0, so its
// step is 1/(1 - momentum) times larger in steady state; SGD(lr, m) here equals PyTorch's
// SGD(lr, m, dampening=m) except on the first step, where PyTorch sets u = g'.
// With nesterov, the step uses the moving average one step further ahead:
//   w = w - lr * (momentum * u + (1 - momentum) * g')  (PyTorch: g' + momentum * u).
#pragma once

#include <vector>

#include "needle/optim/optimizer.h"

namespace needle::optim {

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr = 0.01, double momentum = 0.0,
      double weight_decay = 0.0, bool nesterov = false);
  void step() override;
  std::string name() const override { return "SGD"; }
  std::map<std::string, std::string> state_metadata() const override;

  double momentum;
  double weight_decay;
  bool nesterov;

 protected:
  std::vector<std::string> state_names() const override { return {"momentum_buffer"}; }
  void load_hyperparameters(const std::map<std::string, std::string>& metadata,
                            bool commit) override;
};

}  // namespace needle::optim

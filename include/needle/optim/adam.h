// optim::Adam (with bias correction, as needle and PyTorch) and optim::AdamW. Per parameter,
// with t the global step count (incremented once per step()):
//   g' = g + weight_decay * w          (Adam: coupled L2, as needle and torch.optim.Adam)
//   m  = beta1 * m + (1 - beta1) * g'
//   v  = beta2 * v + (1 - beta2) * g'^2
//   w  = w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
// AdamW decouples the decay instead: w = w - lr * weight_decay * w before the Adam update with
// the plain gradient (torch.optim.AdamW).
#pragma once

#include <vector>

#include "needle/optim/optimizer.h"

namespace needle::optim {

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0.0);
  void step() override;
  std::string name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  std::map<std::string, std::string> state_metadata() const override;

  double beta1;
  double beta2;
  double eps;
  double weight_decay;

 protected:
  Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
       double weight_decay, bool decoupled);
  std::vector<std::string> state_names() const override { return {"exp_avg", "exp_avg_sq"}; }
  void load_hyperparameters(const std::map<std::string, std::string>& metadata,
                            bool commit) override;

 private:
  bool decoupled_ = false;
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 1e-2);
};

}  // namespace needle::optim

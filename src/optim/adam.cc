// optim::Adam and optim::AdamW: bias-corrected moments, one fused kernel call per parameter.
#include "needle/optim/adam.h"

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle::optim {

Adam::Adam(std::vector<Tensor> params, double lr, double beta1_, double beta2_, double eps_,
           double weight_decay_)
    : Adam(std::move(params), lr, beta1_, beta2_, eps_, weight_decay_, false) {}

Adam::Adam(std::vector<Tensor> params, double lr, double beta1_, double beta2_, double eps_,
           double weight_decay_, bool decoupled)
    : Optimizer(std::move(params), lr),
      beta1(beta1_),
      beta2(beta2_),
      eps(eps_),
      weight_decay(weight_decay_),
      decoupled_(decoupled) {
  NEEDLE_CHECK(beta1 >= 0.0 && beta1 < 1.0, "{}: beta1 must be in [0, 1), got {}", name(), beta1);
  NEEDLE_CHECK(beta2 >= 0.0 && beta2 < 1.0, "{}: beta2 must be in [0, 1), got {}", name(), beta2);
  NEEDLE_CHECK(eps >= 0.0, "{}: eps must be >= 0, got {}", name(), eps);
  NEEDLE_CHECK(weight_decay >= 0.0, "{}: weight_decay must be >= 0, got {}", name(), weight_decay);
}

void Adam::step() {
  count_step();
  const AdamStepArgs args{lr_, beta1, beta2, eps, weight_decay, decoupled_, step_count()};
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    const NDArray& w = params_[i].data();
    NEEDLE_CHECK_AS(DeviceError, g.device() == w.device(),
                    "{}: parameter {} is on {} but its gradient is on {}", name(), i,
                    w.device().str(), g.device().str());
    const StridedView& m = state_buffer(i, "exp_avg").view();
    const StridedView& v = state_buffer(i, "exp_avg_sq").view();
    backend_for(w.device()).adam_step(w.view(), g.data().view(), m, v, args);
  }
}

std::map<std::string, std::string> Adam::state_metadata() const {
  auto m = Optimizer::state_metadata();
  m["beta1"] = fmt::format("{}", beta1);
  m["beta2"] = fmt::format("{}", beta2);
  m["eps"] = fmt::format("{}", eps);
  m["weight_decay"] = fmt::format("{}", weight_decay);
  return m;
}

void Adam::load_hyperparameters(const std::map<std::string, std::string>& metadata, bool commit) {
  const double b1 = metadata_number(metadata, "beta1");
  const double b2 = metadata_number(metadata, "beta2");
  const double e = metadata_number(metadata, "eps");
  const double wd = metadata_number(metadata, "weight_decay");
  NEEDLE_CHECK(b1 >= 0.0 && b1 < 1.0 && b2 >= 0.0 && b2 < 1.0 && e >= 0.0 && wd >= 0.0,
               "{}: bad hyper-parameters in optimizer state", name());
  if (!commit) return;
  beta1 = b1;
  beta2 = b2;
  eps = e;
  weight_decay = wd;
}

AdamW::AdamW(std::vector<Tensor> params, double lr, double beta1_, double beta2_, double eps_,
             double weight_decay_)
    : Adam(std::move(params), lr, beta1_, beta2_, eps_, weight_decay_, true) {}

}  // namespace needle::optim

// optim::SGD: the lecture's momentum (an EMA) and coupled weight decay, one fused kernel call
// per parameter.
#include "needle/optim/sgd.h"

#include <fmt/format.h>

#include "needle/backend.h"
#include "needle/error.h"

namespace needle::optim {

SGD::SGD(std::vector<Tensor> params, double lr, double momentum_, double weight_decay_,
         bool nesterov_)
    : Optimizer(std::move(params), lr),
      momentum(momentum_),
      weight_decay(weight_decay_),
      nesterov(nesterov_) {
  NEEDLE_CHECK(momentum >= 0.0 && momentum < 1.0, "SGD: momentum must be in [0, 1), got {}",
               momentum);
  NEEDLE_CHECK(weight_decay >= 0.0, "SGD: weight_decay must be >= 0, got {}", weight_decay);
  NEEDLE_CHECK(!nesterov || momentum > 0.0, "SGD: nesterov needs a momentum > 0");
}

void SGD::step() {
  const SgdStepArgs args{lr_, momentum, weight_decay, nesterov};
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    const NDArray& w = params_[i].data();
    NEEDLE_CHECK_AS(DeviceError, g.device() == w.device(),
                    "SGD: parameter {} is on {} but its gradient is on {}", i, w.device().str(),
                    g.device().str());
    const StridedView none;
    const StridedView& u = momentum != 0.0 ? state_buffer(i, "momentum_buffer").view() : none;
    backend_for(w.device()).sgd_step(w.view(), g.data().view(), u, args);
  }
  count_step();
}

std::map<std::string, std::string> SGD::state_metadata() const {
  auto m = Optimizer::state_metadata();
  m["momentum"] = fmt::format("{}", momentum);
  m["weight_decay"] = fmt::format("{}", weight_decay);
  m["nesterov"] = nesterov ? "true" : "false";
  return m;
}

void SGD::load_hyperparameters(const std::map<std::string, std::string>& metadata, bool commit) {
  const double m = metadata_number(metadata, "momentum");
  const double wd = metadata_number(metadata, "weight_decay");
  auto it = metadata.find("nesterov");
  NEEDLE_CHECK(it != metadata.end() && (it->second == "true" || it->second == "false"),
               "SGD: optimizer state has no valid 'nesterov' entry");
  NEEDLE_CHECK(m >= 0.0 && m < 1.0 && wd >= 0.0,
               "SGD: bad momentum {} or weight_decay {} in optimizer state", m, wd);
  if (!commit) return;
  momentum = m;
  weight_decay = wd;
  nesterov = it->second == "true";
}

}  // namespace needle::optim

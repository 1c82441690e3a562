// optim::Optimizer: parameter list, lazily created per-parameter state, checkpoint state.
#include "needle/optim/optimizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "needle/error.h"

namespace needle::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), lr_(lr), state_(params_.size()) {
  NEEDLE_CHECK(lr >= 0.0, "optimizer: learning rate must be >= 0, got {}", lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    NEEDLE_CHECK(params_[i].defined(), "optimizer: parameter {} is undefined", i);
    NEEDLE_CHECK_AS(DTypeError, is_floating(params_[i].dtype()),
                    "optimizer: parameter {} has dtype {}; only float32/float64 can be trained", i,
                    dtype_name(params_[i].dtype()));
    NEEDLE_CHECK(params_[i].is_leaf(), "optimizer: parameter {} is not a leaf tensor", i);
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_)
    p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  NEEDLE_CHECK(lr >= 0.0, "optimizer: learning rate must be >= 0, got {}", lr);
  lr_ = lr;
}

NDArray& Optimizer::state_buffer(size_t index, const std::string& name) {
  const NDArray& value = params_[index].data();
  for (auto& [n, buf] : state_[index]) {
    if (n != name) continue;
    if (buf.device() != value.device()) buf = buf.to(value.device());
    return buf;
  }
  state_[index].emplace_back(name, NDArray::zeros(value.shape(), value.dtype(), value.device()));
  return state_[index].back().second;
}

std::vector<std::pair<std::string, NDArray>> Optimizer::state_tensors() const {
  std::vector<std::pair<std::string, NDArray>> out;
  for (size_t i = 0; i < state_.size(); ++i) {
    for (const auto& [name, buf] : state_[i])
      out.emplace_back(fmt::format("{}.{}", i, name), buf);
  }
  return out;
}

std::map<std::string, std::string> Optimizer::state_metadata() const {
  return {{"optimizer", name()},
          {"lr", fmt::format("{}", lr_)},
          {"step", std::to_string(step_count_)},
          {"num_params", std::to_string(params_.size())}};
}

void Optimizer::load_state(const std::vector<std::pair<std::string, NDArray>>& tensors,
                           const std::map<std::string, std::string>& metadata) {
  auto get = [&](const char* key) -> const std::string& {
    auto it = metadata.find(key);
    NEEDLE_CHECK(it != metadata.end(), "{}: optimizer state has no '{}' entry", name(), key);
    return it->second;
  };
  NEEDLE_CHECK(get("optimizer") == name(), "{}: the state was saved by a {} optimizer", name(),
               get("optimizer"));
  NEEDLE_CHECK(get("num_params") == std::to_string(params_.size()),
               "{}: the state is for {} parameters, this optimizer has {}", name(),
               get("num_params"), params_.size());
  load_hyperparameters(metadata, /*commit=*/false);
  char* end = nullptr;
  const std::string& step_text = get("step");
  const long long step = std::strtoll(step_text.c_str(), &end, 10);
  NEEDLE_CHECK(end != step_text.c_str() && *end == '\0' && step >= 0,
               "{}: bad step count '{}' in optimizer state", name(), step_text);
  const std::string& lr_text = get("lr");
  const double lr = std::strtod(lr_text.c_str(), &end);
  NEEDLE_CHECK(end != lr_text.c_str() && *end == '\0' && lr >= 0.0,
               "{}: bad learning rate '{}' in optimizer state", name(), lr_text);

  const std::vector<std::string> names = state_names();
  std::vector<std::deque<std::pair<std::string, NDArray>>> next(params_.size());
  std::set<std::string> seen;
  for (const auto& [key, array] : tensors) {
    const size_t dot = key.find('.');
    NEEDLE_CHECK(dot != std::string::npos && dot > 0, "{}: unexpected key '{}' in optimizer state",
                 name(), key);
    const std::string index_text = key.substr(0, dot);
    const std::string buf_name = key.substr(dot + 1);
    const unsigned long long index = std::strtoull(index_text.c_str(), &end, 10);
    NEEDLE_CHECK(*end == '\0' && index < params_.size() &&
                     std::find(names.begin(), names.end(), buf_name) != names.end(),
                 "{}: unexpected key '{}' in optimizer state", name(), key);
    NEEDLE_CHECK(seen.insert(key).second, "{}: duplicate key '{}' in optimizer state", name(), key);
    const NDArray& p = params_[index].data();
    NEEDLE_CHECK_AS(ShapeError, array.shape() == p.shape(),
                    "{}: '{}' has shape {}, the parameter has {}", name(), key,
                    shape_str(array.shape()), shape_str(p.shape()));
    NEEDLE_CHECK_AS(DTypeError, array.dtype() == p.dtype(),
                    "{}: '{}' has dtype {}, the parameter has {}", name(), key,
                    dtype_name(array.dtype()), dtype_name(p.dtype()));
    next[index].emplace_back(buf_name, array.to(p.device()).clone());
  }
  state_ = std::move(next);
  step_count_ = step;
  lr_ = lr;
  load_hyperparameters(metadata, /*commit=*/true);
}

double Optimizer::metadata_number(const std::map<std::string, std::string>& metadata,
                                  const std::string& key) const {
  auto it = metadata.find(key);
  NEEDLE_CHECK(it != metadata.end(), "{}: optimizer state has no '{}' entry", name(), key);
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  NEEDLE_CHECK(end != it->second.c_str() && *end == '\0' && std::isfinite(value),
               "{}: bad value '{}' for '{}' in optimizer state", name(), it->second, key);
  return value;
}

}  // namespace needle::optim

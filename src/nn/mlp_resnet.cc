// needle's MLPResNet and ResidualBlock, built in execution order (mlp_resnet.h).
#include "needle/nn/mlp_resnet.h"

#include "needle/nn/activation.h"
#include "needle/nn/batch_norm.h"
#include "needle/nn/dropout.h"
#include "needle/nn/identity.h"
#include "needle/nn/layer_norm.h"
#include "needle/nn/linear.h"
#include "needle/nn/residual.h"

namespace needle::nn {
namespace {

std::shared_ptr<Module> make_norm(NormLayer norm, int64_t dim, const init::Options& options) {
  switch (norm) {
    case NormLayer::BatchNorm1d:
      return BatchNorm1d(dim, 1e-5, 0.1, options).ptr();
    case NormLayer::LayerNorm1d:
      return LayerNorm1d(dim, 1e-5, options).ptr();
    case NormLayer::Identity:
      return Identity().ptr();
  }
  return Identity().ptr();
}

}  // namespace

Sequential ResidualBlock(int64_t dim, int64_t hidden_dim, NormLayer norm, double drop_prob,
                         const init::Options& options) {
  // Each statement creates one module, so the random draws happen in execution order.
  Sequential inner;
  inner->push_back(Linear(dim, hidden_dim, true, options));
  inner->push_back(make_norm(norm, hidden_dim, options));
  inner->push_back(ReLU());
  inner->push_back(Dropout(drop_prob));
  inner->push_back(Linear(hidden_dim, dim, true, options));
  inner->push_back(make_norm(norm, dim, options));
  Sequential block;
  block->push_back(Residual(inner));
  block->push_back(ReLU());
  return block;
}

MLPResNetImpl::MLPResNetImpl(int64_t dim, int64_t hidden_dim, int64_t num_blocks,
                             int64_t num_classes, NormLayer norm, double drop_prob,
                             const init::Options& options)
    : SequentialImpl("MLPResNet") {
  NEEDLE_CHECK(num_blocks >= 0, "MLPResNet: num_blocks must be >= 0, got {}", num_blocks);
  push_back(Linear(dim, hidden_dim, true, options));
  push_back(ReLU());
  for (int64_t i = 0; i < num_blocks; ++i) {
    push_back(ResidualBlock(hidden_dim, hidden_dim / 2, norm, drop_prob, options));
  }
  push_back(Linear(hidden_dim, num_classes, true, options));
}

}  // namespace needle::nn

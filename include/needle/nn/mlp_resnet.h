// needle's MLPResNet (hw2) as a model users construct: Linear(dim, hidden), ReLU, num_blocks
// ResidualBlocks of width hidden/2, Linear(hidden, num_classes). Modules are created in
// execution order, which fixes the order of the random draws as in needle, and the model is a
// Sequential, so its keys ("0.weight", "2.0.fn.0.weight", ...) match the same model built in
// PyTorch from nn.Sequential and a Residual with `self.fn`.
#pragma once

#include <cstdint>

#include "needle/init.h"
#include "needle/nn/sequential.h"

namespace needle::nn {

// Which normalization layer the residual blocks use.
enum class NormLayer { BatchNorm1d, LayerNorm1d, Identity };

// Sequential(Residual(Sequential(Linear(dim, hidden), norm(hidden), ReLU, Dropout(drop_prob),
//                                Linear(hidden, dim), norm(dim))), ReLU)
Sequential ResidualBlock(int64_t dim, int64_t hidden_dim, NormLayer norm = NormLayer::BatchNorm1d,
                         double drop_prob = 0.1, const init::Options& options = {});

class MLPResNetImpl : public SequentialImpl {
 public:
  explicit MLPResNetImpl(int64_t dim, int64_t hidden_dim = 100, int64_t num_blocks = 3,
                         int64_t num_classes = 10, NormLayer norm = NormLayer::BatchNorm1d,
                         double drop_prob = 0.1, const init::Options& options = {});
};
NEEDLE_MODULE(MLPResNet);

}  // namespace needle::nn

// The libneedle half of the needle -> PyTorch checkpoint check (check_in_pytorch.py, a ctest
// entry): save_for_pytorch DIR trains two models one step, so that BatchNorm's running
// statistics and num_batches_tracked are not their initial values, and writes for each
//   DIR/<name>.safetensors     needle::save of the model
//   DIR/<name>_io.safetensors  an input x and needle's outputs on it, y_eval and y_train
// for the PyTorch twins in torch_models.py to reproduce.
#include <cstdio>
#include <string>

#include "needle/needle.h"

namespace ndl = needle;
namespace nn = needle::nn;

namespace {

void train_one_step(nn::Module& model, const ndl::Tensor& x, const ndl::Tensor& labels) {
  ndl::optim::Adam opt(model.parameters(), 0.01);
  nn::SoftmaxLoss()(model(x), labels).backward();
  opt.step();
}

void write(nn::Module& model, const ndl::Tensor& x, const ndl::Tensor& labels,
           const std::string& dir, const std::string& name) {
  train_one_step(model, x, labels);
  ndl::save(model, dir + "/" + name + ".safetensors");
  ndl::NoGradGuard no_grad;
  model.eval();
  const ndl::NDArray y_eval = model(x).data();
  model.train();
  const ndl::NDArray y_train = model(x).data();
  ndl::save_safetensors(dir + "/" + name + "_io.safetensors",
                        {{"x", x.data()}, {"y_eval", y_eval}, {"y_train", y_train}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: save_for_pytorch DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    ndl::manual_seed(0);
    // torch_models.mlp_resnet(6, 8, 2, 3, 0.0).
    nn::MLPResNet mlp(6, 8, 2, 3, nn::NormLayer::BatchNorm1d, /*drop_prob=*/0.0);
    write(*mlp, ndl::randn({5, 6}),
          ndl::Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 0, 1}, {5}), dir, "mlp_resnet");
    // torch_models.conv_net(): Conv2d and BatchNorm2d layouts (OIHW weights, NCHW flattening).
    nn::Sequential conv(nn::Conv2d(2, 3, 3, /*stride=*/1, /*padding=*/1), nn::BatchNorm2d(3),
                        nn::ReLU(), nn::Flatten(), nn::Linear(3 * 4 * 5, 4));
    write(*conv, ndl::randn({3, 2, 4, 5}),
          ndl::Tensor::from_vector(std::vector<int64_t>{0, 3, 1}, {3}), dir, "conv_net");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "save_for_pytorch: %s\n", e.what());
    return 1;
  }
  return 0;
}

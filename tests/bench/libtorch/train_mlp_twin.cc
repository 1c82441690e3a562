// LibTorch twin of examples/train_mlp.cc, for the side-by-side epoch-time comparison: the same
// MLPResNet(784, 512, 3 blocks, BatchNorm1d, dropout 0.2), batch 128 (last batch kept), Adam
// (lr 2e-3, betas 0.9/0.999, eps 1e-8, L2 weight decay 1e-4) with the learning rate
// cosine-annealed to 0 over the whole run and stepped per batch, on the same Fashion-MNIST IDX
// files (read once with zlib into tensors), normalised by the same mean/std, every training
// image flipped horizontally with probability 0.5, shuffled each epoch. An epoch's time covers
// its train pass and its test pass, like train_mlp's. One JSON line per epoch on stdout:
//
//   libtorch_train_mlp [--epochs N] [--threads T] [--data DIR] [--seed S]
//
// --threads 0 (the default) uses one intra-op thread per hardware thread, as needle does
// (all_cores.h says why LibTorch's own default is not used). The
// flip is applied to the whole batch on the training thread (torch::where over a flipped copy);
// train_mlp does it per example in its loader's worker threads.
// Built by tests/bench/libtorch/CMakeLists.txt (see that file for the commands).
#include <torch/torch.h>
#include <zlib.h>

#include "all_cores.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr float kPixelMean = 0.2860f;
constexpr float kPixelStd = 0.3530f;

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int epochs = 12;
  int threads = 0;
  int64_t batch_size = 128;
  double lr = 2e-3;
  double weight_decay = 1e-4;
  int64_t hidden = 512;
  int64_t blocks = 3;
  double dropout = 0.2;
  uint64_t seed = 0;
};

// The whole (decompressed) contents of a gzipped or plain file.
std::vector<uint8_t> read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  int n = 0;
  while ((n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0)
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  const bool failed = n < 0;
  gzclose(f);
  if (failed) throw std::runtime_error("cannot decompress " + path);
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

struct Split {
  torch::Tensor images;  // (N, 784) float32, normalised
  torch::Tensor labels;  // (N,) int64
};

// `stem`-images-idx3-ubyte.gz and `stem`-labels-idx1-ubyte.gz under `dir`.
Split load_split(const std::string& dir, const std::string& stem) {
  const std::string image_path = dir + "/" + stem + "-images-idx3-ubyte.gz";
  const std::string label_path = dir + "/" + stem + "-labels-idx1-ubyte.gz";
  const std::vector<uint8_t> img = read_gz(image_path);
  const std::vector<uint8_t> lab = read_gz(label_path);
  if (img.size() < 16 || be32(img, 0) != 2051) throw std::runtime_error("bad " + image_path);
  if (lab.size() < 8 || be32(lab, 0) != 2049) throw std::runtime_error("bad " + label_path);
  const int64_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  if (static_cast<int64_t>(img.size()) != 16 + n * rows * cols ||
      static_cast<int64_t>(lab.size()) != 8 + n || be32(lab, 4) != n)
    throw std::runtime_error("size mismatch in " + stem);
  torch::Tensor bytes =
      torch::from_blob(const_cast<uint8_t*>(img.data() + 16), {n, rows * cols}, torch::kUInt8);
  torch::Tensor labels =
      torch::from_blob(const_cast<uint8_t*>(lab.data() + 8), {n}, torch::kUInt8).to(torch::kLong);
  torch::Tensor images = (bytes.to(torch::kFloat32).div_(255.0f) - kPixelMean).div_(kPixelStd);
  return {images.contiguous(), labels.clone()};
}

// The layers and their order are needle's MLPResNet: Linear, ReLU, then blocks of
// Residual(Linear, BatchNorm1d, ReLU, Dropout, Linear, BatchNorm1d) + ReLU, then Linear.
struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int64_t dim, int64_t hidden, double drop)
      : fc1(register_module("fc1", torch::nn::Linear(dim, hidden))),
        bn1(register_module("bn1", torch::nn::BatchNorm1d(hidden))),
        dropout(register_module("dropout", torch::nn::Dropout(drop))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, dim))),
        bn2(register_module("bn2", torch::nn::BatchNorm1d(dim))) {}
  torch::Tensor forward(torch::Tensor x) {
    auto h = bn2(fc2(dropout(torch::relu(bn1(fc1(x))))));
    return torch::relu(h + x);
  }
  torch::nn::Linear fc1;
  torch::nn::BatchNorm1d bn1;
  torch::nn::Dropout dropout;
  torch::nn::Linear fc2;
  torch::nn::BatchNorm1d bn2;
};
TORCH_MODULE(ResidualBlock);

torch::nn::Sequential mlp_resnet(int64_t dim, int64_t hidden, int64_t blocks, int64_t classes,
                                 double drop) {
  torch::nn::Sequential seq(torch::nn::Linear(dim, hidden), torch::nn::ReLU());
  for (int64_t i = 0; i < blocks; ++i)
    seq->push_back(ResidualBlock(hidden, hidden / 2, drop));
  seq->push_back(torch::nn::Linear(hidden, classes));
  return seq;
}

struct EpochResult {
  double loss = 0;
  double accuracy = 0;
};

struct Trainer {
  torch::nn::Sequential model;
  torch::optim::Adam optimizer;
  double base_lr;
  int64_t total_steps;
  int64_t step = 0;

  void set_lr(double lr) {
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }

  // One shuffled, augmented training pass; the learning rate follows the cosine after each batch.
  EpochResult train(const Split& data, int64_t batch_size) {
    model->train();
    const int64_t n = data.images.size(0);
    const torch::Tensor order = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t start = 0; start < n; start += batch_size) {
      const int64_t b = std::min(batch_size, n - start);
      const torch::Tensor idx = order.slice(0, start, start + b);
      torch::Tensor x = data.images.index_select(0, idx);
      const torch::Tensor y = data.labels.index_select(0, idx);
      // RandomFlipHorizontal(0.5): mirror the columns of a random half of the images.
      const torch::Tensor flip = torch::rand({b, 1, 1}) < 0.5;
      const torch::Tensor square = x.view({b, 28, 28});
      x = torch::where(flip, square.flip({2}), square).view({b, 784});

      const torch::Tensor logits = model->forward(x);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      ++step;
      set_lr(0.5 * base_lr * (1 + std::cos(M_PI * static_cast<double>(step) / total_steps)));
      loss_sum += loss.item<double>() * b;
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    return {loss_sum / n, static_cast<double>(correct) / n};
  }

  EpochResult evaluate(const Split& data, int64_t batch_size) {
    model->eval();
    torch::NoGradGuard no_grad;
    const int64_t n = data.images.size(0);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t start = 0; start < n; start += batch_size) {
      const int64_t b = std::min(batch_size, n - start);
      const torch::Tensor x = data.images.slice(0, start, start + b);
      const torch::Tensor y = data.labels.slice(0, start, start + b);
      const torch::Tensor logits = model->forward(x);
      loss_sum += torch::nn::functional::cross_entropy(logits, y).item<double>() * b;
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    return {loss_sum / n, static_cast<double>(correct) / n};
  }
};

Options parse(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--epochs") {
      opt.epochs = std::stoi(value());
    } else if (arg == "--threads") {
      opt.threads = std::stoi(value());
    } else if (arg == "--data") {
      opt.data_dir = value();
    } else if (arg == "--seed") {
      opt.seed = std::stoull(value());
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: libtorch_train_mlp [--epochs N] [--threads T] [--data DIR] [--seed S]\n");
      std::exit(0);
    } else {
      throw std::runtime_error("unknown argument " + arg);
    }
  }
  if (opt.epochs < 1 || opt.threads < 0) throw std::runtime_error("bad --epochs or --threads");
  return opt;
}

int run(const Options& opt) {
  torch::manual_seed(opt.seed);
  if (opt.threads > 0) {
    torch::set_num_threads(opt.threads);
  } else {
    needle_twins::use_all_cores();
  }
  const auto load_start = std::chrono::steady_clock::now();
  const Split train_set = load_split(opt.data_dir, "train");
  const Split test_set = load_split(opt.data_dir, "t10k");
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  auto model = mlp_resnet(784, opt.hidden, opt.blocks, 10, opt.dropout);
  int64_t parameters = 0;
  for (const auto& p : model->parameters())
    parameters += p.numel();
  const int64_t batches = (train_set.images.size(0) + opt.batch_size - 1) / opt.batch_size;
  Trainer trainer{model,
                  torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(opt.lr)
                                                              .betas({0.9, 0.999})
                                                              .eps(1e-8)
                                                              .weight_decay(opt.weight_decay)),
                  opt.lr, opt.epochs * batches};
  std::fprintf(stderr,
               "libtorch_train_mlp: %lld train / %lld test images from %s (read in %.2f s), "
               "LibTorch %d intra-op threads, %lld parameters\n",
               static_cast<long long>(train_set.images.size(0)),
               static_cast<long long>(test_set.images.size(0)), opt.data_dir.c_str(), load_seconds,
               torch::get_num_threads(), static_cast<long long>(parameters));

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const EpochResult train = trainer.train(train_set, opt.batch_size);
    const auto mid = std::chrono::steady_clock::now();
    const EpochResult test = trainer.evaluate(test_set, opt.batch_size);
    const auto end = std::chrono::steady_clock::now();
    const double train_seconds = std::chrono::duration<double>(mid - start).count();
    const double seconds = std::chrono::duration<double>(end - start).count();
    std::printf(
        "{\"epoch\":%d,\"train_loss\":%.6f,\"train_acc\":%.6f,\"test_loss\":%.6f,"
        "\"test_acc\":%.6f,\"seconds\":%.3f,\"train_seconds\":%.3f,\"train_images_per_s\":%.0f}\n",
        epoch, train.loss, train.accuracy, test.loss, test.accuracy, seconds, train_seconds,
        static_cast<double>(train_set.images.size(0)) / train_seconds);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libtorch_train_mlp: error: %s\n", e.what());
    return 1;
  }
}

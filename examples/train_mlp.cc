// train_mlp: trains needle's MLPResNet on (Fashion-)MNIST IDX files, the project's main job.
//
//   train_mlp [--data DIR] [--epochs N] [--batch-size B] [--lr X] [--device cpu|cuda]
//             [--seed S] [--json] [--save PATH] [--load PATH]
//
// With no flags it reads /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) and
// uses default_device(). A progress bar on stderr shows each epoch; one summary line per epoch
// follows (on stdout, or on stderr with --json, whose JSON lines then own stdout).
// `--load PATH --epochs 0` only evaluates a saved checkpoint.
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "examples/classification.h"
#include "needle/needle.h"

namespace ndl = needle;

namespace {

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int epochs = 12;
  int64_t batch_size = 128;
  double lr = 2e-3;
  double weight_decay = 1e-4;
  int64_t hidden = 512;
  int64_t blocks = 3;
  double dropout = 0.2;
  std::string device;
  uint64_t seed = 0;
  int workers = 2;
  bool json = false;
  std::string save_path;
  std::string load_path;
};

// Fashion-MNIST's pixel statistics; normalising them to zero mean and unit variance lets
// the first Linear layer start in the regime its kaiming init assumes.
constexpr float kPixelMean = 0.2860f;
constexpr float kPixelStd = 0.3530f;

int run(const Options& opt) {
  ndl::manual_seed(opt.seed);
  const ndl::Device device =
      opt.device.empty() ? ndl::default_device() : ndl::parse_device(opt.device);

  const ndl::data::Transforms train_transforms = {
      std::make_shared<ndl::data::RandomFlipHorizontal>(0.5),
      std::make_shared<ndl::data::Normalize>(std::vector<float>{kPixelMean},
                                             std::vector<float>{kPixelStd})};
  const ndl::data::Transforms test_transforms = {std::make_shared<ndl::data::Normalize>(
      std::vector<float>{kPixelMean}, std::vector<float>{kPixelStd})};
  auto train_set = examples::open_idx_split(opt.data_dir, "train", train_transforms);
  auto test_set = examples::open_idx_split(opt.data_dir, "t10k", test_transforms);

  ndl::data::DataLoaderOptions train_options;
  train_options.batch_size = opt.batch_size;
  train_options.shuffle = true;
  train_options.num_workers = opt.workers;
  train_options.device = device;
  ndl::data::DataLoader train_loader(train_set, train_options);
  ndl::data::DataLoaderOptions test_options = train_options;
  test_options.shuffle = false;
  ndl::data::DataLoader test_loader(test_set, test_options);

  const int64_t input_dim = train_set->rows() * train_set->cols();
  ndl::nn::MLPResNet model(input_dim, opt.hidden, opt.blocks, 10, ndl::nn::NormLayer::BatchNorm1d,
                           opt.dropout);
  model->to(device);
  if (!opt.load_path.empty()) ndl::load(model, opt.load_path);
  ndl::nn::SoftmaxLoss loss_fn;
  ndl::optim::Adam optimizer(model->parameters(), opt.lr, 0.9, 0.999, 1e-8, opt.weight_decay);
  // Cosine annealing over the whole run, stepped per batch: a large step early, a fine one
  // at the end, which is worth about a point of test accuracy over a constant rate here.
  const int64_t total_steps = std::max<int64_t>(1, opt.epochs * train_loader.size());
  ndl::optim::CosineAnnealingLR schedule(optimizer, total_steps);

  std::FILE* summary = opt.json ? stderr : stdout;
  fmt::print(summary, "train_mlp: {} train / {} test images from {}, device {}, {} parameters\n",
             train_set->size(), test_set->size(), opt.data_dir, device.str(),
             model->num_parameters());
  std::fflush(summary);

  // The MLP takes each image as one row of input_dim pixels.
  auto flatten = [](const ndl::Tensor& images) {
    return ndl::reshape(images, {images.shape(0), -1});
  };
  examples::fit(*model, loss_fn, train_loader, test_loader, optimizer, schedule, opt.epochs,
                summary, opt.json, flatten);
  if (!opt.save_path.empty()) {
    ndl::save(model, opt.save_path);
    fmt::print(summary, "saved {}\n", opt.save_path);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Train needle's MLPResNet on (Fashion-)MNIST IDX files"};
  app.add_option("--data", opt.data_dir, "directory with the IDX files (gzipped or plain)");
  using examples::add_number;
  add_number(app, "--epochs", opt.epochs, "training epochs (0: evaluate only)",
             examples::kNonNegative);
  add_number(app, "--batch-size", opt.batch_size, "examples per batch", examples::kPositive);
  add_number(app, "--lr", opt.lr, "Adam learning rate (cosine-annealed to 0)", examples::kPositive);
  add_number(app, "--weight-decay", opt.weight_decay, "Adam L2 weight decay",
             examples::kNonNegative);
  add_number(app, "--hidden", opt.hidden, "MLPResNet hidden width", examples::kPositive);
  add_number(app, "--blocks", opt.blocks, "MLPResNet residual blocks", examples::kNonNegative);
  add_number(app, "--dropout", opt.dropout, "dropout probability in the blocks",
             examples::between(0.0, 0.99));
  app.add_option("--device", opt.device, "cpu, cuda or cuda:N (default: cuda when available)");
  add_number(app, "--seed", opt.seed, "random seed (init, shuffle, dropout, augmentation)");
  add_number(app, "--workers", opt.workers, "data loader worker threads", examples::kNonNegative);
  app.add_flag("--json", opt.json, "also print one JSON object per epoch on stdout");
  examples::add_checkpoint_flags(app, opt.save_path, opt.load_path);
  return examples::parse_and_run(app, argc, argv, "train_mlp", [&] { return run(opt); });
}

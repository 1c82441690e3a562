// train_resnet: trains a ResNet (needle's ResNet9, or a CIFAR ResNet-18) on Fashion-MNIST or
// CIFAR-10 with SGD + momentum and a warmup-then-cosine learning rate.
//
//   train_resnet [--dataset fashion-mnist|cifar10] [--data DIR] [--model resnet9|resnet18]
//                [--device cpu|cuda] [--epochs N] [--batch-size B] [--lr X] [--momentum M]
//                [--weight-decay W] [--label-smoothing E] [--warmup-epochs K] [--workers T]
//                [--seed S] [--json] [--save PATH] [--load PATH]
//
// Fashion-MNIST (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist) is the
// default: its 1-channel 28x28 images get a model whose first layer is adapted to them
// (ResNet9Stem::Small: a 3x3 stride-1 stem and global pooling; ResNet-18 with in_channels 1).
// CIFAR-10 reads the binary batches (cifar-10-batches-bin) and augments with RandomCrop(32,
// padding 4) + RandomFlipHorizontal, as is usual for it. Output is train_mlp's: a progress bar
// per epoch on stderr, one summary line per epoch, `--json` lines on stdout.
//
// The learning rate is needle's SGD convention (optim/sgd.h): momentum averages the gradient
// (u = m u + (1 - m) g), so --lr 1.0 with --momentum 0.9 takes the steps of PyTorch's lr 0.1.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "examples/classification.h"
#include "needle/needle.h"

namespace ndl = needle;

namespace {

struct Options {
  std::string dataset = "fashion-mnist";
  std::string data_dir;  // default depends on the dataset
  std::string model = "resnet9";
  std::string device;
  int epochs = 15;
  int64_t batch_size = 128;
  double lr = 1.0;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double label_smoothing = 0.1;
  int warmup_epochs = 1;
  int workers = 2;
  uint64_t seed = 0;
  bool json = false;
  std::string save_path;
  std::string load_path;
};

struct Data {
  std::shared_ptr<ndl::data::Dataset> train, test;
  int64_t channels = 0;
};

Data open_data(const Options& opt) {
  using namespace ndl::data;
  if (opt.dataset == "cifar10") {
    const std::string dir = opt.data_dir.empty() ? "data/cifar-10-batches-bin" : opt.data_dir;
    // CIFAR-10's per-channel statistics over the training set.
    auto normalize = std::make_shared<Normalize>(std::vector<float>{0.4914f, 0.4822f, 0.4465f},
                                                 std::vector<float>{0.2470f, 0.2435f, 0.2616f});
    const Transforms train_transforms = {std::make_shared<RandomCrop>(32, 4),
                                         std::make_shared<RandomFlipHorizontal>(0.5), normalize};
    return {std::make_shared<CIFAR10Dataset>(dir, true, train_transforms),
            std::make_shared<CIFAR10Dataset>(dir, false, Transforms{normalize}), 3};
  }
  const std::string dir = opt.data_dir.empty() ? "/usr/share/datasets/fashion-mnist" : opt.data_dir;
  auto normalize =
      std::make_shared<Normalize>(std::vector<float>{0.2860f}, std::vector<float>{0.3530f});
  // Garments are left-right symmetric classes and sit a pixel or two off centre.
  const Transforms train_transforms = {std::make_shared<RandomCrop>(28, 2),
                                       std::make_shared<RandomFlipHorizontal>(0.5), normalize};
  return {examples::open_idx_split(dir, "train", train_transforms),
          examples::open_idx_split(dir, "t10k", Transforms{normalize}), 1};
}

std::shared_ptr<ndl::nn::Module> make_model(const Options& opt, int64_t channels) {
  if (opt.model == "resnet18") return ndl::nn::ResNet18(channels, 10).ptr();
  // needle's ResNet9 was built for 32x32 colour images; small grayscale ones get the small stem.
  const auto stem = channels == 1 ? ndl::nn::ResNet9Stem::Small : ndl::nn::ResNet9Stem::Needle;
  return ndl::nn::ResNet9(channels, 10, ndl::init::Options{}, stem).ptr();
}

int run(const Options& opt) {
  ndl::manual_seed(opt.seed);
  const ndl::Device device =
      opt.device.empty() ? ndl::default_device() : ndl::parse_device(opt.device);
  const Data data = open_data(opt);

  ndl::data::DataLoaderOptions train_options;
  train_options.batch_size = opt.batch_size;
  train_options.shuffle = true;
  train_options.num_workers = opt.workers;
  train_options.device = device;
  ndl::data::DataLoader train_loader(data.train, train_options);
  ndl::data::DataLoaderOptions test_options = train_options;
  test_options.shuffle = false;
  ndl::data::DataLoader test_loader(data.test, test_options);

  const std::shared_ptr<ndl::nn::Module> model = make_model(opt, data.channels);
  model->to(device);
  if (!opt.load_path.empty()) ndl::load(*model, opt.load_path);
  ndl::nn::SoftmaxLoss loss_fn(ndl::nn::Reduction::Mean, opt.label_smoothing);
  ndl::optim::SGD optimizer(model->parameters(), opt.lr, opt.momentum, opt.weight_decay);
  // Per batch: a linear warmup over the first epochs (large steps on a fresh BatchNorm network
  // diverge), then cosine annealing to zero over the rest: the usual one-cycle shape.
  const int64_t per_epoch = train_loader.size();
  const int64_t warmup = std::min<int64_t>(opt.warmup_epochs, opt.epochs) * per_epoch;
  auto cosine = std::make_shared<ndl::optim::CosineAnnealingLR>(
      optimizer, std::max<int64_t>(1, opt.epochs * per_epoch - warmup));
  ndl::optim::LinearWarmup schedule(optimizer, std::max<int64_t>(1, warmup), 0.1, cosine);

  std::FILE* summary = opt.json ? stderr : stdout;
  fmt::print(summary,
             "train_resnet: {} on {} ({} train / {} test images), device {}, {} parameters\n",
             opt.model, opt.dataset, data.train->size(), data.test->size(), device.str(),
             model->num_parameters());
  std::fflush(summary);

  auto images = [](const ndl::Tensor& batch) { return batch; };
  examples::fit(*model, loss_fn, train_loader, test_loader, optimizer, schedule, opt.epochs,
                summary, opt.json, images);
  if (!opt.save_path.empty()) {
    ndl::save(*model, opt.save_path);
    fmt::print(summary, "saved {}\n", opt.save_path);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Train a ResNet on Fashion-MNIST or CIFAR-10"};
  app.add_option("--dataset", opt.dataset, "fashion-mnist or cifar10")
      ->check(CLI::IsMember({"fashion-mnist", "cifar10"}));
  app.add_option("--data", opt.data_dir,
                 "data directory (default: /usr/share/datasets/fashion-mnist, or "
                 "data/cifar-10-batches-bin for cifar10)");
  app.add_option("--model", opt.model, "resnet9 or resnet18")
      ->check(CLI::IsMember({"resnet9", "resnet18"}));
  app.add_option("--device", opt.device, "cpu, cuda or cuda:N (default: cuda when available)");
  using examples::add_number;
  add_number(app, "--epochs", opt.epochs, "training epochs (0: evaluate only)",
             examples::kNonNegative);
  add_number(app, "--batch-size", opt.batch_size, "examples per batch", examples::kPositive);
  add_number(app, "--lr", opt.lr, "peak SGD learning rate (needle's momentum convention)",
             examples::kPositive);
  add_number(app, "--momentum", opt.momentum, "SGD momentum", examples::between(0.0, 0.999));
  add_number(app, "--weight-decay", opt.weight_decay, "L2 weight decay", examples::kNonNegative);
  add_number(app, "--label-smoothing", opt.label_smoothing, "cross-entropy label smoothing",
             examples::between(0.0, 1.0));
  add_number(app, "--warmup-epochs", opt.warmup_epochs, "epochs of linear learning-rate warmup",
             examples::kNonNegative);
  add_number(app, "--workers", opt.workers, "data loader worker threads", examples::kNonNegative);
  add_number(app, "--seed", opt.seed, "random seed (init, shuffle, augmentation)");
  app.add_flag("--json", opt.json, "also print one JSON object per epoch on stdout");
  examples::add_checkpoint_flags(app, opt.save_path, opt.load_path);
  return examples::parse_and_run(app, argc, argv, "train_resnet", [&] { return run(opt); });
}

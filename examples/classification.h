// What the training examples (train_mlp, train_resnet) share: opening an IDX split, one pass
// of a classifier over a loader (training or evaluation, with a progress bar), and the epoch
// summary line with its optional JSON twin. Header-only, so each example stays one program.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "needle/needle.h"

namespace examples {

namespace ndl = needle;

// The IDX file pair `stem`-{images-idx3,labels-idx1}-ubyte in `dir`, gzipped or not ("train"
// or "t10k" as MNIST and Fashion-MNIST name them).
inline std::shared_ptr<ndl::data::MNISTDataset> open_idx_split(const std::string& dir,
                                                               const std::string& stem,
                                                               ndl::data::Transforms transforms) {
  auto pick = [&](const std::string& kind) {
    const std::string plain = fmt::format("{}/{}-{}-ubyte", dir, stem, kind);
    return std::filesystem::exists(plain + ".gz") ? plain + ".gz" : plain;
  };
  return std::make_shared<ndl::data::MNISTDataset>(pick("images-idx3"), pick("labels-idx1"),
                                                   std::move(transforms));
}

// Correct predictions in a batch of logits (B, k) against labels (B,).
inline int64_t count_correct(const ndl::Tensor& logits, const ndl::Tensor& labels) {
  const ndl::NDArray predicted = ndl::argmax(logits.data(), 1);
  return ndl::sum(ndl::eq(predicted, labels.data().astype(ndl::DType::Int64))).item<int64_t>();
}

struct EpochResult {
  double loss = 0;
  double accuracy = 0;
};

// One pass of `model` over `loader`: trains when `optimizer` is given (stepping `schedule`,
// if any, after every batch), else evaluates in eval mode without recording a graph. `input`
// shapes a batch of images for the model (e.g. flattens it for an MLP).
inline EpochResult run_epoch(ndl::nn::Module& model, ndl::nn::SoftmaxLoss& loss_fn,
                             ndl::data::DataLoader& loader, ndl::optim::Optimizer* optimizer,
                             ndl::optim::LRScheduler* schedule, const std::string& label,
                             const std::function<ndl::Tensor(const ndl::Tensor&)>& input) {
  const bool training = optimizer != nullptr;
  model.train(training);
  std::optional<ndl::NoGradGuard> no_grad;
  if (!training) no_grad.emplace();

  ndl::ProgressBar bar(label, loader.size());
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  for (const ndl::data::Batch& batch : loader) {
    const int64_t n = batch.images.shape(0);
    const ndl::Tensor logits = model(input(batch.images));
    ndl::Tensor loss = loss_fn(logits, batch.labels);
    if (training) {
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
      if (schedule) schedule->step();
    }
    loss_sum += loss.item<double>() * n;
    correct += count_correct(logits, batch.labels);
    seen += n;
    bar.update(1, n,
               fmt::format("loss {:.4f} acc {:.2f}%", loss_sum / seen, 100.0 * correct / seen));
  }
  bar.finish();
  return {seen ? loss_sum / seen : 0.0, seen ? static_cast<double>(correct) / seen : 0.0};
}

// The per-epoch summary line (on `summary`), and with `json` one JSON object on stdout.
inline void report_epoch(std::FILE* summary, bool json, int epoch, int epochs,
                         const EpochResult& train, const EpochResult& test, double seconds) {
  fmt::print(summary,
             "epoch {:>2}/{}: train loss {:.4f} acc {:.2f}% | test loss {:.4f} acc {:.2f}% | "
             "{:.1f} s\n",
             epoch, epochs, train.loss, 100 * train.accuracy, test.loss, 100 * test.accuracy,
             seconds);
  if (json) {
    fmt::print(stdout,
               "{{\"epoch\":{},\"train_loss\":{:.6f},\"train_acc\":{:.6f},\"test_loss\":{:.6f},"
               "\"test_acc\":{:.6f},\"seconds\":{:.3f}}}\n",
               epoch, train.loss, train.accuracy, test.loss, test.accuracy, seconds);
  }
  std::fflush(stdout);
  std::fflush(summary);
}

// The evaluation-only result (`--load PATH --epochs 0`).
inline void report_evaluation(std::FILE* summary, bool json, const EpochResult& test) {
  fmt::print(summary, "test loss {:.4f} acc {:.2f}%\n", test.loss, 100 * test.accuracy);
  if (json) {
    fmt::print(stdout, "{{\"epoch\":0,\"test_loss\":{:.6f},\"test_acc\":{:.6f}}}\n", test.loss,
               test.accuracy);
  }
}

// The whole run: `epochs` epochs of training, each followed by a test pass and its summary; with
// zero epochs, one evaluation pass (`--load PATH --epochs 0`).
inline void fit(ndl::nn::Module& model, ndl::nn::SoftmaxLoss& loss_fn,
                ndl::data::DataLoader& train_loader, ndl::data::DataLoader& test_loader,
                ndl::optim::Optimizer& optimizer, ndl::optim::LRScheduler& schedule, int epochs,
                std::FILE* summary, bool json,
                const std::function<ndl::Tensor(const ndl::Tensor&)>& input) {
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const EpochResult train = run_epoch(model, loss_fn, train_loader, &optimizer, &schedule,
                                        fmt::format("epoch {}/{} train", epoch, epochs), input);
    const EpochResult test = run_epoch(model, loss_fn, test_loader, nullptr, nullptr,
                                       fmt::format("epoch {}/{} test ", epoch, epochs), input);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    report_epoch(summary, json, epoch, epochs, train, test, seconds);
  }
  if (epochs == 0) {
    report_evaluation(summary, json,
                      run_epoch(model, loss_fn, test_loader, nullptr, nullptr, "evaluate", input));
  }
}

// Parses the command line, then runs `body`: a usage error exits with CLI11's message and
// code, any other failure (a missing or corrupt file, no GPU) prints one line
// "<program>: error: ..." and exits with 1.
template <typename Body>
int parse_and_run(CLI::App& app, int argc, char** argv, const char* program, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return body();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace examples

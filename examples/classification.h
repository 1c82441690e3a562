// What the training examples (train_mlp, train_resnet) share: their command-line checks (numeric
// flags, the checkpoint flags), opening an IDX split, one pass of a classifier over a loader
// (training or evaluation, with a progress bar), and the epoch summary line with its optional
// JSON twin. Header-only, so each example stays one program.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "needle/needle.h"

namespace examples {

namespace ndl = needle;

// The values a numeric flag accepts; a bound left unset is open.
struct Range {
  std::optional<double> min, max;
  bool min_exclusive = false;

  // As a reader states it: "> 0", ">= 0", "between 0 and 0.99"; empty for any value.
  std::string str() const {
    if (min && max) return fmt::format("between {} and {}", *min, *max);
    if (min) return fmt::format("{} {}", min_exclusive ? ">" : ">=", *min);
    if (max) return fmt::format("<= {}", *max);
    return "";
  }
  bool contains(double v) const {
    return (!min || (min_exclusive ? v > *min : v >= *min)) && (!max || v <= *max);
  }
};
inline const Range kPositive{0.0, std::nullopt, true};
inline const Range kNonNegative{0.0, std::nullopt, false};
inline Range between(double low, double high) {
  return {low, high, false};
}

// The one check behind every numeric flag: the text must be a T ("'abc' is not a number", "'1.5'
// is not an integer"), finite (NaN compares false with every bound, so a range check alone
// lets it through) and inside `range`. CLI11's own range checks say "not in range" for a
// non-number and print DBL_MAX in 309 digits.
template <typename T>
CLI::Validator number_check(const Range& range) {
  const std::string kind = std::is_unsigned_v<T>   ? "a non-negative integer"
                           : std::is_integral_v<T> ? "an integer"
                                                   : "a number";
  return CLI::Validator(
      [range, kind](std::string& text) -> std::string {
        const char* first = text.data();
        const char* last = first + text.size();
        T value{};
        const auto [end, ec] = std::from_chars(first, last, value);
        const std::string must = range.str().empty() ? "" : ": it must be " + range.str();
        if (ec == std::errc::result_out_of_range && end == last) {
          return fmt::format("{} is out of range{}", text, must);
        }
        if (ec != std::errc() || end != last || first == last) {
          return fmt::format("'{}' is not {}", text, kind);
        }
        if constexpr (std::is_floating_point_v<T>) {
          if (!std::isfinite(value)) return fmt::format("{} is not a finite number", text);
        }
        if (!range.contains(static_cast<double>(value))) {
          return fmt::format("{} is out of range{}", text, must);
        }
        return "";
      },
      range.str());
}

// Adds numeric flag `name` bound to `value`, checked by number_check for value's type.
template <typename T>
CLI::Option* add_number(CLI::App& app, const std::string& name, T& value, const std::string& help,
                        const Range& range = {}) {
  return app.add_option(name, value, help)->check(number_check<T>(range));
}

// Why a checkpoint cannot be saved at `path` (its directory is missing, not a directory or not
// writable, or the path is itself a directory), or "" when it can.
inline std::string unwritable_reason(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.filename().empty() || fs::is_directory(target, ec)) {
    return fmt::format("'{}' is a directory, not a file", path);
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) {
    return fmt::format("cannot write '{}': directory '{}' does not exist", path, dir.string());
  }
  if (!fs::is_directory(status)) {
    return fmt::format("cannot write '{}': '{}' is not a directory", path, dir.string());
  }
  // The save writes a temporary file there and renames it: the directory needs write access.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return fmt::format("cannot write '{}': directory '{}' is not writable: {}", path, dir.string(),
                       std::strerror(errno));
  }
  return "";
}

// --save PATH and --load PATH. --save is checked when the command line is parsed, before any
// data is read: a path that cannot be written would otherwise end the run only after training.
inline void add_checkpoint_flags(CLI::App& app, std::string& save_path, std::string& load_path) {
  app.add_option("--save", save_path, "write a safetensors checkpoint after training")
      ->check(CLI::Validator([](std::string& path) { return unwritable_reason(path); }, "PATH"));
  app.add_option("--load", load_path, "start from a safetensors checkpoint");
}

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

// Parses the command line, then runs `body`. Every failure, a usage error (a bad flag value, an
// unwritable --save path) as much as one while running (a missing or corrupt file, no GPU),
// prints one line "<program>: error: ..." and exits with 1; --help prints the usage and exits 0.
template <typename Body>
int parse_and_run(CLI::App& app, int argc, char** argv, const char* program, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    fmt::print(stderr, "{}: error: {} (see --help)\n", program, e.what());
    return 1;
  }
  try {
    return body();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace examples

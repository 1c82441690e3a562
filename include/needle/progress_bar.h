// ProgressBar: a one-line progress display for long work (training epochs, data loading).
// On a terminal it redraws in place; when stderr is not a terminal (CI logs, pipes) it prints a
// line at every 25% instead, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace needle {

class ProgressBar {
 public:
  // `label` prefixes the line ("epoch 1/10"); `total` is the number of steps (batches).
  ProgressBar(std::string label, int64_t total, std::FILE* out = stderr);
  ~ProgressBar();  // finishes the line if finish() was not called
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Advances by `steps` and `items` (e.g. images, for the items/s rate) and sets the trailing
  // text ("loss 0.512 acc 81.2%").
  void update(int64_t steps, int64_t items, const std::string& status = "");
  // Draws the final state and ends the line.
  void finish(const std::string& status = "");

  double elapsed_seconds() const;
  // Items per second since construction.
  double rate() const;

 private:
  void draw(bool final);

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  int64_t items_ = 0;
  std::string status_;
  std::FILE* out_;
  bool interactive_;
  bool finished_ = false;
  int next_log_quarter_ = 1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace needle

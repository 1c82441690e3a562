// ProgressBar drawing. Redraws are throttled to ~10 per second so a bar costs nothing next to
// the work it reports on.
#include "needle/progress_bar.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace needle {
namespace {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::FILE* out)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 0)),
      out_(out),
      interactive_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish(status_);
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double ProgressBar::rate() const {
  const double t = elapsed_seconds();
  return t > 0 ? items_ / t : 0.0;
}

void ProgressBar::update(int64_t steps, int64_t items, const std::string& status) {
  done_ = std::min(total_, done_ + steps);
  items_ += items;
  if (!status.empty()) status_ = status;
  draw(false);
}

void ProgressBar::finish(const std::string& status) {
  if (finished_) return;
  if (!status.empty()) status_ = status;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final) {
  const auto now = std::chrono::steady_clock::now();
  if (interactive_) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
  } else {
    // Logs get a line at 25%, 50%, 75% and the end.
    if (!final) {
      if (total_ == 0 || done_ * 4 < next_log_quarter_ * total_ || next_log_quarter_ > 3) return;
      next_log_quarter_ = static_cast<int>(done_ * 4 / total_) + 1;
    }
  }
  last_draw_ = now;
  constexpr int kWidth = 24;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = elapsed_seconds();
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  std::string line =
      fmt::format("{} [{}] {}/{} {} {:.0f} img/s {} {}", label_, bar, done_, total_, status_,
                  rate(), final ? "in" : "eta", format_duration(final ? elapsed : eta));
  if (interactive_) {
    fmt::print(out_, "\r{}\x1b[K{}", line, final ? "\n" : "");
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

}  // namespace needle

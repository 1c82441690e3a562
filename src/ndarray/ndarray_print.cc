// NDArray printing in PyTorch's layout: nested brackets, one right-aligned column width for
// every element shown, rows wrapped at 80 columns, blank lines between blocks of 3-D and
// higher arrays, and "..." summaries (3 items at each end of every axis) above 1000 elements.
#include <algorithm>
#include <cmath>
#include <ostream>

#include "needle/ndarray.h"

namespace needle {
namespace {

constexpr int64_t kThreshold = 1000;  // numel above which arrays are summarised
constexpr int64_t kEdgeItems = 3;     // items kept at each end of a summarised axis
constexpr int64_t kLineWidth = 80;

template <typename T>
std::string format_value(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return fmt::format("{:.4f}", static_cast<double>(v));
  } else {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
}

template <typename T>
class Printer {
 public:
  Printer(const std::vector<T>& values, const Shape& shape, bool summarize)
      : values_(values), shape_(shape), strides_(compact_strides(shape)), summarize_(summarize) {}

  std::string run(int64_t indent) {
    width_ = 0;
    visit(0, 0, [&](int64_t i) {
      width_ = std::max<int64_t>(width_, static_cast<int64_t>(format_value(values_[i]).size()));
    });
    std::string out;
    render(out, 0, 0, indent);
    return out;
  }

 private:
  bool summarized(size_t dim) const { return summarize_ && shape_[dim] > 2 * kEdgeItems; }

  // Calls fn(flat index) for every element that is shown.
  template <typename Fn>
  void visit(size_t dim, int64_t base, const Fn& fn) const {
    if (dim == shape_.size()) {
      fn(base);
      return;
    }
    const int64_t n = shape_[dim];
    for (int64_t i = 0; i < n; ++i) {
      if (summarized(dim) && i == kEdgeItems) i = n - kEdgeItems;
      visit(dim + 1, base + i * strides_[dim], fn);
    }
  }

  std::string element(int64_t i) const {
    std::string s = format_value(values_[static_cast<size_t>(i)]);
    return std::string(static_cast<size_t>(width_) - s.size(), ' ') + s;
  }

  void render(std::string& out, size_t dim, int64_t base, int64_t indent) const {
    const int64_t n = shape_[dim];
    const bool cut = summarized(dim);
    if (dim + 1 == shape_.size()) {
      // A row: wrap after as many elements as fit in the line width.
      const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / (width_ + 2));
      const std::string wrap = ",\n" + std::string(static_cast<size_t>(indent + 1), ' ');
      out += '[';
      int64_t on_line = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (i > 0) out += on_line == per_line ? wrap : std::string(", ");
        if (on_line == per_line) on_line = 0;
        if (cut && i == kEdgeItems) {
          out += " ...";
          ++on_line;
          i = n - kEdgeItems - 1;
          continue;
        }
        out += element(base + i * strides_[dim]);
        ++on_line;
      }
      out += ']';
      return;
    }
    const size_t remaining = shape_.size() - dim;
    const std::string sep =
        "," + std::string(remaining - 1, '\n') + std::string(static_cast<size_t>(indent + 1), ' ');
    out += '[';
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) out += sep;
      if (cut && i == kEdgeItems) {
        out += "...";
        i = n - kEdgeItems - 1;
        continue;
      }
      render(out, dim + 1, base + i * strides_[dim], indent + 1);
    }
    out += ']';
  }

  const std::vector<T>& values_;
  const Shape& shape_;
  Strides strides_;
  bool summarize_;
  int64_t width_ = 0;
};

}  // namespace

std::string NDArray::to_string() const {
  return to_string(0);
}

std::string NDArray::to_string(int indent) const {
  if (!defined()) return "[undefined]";
  if (numel() == 0) return "[]";
  return dispatch_dtype(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const std::vector<T> values = to_vector<T>();
    if (ndim() == 0) return format_value(values[0]);
    return Printer<T>(values, shape(), numel() > kThreshold).run(indent);
  });
}

std::ostream& operator<<(std::ostream& os, const NDArray& a) {
  return os << a.to_string();
}

}  // namespace needle

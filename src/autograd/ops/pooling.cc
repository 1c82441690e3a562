// Pooling as compositions of differentiable ops (pooling.h says how and why).
#include "needle/pooling.h"

#include <limits>
#include <vector>

#include "needle/conv.h"
#include "needle/ops.h"
#include "needle/pad.h"
#include "src/autograd/ops/cases.h"

namespace needle {
namespace {

enum class Reduce { Max, Mean };

struct Window {
  int64_t kh, kw, sh, sw, ph, pw;
};

Tensor pool(const Tensor& x, const Window& w, Reduce reduce, const char* op) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 4, "{}: expected a 4-D input (N, C, H, W), got {}", op,
                  shape_str(x.shape()));
  NEEDLE_CHECK_AS(ShapeError, w.kh > 0 && w.kw > 0 && w.sh > 0 && w.sw > 0,
                  "{}: kernel_size and stride must be positive, got kernel ({}, {}) stride ({}, "
                  "{}) for input {}",
                  op, w.kh, w.kw, w.sh, w.sw, shape_str(x.shape()));
  NEEDLE_CHECK_AS(ShapeError, w.ph >= 0 && w.pw >= 0 && w.ph <= w.kh / 2 && w.pw <= w.kw / 2,
                  "{}: padding ({}, {}) must be between 0 and half the kernel size ({}, {})", op,
                  w.ph, w.pw, w.kh, w.kw);
  const int64_t n = x.shape(0), c = x.shape(1);
  const int64_t ho = conv_output_size(x.shape(2), w.kh, w.sh, w.ph, 1, op);
  const int64_t wo = conv_output_size(x.shape(3), w.kw, w.sw, w.pw, 1, op);
  const double fill = reduce == Reduce::Max ? -std::numeric_limits<double>::infinity() : 0.0;
  const Tensor xp = pad(x, {{0, 0}, {0, 0}, {w.ph, w.ph}, {w.pw, w.pw}}, fill);
  auto reduced = [&](const Tensor& t, const Axes& axes) {
    return reduce == Reduce::Max ? max(t, axes) : mean(t, axes);
  };
  if (w.sh == w.kh && w.sw == w.kw) {
    // Windows tile the (cropped) input: one reshape and one reduction.
    Tensor cropped = xp;
    if (xp.shape(2) != ho * w.kh || xp.shape(3) != wo * w.kw) {
      cropped = xp.slice({Slice::all(), Slice::all(), Slice(0, ho * w.kh), Slice(0, wo * w.kw)});
    }
    return reduced(reshape(cropped, {n, c, ho, w.kh, wo, w.kw}), {3, 5});
  }
  std::vector<Tensor> windows;
  windows.reserve(static_cast<size_t>(w.kh * w.kw));
  for (int64_t i = 0; i < w.kh; ++i) {
    for (int64_t j = 0; j < w.kw; ++j) {
      windows.push_back(
          xp.slice({Slice::all(), Slice::all(), Slice(i, i + w.sh * (ho - 1) + 1, w.sh),
                    Slice(j, j + w.sw * (wo - 1) + 1, w.sw)}));
    }
  }
  return reduced(stack(windows, 0), {0});
}

Window square(int64_t kernel, int64_t stride, int64_t padding) {
  const int64_t s = stride == 0 ? kernel : stride;
  return {kernel, kernel, s, s, padding, padding};
}

}  // namespace

Tensor max_pool2d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding) {
  return pool(input, square(kernel_size, stride, padding), Reduce::Max, "max_pool2d");
}

Tensor avg_pool2d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding) {
  return pool(input, square(kernel_size, stride, padding), Reduce::Mean, "avg_pool2d");
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  NEEDLE_CHECK_AS(ShapeError, x.ndim() == 4,
                  "adaptive_avg_pool2d: expected a 4-D input (N, C, H, W), got {}",
                  shape_str(x.shape()));
  const int64_t h = x.shape(2), w = x.shape(3);
  NEEDLE_CHECK_AS(ShapeError, out_h > 0 && out_w > 0,
                  "adaptive_avg_pool2d: output size ({}, {}) must be positive for input {}", out_h,
                  out_w, shape_str(x.shape()));
  if (out_h == 1 && out_w == 1) return mean(x, {2, 3}, /*keepdims=*/true);
  if (h % out_h == 0 && w % out_w == 0) {
    return pool(x, {h / out_h, w / out_w, h / out_h, w / out_w, 0, 0}, Reduce::Mean,
                "adaptive_avg_pool2d");
  }
  // Uneven bins overlap or differ in size: one mean per output cell.
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < out_h; ++i) {
    const int64_t r0 = i * h / out_h, r1 = ((i + 1) * h + out_h - 1) / out_h;
    std::vector<Tensor> cells;
    for (int64_t j = 0; j < out_w; ++j) {
      const int64_t c0 = j * w / out_w, c1 = ((j + 1) * w + out_w - 1) / out_w;
      cells.push_back(
          mean(x.slice({Slice::all(), Slice::all(), Slice(r0, r1), Slice(c0, c1)}), {2, 3}, true));
    }
    rows.push_back(concatenate(cells, 3));
  }
  return concatenate(rows, 2);
}

namespace {

using autograd::cases::uniform;

// Max pooling is smooth only away from ties, which random inputs avoid.
const autograd::cases::Registrar pooling_cases({
    {"max_pool2d/tiled", 1, uniform({{2, 2, 4, 5}}),
     [](const std::vector<Tensor>& in) { return max_pool2d(in[0], 2); }, false},
    {"max_pool2d/overlapping_padded", 1, uniform({{2, 2, 5, 5}}),
     [](const std::vector<Tensor>& in) { return max_pool2d(in[0], 3, 2, 1); }, false},
    {"avg_pool2d/overlapping_padded", 1, uniform({{2, 2, 5, 4}}),
     [](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 3, 2, 1); }},
    {"adaptive_avg_pool2d/uneven", 1, uniform({{2, 2, 5, 7}}),
     [](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], 3, 2); }},
});

}  // namespace
}  // namespace needle

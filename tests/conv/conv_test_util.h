// Helpers for the convolution suite: a naive direct convolution in float64 (the reference the
// im2col + GEMM kernels are checked against) and the parameter grid the tests sweep.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "needle/needle.h"

namespace conv_test {

// One configuration of the grid: shapes and convolution parameters.
struct ConvCase {
  std::string name;
  needle::Shape input;   // (N, C, H, W)
  needle::Shape weight;  // (O, C / groups, kh, kw)
  needle::Conv2dParams params;
  bool bias = true;
};

// Direct seven-deep loop over the definition of cross-correlation.
inline std::vector<double> naive_conv2d(const std::vector<double>& x, const needle::Shape& xs,
                                        const std::vector<double>& w, const needle::Shape& ws,
                                        const std::vector<double>* b, const needle::Conv2dParams& p,
                                        needle::Shape& out_shape) {
  const int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  const int64_t o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  const int64_t og = o / p.groups;
  const int64_t ho = (h + 2 * p.pad_h - p.dilation_h * (kh - 1) - 1) / p.stride_h + 1;
  const int64_t wo = (wd + 2 * p.pad_w - p.dilation_w * (kw - 1) - 1) / p.stride_w + 1;
  out_shape = {n, o, ho, wo};
  std::vector<double> y(static_cast<size_t>(n * o * ho * wo), 0.0);
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < o; ++oc) {
      const int64_t g = oc / og;
      for (int64_t oh = 0; oh < ho; ++oh)
        for (int64_t ow = 0; ow < wo; ++ow) {
          double acc = b != nullptr ? (*b)[static_cast<size_t>(oc)] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dilation_h;
                const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dilation_w;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const int64_t xc = g * cg + ic;
                acc += x[static_cast<size_t>(((in * c + xc) * h + ih) * wd + iw)] *
                       w[static_cast<size_t>(((oc * cg + ic) * kh + i) * kw + j)];
              }
          y[static_cast<size_t>(((in * o + oc) * ho + oh) * wo + ow)] = acc;
        }
    }
  (void)c;
  return y;
}

inline needle::Conv2dParams params(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                   int64_t dw, int64_t groups) {
  return needle::Conv2dParams{sh, sw, ph, pw, dh, dw, groups};
}

// Strides, paddings, dilations, groups, bias on and off, non-square inputs and kernels, the
// 1x1 fast path: small enough for element-by-element numerical gradients.
// gtest prints a parameter by its name instead of its bytes.
inline void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.name;
}

inline std::vector<ConvCase> grid() {
  return {
      {"basic3x3", {2, 3, 5, 5}, {4, 3, 3, 3}, params(1, 1, 0, 0, 1, 1, 1), true},
      {"nobias", {2, 3, 5, 5}, {4, 3, 3, 3}, params(1, 1, 0, 0, 1, 1, 1), false},
      {"pad1", {2, 2, 4, 4}, {3, 2, 3, 3}, params(1, 1, 1, 1, 1, 1, 1), true},
      {"stride2_pad1", {2, 2, 6, 5}, {3, 2, 3, 3}, params(2, 2, 1, 1, 1, 1, 1), true},
      {"stride2_uneven", {1, 2, 7, 6}, {2, 2, 2, 3}, params(2, 3, 0, 1, 1, 1, 1), true},
      {"dilation2", {2, 2, 7, 6}, {2, 2, 3, 2}, params(1, 1, 1, 0, 2, 2, 1), true},
      {"groups2", {2, 4, 5, 4}, {6, 2, 3, 3}, params(1, 1, 1, 1, 1, 1, 2), true},
      {"depthwise", {2, 3, 5, 5}, {3, 1, 3, 3}, params(2, 1, 1, 1, 1, 1, 3), false},
      {"nonsquare", {2, 2, 3, 7}, {3, 2, 1, 4}, params(1, 2, 1, 2, 1, 1, 1), true},
      {"kernel_fills_input", {2, 2, 3, 3}, {2, 2, 3, 3}, params(1, 1, 0, 0, 1, 1, 1), true},
      {"one_by_one", {3, 4, 3, 5}, {5, 4, 1, 1}, params(1, 1, 0, 0, 1, 1, 1), true},
      {"one_by_one_groups", {2, 4, 3, 3}, {2, 2, 1, 1}, params(1, 1, 0, 0, 1, 1, 2), false},
      {"one_by_one_stride2", {2, 3, 5, 5}, {2, 3, 1, 1}, params(2, 2, 0, 0, 1, 1, 1), true},
      {"single_image", {1, 3, 6, 6}, {2, 3, 3, 3}, params(1, 1, 1, 1, 1, 1, 1), true},
      // Batches of several images per thread: the CPU kernel unfolds them side by side and
      // multiplies them with one GEMM.
      {"chunked_groups_stride2", {7, 4, 5, 5}, {6, 2, 3, 3}, params(2, 1, 1, 0, 1, 2, 2), true},
      // Kernel taps that read only padding are left out of the GEMM; with every tap dead the
      // output is the bias.
      {"pruned_small_map", {3, 2, 2, 2}, {3, 2, 3, 3}, params(2, 2, 1, 1, 1, 1, 1), true},
      {"pruned_one_pixel", {4, 3, 1, 1}, {2, 3, 3, 3}, params(1, 1, 1, 1, 1, 1, 1), true},
      {"all_taps_in_padding", {2, 2, 1, 1}, {3, 2, 1, 1}, params(3, 3, 1, 1, 1, 1, 1), true},
      {"chunked_one_by_one", {6, 3, 3, 2}, {4, 3, 1, 1}, params(1, 1, 0, 0, 1, 1, 1), false},
      // Small output maps are split into pixel classes by their live taps: a 7x7 stride-4 kernel
      // on 17x17 gives classes of 1, 3 and 9 pixels per axis pair (the three ways a class is
      // unfolded: one pixel, a few pixels from the pixel-major copy, many straight from NCHW).
      {"pixel_classes_stride4", {2, 2, 17, 17}, {3, 2, 7, 7}, params(4, 4, 3, 3, 1, 1, 1), true},
  };
}

}  // namespace conv_test

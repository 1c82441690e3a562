// im2col / col2im for one image and one channel group: the unfolding that turns a convolution
// into a GEMM. The column matrix has one row per (channel, kernel row, kernel column) and one
// column per output pixel: col[(c * kh + i) * kw + j][oh * Wo + ow] = x[c][oh*sh - ph + i*dh]
// [ow*sw - pw + j*dw] (zero outside the image). Rows are `ld` elements apart, so several images
// can share one column matrix side by side (image n at column offset n * Ho * Wo) and one GEMM
// then covers them all; ld = Ho * Wo is a single image.
//
// Only the kernel taps that read at least one real pixel get rows (`taps_h` x `taps_w`): on a
// small feature map most of a padded 3x3 kernel reads padding only (on a 1x1 map just the centre
// tap is live), and those rows would be zeros that the GEMM multiplies for nothing. The caller
// passes the weight with the same taps (ConvTaps).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "needle/backend.h"

namespace needle::cpu_backend {

// The output columns [begin, end) whose input coordinate o * stride + shift lies inside
// [0, size): the part of a row that reads real pixels (the rest reads padding).
inline void valid_range(int64_t out_size, int64_t size, int64_t stride, int64_t shift,
                        int64_t& begin, int64_t& end) {
  begin = shift >= 0 ? 0 : (-shift + stride - 1) / stride;           // o * stride + shift >= 0
  end = size - 1 - shift < 0 ? 0 : (size - 1 - shift) / stride + 1;  // ... <= size - 1
  begin = std::min(begin, out_size);
  end = std::clamp(end, begin, out_size);
}

// The kernel rows (or columns) that read at least one real pixel along one axis.
inline std::vector<int64_t> live_taps(int64_t kernel, int64_t out_size, int64_t size,
                                      int64_t stride, int64_t pad, int64_t dilation) {
  std::vector<int64_t> taps;
  for (int64_t t = 0; t < kernel; ++t) {
    int64_t begin = 0, end = 0;
    valid_range(out_size, size, stride, t * dilation - pad, begin, end);
    if (begin < end) taps.push_back(t);
  }
  return taps;
}

// The geometry of one image: channels of this group, input and output sizes, the live taps.
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t out_h = 0, out_w = 0;
  std::vector<int64_t> taps_h, taps_w;  // live kernel rows and columns
  Conv2dParams p;

  int64_t rows() const { return channels * static_cast<int64_t>(taps_h.size() * taps_w.size()); }
};

template <typename T>
void im2col(const T* x, const ConvGeometry& g, T* col, int64_t ld) {
  const int64_t sw = g.p.stride_w, ow_n = g.out_w;
  T* row = col;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* xc = x + c * g.height * g.width;
    for (const int64_t i : g.taps_h) {
      for (const int64_t j : g.taps_w) {
        const int64_t shift = j * g.p.dilation_w - g.p.pad_w;
        int64_t begin = 0, end = 0;
        valid_range(ow_n, g.width, sw, shift, begin, end);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          T* dst = row + oh * ow_n;
          const int64_t ih = oh * g.p.stride_h - g.p.pad_h + i * g.p.dilation_h;
          if (ih < 0 || ih >= g.height) {
            for (int64_t ow = 0; ow < ow_n; ++ow)
              dst[ow] = T(0);
            continue;
          }
          const T* src = xc + ih * g.width + shift;
          for (int64_t ow = 0; ow < begin; ++ow)
            dst[ow] = T(0);
          if (sw == 1) {
            for (int64_t ow = begin; ow < end; ++ow)
              dst[ow] = src[ow];
          } else {
            for (int64_t ow = begin; ow < end; ++ow)
              dst[ow] = src[ow * sw];
          }
          for (int64_t ow = end; ow < ow_n; ++ow)
            dst[ow] = T(0);
        }
        row += ld;
      }
    }
  }
}

// The adjoint of im2col: adds every column entry back into the pixel it was read from. `x` must
// be zeroed (or hold what the caller wants to accumulate onto).
template <typename T>
void col2im(const T* col, const ConvGeometry& g, T* x, int64_t ld) {
  const int64_t sw = g.p.stride_w, ow_n = g.out_w;
  const T* row = col;
  for (int64_t c = 0; c < g.channels; ++c) {
    T* xc = x + c * g.height * g.width;
    for (const int64_t i : g.taps_h) {
      for (const int64_t j : g.taps_w) {
        const int64_t shift = j * g.p.dilation_w - g.p.pad_w;
        int64_t begin = 0, end = 0;
        valid_range(ow_n, g.width, sw, shift, begin, end);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t ih = oh * g.p.stride_h - g.p.pad_h + i * g.p.dilation_h;
          if (ih < 0 || ih >= g.height) continue;
          const T* src = row + oh * ow_n;
          T* dst = xc + ih * g.width + shift;
          if (sw == 1) {
            for (int64_t ow = begin; ow < end; ++ow)
              dst[ow] += src[ow];
          } else {
            for (int64_t ow = begin; ow < end; ++ow)
              dst[ow * sw] += src[ow];
          }
        }
        row += ld;
      }
    }
  }
}

// On small feature maps the row-by-row loops above spend more time on loop control than on
// copying (a 4x4 map has rows of four pixels). There a table of the input offset that each
// output pixel of each live tap reads (-1: padding) turns the unfolding into one flat gather per
// (channel, tap), and the same table serves every channel and image.
constexpr int64_t kTableMaxWidth = 4;

inline bool use_tap_table(const ConvGeometry& g) {
  return g.out_w <= kTableMaxWidth;
}

inline std::vector<int32_t> make_tap_table(const ConvGeometry& g) {
  std::vector<int32_t> table;
  table.reserve(g.taps_h.size() * g.taps_w.size() * static_cast<size_t>(g.out_h * g.out_w));
  for (const int64_t i : g.taps_h) {
    for (const int64_t j : g.taps_w) {
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const int64_t ih = oh * g.p.stride_h - g.p.pad_h + i * g.p.dilation_h;
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const int64_t iw = ow * g.p.stride_w - g.p.pad_w + j * g.p.dilation_w;
          const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
          table.push_back(inside ? static_cast<int32_t>(ih * g.width + iw) : -1);
        }
      }
    }
  }
  return table;
}

template <typename T>
void im2col_table(const T* x, const ConvGeometry& g, const int32_t* table, T* col, int64_t ld) {
  const int64_t hw_out = g.out_h * g.out_w;
  const int64_t taps = static_cast<int64_t>(g.taps_h.size() * g.taps_w.size());
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* xc = x + c * g.height * g.width;
    for (int64_t t = 0; t < taps; ++t) {
      const int32_t* offsets = table + t * hw_out;
      T* dst = col + (c * taps + t) * ld;
      for (int64_t q = 0; q < hw_out; ++q) {
        const int32_t o = offsets[q];
        const T v = xc[o < 0 ? 0 : o];  // branch-free: read something, keep it or not
        dst[q] = o < 0 ? T(0) : v;
      }
    }
  }
}

template <typename T>
void col2im_table(const T* col, const ConvGeometry& g, const int32_t* table, T* x, int64_t ld) {
  const int64_t hw_out = g.out_h * g.out_w;
  const int64_t taps = static_cast<int64_t>(g.taps_h.size() * g.taps_w.size());
  for (int64_t c = 0; c < g.channels; ++c) {
    T* xc = x + c * g.height * g.width;
    for (int64_t t = 0; t < taps; ++t) {
      const int32_t* offsets = table + t * hw_out;
      const T* src = col + (c * taps + t) * ld;
      for (int64_t q = 0; q < hw_out; ++q) {
        if (offsets[q] >= 0) xc[offsets[q]] += src[q];
      }
    }
  }
}

}  // namespace needle::cpu_backend

// im2col / col2im for one image and one channel group: the unfolding that turns a convolution
// into a GEMM. The column matrix has one row per (channel, kh, kw) and one column per output
// pixel, row-major: col[(c * kh + i) * kw + j][oh * Wo + ow] = x[c][oh*sh - ph + i*dh][ow*sw -
// pw + j*dw] (zero outside the image), so W (O, C*kh*kw) @ col gives the output directly in
// NCHW order.
#pragma once

#include <cstdint>
#include <cstring>

#include "needle/backend.h"

namespace needle::cpu_backend {

// The geometry of one image: channels of this group, input and output sizes, kernel size.
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t out_h = 0, out_w = 0;
  Conv2dParams p;
};

template <typename T>
void im2col(const T* x, const ConvGeometry& g, T* col) {
  const int64_t hw_out = g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const T* xc = x + c * g.height * g.width;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * hw_out;
        const int64_t dj = j * g.p.dilation_w - g.p.pad_w;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          T* dst = row + oh * g.out_w;
          const int64_t ih = oh * g.p.stride_h - g.p.pad_h + i * g.p.dilation_h;
          if (ih < 0 || ih >= g.height) {
            std::memset(dst, 0, static_cast<size_t>(g.out_w) * sizeof(T));
            continue;
          }
          const T* src = xc + ih * g.width;
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            const int64_t iw = ow * g.p.stride_w + dj;
            dst[ow] = (iw >= 0 && iw < g.width) ? src[iw] : T(0);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: adds every column entry back into the pixel it was read from. `x` must
// be zeroed (or hold what the caller wants to accumulate onto).
template <typename T>
void col2im(const T* col, const ConvGeometry& g, T* x) {
  const int64_t hw_out = g.out_h * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    T* xc = x + c * g.height * g.width;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * hw_out;
        const int64_t dj = j * g.p.dilation_w - g.p.pad_w;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t ih = oh * g.p.stride_h - g.p.pad_h + i * g.p.dilation_h;
          if (ih < 0 || ih >= g.height) continue;
          const T* src = row + oh * g.out_w;
          T* dst = xc + ih * g.width;
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            const int64_t iw = ow * g.p.stride_w + dj;
            if (iw >= 0 && iw < g.width) dst[iw] += src[ow];
          }
        }
      }
    }
  }
}

}  // namespace needle::cpu_backend

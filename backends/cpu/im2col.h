// im2col / col2im for one image and one channel group: the unfolding that turns a convolution
// into a GEMM. The column matrix has one row per (channel, kernel row, kernel column) and one
// column per output pixel: col[(c * kh + i) * kw + j][oh * Wo + ow] = x[c][oh*sh - ph + i*dh]
// [ow*sw - pw + j*dw] (zero outside the image). Rows are `ld` elements apart, so several images
// can share one column matrix side by side (image n at column offset n * Ho * Wo) and one GEMM
// then covers them all; ld = Ho * Wo is a single image.
//
// Only the kernel taps that read at least one real pixel get rows (`taps_h` x `taps_w`): a tap
// that reads only padding would give a row of zeros that the GEMM multiplies for nothing. The
// caller passes the weight with the same taps. Small maps go further (pixel classes, below).
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

// Pixel classes. On a small feature map a padded kernel reads padding at a large share of the
// output pixels: on a 4x4 map, a 3x3 kernel with padding 1 reads 100 real pixels through its
// 144 (pixel, tap) pairs, so a plain im2col would make the GEMM multiply 44 zero rows in 144.
// The output pixels are therefore grouped into classes of pixels whose kernel reads real pixels
// through the same taps (on that 4x4 map: four corners, four edges, the interior), and each class
// is unfolded and multiplied on its own, with only its live taps. The taps live at an output row
// depend only on the row, and likewise for columns, so a class is a (row class, column class)
// pair. A table of input offsets per (tap, pixel) turns each class's unfolding into one flat
// gather per channel and tap, which on rows of a few pixels is also cheaper than the row loops.
struct PixelClass {
  std::vector<int64_t> taps_h, taps_w;  // the kernel taps that read real pixels here
  std::vector<int32_t> pixels;          // output pixels oh * out_w + ow, ascending
  std::vector<int32_t> offsets;         // [tap][pixel]: ih * width + iw, always inside the image

  int64_t taps() const { return static_cast<int64_t>(taps_h.size() * taps_w.size()); }
  int64_t size() const { return static_cast<int64_t>(pixels.size()); }
};

// The kernel taps along one axis that read a real pixel from output position o.
inline std::vector<int64_t> taps_at(int64_t o, int64_t kernel, int64_t size, int64_t stride,
                                    int64_t pad, int64_t dilation) {
  std::vector<int64_t> taps;
  for (int64_t t = 0; t < kernel; ++t) {
    const int64_t in = o * stride - pad + t * dilation;
    if (in >= 0 && in < size) taps.push_back(t);
  }
  return taps;
}

// Output positions along one axis grouped by their live taps, in order of first appearance.
struct AxisClass {
  std::vector<int64_t> taps, positions;
};

inline std::vector<AxisClass> axis_classes(int64_t out_size, int64_t kernel, int64_t size,
                                           int64_t stride, int64_t pad, int64_t dilation) {
  std::vector<AxisClass> classes;
  for (int64_t o = 0; o < out_size; ++o) {
    std::vector<int64_t> taps = taps_at(o, kernel, size, stride, pad, dilation);
    auto it = std::find_if(classes.begin(), classes.end(),
                           [&](const AxisClass& c) { return c.taps == taps; });
    if (it == classes.end()) {
      classes.push_back({std::move(taps), {}});
      it = classes.end() - 1;
    }
    it->positions.push_back(o);
  }
  return classes;
}

inline std::vector<PixelClass> make_pixel_classes(const ConvGeometry& g, int64_t kernel_h,
                                                  int64_t kernel_w) {
  const Conv2dParams& p = g.p;
  const std::vector<AxisClass> rows =
      axis_classes(g.out_h, kernel_h, g.height, p.stride_h, p.pad_h, p.dilation_h);
  const std::vector<AxisClass> cols =
      axis_classes(g.out_w, kernel_w, g.width, p.stride_w, p.pad_w, p.dilation_w);
  std::vector<PixelClass> classes;
  for (const AxisClass& r : rows) {
    for (const AxisClass& c : cols) {
      PixelClass pc{r.taps, c.taps, {}, {}};
      for (const int64_t oh : r.positions) {
        for (const int64_t ow : c.positions)
          pc.pixels.push_back(static_cast<int32_t>(oh * g.out_w + ow));
      }
      std::sort(pc.pixels.begin(), pc.pixels.end());
      for (const int64_t i : pc.taps_h) {
        for (const int64_t j : pc.taps_w) {
          for (const int32_t q : pc.pixels) {
            const int64_t ih = (q / g.out_w) * p.stride_h - p.pad_h + i * p.dilation_h;
            const int64_t iw = (q % g.out_w) * p.stride_w - p.pad_w + j * p.dilation_w;
            pc.offsets.push_back(static_cast<int32_t>(ih * g.width + iw));
          }
        }
      }
      classes.push_back(std::move(pc));
    }
  }
  return classes;
}

// Classes of fewer than kPixelMajorBelow pixels are unfolded from the chunk transposed to
// pixel-major order, (channels, height * width, images): such a class gives each image only a few
// columns, so the long, contiguous loop is the one over images. Larger classes read the NCHW
// images directly, one image at a time. to_pixel_major / from_pixel_major convert a chunk of
// NCHW images (the first at x, `image_stride` elements apart, `plane` = channels * height * width
// elements each; add_from_pixel_major adds instead of writing).
constexpr int64_t kPixelMajorBelow = 8;

inline bool is_pixel_major(const PixelClass& pc) {
  return pc.size() < kPixelMajorBelow;
}
inline bool any_pixel_major(const std::vector<PixelClass>& classes) {
  return std::any_of(classes.begin(), classes.end(), is_pixel_major);
}
inline bool all_pixel_major(const std::vector<PixelClass>& classes) {
  return std::all_of(classes.begin(), classes.end(), is_pixel_major);
}

// Visits every element of a chunk of NCHW images with its place in the pixel-major copy:
// f(x element, xt element), eight images at a time so that both sides move in runs.
template <typename X, typename XT, typename F>
void pair_with_pixel_major(X* x, int64_t image_stride, int64_t images, int64_t plane, XT* xt, F f) {
  for (int64_t i0 = 0; i0 < images; i0 += 8) {
    const int64_t i1 = std::min(images, i0 + 8);
    for (int64_t e = 0; e < plane; ++e) {
      for (int64_t i = i0; i < i1; ++i)
        f(x[i * image_stride + e], xt[e * images + i]);
    }
  }
}

template <typename T>
void to_pixel_major(const T* x, int64_t image_stride, int64_t images, int64_t plane, T* xt) {
  pair_with_pixel_major(x, image_stride, images, plane, xt, [](const T& a, T& b) { b = a; });
}

template <typename T>
void from_pixel_major(const T* xt, int64_t images, int64_t plane, T* x, int64_t image_stride) {
  pair_with_pixel_major(x, image_stride, images, plane, xt, [](T& a, const T& b) { a = b; });
}

template <typename T>
void add_from_pixel_major(const T* xt, int64_t images, int64_t plane, T* x, int64_t image_stride) {
  pair_with_pixel_major(x, image_stride, images, plane, xt, [](T& a, const T& b) { a += b; });
}

// dst[i * n + q] = src[q][i] for i < images, q < n: interleaves n pixel-major runs into
// image-major columns. The common class sizes get a compile-time n, so the compiler turns the
// interleave into vector shuffles.
template <int64_t N, typename T>
void interleave_fixed(const T* const* src, int64_t images, T* dst) {
  for (int64_t i = 0; i < images; ++i) {
    for (int64_t q = 0; q < N; ++q)
      dst[i * N + q] = src[q][i];
  }
}

template <typename T>
void interleave(const T* const* src, int64_t n, int64_t images, T* dst) {
  switch (n) {
    case 1:
      std::copy(src[0], src[0] + images, dst);
      return;
    case 2:
      interleave_fixed<2>(src, images, dst);
      return;
    case 4:
      interleave_fixed<4>(src, images, dst);
      return;
    default:
      for (int64_t q = 0; q < n; ++q) {
        for (int64_t i = 0; i < images; ++i)
          dst[i * n + q] = src[q][i];
      }
  }
}

// dst[q][i] += src[i * n + q]: the adjoint of interleave.
template <int64_t N, typename T>
void deinterleave_add_fixed(const T* src, int64_t images, T* const* dst) {
  for (int64_t i = 0; i < images; ++i) {
    for (int64_t q = 0; q < N; ++q)
      dst[q][i] += src[i * N + q];
  }
}

template <typename T>
void deinterleave_add(const T* src, int64_t n, int64_t images, T* const* dst) {
  switch (n) {
    case 2:
      deinterleave_add_fixed<2>(src, images, dst);
      return;
    case 4:
      deinterleave_add_fixed<4>(src, images, dst);
      return;
    default:
      for (int64_t q = 0; q < n; ++q) {
        for (int64_t i = 0; i < images; ++i)
          dst[q][i] += src[i * n + q];
      }
  }
}

// Unfolds one class of a chunk of `images` images side by side (image i at column i * class
// size): col (taps * channels, images * class size), rows `ld` apart, tap-major (row t * channels
// + c), so that a class's weight is runs of whole channels (conv2d.cc packs it so). x is the NCHW
// chunk (image_stride apart), xt its pixel-major copy (used for classes below kPixelMajorBelow).
// Larger classes are unfolded image by image, so that the image being read stays in L1.
template <typename T>
void im2col_class(const T* x, int64_t image_stride, const T* xt, int64_t images,
                  const ConvGeometry& g, const PixelClass& pc, T* col, int64_t ld) {
  const int64_t n = pc.size(), taps = pc.taps(), plane = g.height * g.width;
  if (n < kPixelMajorBelow) {
    const T* runs[kPixelMajorBelow];
    for (int64_t c = 0; c < g.channels; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        const int32_t* offsets = pc.offsets.data() + t * n;
        for (int64_t q = 0; q < n; ++q)
          runs[q] = xt + (c * plane + offsets[q]) * images;
        interleave(runs, n, images, col + (t * g.channels + c) * ld);
      }
    }
    return;
  }
  for (int64_t i = 0; i < images; ++i) {
    for (int64_t c = 0; c < g.channels; ++c) {
      const T* xc = x + i * image_stride + c * plane;
      for (int64_t t = 0; t < taps; ++t) {
        const int32_t* offsets = pc.offsets.data() + t * n;
        T* dst = col + (t * g.channels + c) * ld + i * n;
        for (int64_t q = 0; q < n; ++q)
          dst[q] = xc[offsets[q]];
      }
    }
  }
}

// The adjoint of im2col_class: adds the class's column entries into the pixels they came from,
// in x (NCHW) or, for classes below kPixelMajorBelow, in its pixel-major copy xt (which the
// caller adds into x at the end).
template <typename T>
void col2im_class(const T* col, int64_t images, const ConvGeometry& g, const PixelClass& pc, T* x,
                  int64_t image_stride, T* xt, int64_t ld) {
  const int64_t n = pc.size(), taps = pc.taps(), plane = g.height * g.width;
  if (n < kPixelMajorBelow) {
    T* runs[kPixelMajorBelow];
    for (int64_t c = 0; c < g.channels; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        const int32_t* offsets = pc.offsets.data() + t * n;
        for (int64_t q = 0; q < n; ++q)
          runs[q] = xt + (c * plane + offsets[q]) * images;
        deinterleave_add(col + (t * g.channels + c) * ld, n, images, runs);
      }
    }
    return;
  }
  for (int64_t i = 0; i < images; ++i) {
    for (int64_t c = 0; c < g.channels; ++c) {
      T* xc = x + i * image_stride + c * plane;
      for (int64_t t = 0; t < taps; ++t) {
        const int32_t* offsets = pc.offsets.data() + t * n;
        const T* src = col + (t * g.channels + c) * ld + i * n;
        for (int64_t q = 0; q < n; ++q)
          xc[offsets[q]] += src[q];
      }
    }
  }
}

}  // namespace needle::cpu_backend

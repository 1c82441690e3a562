// Bilinear resize and affine warps on CHW float buffers (see image_ops.h).
#include "src/data/image_ops.h"

#include <algorithm>
#include <cmath>

namespace needle::data::detail {

std::vector<float>& thread_scratch() {
  thread_local std::vector<float> scratch;
  return scratch;
}

namespace {

struct Tap {
  int64_t i0, i1;
  float w0, w1;
};

// PyTorch's area_pixel_compute_source_index for align_corners=false, then its neighbour rule.
void bilinear_taps(int64_t in_size, int64_t out_size, std::vector<Tap>& taps) {
  taps.resize(static_cast<size_t>(out_size));
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  for (int64_t o = 0; o < out_size; ++o) {
    double src = std::max(0.0, (o + 0.5) * scale - 0.5);
    int64_t i0 = std::min(static_cast<int64_t>(src), in_size - 1);
    int64_t i1 = i0 + (i0 < in_size - 1 ? 1 : 0);
    float l1 = static_cast<float>(src - static_cast<double>(i0));
    taps[static_cast<size_t>(o)] = Tap{i0, i1, 1.0f - l1, l1};
  }
}

}  // namespace

void resize_window(const float* in, int64_t channels, int64_t h, int64_t w, int64_t top,
                   int64_t left, int64_t win_h, int64_t win_w, float* out, int64_t out_h,
                   int64_t out_w) {
  thread_local std::vector<Tap> rows, cols;
  bilinear_taps(win_h, out_h, rows);
  bilinear_taps(win_w, out_w, cols);
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = in + c * h * w;
    float* dst = out + c * out_h * out_w;
    for (int64_t y = 0; y < out_h; ++y) {
      const Tap& ry = rows[static_cast<size_t>(y)];
      const float* r0 = plane + (top + ry.i0) * w + left;
      const float* r1 = plane + (top + ry.i1) * w + left;
      for (int64_t x = 0; x < out_w; ++x) {
        const Tap& cx = cols[static_cast<size_t>(x)];
        float top_v = cx.w0 * r0[cx.i0] + cx.w1 * r0[cx.i1];
        float bot_v = cx.w0 * r1[cx.i0] + cx.w1 * r1[cx.i1];
        dst[y * out_w + x] = ry.w0 * top_v + ry.w1 * bot_v;
      }
    }
  }
}

void warp_affine(const float* in, int64_t channels, int64_t h, int64_t w, const double m[6],
                 float* out) {
  const int64_t plane_size = h * w;
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const double sx = m[0] * x + m[1] * y + m[2];
      const double sy = m[3] * x + m[4] * y + m[5];
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
      const float ax = static_cast<float>(sx - fx0), ay = static_cast<float>(sy - fy0);
      // Weights and in-bounds flags of the four neighbours; out-of-bounds ones read as 0.
      const float wts[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
      const int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1};
      const int64_t ys[4] = {y0, y0, y0 + 1, y0 + 1};
      int64_t idx[4];
      bool ok[4];
      for (int k = 0; k < 4; ++k) {
        ok[k] = xs[k] >= 0 && xs[k] < w && ys[k] >= 0 && ys[k] < h && wts[k] != 0.0f;
        idx[k] = ok[k] ? ys[k] * w + xs[k] : 0;
      }
      for (int64_t c = 0; c < channels; ++c) {
        const float* plane = in + c * plane_size;
        float v = 0.0f;
        for (int k = 0; k < 4; ++k) {
          if (ok[k]) v += wts[k] * plane[idx[k]];
        }
        out[c * plane_size + y * w + x] = v;
      }
    }
  }
}

void affine_inverse(double degrees, double scale, double tx, double ty, int64_t h, int64_t w,
                    double m[6]) {
  const double rad = degrees * 3.14159265358979323846 / 180.0;
  double cs = std::cos(rad), sn = std::sin(rad);
  // Snap the values a multiple of 90 degrees should have, so such rotations are exact.
  auto snap = [](double v) {
    double r = std::round(v);
    return std::abs(v - r) < 1e-12 ? r : v;
  };
  cs = snap(cs);
  sn = snap(sn);
  const double cx = (static_cast<double>(w) - 1.0) / 2.0, cy = (static_cast<double>(h) - 1.0) / 2.0;
  // Forward: p' = c + scale * R (p - c) + t with R = [[cs, sn], [-sn, cs]] (y points down, so
  // this turns counter-clockwise on screen). Inverse: p = c + R^T (p' - c - t) / scale.
  const double a = cs / scale, b = -sn / scale, c = sn / scale, d = cs / scale;
  const double ux = cx + tx, uy = cy + ty;
  m[0] = a;
  m[1] = b;
  m[2] = cx - a * ux - b * uy;
  m[3] = c;
  m[4] = d;
  m[5] = cy - c * ux - d * uy;
}

}  // namespace needle::data::detail

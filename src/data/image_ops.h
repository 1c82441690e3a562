// Pixel loops shared by the geometric transforms: bilinear resize of a window and affine warps
// with zero fill, on raw CHW float buffers. Internal to src/data.
#pragma once

#include <cstdint>
#include <vector>

namespace needle::data::detail {

// A buffer owned by the calling thread for out-of-place transforms: a transform writes into it
// and swaps it with the image's data, so each worker ends up with two warm buffers and
// allocates nothing per example.
std::vector<float>& thread_scratch();

// out (C, out_h, out_w) = the window [top, top + win_h) x [left, left + win_w) of in (C, h, w)
// resized bilinearly with align_corners=false (PyTorch's source index rule, clamped at 0).
void resize_window(const float* in, int64_t channels, int64_t h, int64_t w, int64_t top,
                   int64_t left, int64_t win_h, int64_t win_w, float* out, int64_t out_h,
                   int64_t out_w);

// out (C, h, w): out(c, y, x) = bilinear sample of in (C, h, w) at
//   sx = m[0] * x + m[1] * y + m[2],  sy = m[3] * x + m[4] * y + m[5]
// with zeros outside the input (grid_sample's padding_mode="zeros").
void warp_affine(const float* in, int64_t channels, int64_t h, int64_t w, const double m[6],
                 float* out);

// The inverse map for warp_affine of a rotation by `degrees` (counter-clockwise on screen),
// then scaling by `scale`, about the pixel centre ((w - 1) / 2, (h - 1) / 2), then a shift by
// (tx, ty) pixels. Multiples of 90 degrees give exact 0/1 coefficients.
void affine_inverse(double degrees, double scale, double tx, double ty, int64_t h, int64_t w,
                    double m[6]);

}  // namespace needle::data::detail

// The plan of one CPU convolution (conv2d.cc runs it): everything the three kernels share,
// derived once from the shapes: the pixel classes that im2col unfolds separately (im2col.h), the
// column and packed-weight layouts, the kernel taps each class reads. Plans are cached per thread
// for the shapes a training loop repeats.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backends/cpu/im2col.h"
#include "needle/backend.h"

namespace needle::cpu_backend {

// Everything the three kernels share, derived once from the shapes. The output pixels are split
// into classes (im2col.h), each unfolded and multiplied on its own with the kernel taps live
// there: on small maps by pixel class, otherwise one class of every pixel in order, unfolded row
// by row with the taps live anywhere in the map.
struct Problem {
  int64_t batch = 0, in_channels = 0, out_channels = 0;
  int64_t group_in = 0, group_out = 0;  // channels per group
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t hw_in = 0, hw_out = 0;
  bool direct = false;           // 1x1, stride 1, no padding: the image is its own column matrix
  bool by_class = false;         // small map: pixel classes with offset tables
  bool pixel_major = false;      // some class is unfolded from a pixel-major copy (im2col.h)
  bool all_pixel_major = false;  // every class is
  ConvGeometry geo;              // one group of one image; its taps are the whole-map class's
  std::vector<PixelClass> classes;
  // One image's column matrices for one group, class after class: class q's (k(q), size) block
  // starts at column_start[q] * (images side by side); image_columns is their total.
  std::vector<int64_t> column_start;
  int64_t image_columns = 0;
  // The weight restricted to each class's taps, class after class: class q's (out_channels, k(q))
  // block starts at weight_start[q]. `packed` is false when that is the weight itself (one
  // whole-map class with every tap), which then needs no copy.
  std::vector<int64_t> weight_start;
  int64_t packed_weight = 0;
  bool packed = false;
  std::vector<std::vector<int32_t>> tap_index;  // per class: its taps as i * kernel_w + j
  std::vector<int32_t> used_taps;  // the taps some class reads, ascending (i * kernel_w + j)
  std::vector<int64_t> tap_slot;   // per tap of the kernel: its index in used_taps, or -1

  int64_t k(size_t q) const { return group_in * classes[q].taps(); }  // class q's GEMM depth
  int64_t size(size_t q) const { return classes[q].size(); }
  // The whole batch's column matrices, every group: what kept columns hold.
  int64_t batch_columns() const { return geo.p.groups * batch * image_columns; }
};

// The plan for these shapes (conv2d_output_shape's: the front checked them), from this thread's
// cache of recent plans or made now.
std::shared_ptr<const Problem> problem_for(const Shape& input, const Shape& weight,
                                           const Shape& out, const Conv2dParams& p);

}  // namespace needle::cpu_backend

// Making and caching convolution plans (see conv2d_plan.h).
#include "backends/cpu/conv2d_plan.h"

#include <utility>

namespace needle::cpu_backend {
namespace {

// Maps whose output rows are at most this wide are unfolded by pixel class: there padding is a
// large share of the (pixel, tap) pairs, and rows are too short for the row-by-row loops.
constexpr int64_t kClassMaxWidth = 8;

Problem make_problem(const Shape& input, const Shape& weight, const Shape& out,
                     const Conv2dParams& p) {
  Problem pr;
  pr.batch = input[0];
  pr.in_channels = input[1];
  pr.out_channels = weight[0];
  pr.group_in = weight[1];
  pr.group_out = weight[0] / p.groups;
  pr.kernel_h = weight[2];
  pr.kernel_w = weight[3];
  pr.geo.channels = pr.group_in;
  pr.geo.height = input[2];
  pr.geo.width = input[3];
  pr.geo.out_h = out[2];
  pr.geo.out_w = out[3];
  pr.geo.p = p;
  pr.hw_in = input[2] * input[3];
  pr.hw_out = out[2] * out[3];
  pr.direct = weight[2] == 1 && weight[3] == 1 && p.stride_h == 1 && p.stride_w == 1 &&
              p.pad_h == 0 && p.pad_w == 0;
  pr.by_class = !pr.direct && out[3] <= kClassMaxWidth;
  if (pr.by_class) {
    pr.classes = make_pixel_classes(pr.geo, weight[2], weight[3]);
    pr.pixel_major = any_pixel_major(pr.classes);
    pr.all_pixel_major = all_pixel_major(pr.classes);
  } else {
    pr.geo.taps_h = live_taps(weight[2], out[2], input[2], p.stride_h, p.pad_h, p.dilation_h);
    pr.geo.taps_w = live_taps(weight[3], out[3], input[3], p.stride_w, p.pad_w, p.dilation_w);
    PixelClass all{pr.geo.taps_h, pr.geo.taps_w, {}, {}};
    all.pixels.resize(static_cast<size_t>(pr.hw_out));
    for (size_t q = 0; q < all.pixels.size(); ++q)
      all.pixels[q] = static_cast<int32_t>(q);
    pr.classes.push_back(std::move(all));
  }
  for (size_t q = 0; q < pr.classes.size(); ++q) {
    pr.column_start.push_back(pr.image_columns);
    pr.image_columns += pr.k(q) * pr.size(q);
    pr.weight_start.push_back(pr.packed_weight);
    pr.packed_weight += pr.out_channels * pr.k(q);
    std::vector<int32_t> taps;
    for (const int64_t i : pr.classes[q].taps_h) {
      for (const int64_t j : pr.classes[q].taps_w)
        taps.push_back(static_cast<int32_t>(i * pr.kernel_w + j));
    }
    pr.tap_index.push_back(std::move(taps));
  }
  pr.tap_slot.assign(static_cast<size_t>(weight[2] * weight[3]), -1);
  for (const std::vector<int32_t>& taps : pr.tap_index) {
    for (const int32_t t : taps)
      pr.tap_slot[static_cast<size_t>(t)] = 0;
  }
  for (size_t t = 0; t < pr.tap_slot.size(); ++t) {
    if (pr.tap_slot[t] < 0) continue;
    pr.tap_slot[t] = static_cast<int64_t>(pr.used_taps.size());
    pr.used_taps.push_back(static_cast<int32_t>(t));
  }
  // By class the columns are tap-major, so the weight is always repacked.
  pr.packed =
      pr.by_class || pr.classes.size() != 1 || pr.k(0) != pr.group_in * weight[2] * weight[3];
  return pr;
}

}  // namespace

// A training loop convolves the same few shapes over and over, and a Problem (pixel classes,
// offset tables) takes a dozen allocations to derive: each thread keeps the ones it used last.
std::shared_ptr<const Problem> problem_for(const Shape& input, const Shape& weight,
                                           const Shape& out, const Conv2dParams& p) {
  struct Entry {
    Shape input, weight, out;
    Conv2dParams params;
    std::shared_ptr<const Problem> problem;
  };
  constexpr size_t kKept = 32;
  thread_local std::vector<Entry> cache;
  thread_local size_t next = 0;  // the entry to replace when full: oldest first
  for (const Entry& e : cache) {
    if (e.input == input && e.weight == weight && e.out == out && e.params == p) return e.problem;
  }
  auto problem = std::make_shared<const Problem>(make_problem(input, weight, out, p));
  Entry entry{input, weight, out, p, problem};
  if (cache.size() < kKept) {
    cache.push_back(std::move(entry));
  } else {
    cache[next] = std::move(entry);
    next = (next + 1) % kKept;
  }
  return problem;
}

}  // namespace needle::cpu_backend

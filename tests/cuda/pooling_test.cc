// Max, average and adaptive average pooling and constant padding on the device under test
// against float64 on the CPU: outputs and input gradients (from a fixed non-uniform seed
// gradient) over tiled, cropped, overlapping, padded, strided, non-square and odd-sized cases,
// maps large enough to spread over many GPU blocks, a padded non-compact input, and the pooling
// modules. Pooling is built from views, pad, stack and reductions, so this checks the CUDA
// backend's strided copies, fills and reductions through the layers that use them. The cuda
// instances skip with the reason when no GPU is present.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/device_test_util.h"

namespace {

using device_test::compare_with_reference;
using device_test::make;
using device_test::values;
using needle::Device;
using needle::DType;
using needle::Shape;
using needle::Tensor;
namespace nn = needle::nn;

class CudaPoolingTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(CudaPoolingTest);

// n distinct values, shuffled, on a grid of powers of two in [-2, 2): exact in float32, so the
// float32 and the float64 runs pick the same maximum of every window (no ties, no rounding).
std::vector<double> distinct_values(int64_t n, uint32_t seed) {
  const double step = 4.0 / static_cast<double>(std::bit_ceil(static_cast<uint64_t>(n)));
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<double>(i - n / 2) * step;
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return v;
}

// {op(x), x.grad} after back-propagating a fixed seed gradient; x holds distinct values.
std::vector<Tensor> forward_backward(const Shape& shape, const Device& d, DType dt,
                                     const std::function<Tensor(const Tensor&)>& op) {
  const Tensor x = make(distinct_values(needle::numel(shape), 1), shape, d, dt, true);
  const Tensor y = op(x);
  y.backward(make(values(y.numel(), 2, -1.0, 1.0), y.shape(), d, dt));
  return {y, x.grad()};
}

// Window sums of at most a few thousand float32 values: relative rounding below 1e-6.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-6;

struct PoolCase {
  std::string name;
  Shape shape;
  int64_t kernel, stride, padding;  // stride 0: the kernel size
};

const std::vector<PoolCase> kPoolCases = {
    {"tiled", {2, 3, 4, 6}, 2, 2, 0},
    {"cropped_default_stride", {2, 2, 5, 7}, 2, 0, 0},
    {"overlapping_padded", {2, 2, 5, 5}, 3, 2, 1},
    {"stride1", {1, 2, 6, 5}, 3, 1, 0},
    {"tiled_after_padding", {2, 1, 4, 4}, 2, 2, 1},
    {"nonsquare_odd", {3, 4, 9, 13}, 3, 2, 1},
    {"stride_above_kernel", {2, 3, 11, 7}, 2, 3, 0},
    {"kernel1_stride2", {2, 2, 5, 6}, 1, 2, 0},
    {"single_window", {2, 3, 3, 3}, 3, 1, 0},
    {"large_tiled", {4, 8, 32, 32}, 2, 2, 0},
    {"large_overlapping", {2, 16, 31, 33}, 3, 2, 1},
};

TEST_P(CudaPoolingTest, MaxPoolMatchesFloat64Cpu) {
  for (const PoolCase& c : kPoolCases) {
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          return forward_backward(c.shape, d, dt, [&](const Tensor& x) {
            return needle::max_pool2d(x, c.kernel, c.stride, c.padding);
          });
        },
        fmt::format("max_pool2d {} {} kernel {} stride {} padding {}", c.name,
                    needle::shape_str(c.shape), c.kernel, c.stride, c.padding),
        kRtol, kAtol);
  }
}

TEST_P(CudaPoolingTest, AvgPoolMatchesFloat64Cpu) {
  for (const PoolCase& c : kPoolCases) {
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          return forward_backward(c.shape, d, dt, [&](const Tensor& x) {
            return needle::avg_pool2d(x, c.kernel, c.stride, c.padding);
          });
        },
        fmt::format("avg_pool2d {} {} kernel {} stride {} padding {}", c.name,
                    needle::shape_str(c.shape), c.kernel, c.stride, c.padding),
        kRtol, kAtol);
  }
}

TEST_P(CudaPoolingTest, AdaptiveAvgPoolMatchesFloat64Cpu) {
  struct Case {
    Shape shape;
    int64_t out_h, out_w;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 5}, 3, 2},     // uneven, overlapping windows along both axes
      {{2, 3, 8, 8}, 1, 1},     // global average
      {{1, 2, 5, 9}, 2, 4},     // non-square
      {{2, 2, 6, 6}, 6, 6},     // identity
      {{1, 3, 4, 4}, 3, 3},     // windows of 2 overlapping by 1
      {{2, 4, 10, 7}, 4, 3},    // odd sizes
      {{4, 8, 32, 32}, 1, 1},   // a large global average (1024 values per window)
      {{2, 16, 14, 14}, 4, 4},  // ResNet9's small-stem head size
  };
  for (const Case& c : cases) {
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          return forward_backward(c.shape, d, dt, [&](const Tensor& x) {
            return needle::adaptive_avg_pool2d(x, c.out_h, c.out_w);
          });
        },
        fmt::format("adaptive_avg_pool2d {} to ({}, {})", needle::shape_str(c.shape), c.out_h,
                    c.out_w),
        kRtol, kAtol);
  }
}

TEST_P(CudaPoolingTest, PadMatchesFloat64Cpu) {
  using Widths = std::vector<std::pair<int64_t, int64_t>>;
  struct Case {
    Shape shape;
    Widths widths;
    double value;
    bool transposed;  // pad a transposed (non-compact) view of the input
  };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {{0, 0}, {0, 0}, {1, 2}, {3, 0}}, 0.0, false},  // as pooling pads
      {{4, 6}, {{2, 1}, {0, 3}}, -1.5, false},
      {{3, 2, 5}, {{1, 1}}, 2.0, false},  // trailing axes not padded
      {{5, 4}, {{1, 0}, {2, 2}}, 0.5, true},
      {{3, 4}, {{0, 0}, {0, 0}}, 7.0, false},  // nothing to pad
      {{9}, {{3, 4}}, 1.0, false},
      {{2, 8, 30, 30}, {{0, 0}, {0, 0}, {1, 1}, {1, 1}}, 0.0, false},  // many GPU blocks
  };
  for (const Case& c : cases) {
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          const Tensor x = make(values(needle::numel(c.shape), 3), c.shape, d, dt, true);
          const Tensor in = c.transposed ? needle::transpose(x) : x;
          const Tensor y = needle::pad(in, c.widths, c.value);
          y.backward(make(values(y.numel(), 4, -1.0, 1.0), y.shape(), d, dt));
          return std::vector<Tensor>{y, x.grad()};
        },
        fmt::format("pad {}{} by {} with {}", needle::shape_str(c.shape),
                    c.transposed ? " transposed" : "", c.widths, c.value),
        kRtol, kAtol);
  }
}

// The modules run the same functions; this checks that they reach the device with their
// arguments (PyTorch's default stride included).
TEST_P(CudaPoolingTest, ModulesMatchFloat64Cpu) {
  const Shape shape{2, 3, 9, 8};
  const auto check = [&](const std::string& name, const std::function<Tensor(const Tensor&)>& m) {
    compare_with_reference(
        device(), [&](const Device& d, DType dt) { return forward_backward(shape, d, dt, m); },
        name, kRtol, kAtol);
  };
  nn::MaxPool2d max_pool(3, 2, 1);
  nn::AvgPool2d avg_pool(2);
  nn::AdaptiveAvgPool2d adaptive(3, 2);
  nn::AdaptiveAvgPool2d global;
  check("MaxPool2d(3, 2, 1)", [&](const Tensor& x) { return max_pool(x); });
  check("AvgPool2d(2)", [&](const Tensor& x) { return avg_pool(x); });
  check("AdaptiveAvgPool2d(3, 2)", [&](const Tensor& x) { return adaptive(x); });
  check("AdaptiveAvgPool2d()", [&](const Tensor& x) { return global(x); });
}

}  // namespace

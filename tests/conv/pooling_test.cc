// Pooling functions and modules: values against direct loops, gradients against central
// differences, and the errors users can cause.
#include <algorithm>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"
#include "tests/core/expect_error.h"

namespace needle {
namespace {

// Direct max / mean pooling with implicit padding (-inf for max, 0 counted for mean).
std::vector<double> naive_pool(const std::vector<double>& x, const Shape& s, int64_t k, int64_t st,
                               int64_t p, bool is_max, Shape& out) {
  const int64_t ho = (s[2] + 2 * p - k) / st + 1, wo = (s[3] + 2 * p - k) / st + 1;
  out = {s[0], s[1], ho, wo};
  std::vector<double> y;
  for (int64_t nc = 0; nc < s[0] * s[1]; ++nc)
    for (int64_t oh = 0; oh < ho; ++oh)
      for (int64_t ow = 0; ow < wo; ++ow) {
        double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = 0; j < k; ++j) {
            const int64_t ih = oh * st - p + i, iw = ow * st - p + j;
            const bool inside = ih >= 0 && ih < s[2] && iw >= 0 && iw < s[3];
            const double v = inside ? x[static_cast<size_t>((nc * s[2] + ih) * s[3] + iw)]
                                    : (is_max ? -std::numeric_limits<double>::infinity() : 0.0);
            acc = is_max ? std::max(acc, v) : acc + v;
          }
        y.push_back(is_max ? acc : acc / static_cast<double>(k * k));
      }
  return y;
}

struct PoolCase {
  Shape shape;
  int64_t kernel, stride, padding;
};

const std::vector<PoolCase> kPoolCases = {
    {{2, 3, 4, 6}, 2, 2, 0},  // tiles exactly
    {{2, 2, 5, 7}, 2, 2, 0},  // tiles after cropping the last row / column
    {{2, 2, 5, 5}, 3, 2, 1},  // overlapping, padded
    {{1, 2, 6, 5}, 3, 1, 0},  // stride 1
    {{2, 1, 4, 4}, 2, 2, 1},  // tiled after padding
};

TEST(Pooling, ForwardMatchesNaive) {
  manual_seed(11);
  for (const PoolCase& c : kPoolCases) {
    Tensor x(NDArray::rand(c.shape, -1, 1, DType::Float64));
    for (bool is_max : {true, false}) {
      Shape expected_shape;
      const std::vector<double> expected = naive_pool(x.to_vector<double>(), c.shape, c.kernel,
                                                      c.stride, c.padding, is_max, expected_shape);
      Tensor y = is_max ? max_pool2d(x, c.kernel, c.stride, c.padding)
                        : avg_pool2d(x, c.kernel, c.stride, c.padding);
      ASSERT_EQ(y.shape(), expected_shape);
      const std::vector<double> got = y.to_vector<double>();
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], expected[i], 1e-12) << (is_max ? "max" : "avg") << " at " << i;
    }
  }
}

TEST(Pooling, GradientsMatchCentralDifferences) {
  for (const PoolCase& c : kPoolCases) {
    manual_seed(12);
    std::vector<Tensor> x{Tensor(NDArray::rand(c.shape, -1, 1, DType::Float64))};
    testing::check_gradient(
        [&c](const std::vector<Tensor>& in) {
          return max_pool2d(in[0], c.kernel, c.stride, c.padding);
        },
        x, "max_pool2d");
    testing::check_gradient(
        [&c](const std::vector<Tensor>& in) {
          return avg_pool2d(in[0], c.kernel, c.stride, c.padding);
        },
        x, "avg_pool2d");
  }
}

TEST(Pooling, AdaptiveAvgPool) {
  manual_seed(13);
  Tensor x(NDArray::rand({2, 3, 5, 7}, -1, 1, DType::Float64));
  // 1x1 is the global mean.
  Tensor g = adaptive_avg_pool2d(x, 1, 1);
  EXPECT_EQ(g.shape(), (Shape{2, 3, 1, 1}));
  const std::vector<double> means = mean(x, {2, 3}).to_vector<double>();
  const std::vector<double> got = g.to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], means[i], 1e-12);
  // Uneven bins: output (0, 1) of (2, 3) from (5, 7) averages rows [0, 3) and columns [2, 5).
  Tensor u = adaptive_avg_pool2d(x, 2, 3);
  EXPECT_EQ(u.shape(), (Shape{2, 3, 2, 3}));
  const double cell =
      mean(x.slice({Slice(0, 1), Slice(0, 1), Slice(0, 3), Slice(2, 5)})).item<double>();
  EXPECT_NEAR(u.to_vector<double>()[1], cell, 1e-12);
  // Even bins go through avg_pool2d.
  Tensor e(NDArray::rand({1, 2, 4, 6}, -1, 1, DType::Float64));
  EXPECT_EQ(adaptive_avg_pool2d(e, 2, 3).to_vector<double>(), avg_pool2d(e, 2).to_vector<double>());
  for (const auto& bins : {std::pair<int64_t, int64_t>{1, 1}, {2, 3}, {3, 2}}) {
    // Plain values: clang 14 (the sanitizer build) cannot capture structured bindings.
    const int64_t oh = bins.first, ow = bins.second;
    testing::check_gradient(
        [oh, ow](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], oh, ow); }, {x},
        "adaptive_avg_pool2d");
  }
}

TEST(Pooling, Modules) {
  Tensor x(NDArray::rand({2, 3, 8, 8}));
  EXPECT_EQ(nn::MaxPool2d(2)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(nn::MaxPool2d(3, 2, 1)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(nn::AvgPool2d(2)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d()(x).shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d(2, 4)(x).shape(), (Shape{2, 3, 2, 4}));
  EXPECT_EQ(nn::MaxPool2d(2)->parameters().size(), 0u);
  EXPECT_EQ(nn::MaxPool2d(3, 2, 1)->to_string(), "MaxPool2d(kernel_size=3, stride=2, padding=1)");
}

TEST(Pooling, Errors) {
  using testing::expect_error;
  Tensor x(NDArray::zeros({2, 3, 4, 4}));
  expect_error<ShapeError>(
      [&] {
        max_pool2d(Tensor(NDArray::zeros({3, 4, 4})), 2);
      },
      "max_pool2d: expected a 4-D input (N, C, H, W), got (3, 4, 4)");
  expect_error<ShapeError>([&] { avg_pool2d(x, 5); }, "avg_pool2d: kernel of size 5");
  expect_error<ShapeError>([&] { max_pool2d(x, 2, 2, 2); },
                           "max_pool2d: padding (2, 2) must be between 0 and half");
  expect_error<ShapeError>([&] { max_pool2d(x, 0); }, "max_pool2d: kernel_size and stride");
  expect_error<ShapeError>([&] { adaptive_avg_pool2d(x, 0, 1); },
                           "adaptive_avg_pool2d: output size (0, 1) must be positive");
}

TEST(Pad, ValuesAndGradient) {
  Tensor x(NDArray::from_vector<double>({1, 2, 3, 4}, {2, 2}));
  Tensor y = pad(x, {{1, 0}, {0, 2}}, -1.0);
  EXPECT_EQ(y.shape(), (Shape{3, 4}));
  EXPECT_EQ(y.to_vector<double>(),
            (std::vector<double>{-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1}));
  manual_seed(14);
  testing::check_gradient(
      [](const std::vector<Tensor>& in) {
        return pad(in[0], {{0, 0}, {1, 1}, {2, 0}});
      },
      {Tensor(NDArray::rand({2, 3, 2}, -1, 1, DType::Float64))}, "pad");
  testing::expect_error<ShapeError>([&] { pad(x, {{-1, 0}}); }, "pad: widths must be non-negative");
}

}  // namespace
}  // namespace needle

// Transforms on small hand-made images: each one checked against what it must do, and the
// deterministic cores of RandomResizedCrop and ColorJitter against torchvision's formulas,
// written out here independently of the library's code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "needle/data/transforms/color_jitter.h"
#include "needle/data/transforms/compose.h"
#include "needle/data/transforms/normalize.h"
#include "needle/data/transforms/random_affine.h"
#include "needle/data/transforms/random_crop.h"
#include "needle/data/transforms/random_flip_horizontal.h"
#include "needle/data/transforms/random_resized_crop.h"
#include "needle/data/transforms/random_rotation.h"
#include "needle/data/transforms/resize.h"
#include "needle/error.h"
#include "src/data/color_ops.h"
#include "src/data/image_ops.h"

namespace needle::data {
namespace {

// (C, H, W) image with distinct values 1, 2, 3, ... (so zeros can only come from padding).
Image ramp(int64_t c, int64_t h, int64_t w) {
  Image im(c, h, w);
  for (size_t i = 0; i < im.data.size(); ++i)
    im.data[i] = static_cast<float>(i + 1);
  return im;
}

Image run(const Transform& t, Image im, uint64_t seed = 0) {
  Generator gen(seed);
  t.apply(im, gen);
  return im;
}

void expect_near(const Image& a, const Image& b, float tol = 1e-5f) {
  ASSERT_EQ(a.shape, b.shape);
  for (size_t i = 0; i < a.data.size(); ++i)
    EXPECT_NEAR(a.data[i], b.data[i], tol) << "at " << i;
}

TEST(RandomFlipHorizontal, MirrorsEveryRowOfEveryChannel) {
  Image in = ramp(2, 3, 4);
  Image out = run(RandomFlipHorizontal(1.0), in);
  ASSERT_EQ(out.shape, in.shape);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 4; ++x)
        EXPECT_EQ(out.at(c, y, x), in.at(c, y, 3 - x));
  expect_near(run(RandomFlipHorizontal(0.0), in), in, 0.0f);
}

TEST(RandomFlipHorizontal, FlipsAboutHalfTheTime) {
  RandomFlipHorizontal flip(0.5);
  int flipped = 0;
  for (uint64_t s = 0; s < 400; ++s)
    flipped += run(flip, ramp(1, 1, 2), s).data[0] == 2.0f;
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);
  EXPECT_THROW(RandomFlipHorizontal(1.5), Error);
}

// The (dy, dx) with out[y, x] = in[y + dy, x + dx] (0 outside), or nullopt.
std::optional<std::pair<int, int>> find_shift(const Image& in, const Image& out, int pad) {
  std::optional<std::pair<int, int>> found;
  for (int dy = -pad; dy <= pad; ++dy) {
    for (int dx = -pad; dx <= pad; ++dx) {
      bool ok = true;
      for (int64_t c = 0; c < in.channels() && ok; ++c)
        for (int64_t y = 0; y < in.height() && ok; ++y)
          for (int64_t x = 0; x < in.width() && ok; ++x) {
            const int64_t sy = y + dy, sx = x + dx;
            const bool inside = sy >= 0 && sy < in.height() && sx >= 0 && sx < in.width();
            ok = out.at(c, y, x) == (inside ? in.at(c, sy, sx) : 0.0f);
          }
      if (ok) {
        EXPECT_FALSE(found) << "two shifts match";
        found = std::make_pair(dy, dx);
      }
    }
  }
  return found;
}

TEST(RandomCrop, PaddingShiftsByAnOffsetInRangeAndFillsZeros) {
  Image in = ramp(2, 5, 6);
  RandomCrop crop(5, 6, 2);
  std::set<std::pair<int, int>> seen;
  for (uint64_t s = 0; s < 300; ++s) {
    Image out = run(crop, in, s);
    ASSERT_EQ(out.shape, in.shape);
    auto shift = find_shift(in, out, 2);
    ASSERT_TRUE(shift) << "seed " << s << " is not a shift of the input";
    seen.insert(*shift);
  }
  EXPECT_EQ(seen.size(), 25u) << "every shift in [-2, 2]^2 should occur";
}

TEST(RandomCrop, SmallerWindowWithoutPaddingIsASubImage) {
  Image in = ramp(1, 6, 6);
  for (uint64_t s = 0; s < 20; ++s) {
    Image out = run(RandomCrop(3, 0), in, s);
    ASSERT_EQ(out.shape, (Shape{1, 3, 3}));
    // Values are 1 + y * 6 + x: the top-left value gives the offset.
    const int64_t top = static_cast<int64_t>(out.data[0] - 1) / 6;
    const int64_t left = static_cast<int64_t>(out.data[0] - 1) % 6;
    EXPECT_LE(top, 3);
    EXPECT_LE(left, 3);
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x)
        EXPECT_EQ(out.at(0, y, x), in.at(0, top + y, left + x));
  }
  EXPECT_THROW(run(RandomCrop(8, 0), in), ShapeError);
}

TEST(RandomRotation, NinetyDegreesIsTransposeThenFlip) {
  for (int64_t n : {4, 5}) {
    Image in = ramp(2, n, n);
    Image ccw = run(RandomRotation(90.0, 90.0), in);
    Image cw = run(RandomRotation(-90.0, -90.0), in);
    Image half = run(RandomRotation(180.0, 180.0), in);
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t y = 0; y < n; ++y)
        for (int64_t x = 0; x < n; ++x) {
          // numpy: rot90(a) = flipud(a.T): out[y, x] = a[x, n - 1 - y] (counter-clockwise).
          EXPECT_NEAR(ccw.at(c, y, x), in.at(c, x, n - 1 - y), 1e-4);
          EXPECT_NEAR(cw.at(c, y, x), in.at(c, n - 1 - x, y), 1e-4);
          EXPECT_NEAR(half.at(c, y, x), in.at(c, n - 1 - y, n - 1 - x), 1e-4);
        }
  }
}

TEST(RandomRotation, ZeroIsIdentityAndCornersFillWithZeros) {
  Image in = ramp(1, 7, 7);
  expect_near(run(RandomRotation(0.0), in), in);
  Image out = run(RandomRotation(45.0, 45.0), in);
  // The corner, 4.24 pixels from the centre, comes from 1.24 pixels outside the input.
  EXPECT_EQ(out.at(0, 0, 0), 0.0f);
  EXPECT_NEAR(out.at(0, 3, 3), in.at(0, 3, 3), 1e-4);  // the centre stays put
  // Random angles: the centre pixel is always preserved.
  for (uint64_t s = 0; s < 10; ++s) {
    EXPECT_NEAR(run(RandomRotation(30), in, s).at(0, 3, 3), 25.0f, 1e-3);
  }
}

TEST(RandomAffine, IdentityParametersAndWholePixelShifts) {
  Image in = ramp(3, 6, 6);
  expect_near(run(RandomAffine(0.0), in), in);
  RandomAffine shift(0.0, {0.34, 0.34});  // up to 2 pixels each way
  for (uint64_t s = 0; s < 30; ++s) {
    Image out = run(shift, in, s);
    // A translation by t pixels reads the input at p - t.
    EXPECT_TRUE(find_shift(in, out, 2)) << "seed " << s;
  }
  // Scale 2 about the centre: the centre stays, corners sample the middle region.
  Image zoom = run(RandomAffine(0.0, {0, 0}, {2.0, 2.0}), ramp(1, 5, 5));
  EXPECT_NEAR(zoom.at(0, 2, 2), 13.0f, 1e-4);
  EXPECT_NEAR(zoom.at(0, 0, 0), 7.0f, 1e-4);  // (0,0) <- (1,1)
  EXPECT_NEAR(zoom.at(0, 0, 1), 7.5f, 1e-4);  // (0,1) <- (1,1.5)
}

TEST(Resize, ConstantStaysConstant) {
  Image in(3, 5, 7, 0.25f);
  Image out = run(Resize(11, 4), in);
  ASSERT_EQ(out.shape, (Shape{3, 11, 4}));
  for (float v : out.data)
    EXPECT_NEAR(v, 0.25f, 1e-6);
}

TEST(Resize, TwoByTwoMatchesHandComputedBilinear) {
  // [[a, b], [c, d]] -> 4x4 with align_corners=false: per axis the source positions are
  // 0 (clamped), 0.25, 0.75, 1 (clamped), so a row [a, b] becomes [a, .75a+.25b, .25a+.75b, b].
  Image in(1, 2, 2);
  in.data = {1.0f, 2.0f, 3.0f, 5.0f};
  Image out = run(Resize(4, 4), in);
  const float w[4][2] = {{1, 0}, {0.75f, 0.25f}, {0.25f, 0.75f}, {0, 1}};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) {
      const float top = w[x][0] * 1 + w[x][1] * 2, bottom = w[x][0] * 3 + w[x][1] * 5;
      EXPECT_NEAR(out.at(0, y, x), w[y][0] * top + w[y][1] * bottom, 1e-6) << y << "," << x;
    }
  // Halving averages 2x2 blocks (source positions 0.5 and 2.5).
  Image down = run(Resize(2, 2), ramp(1, 4, 4));
  EXPECT_NEAR(down.at(0, 0, 0), (1 + 2 + 5 + 6) / 4.0f, 1e-5);
  EXPECT_NEAR(down.at(0, 1, 1), (11 + 12 + 15 + 16) / 4.0f, 1e-5);
}

TEST(RandomResizedCrop, ShapeRangeAndWholeImageCase) {
  Image in = ramp(3, 10, 12);
  for (uint64_t s = 0; s < 20; ++s) {
    Image out = run(RandomResizedCrop(8), in, s);
    ASSERT_EQ(out.shape, (Shape{3, 8, 8}));
    for (float v : out.data) {
      EXPECT_GE(v, 1.0f);
      EXPECT_LE(v, 360.0f);
    }
  }
  // scale 1 and a ratio that fits the image: the crop is the whole image, i.e. a Resize.
  Image square = ramp(2, 6, 6);
  expect_near(run(RandomResizedCrop(4, {1.0, 1.0}, {1.0, 1.0}), square), run(Resize(4, 4), square));
}

// (C, H, W) image of values uniform in [0, 1): no structure for a wrong formula to agree with.
Image noise(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  Image im(c, h, w);
  Generator gen(seed);
  for (float& v : im.data)
    v = static_cast<float>(gen.next_double());
  return im;
}

// torchvision's F.resized_crop(img, top, left, height, width, [out_h, out_w]) of a tensor image
// with antialias=False: the crop, then interpolate(mode="bilinear", align_corners=False). Per
// axis, output index o samples source coordinate s = max((o + 0.5) * in / out - 0.5, 0) and
// blends index floor(s) and floor(s) + 1 (clamped to the last one) by 1 - frac(s) and frac(s).
double torchvision_resized_crop(const Image& in, int64_t c, const RandomResizedCrop::CropBox& box,
                                int64_t out_h, int64_t out_w, int64_t y, int64_t x) {
  auto source = [](int64_t o, int64_t in_size, int64_t out_size) {
    const double s = std::max(0.0, (static_cast<double>(o) + 0.5) * static_cast<double>(in_size) /
                                           static_cast<double>(out_size) -
                                       0.5);
    const auto i0 = static_cast<int64_t>(std::floor(s));
    return std::make_tuple(i0, std::min(i0 + 1, in_size - 1), s - static_cast<double>(i0));
  };
  const auto [y0, y1, ly] = source(y, box.height, out_h);
  const auto [x0, x1, lx] = source(x, box.width, out_w);
  auto at = [&](int64_t yy, int64_t xx) {
    return static_cast<double>(in.at(c, box.top + yy, box.left + xx));
  };
  return (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) +
         ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
}

void expect_resized_crop(const Image& in, const RandomResizedCrop::CropBox& box, const Image& out) {
  ASSERT_EQ(out.channels(), in.channels());
  for (int64_t c = 0; c < out.channels(); ++c)
    for (int64_t y = 0; y < out.height(); ++y)
      for (int64_t x = 0; x < out.width(); ++x)
        EXPECT_NEAR(out.at(c, y, x),
                    torchvision_resized_crop(in, c, box, out.height(), out.width(), y, x), 1e-6)
            << "box (" << box.top << ", " << box.left << ", " << box.height << ", " << box.width
            << ") at " << c << "," << y << "," << x;
}

// The bilinear core on a fixed window, growing one axis and shrinking the other, both ways
// round, and a window that touches the image's last row and column.
TEST(ResizeWindow, MatchesTorchvisionBilinearPixelByPixel) {
  const Image in = noise(3, 10, 12, 7);
  for (const auto& [box, out_h, out_w] :
       {std::make_tuple(RandomResizedCrop::CropBox{2, 3, 5, 7}, 8, 4),
        std::make_tuple(RandomResizedCrop::CropBox{1, 0, 9, 4}, 3, 11),
        std::make_tuple(RandomResizedCrop::CropBox{4, 5, 6, 7}, 13, 13)}) {
    Image out(3, out_h, out_w);
    detail::resize_window(in.data.data(), 3, 10, 12, box.top, box.left, box.height, box.width,
                          out.data.data(), out_h, out_w);
    expect_resized_crop(in, box, out);
  }
}

// The window sampling (torchvision's get_params): inside the image, area fraction in `scale`
// and aspect in `ratio` up to the rounding of each side to whole pixels, the same box for the
// same seed, and the area fraction uniform (its mean over many seeds is the range's middle).
TEST(RandomResizedCrop, GetParamsStaysInRangeAndIsSeeded) {
  // No window is too large for the image here, so no draw is rejected and the accepted area
  // fractions are exactly the uniform draws, up to rounding.
  const int64_t h = 100, w = 100;
  const std::pair<double, double> scale{0.2, 0.7}, ratio{3.0 / 4.0, 4.0 / 3.0};
  RandomResizedCrop t(16, scale, ratio);
  std::set<std::tuple<int64_t, int64_t, int64_t, int64_t>> boxes;
  double fraction_sum = 0.0;
  const int seeds = 400;
  for (uint64_t s = 0; s < seeds; ++s) {
    Generator g1(s), g2(s);
    const auto b = t.get_params(h, w, g1);
    const auto again = t.get_params(h, w, g2);
    EXPECT_EQ(std::tie(b.top, b.left, b.height, b.width),
              std::tie(again.top, again.left, again.height, again.width));
    ASSERT_GE(b.top, 0);
    ASSERT_GE(b.left, 0);
    ASSERT_LE(b.top + b.height, h);
    ASSERT_LE(b.left + b.width, w);
    const double bh = static_cast<double>(b.height), bw = static_cast<double>(b.width);
    const double area = static_cast<double>(h * w);
    EXPECT_GE((bw + 0.5) * (bh + 0.5), scale.first * area) << "seed " << s;
    EXPECT_LE((bw - 0.5) * (bh - 0.5), scale.second * area) << "seed " << s;
    EXPECT_GE((bw + 0.5) / (bh - 0.5), ratio.first) << "seed " << s;
    EXPECT_LE((bw - 0.5) / (bh + 0.5), ratio.second) << "seed " << s;
    fraction_sum += bw * bh / area;
    boxes.emplace(b.top, b.left, b.height, b.width);
  }
  EXPECT_NEAR(fraction_sum / seeds, (scale.first + scale.second) / 2, 0.03);
  EXPECT_GT(boxes.size(), 350u);
  // No window of area >= 90% has aspect 3 to 4 in a square image: after ten tries, the largest
  // centred window of aspect 3 (torchvision's fallback), 30 x 10 at row 10.
  Generator gen(0);
  const auto fallback = RandomResizedCrop(8, {0.9, 1.0}, {3.0, 4.0}).get_params(30, 30, gen);
  EXPECT_EQ(std::tie(fallback.top, fallback.left, fallback.height, fallback.width),
            std::make_tuple(int64_t{10}, int64_t{0}, int64_t{10}, int64_t{30}));
}

// apply = resized_crop of the window get_params draws for the same seed, pixel by pixel against
// the torchvision formula, for a square and a non-square output size.
TEST(RandomResizedCrop, ApplyIsTorchvisionResizedCropOfItsParams) {
  const Image in = noise(3, 10, 12, 11);
  for (const RandomResizedCrop& t :
       {RandomResizedCrop(8), RandomResizedCrop(5, 9, {0.08, 1.0}, {0.75, 4.0 / 3.0})}) {
    for (uint64_t s = 0; s < 20; ++s) {
      Generator gen(s);
      const auto box = t.get_params(10, 12, gen);
      expect_resized_crop(in, box, run(t, in, s));
    }
  }
}

// torchvision's adjust_brightness: clamp(f * x, 0, 1) (a blend with black).
TEST(ColorOps, BrightnessIsTorchvisionsBlendWithBlack) {
  const Image in = noise(3, 4, 5, 3);
  for (float f : {0.0f, 0.3f, 1.0f, 1.7f}) {
    Image out = in;
    detail::adjust_brightness(out.data, f);
    for (size_t i = 0; i < in.data.size(); ++i)
      EXPECT_FLOAT_EQ(out.data[i], std::min(1.0f, f * in.data[i])) << "factor " << f;
  }
}

// torchvision's adjust_contrast: clamp(f * x + (1 - f) * m, 0, 1), m the mean of
// rgb_to_grayscale(img) = 0.2989 r + 0.587 g + 0.114 b for RGB, the plain mean for one channel.
TEST(ColorOps, ContrastBlendsWithTheMeanOfTheGrayscaleImage) {
  for (int64_t channels : {1, 3}) {
    const Image in = noise(channels, 4, 5, 5);
    const int64_t plane = 4 * 5;
    double mean = 0.0;
    for (int64_t i = 0; i < plane; ++i) {
      const auto px = [&](int64_t c) { return static_cast<double>(in.data[c * plane + i]); };
      mean += channels == 3 ? 0.2989 * px(0) + 0.587 * px(1) + 0.114 * px(2) : px(0);
    }
    mean /= static_cast<double>(plane);
    for (float f : {0.0f, 0.4f, 1.0f, 2.5f}) {
      Image out = in;
      detail::adjust_contrast(out.data, channels, f);
      for (size_t i = 0; i < in.data.size(); ++i) {
        const double expected = std::clamp(f * in.data[i] + (1.0 - f) * mean, 0.0, 1.0);
        EXPECT_NEAR(out.data[i], expected, 1e-6)
            << channels << " channels, factor " << f << ", at " << i;
      }
    }
  }
  // Factor 0 gives the grey level itself: torchvision's weights of pure red, green and blue.
  const float weights[3] = {0.2989f, 0.587f, 0.114f};
  for (int64_t c = 0; c < 3; ++c) {
    Image pure(3, 2, 2);
    std::fill_n(pure.data.begin() + c * 4, 4, 1.0f);
    detail::adjust_contrast(pure.data, 3, 0.0f);
    for (float v : pure.data)
      EXPECT_FLOAT_EQ(v, weights[c]) << "channel " << c;
  }
  // One channel by hand: mean 0.55, so f = 0.5 maps x to 0.5 x + 0.275.
  Image grey(1, 2, 2);
  grey.data = {0.2f, 0.4f, 0.6f, 1.0f};
  detail::adjust_contrast(grey.data, 1, 0.5f);
  const std::vector<float> expected = {0.375f, 0.475f, 0.575f, 0.775f};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(grey.data[i], expected[i]);
}

// The factor sampling (torchvision's get_params): uniform in [max(0, 1 - s), 1 + s], 1 for a
// zero strength, the same for the same seed; apply is brightness then contrast with them.
TEST(ColorJitter, GetParamsRangesSeedsAndApplyUsesThem) {
  const ColorJitter both(0.4, 1.5), contrast_only(0.0, 0.25);
  double b_min = 9, b_max = -9, c_min = 9, c_max = -9;
  const Image in = noise(3, 4, 4, 9);
  for (uint64_t s = 0; s < 300; ++s) {
    Generator g1(s), g2(s);
    const auto f = both.get_params(g1);
    const auto again = both.get_params(g2);
    EXPECT_EQ(f.brightness, again.brightness);
    EXPECT_EQ(f.contrast, again.contrast);
    b_min = std::min(b_min, f.brightness);
    b_max = std::max(b_max, f.brightness);
    c_min = std::min(c_min, f.contrast);
    c_max = std::max(c_max, f.contrast);
    Generator g3(s);
    const auto only = contrast_only.get_params(g3);
    EXPECT_EQ(only.brightness, 1.0);
    EXPECT_GE(only.contrast, 0.75);
    EXPECT_LT(only.contrast, 1.25);
    if (s < 20) {
      Image expected = in;
      detail::adjust_brightness(expected.data, static_cast<float>(f.brightness));
      detail::adjust_contrast(expected.data, 3, static_cast<float>(f.contrast));
      expect_near(run(both, in, s), expected, 0.0f);
    }
  }
  EXPECT_GE(b_min, 0.6);
  EXPECT_LT(b_max, 1.4);
  EXPECT_LT(b_min, 0.62);
  EXPECT_GT(b_max, 1.38);
  EXPECT_GE(c_min, 0.0);  // 1 - 1.5 clipped at 0
  EXPECT_LT(c_max, 2.5);
  EXPECT_LT(c_min, 0.05);
  EXPECT_GT(c_max, 2.45);
}

TEST(Normalize, PerChannel) {
  Image in(2, 1, 2);
  in.data = {1.0f, 3.0f, 10.0f, 20.0f};
  Image out = run(Normalize({1.0f, 10.0f}, {2.0f, 5.0f}), in);
  EXPECT_FLOAT_EQ(out.data[0], 0.0f);
  EXPECT_FLOAT_EQ(out.data[1], 1.0f);
  EXPECT_FLOAT_EQ(out.data[2], 0.0f);
  EXPECT_FLOAT_EQ(out.data[3], 2.0f);
  EXPECT_THROW(run(Normalize({0, 0, 0}, {1, 1, 1}), in), ShapeError);
  EXPECT_THROW(Normalize({0}, {0}), Error);
}

TEST(ColorJitter, FactorOneIsIdentityAndFactorsStayInRange) {
  Image in = ramp(3, 4, 4);
  for (float& v : in.data)
    v /= 48.0f;
  expect_near(run(ColorJitter(0.0, 0.0), in), in, 0.0f);
  // Brightness only, on a constant 0.5 image: every value is 0.5 * f with f in [0.5, 1.5].
  for (uint64_t s = 0; s < 20; ++s) {
    Image out = run(ColorJitter(0.5, 0.0), Image(1, 2, 2, 0.5f), s);
    EXPECT_GE(out.data[0], 0.25f - 1e-6f);
    EXPECT_LE(out.data[0], 0.75f + 1e-6f);
    for (float v : out.data)
      EXPECT_EQ(v, out.data[0]);
  }
  // Contrast only keeps the mean of a one-channel image that does not clip.
  Image grey(1, 2, 2);
  grey.data = {0.4f, 0.5f, 0.5f, 0.6f};
  Image out = run(ColorJitter(0.0, 0.5), grey, 3);
  EXPECT_NEAR((out.data[0] + out.data[1] + out.data[2] + out.data[3]) / 4, 0.5f, 1e-6);
}

TEST(Compose, AppliesInOrderAndIsDeterministicForASeed) {
  Image in = ramp(1, 3, 3);
  auto flip = std::make_shared<RandomFlipHorizontal>(1.0);
  auto norm = std::make_shared<Normalize>(std::vector<float>{1.0f}, std::vector<float>{2.0f});
  Image out = run(Compose({flip, norm}), in);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), (3.0f - 1.0f) / 2.0f);
  Compose aug({std::make_shared<RandomCrop>(3, 1), std::make_shared<RandomRotation>(20.0),
               std::make_shared<ColorJitter>(0.3, 0.3)});
  expect_near(run(aug, in, 42), run(aug, in, 42), 0.0f);
  EXPECT_EQ(aug.name(),
            "Compose(RandomCrop((3, 3), padding=1), RandomRotation([-20, 20]), "
            "ColorJitter(brightness=0.3, contrast=0.3))");
}

TEST(Transform, RejectsNonImageShapesAndWorksOnNDArrays) {
  Image flat;
  flat.shape = {4};
  flat.data.assign(4, 1.0f);
  Generator gen(0);
  EXPECT_THROW(RandomFlipHorizontal(1.0).apply(flat, gen), ShapeError);
  NDArray a = NDArray::from_vector<float>({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  NDArray b = RandomFlipHorizontal(1.0)(a, gen);
  EXPECT_EQ(b.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{3, 2, 1, 6, 5, 4}));
}

}  // namespace
}  // namespace needle::data

// Transforms on small hand-made images: each one checked against what it must do.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <utility>

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

// Shape helpers: numel, compact strides, printing, axis normalisation and broadcasting, with
// the exact error messages users see.
#include "needle/shape.h"

#include <gtest/gtest.h>

#include "core/expect_error.h"
#include "needle/error.h"

namespace needle {
namespace {

using testing::expect_error;

TEST(Shape, NumelCountsElements) {
  EXPECT_EQ(numel({}), 1);  // a scalar has one element
  EXPECT_EQ(numel({5}), 5);
  EXPECT_EQ(numel({2, 3, 4}), 24);
  EXPECT_EQ(numel({2, 0, 3}), 0);
}

TEST(Shape, CompactStridesAreRowMajor) {
  EXPECT_EQ(compact_strides({2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_EQ(compact_strides({7}), (Strides{1}));
  EXPECT_EQ(compact_strides({}), (Strides{}));
  EXPECT_EQ(compact_strides({3, 1, 2}), (Strides{2, 2, 1}));
}

TEST(Shape, ShapeStrPrintsLikeNumPy) {
  EXPECT_EQ(shape_str({2, 3}), "(2, 3)");
  EXPECT_EQ(shape_str({5}), "(5,)");
  EXPECT_EQ(shape_str({}), "()");
  EXPECT_EQ(shape_str({1, 0, 4}), "(1, 0, 4)");
}

TEST(Shape, NormalizeAxisWrapsNegativeAxes) {
  EXPECT_EQ(normalize_axis(0, 3, "sum"), 0);
  EXPECT_EQ(normalize_axis(2, 3, "sum"), 2);
  EXPECT_EQ(normalize_axis(-1, 3, "sum"), 2);
  EXPECT_EQ(normalize_axis(-3, 3, "sum"), 0);
}

TEST(Shape, NormalizeAxisRejectsOutOfRange) {
  expect_error<ShapeError>([] { normalize_axis(3, 3, "sum"); },
                           "sum: axis 3 is out of range for an array of 3 dimension(s)");
  expect_error<ShapeError>([] { normalize_axis(-4, 3, "max"); },
                           "max: axis -4 is out of range for an array of 3 dimension(s)");
  // A 0-d array has no axes at all.
  expect_error<ShapeError>([] { normalize_axis(0, 0, "argmax"); }, "argmax: axis 0");
}

TEST(Shape, NormalizeAxesSortsAndExpandsEmpty) {
  EXPECT_EQ(normalize_axes({}, 3, "sum"), (Axes{0, 1, 2}));
  EXPECT_EQ(normalize_axes({}, 0, "sum"), (Axes{}));
  EXPECT_EQ(normalize_axes({-1, 0}, 3, "sum"), (Axes{0, 2}));
  EXPECT_EQ(normalize_axes({2, 1}, 3, "sum"), (Axes{1, 2}));
}

TEST(Shape, NormalizeAxesRejectsRepeatsAndOutOfRange) {
  // -2 and 1 name the same axis of a 3-d array; the message shows the axes as the user gave them.
  expect_error<ShapeError>(
      [] {
        normalize_axes({1, -2}, 3, "sum");
      },
      "sum: repeated axis in (1, -2)");
  expect_error<ShapeError>(
      [] {
        normalize_axes({0, 5}, 2, "mean");
      },
      "mean: axis 5 is out of range for an array of 2 dimension(s)");
}

TEST(Shape, BroadcastShapesFollowsNumPy) {
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}, "add"), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "add"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({2, 3}, {}, "add"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({3}, {2, 3}, "mul"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({1}, {1}, "mul"), (Shape{1}));
  // A size-1 dimension broadcasts to 0; 0 against 1 stays empty.
  EXPECT_EQ(broadcast_shapes({0}, {1}, "add"), (Shape{0}));
  EXPECT_EQ(broadcast_shapes({2, 0}, {2, 1}, "add"), (Shape{2, 0}));
}

TEST(Shape, BroadcastShapesNamesOpAndBothShapes) {
  expect_error<ShapeError>(
      [] {
        broadcast_shapes({2, 3}, {3, 2}, "add");
      },
      "add: shapes (2, 3) and (3, 2) cannot be broadcast together");
  expect_error<ShapeError>([] { broadcast_shapes({4}, {3}, "where"); },
                           "where: shapes (4,) and (3,) cannot be broadcast together");
  expect_error<ShapeError>([] { broadcast_shapes({0}, {2}, "sub"); }, "(0,) and (2,)");
}

}  // namespace
}  // namespace needle

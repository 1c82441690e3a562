// Views (reshape, permute, transpose, broadcast_to, flip, squeeze/unsqueeze, undilate): their
// geometry and values against hand-computed ones, and that they share storage with the source.
#include <gtest/gtest.h>

#include "needle/ndarray.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;

TEST(Views, ReshapeOfCompactIsAView) {
  NDArray a = iota({2, 3});
  NDArray b = a.reshape({3, 2});
  EXPECT_TRUE(b.shares_storage(a));
  EXPECT_EQ(b.data_ptr(), a.data_ptr());
  EXPECT_EQ(b.shape(), (Shape{3, 2}));
  EXPECT_EQ(b.strides(), (Strides{2, 1}));
  EXPECT_EQ(values(b), (V{0, 1, 2, 3, 4, 5}));
  NDArray c = a.reshape({-1});
  EXPECT_EQ(c.shape(), (Shape{6}));
  EXPECT_TRUE(c.shares_storage(a));
  EXPECT_EQ(a.reshape({3, -1}).shape(), (Shape{3, 2}));
  EXPECT_EQ(a.reshape({1, 6, 1}).shape(), (Shape{1, 6, 1}));
  // Writes through the view are visible in the source.
  b.fill(7.0);
  EXPECT_EQ(values(a), (V{7, 7, 7, 7, 7, 7}));
}

TEST(Views, ReshapeToScalarAndBack) {
  NDArray a = NDArray::full({1, 1}, 3.0);
  NDArray s = a.reshape({});
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_TRUE(s.shares_storage(a));
  EXPECT_EQ(s.item<float>(), 3.0f);
  EXPECT_EQ(s.reshape({1, 1, 1}).shape(), (Shape{1, 1, 1}));
}

TEST(Views, ReshapeNonCompactWithoutCopyWhenStridesAllow) {
  // Slicing rows of a (4, 6) array keeps each row contiguous: splitting the last axis and
  // merging leading axes that are mutually contiguous needs no copy.
  NDArray base = iota({4, 6});
  NDArray rows = base.slice(0, 0, 4, 2);  // rows 0 and 2, strides (12, 1)
  ASSERT_FALSE(rows.is_compact());
  NDArray split = rows.reshape({2, 2, 3});
  EXPECT_TRUE(split.shares_storage(base));
  EXPECT_EQ(split.strides(), (Strides{12, 3, 1}));
  EXPECT_EQ(values(split), (V{0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17}));

  // A column slice (stride 6) of a 3-D array whose two leading axes are contiguous.
  NDArray cube = iota({2, 3, 4});
  NDArray col = cube.slice({Slice::all(), Slice::all(), Slice(1, 2)});  // (2, 3, 1)
  NDArray merged = col.reshape({6});
  EXPECT_TRUE(merged.shares_storage(cube));
  EXPECT_EQ(merged.strides(), (Strides{4}));
  EXPECT_EQ(values(merged), (V{1, 5, 9, 13, 17, 21}));

  // A transposed array reshaped by adding size-1 axes stays a view.
  NDArray t = iota({2, 3}).transpose();
  NDArray t1 = t.reshape({3, 1, 2});
  EXPECT_TRUE(t1.shares_storage(t));
  EXPECT_EQ(values(t1), (V{0, 3, 1, 4, 2, 5}));

  // A broadcast array split along its broadcast (stride 0) axis.
  NDArray bc = iota({3}).broadcast_to({4, 3});
  NDArray bc2 = bc.reshape({2, 2, 3});
  EXPECT_TRUE(bc2.shares_storage(bc));
  EXPECT_EQ(bc2.strides(), (Strides{0, 0, 1}));
}

TEST(Views, ReshapeCopiesWhenStridesDoNotAllow) {
  NDArray t = iota({2, 3}).transpose();  // (3, 2), strides (1, 3)
  NDArray flat = t.reshape({6});
  EXPECT_FALSE(flat.shares_storage(t));
  EXPECT_TRUE(flat.is_compact());
  EXPECT_EQ(values(flat), (V{0, 3, 1, 4, 2, 5}));

  NDArray flipped = iota({2, 3}).flip({1});
  NDArray f = flipped.reshape({3, 2});
  EXPECT_FALSE(f.shares_storage(flipped));
  EXPECT_EQ(values(f), (V{2, 1, 0, 5, 4, 3}));
}

TEST(Views, ReshapeEmpty) {
  NDArray a = NDArray::zeros({0, 3});
  EXPECT_EQ(a.reshape({3, 0}).shape(), (Shape{3, 0}));
  EXPECT_EQ(a.reshape({0}).shape(), (Shape{0}));
  EXPECT_EQ(a.reshape({-1, 3}).shape(), (Shape{0, 3}));
}

TEST(Views, Permute) {
  NDArray a = iota({2, 3, 4});
  NDArray p = a.permute({2, 0, 1});
  EXPECT_TRUE(p.shares_storage(a));
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Strides{1, 12, 4}));
  EXPECT_FALSE(p.is_compact());
  // p[i, j, k] = a[j, k, i] = 12 j + 4 k + i
  std::vector<float> expected;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        expected.push_back(static_cast<float>(12 * j + 4 * k + i));
  EXPECT_EQ(values(p), expected);
  EXPECT_EQ(a.permute({-1, 0, 1}).shape(), (Shape{4, 2, 3}));
}

TEST(Views, Transpose) {
  NDArray a = iota({2, 3});
  NDArray t = a.transpose();
  EXPECT_TRUE(t.shares_storage(a));
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(values(t), (V{0, 3, 1, 4, 2, 5}));
  NDArray b = iota({2, 3, 4});
  EXPECT_EQ(b.transpose().shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(b.transpose(0, 2).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(values(b.transpose(0, -1).transpose(0, 2)), values(b));
}

TEST(Views, BroadcastTo) {
  NDArray a = iota({3, 1});
  NDArray b = a.broadcast_to({2, 3, 4});
  EXPECT_TRUE(b.shares_storage(a));
  EXPECT_EQ(b.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(b.strides(), (Strides{0, 1, 0}));
  std::vector<float> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        expected.push_back(static_cast<float>(j));
  EXPECT_EQ(values(b), expected);
  // Broadcasting to the same shape is the array itself; a size-1 dim may become 0.
  EXPECT_EQ(a.broadcast_to({3, 1}).data_ptr(), a.data_ptr());
  EXPECT_EQ(a.broadcast_to({3, 0}).numel(), 0);
  NDArray s = NDArray::full({}, 2.0);
  EXPECT_EQ(values(s.broadcast_to({2, 2})), (V{2, 2, 2, 2}));
}

TEST(Views, FlipIsAViewWithNegativeStrides) {
  NDArray a = iota({2, 3});
  NDArray f = a.flip({1});
  EXPECT_TRUE(f.shares_storage(a));
  EXPECT_EQ(f.strides(), (Strides{3, -1}));
  EXPECT_EQ(f.offset(), 2);
  EXPECT_EQ(values(f), (V{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(values(a.flip({0})), (V{3, 4, 5, 0, 1, 2}));
  EXPECT_EQ(values(a.flip({0, 1})), (V{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(values(a.flip({})), (V{5, 4, 3, 2, 1, 0}));  // {} flips every axis
  EXPECT_EQ(values(a.flip({-1}).flip({-1})), values(a));
  // Flipping an empty axis is harmless.
  EXPECT_EQ(NDArray::zeros({0, 2}).flip({0}).numel(), 0);
}

TEST(Views, UnsqueezeSqueeze) {
  NDArray a = iota({2, 3});
  EXPECT_EQ(a.unsqueeze(0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(a.unsqueeze(1).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(a.unsqueeze(2).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(a.unsqueeze(-1).shape(), (Shape{2, 3, 1}));
  EXPECT_TRUE(a.unsqueeze(1).shares_storage(a));
  EXPECT_TRUE(a.unsqueeze(1).is_compact());
  EXPECT_EQ(values(a.unsqueeze(1)), values(a));

  NDArray b = iota({1, 2, 1, 3, 1});
  EXPECT_EQ(b.squeeze().shape(), (Shape{2, 3}));
  EXPECT_EQ(b.squeeze({0, -1}).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(b.squeeze({2}).shape(), (Shape{1, 2, 3, 1}));
  EXPECT_TRUE(b.squeeze().shares_storage(b));
  EXPECT_EQ(NDArray::zeros({1}).squeeze().shape(), (Shape{}));
}

TEST(Views, Undilate) {
  NDArray a = iota({5, 4});
  NDArray u = undilate(a, {0, 1}, 1);
  EXPECT_TRUE(u.shares_storage(a));
  EXPECT_EQ(u.shape(), (Shape{3, 2}));
  EXPECT_EQ(u.strides(), (Strides{8, 2}));
  EXPECT_EQ(values(u), (V{0, 2, 8, 10, 16, 18}));
  EXPECT_EQ(values(undilate(a, {1}, 2)), (V{0, 3, 4, 7, 8, 11, 12, 15, 16, 19}));
  EXPECT_EQ(undilate(a, {0}, 0).shape(), (Shape{5, 4}));
}

TEST(Views, CompactAndClone) {
  NDArray a = iota({2, 3});
  NDArray c = a.compact();
  EXPECT_EQ(c.data_ptr(), a.data_ptr());  // already compact: no copy
  NDArray k = a.clone();
  EXPECT_FALSE(k.shares_storage(a));
  EXPECT_EQ(values(k), values(a));

  NDArray t = a.transpose();
  EXPECT_FALSE(t.is_compact());
  NDArray tc = t.compact();
  EXPECT_FALSE(tc.shares_storage(a));
  EXPECT_TRUE(tc.is_compact());
  EXPECT_EQ(tc.strides(), (Strides{2, 1}));
  EXPECT_EQ(values(tc), (V{0, 3, 1, 4, 2, 5}));

  // A row slice is compact (dense from its offset) though it does not start the buffer.
  NDArray row = a.select(0, 1);
  EXPECT_TRUE(row.is_compact());
  EXPECT_EQ(row.compact().data_ptr(), row.data_ptr());
  EXPECT_EQ(static_cast<float*>(row.data_ptr())[0], 3.0f);
  EXPECT_EQ(row.data<float>()[2], 5.0f);
}

TEST(Views, ShapeAccessor) {
  NDArray a = NDArray::zeros({2, 3, 4});
  EXPECT_EQ(a.shape(0), 2);
  EXPECT_EQ(a.shape(-1), 4);
  EXPECT_EQ(a.ndim(), 3);
  EXPECT_EQ(a.numel(), 24);
  EXPECT_THROW(a.shape(3), ShapeError);
}

TEST(Views, ReshapeAgreesWithCompactCopyOnManyViews) {
  // Every reshape of every kind of view must read the same values as reshaping a dense copy,
  // whether it ends up a view or a copy.
  NDArray base = iota({4, 6, 2});
  const std::vector<NDArray> views = {
      base,
      base.transpose(0, 1),
      base.permute({2, 0, 1}),
      base.slice({Slice(std::nullopt, std::nullopt, 2)}),
      base.slice({Slice(std::nullopt, std::nullopt, -1), Slice(1, 5), Slice(1, 2)}),
      base.flip({1}),
      base.select(2, 1).broadcast_to({2, 4, 6}).slice({Slice(), Slice(0, 4, 2)}),
      base.slice({Slice(), Slice(0, 6, 3)}),
  };
  for (size_t v = 0; v < views.size(); ++v) {
    const NDArray& x = views[v];
    const int64_t n = x.numel();
    std::vector<Shape> targets = {{n}, {-1, 1}, {1, n, 1}};
    for (int64_t d = 2; d < n; ++d) {
      if (n % d == 0) {
        targets.push_back({d, -1});
        targets.push_back({-1, d});
        if ((n / d) % 2 == 0) targets.push_back({d, 2, -1});
      }
    }
    for (const Shape& t : targets) {
      SCOPED_TRACE(fmt::format("view {} of shape {} -> {}", v, shape_str(x.shape()), shape_str(t)));
      NDArray r = x.reshape(t);
      EXPECT_EQ(r.numel(), n);
      EXPECT_EQ(values(r), values(x.compact().reshape(t)));
    }
  }
}

TEST(Views, ViewsAllocateNoStorage) {
  NDArray a = iota({4, 6});
  const int64_t live = Storage::live_count();
  NDArray v = a.reshape({6, 4})
                  .transpose()
                  .slice({Slice(1, 3), Slice(std::nullopt, std::nullopt, -2)})
                  .flip({0})
                  .unsqueeze(0)
                  .broadcast_to({3, 2, 3})
                  .select(0, 1)
                  .permute({1, 0});
  NDArray u = undilate(a, {0, 1}, 1).squeeze();
  EXPECT_EQ(Storage::live_count(), live);
  EXPECT_TRUE(v.shares_storage(a));
  EXPECT_TRUE(u.shares_storage(a));
  // v = flip(T(reshape(a))[1:3, ::-2], 0) as (3, 2): T rows 2, 1 of the (6, 4) reshape,
  // columns 5, 3, 1.
  EXPECT_EQ(values(v), (V{22, 21, 14, 13, 6, 5}));
}

}  // namespace
}  // namespace needle

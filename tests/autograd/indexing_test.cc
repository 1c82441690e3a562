// Values (not just gradients) of the indexing, masking and joining ops: one_hot, gather,
// where, masked_fill, tril/triu, split, stack, concatenate, flip, dilate/undilate, slicing with
// negative steps.
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"

namespace needle {
namespace {

Tensor ints(std::vector<int64_t> v, Shape shape) {
  return Tensor::from_vector(v, shape);
}

TEST(Indexing, OneHot) {
  Tensor oh = one_hot(ints({2, 0, 1}, {3}), 4);
  EXPECT_EQ(oh.shape(), (Shape{3, 4}));
  EXPECT_EQ(oh.dtype(), DType::Float32);
  EXPECT_EQ(oh.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
  Tensor oh64 = one_hot(Tensor::from_vector(std::vector<int32_t>{1}, {1}), 2, DType::Float64);
  EXPECT_EQ(oh64.to_vector<double>(), (std::vector<double>{0, 1}));
  EXPECT_THROW(one_hot(ints({4}, {1}), 4), IndexError);
  EXPECT_THROW(one_hot(ints({-1}, {1}), 4), IndexError);
  EXPECT_THROW(one_hot(Tensor({1.f}), 4), DTypeError);
}

Tensor bools(std::vector<uint8_t> v, Shape shape) {
  return Tensor(NDArray::from_vector(v, shape).astype(DType::Bool));
}

TEST(Masking, WhereSelectsAndRoutesGradients) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}, cpu(), true);
  Tensor b = Tensor::from_vector(std::vector<float>{10, 20}, {2}, cpu(), true);
  Tensor y = where(bools({1, 0, 0, 1}, {2, 2}), a, b);  // b broadcasts over rows
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 20, 10, 4}));
  sum(y * Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2})).backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{1, 0, 0, 4}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{3, 2}));
  EXPECT_THROW(where(a, a, b), DTypeError);
  EXPECT_THROW(where(bools({1, 0, 1}, {3}), a, b), ShapeError);
}

TEST(Masking, MaskedFillAndTriangles) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, cpu(), true);
  Tensor m = masked_fill(a, bools({0, 1, 1}, {3}), -1e9);
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{1, -1e9f, -1e9f, 4, -1e9f, -1e9f}));
  sum(m).backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0}));
  EXPECT_THROW(masked_fill(a, bools({1, 0, 1, 0, 1, 0}, {6, 1}), 0.0), ShapeError);
  EXPECT_THROW(masked_fill(a, a, 0.0), DTypeError);

  Tensor sq = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  EXPECT_EQ(tril(sq).to_vector<float>(), (std::vector<float>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  EXPECT_EQ(triu(sq).to_vector<float>(), (std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(tril(sq, -1).to_vector<float>(), (std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(triu(a, 1).to_vector<float>(), (std::vector<float>{0, 2, 3, 0, 0, 6}));
  EXPECT_THROW(tril(Tensor::from_vector(std::vector<float>{1, 2}, {2})), ShapeError);
}

TEST(Indexing, GatherMatchesTorch) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, cpu(), true);
  Tensor g = gather(a, 1, ints({2, 0, 1, 1}, {2, 2}));
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{3, 1, 5, 5}));
  sum(g).backward();
  // Scatter-add: index 1 of row 1 was gathered twice.
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{1, 0, 1, 0, 2, 0}));
  Tensor g0 = gather(a, 0, ints({1, 0, 1}, {1, 3}));
  EXPECT_EQ(g0.to_vector<float>(), (std::vector<float>{4, 2, 6}));
  EXPECT_THROW(gather(a, 1, ints({3}, {1, 1})), IndexError);
  EXPECT_THROW(gather(a, 1, Tensor({0.f})), DTypeError);
  EXPECT_THROW(gather(a, 1, ints({0, 0, 0}, {3, 1})), ShapeError);
}

TEST(Indexing, SplitStackConcatenate) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  std::vector<Tensor> cols = split(a, 1);
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[1].shape(), (Shape{2}));
  EXPECT_EQ(cols[1].to_vector<float>(), (std::vector<float>{2, 5}));
  Tensor back = stack(cols, 1);
  EXPECT_EQ(back.shape(), (Shape{2, 3}));
  EXPECT_EQ(back.to_vector<float>(), a.to_vector<float>());
  Tensor cat = concatenate({a, a}, 0);
  EXPECT_EQ(cat.shape(), (Shape{4, 3}));
  EXPECT_EQ(cat.to_vector<float>()[7], 2.f);
}

TEST(Indexing, FlipDilateUndilate) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(flip(a, {1}).to_vector<float>(), (std::vector<float>{2, 1, 4, 3}));
  Tensor d = dilate(a, {0}, 1);
  EXPECT_EQ(d.shape(), (Shape{4, 2}));
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 3, 4, 0, 0}));
  EXPECT_EQ(undilate(d, {0}, 1).to_vector<float>(), a.to_vector<float>());
  EXPECT_EQ(dilate(a, {2}, 1).shape(), a.shape());  // axes past the last are ignored (needle)
}

TEST(Indexing, SliceWithNegativeStep) {
  Tensor a({0.f, 1.f, 2.f, 3.f, 4.f}, true);
  Tensor s = a.slice({Slice(std::nullopt, std::nullopt, -2)});
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{4, 2, 0}));
  sum(s * Tensor({1.f, 2.f, 3.f})).backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{3, 0, 2, 0, 1}));
}

}  // namespace
}  // namespace needle

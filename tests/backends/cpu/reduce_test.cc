// Reductions on the CPU backend: sum/max/min/argmax/argmin over single, multiple and all axes,
// leading and trailing, on strided inputs, against a reference loop; ties, empty axes, large
// float32 sums, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "needle/error.h"
#include "tests/backends/cpu/test_util.h"

namespace needle::test {
namespace {

Shape keepdims(const Shape& shape, const Axes& axes) {
  Shape s = shape;
  for (int64_t ax : axes)
    s[static_cast<size_t>(ax)] = 1;
  return s;
}

// Reference: out index for an input index zeroes the reduced axes.
template <typename T>
std::vector<double> reference(ReduceOp op, const StridedView& a, const Axes& axes) {
  const Shape ks = keepdims(a.shape, axes);
  const Strides kst = compact_strides(ks);
  std::vector<double> acc(static_cast<size_t>(numel(ks)), op == ReduceOp::Sum   ? 0.0
                                                          : op == ReduceOp::Max ? -INFINITY
                                                                                : INFINITY);
  std::vector<bool> seen(acc.size(), false);
  std::vector<double> best(acc.size());
  for_each_index(a.shape, [&](const Shape& i) {
    int64_t o = 0;
    for (size_t d = 0; d < i.size(); ++d)
      o += (ks[d] == 1 ? 0 : i[d]) * kst[d];
    const double v = static_cast<double>(at<T>(a, i));
    auto& x = acc[static_cast<size_t>(o)];
    switch (op) {
      case ReduceOp::Sum:
        x += v;
        break;
      case ReduceOp::Max:
        x = std::max(x, v);
        break;
      case ReduceOp::Min:
        x = std::min(x, v);
        break;
      case ReduceOp::Argmax:
      case ReduceOp::Argmin: {
        const bool better = op == ReduceOp::Argmax ? v > best[o] : v < best[o];
        if (!seen[o] || better) {
          seen[o] = true;
          best[o] = v;
          x = static_cast<double>(i[static_cast<size_t>(axes[0])]);
        }
        break;
      }
    }
  });
  return acc;
}

template <typename T, typename TO = T>
void check_reduce(ReduceOp op, const StridedView& a, const Axes& axes, double tol = 1e-9) {
  const Shape ks = keepdims(a.shape, axes);
  std::vector<TO> out(static_cast<size_t>(numel(ks)));
  cpu_backend().reduce(op, a, axes, view(out, ks));
  const auto ref = reference<T>(op, a, axes);
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_NEAR(static_cast<double>(out[i]), ref[i], tol * (1 + std::fabs(ref[i])))
        << op_name(op) << " output " << i;
  }
}

TEST(Reduce, AllOpsAllAxisSetsCompact) {
  std::vector<double> a(2 * 3 * 4);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = std::sin(static_cast<double>(i) * 1.7) * 10;
  const StridedView v = view(a, {2, 3, 4});
  const std::vector<Axes> sets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min}) {
    for (const Axes& axes : sets)
      check_reduce<double>(op, v, axes);
  }
  for (ReduceOp op : {ReduceOp::Argmax, ReduceOp::Argmin}) {
    for (int64_t ax = 0; ax < 3; ++ax)
      check_reduce<double, int64_t>(op, v, {ax});
  }
}

TEST(Reduce, StridedInputs) {
  std::vector<float> a(6 * 10);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>((i * 37) % 23) - 11.0f;
  const std::vector<StridedView> views = {
      view(a, {10, 6}, {1, 10}),        // transposed
      view(a, {3, 5}, {20, 2}, 1),      // stepped slice with offset
      view(a, {6, 10}, {-10, -1}, 59),  // flipped
      view(a, {4, 6, 10}, {0, 10, 1}),  // broadcast leading axis
      view(a, {2, 3, 5}, {30, 10, 2}),  // 3-d stepped
  };
  for (const auto& v : views) {
    for (int64_t ax = 0; ax < v.ndim(); ++ax) {
      check_reduce<float>(ReduceOp::Sum, v, {ax}, 1e-6);
      check_reduce<float>(ReduceOp::Max, v, {ax});
      check_reduce<float, int64_t>(ReduceOp::Argmax, v, {ax});
      check_reduce<float, int64_t>(ReduceOp::Argmin, v, {ax});
    }
    Axes all;
    for (int64_t ax = 0; ax < v.ndim(); ++ax)
      all.push_back(ax);
    check_reduce<float>(ReduceOp::Sum, v, all, 1e-6);
    check_reduce<float>(ReduceOp::Min, v, all);
  }
}

TEST(Reduce, LargeRowsColumnsAndMixed) {
  // Big enough for the parallel paths (split K and split R).
  const int64_t r = 300, c = 257;
  std::vector<double> a(r * c);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<double>((i * 7919) % 1000) / 7.0;
  const StridedView v = view(a, {r, c});
  check_reduce<double>(ReduceOp::Sum, v, {0});
  check_reduce<double>(ReduceOp::Sum, v, {1});
  check_reduce<double>(ReduceOp::Sum, v, {0, 1});
  check_reduce<double>(ReduceOp::Max, v, {0});
  check_reduce<double>(ReduceOp::Min, v, {1});
  check_reduce<double, int64_t>(ReduceOp::Argmax, v, {0});
  check_reduce<double, int64_t>(ReduceOp::Argmax, v, {1});
  check_reduce<double, int64_t>(ReduceOp::Argmin, view(a, {c, r}, {1, c}), {1});
  // Few outputs, many reduced elements: the split-R path.
  check_reduce<double>(ReduceOp::Sum, view(a, {3, r * c / 3}), {1});
  check_reduce<double>(ReduceOp::Sum, view(a, {r * c / 3, 3}), {0});
  check_reduce<double, int64_t>(ReduceOp::Argmax, view(a, {r * c}), {0});
  check_reduce<double>(ReduceOp::Max, view(a, {r * c / 3, 3}), {0});
  // Middle axis of a 3-d array.
  check_reduce<double>(ReduceOp::Sum, view(a, {4, 75, 257}), {1});
  check_reduce<double>(ReduceOp::Sum, view(a, {4, 75, 257}), {0, 2});
}

TEST(Reduce, ArgmaxFirstOfTiesWins) {
  std::vector<float> a = {1, 5, 5, 2, 5, 0, 3, 3, 3};
  std::vector<int64_t> out(3);
  cpu_backend().reduce(ReduceOp::Argmax, view(a, {3, 3}), {1}, view(out, {3, 1}));
  EXPECT_EQ(out, (std::vector<int64_t>{1, 1, 0}));
  std::vector<int64_t> one(1);
  cpu_backend().reduce(ReduceOp::Argmax, view(a, {9}), {0}, view(one, {1}));
  EXPECT_EQ(one[0], 1);
  cpu_backend().reduce(ReduceOp::Argmin, view(a, {9}), {0}, view(one, {1}));
  EXPECT_EQ(one[0], 5);
  // Ties across the threads' halves of a large reduction.
  std::vector<float> big(200000, 1.0f);
  big[150000] = 2.0f;
  big[190000] = 2.0f;
  cpu_backend().reduce(ReduceOp::Argmax, view(big, {200000}), {0}, view(one, {1}));
  EXPECT_EQ(one[0], 150000);
  std::fill(big.begin(), big.end(), -std::numeric_limits<float>::infinity());
  cpu_backend().reduce(ReduceOp::Argmax, view(big, {200000}), {0}, view(one, {1}));
  EXPECT_EQ(one[0], 0);
}

TEST(Reduce, LargeFloat32SumIsAccurate) {
  const int64_t n = int64_t{1} << 22;  // 4M
  std::vector<float> a(n, 0.1f);
  std::vector<float> out(1);
  cpu_backend().reduce(ReduceOp::Sum, view(a, {n}), {0}, view(out, {1}));
  EXPECT_NEAR(out[0], n * static_cast<double>(0.1f), 1.0);  // naive float32 is off by ~1e4
  std::vector<float> cols(4);
  cpu_backend().reduce(ReduceOp::Sum, view(a, {n / 4, 4}), {0}, view(cols, {1, 4}));
  EXPECT_NEAR(cols[3], n / 4 * static_cast<double>(0.1f), 0.5);
}

TEST(Reduce, IntegerAndBool) {
  std::vector<int32_t> a = {1, -2, 3, 4, 5, -6};
  std::vector<int32_t> out(2);
  cpu_backend().reduce(ReduceOp::Sum, view(a, {2, 3}), {1}, view(out, {2, 1}));
  EXPECT_EQ(out, (std::vector<int32_t>{2, 3}));
  cpu_backend().reduce(ReduceOp::Max, view(a, {2, 3}), {1}, view(out, {2, 1}));
  EXPECT_EQ(out, (std::vector<int32_t>{3, 5}));
  std::vector<uint8_t> flags = {1, 0, 1, 1};
  std::vector<int64_t> count(1);
  cpu_backend().reduce(ReduceOp::Sum, bool_view(flags, {4}), {0}, view(count, {1}));
  EXPECT_EQ(count[0], 3);
  std::vector<uint8_t> any(1);
  cpu_backend().reduce(ReduceOp::Max, bool_view(flags, {4}), {0}, bool_view(any, {1}));
  EXPECT_EQ(any[0], 1);
  std::vector<uint8_t> img = {0, 255, 17, 200};
  std::vector<uint8_t> mx(1);
  cpu_backend().reduce(ReduceOp::Max, view(img, {4}), {0}, view(mx, {1}));
  EXPECT_EQ(mx[0], 255);
  std::vector<int64_t> idx(1);
  cpu_backend().reduce(ReduceOp::Argmin, view(img, {4}), {0}, view(idx, {1}));
  EXPECT_EQ(idx[0], 0);
}

TEST(Reduce, EmptyAndSizeOne) {
  std::vector<float> none;
  std::vector<float> out(3, 9);
  cpu_backend().reduce(ReduceOp::Sum, view(none, {0, 3}), {0}, view(out, {1, 3}));
  EXPECT_EQ(out, (std::vector<float>(3, 0)));
  EXPECT_THROW(cpu_backend().reduce(ReduceOp::Max, view(none, {0, 3}), {0}, view(out, {1, 3})),
               ShapeError);
  std::vector<int64_t> idx(3);
  EXPECT_THROW(cpu_backend().reduce(ReduceOp::Argmax, view(none, {0, 3}), {0}, view(idx, {1, 3})),
               ShapeError);
  // Reducing the non-empty axis of an empty array gives an empty output: no error.
  cpu_backend().reduce(ReduceOp::Max, view(none, {0, 3}), {1}, view(none, {0, 1}));
  // Size-1 reduced axis: a copy; argmax is 0.
  std::vector<float> a = {4, 5, 6}, o(3);
  cpu_backend().reduce(ReduceOp::Max, view(a, {1, 3}), {0}, view(o, {1, 3}));
  EXPECT_EQ(o, a);
  cpu_backend().reduce(ReduceOp::Argmax, view(a, {3, 1}), {1}, view(idx, {3, 1}));
  EXPECT_EQ(idx, (std::vector<int64_t>{0, 0, 0}));
}

TEST(Reduce, BadArgumentsThrow) {
  std::vector<float> a(6), out(6);
  std::vector<int64_t> idx(6);
  auto& be = cpu_backend();
  EXPECT_THROW(be.reduce(ReduceOp::Sum, view(a, {2, 3}), {2}, view(out, {2, 1})), ShapeError);
  EXPECT_THROW(be.reduce(ReduceOp::Sum, view(a, {2, 3}), {1}, view(out, {2})), ShapeError);
  EXPECT_THROW(be.reduce(ReduceOp::Sum, view(a, {2, 3}), {1, 0}, view(out, {1, 1})), ShapeError);
  EXPECT_THROW(be.reduce(ReduceOp::Argmax, view(a, {2, 3}), {0, 1}, view(idx, {1, 1})), ShapeError);
  EXPECT_THROW(be.reduce(ReduceOp::Argmax, view(a, {2, 3}), {1}, view(out, {2, 1})), DTypeError);
}

}  // namespace
}  // namespace needle::test

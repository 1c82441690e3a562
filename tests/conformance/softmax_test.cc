// Softmax conformance: softmax and log_softmax forward and backward along every axis of 1-D to
// 4-D shapes (inner rows of 1 and of many elements, rows longer than a CUDA block of threads, a
// row of one element), float32 and float64, values far apart (exp would overflow unshifted),
// rows holding NaN, +inf or only -inf (NaN, as in PyTorch), empty arrays, and the front's checks.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceSoftmax : public ConformanceTest {};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceSoftmax);

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {{7}, {1}, {3, 5}, {2, 1}, {4, 3, 6}, {2, 3, 2, 5}, {2, 600}};
  return s;
}

TEST_P(ConformanceSoftmax, ForwardAndBackwardEveryAxis) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Shape& shape : shapes()) {
      const int64_t n = numel(shape);
      // Spread over [-30, 30]: unshifted, exp would lose float32's range.
      const Twin x = twin(dt, random_values(dt, n, 11, -30.0, 30.0));
      const Twin g = twin(dt, random_values(dt, n, 12));
      for (int64_t axis = 0; axis < static_cast<int64_t>(shape.size()); ++axis) {
        for (bool log : {false, true}) {
          const std::string what = fmt::format("{} {} axis {} {}", log ? "log_softmax" : "softmax",
                                               shape_str(shape), axis, dtype_name(dt));
          const Twin y = output(dt, n), gx = output(dt, n);
          on_both(
              [&](const Side& s) { s->softmax(x.dense(s, shape), axis, log, y.dense(s, shape)); });
          expect_match(y, what + " forward");
          // The backward from the reference's output on both sides, so that the comparison is
          // of the backward kernel alone.
          const Twin yr = twin(y.ref_host());
          on_both([&](const Side& s) {
            s->softmax_backward(yr.dense(s, shape), g.dense(s, shape), axis, log,
                                gx.dense(s, shape));
          });
          expect_match(gx, dt == DType::Float32 ? Tolerance{2e-5, 1e-6} : Tolerance{1e-12, 1e-14},
                       what + " backward");
        }
      }
    }
  }
}

// A row of softmax sums to one; each value is exp of the log_softmax.
TEST_P(ConformanceSoftmax, RowsSumToOne) {
  const Shape shape{5, 9};
  Buffer x = buffer(DType::Float64, 45), y = buffer(DType::Float64, 45),
         ly = buffer(DType::Float64, 45);
  x.upload(Host::of(DType::Float64, random_values(DType::Float64, 45, 3, -50.0, 50.0)));
  backend().softmax(x.dense(shape), 1, false, y.dense(shape));
  backend().softmax(x.dense(shape), 1, true, ly.dense(shape));
  const std::vector<double> p = y.download().values(), lp = ly.download().values();
  for (int64_t r = 0; r < 5; ++r) {
    double total = 0.0;
    for (int64_t j = 0; j < 9; ++j) {
      const auto i = static_cast<size_t>(r * 9 + j);
      total += p[i];
      EXPECT_NEAR(std::exp(lp[i]), p[i], 1e-15) << "row " << r << " column " << j;
    }
    EXPECT_NEAR(total, 1.0, 1e-14) << "row " << r;
  }
}

// Rows with NaN, +inf or only -inf are NaN throughout; the other rows are unaffected; -inf among
// finite values gets probability 0 (log: -inf).
TEST_P(ConformanceSoftmax, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const std::vector<double> in = {nan, 1, 2, inf, 1, 2, -inf, -inf, -inf, -inf, 0, 0};
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (bool log : {false, true}) {
      Buffer x = buffer(dt, 12), y = buffer(dt, 12);
      x.upload(Host::of(dt, in));
      backend().softmax(x.dense({4, 3}), 1, log, y.dense({4, 3}));
      const std::vector<double> got = y.download().values();
      for (size_t i = 0; i < 9; ++i)
        EXPECT_TRUE(std::isnan(got[i])) << dtype_name(dt) << " log " << log << " element " << i;
      EXPECT_EQ(got[9], log ? -inf : 0.0);
      EXPECT_NEAR(got[10], log ? std::log(0.5) : 0.5, 1e-7);
      EXPECT_NEAR(got[11], log ? std::log(0.5) : 0.5, 1e-7);
    }
  }
}

TEST_P(ConformanceSoftmax, EmptyArraysAreNoOps) {
  Buffer x = buffer(DType::Float32, 1), y = buffer(DType::Float32, 1);
  y.upload(Host::of(DType::Float32, {5.0}));
  backend().softmax(x.dense({0, 3}), 1, false, y.dense({0, 3}));
  backend().softmax(x.dense({3, 0}), 1, true, y.dense({3, 0}));
  backend().softmax_backward(x.dense({0, 3}), x.dense({0, 3}), 0, false, y.dense({0, 3}));
  EXPECT_EQ(y.download().values(), (std::vector<double>{5.0}));
}

TEST_P(ConformanceSoftmax, FrontRejectsBadArguments) {
  const Buffer f = buffer(DType::Float32, 12), d = buffer(DType::Float64, 12),
               i = buffer(DType::Int32, 12);
  Backend& be = backend();
  EXPECT_THROW(be.softmax(i.dense({3, 4}), 1, false, i.dense({3, 4})), DTypeError);
  EXPECT_THROW(be.softmax(f.dense({3, 4}), 2, false, f.dense({3, 4})), ShapeError);
  EXPECT_THROW(be.softmax(f.dense({3, 4}), -1, false, f.dense({3, 4})), ShapeError);
  EXPECT_THROW(be.softmax(f.dense({3, 4}), 1, false, f.dense({4, 3})), ShapeError);
  EXPECT_THROW(be.softmax(f.dense({3, 4}), 1, true, d.dense({3, 4})), DTypeError);
  EXPECT_THROW(be.softmax(f.view({3, 4}, {1, 3}), 1, false, f.dense({3, 4})), ShapeError);
  EXPECT_THROW(be.softmax_backward(f.dense({3, 4}), f.dense({3, 4}), 1, false, f.dense({2, 6})),
               ShapeError);
  EXPECT_THROW(be.softmax_backward(f.dense({3, 4}), d.dense({3, 4}), 1, true, f.dense({3, 4})),
               DTypeError);
}

}  // namespace
}  // namespace needle::conformance

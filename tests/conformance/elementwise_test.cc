// Elementwise conformance: every unary and binary op code over every dtype it accepts,
// binary_scalar with the scalar on either side, where, copy between every pair of dtypes, and
// fill, each over every view kind of layouts() as input and (where writable) as output, against
// the ReferenceBackend on the same inputs.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceElementwise : public ConformanceTest {};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceElementwise);

// Transcendentals may differ by an ulp or two between glibc and CUDA's libm.
Tolerance elementwise_tolerance(DType dtype) {
  return dtype == DType::Float32   ? Tolerance{2e-5, 1e-6}
         : dtype == DType::Float64 ? Tolerance{1e-12, 1e-14}
                                   : Tolerance{};
}

// Values for an op's input: the usual range, NaN, infinities and signed zeros among them.
std::vector<double> inputs(DType dtype, int64_t n, uint32_t seed) {
  return with_specials(dtype, random_values(dtype, n, seed));
}

TEST_P(ConformanceElementwise, UnaryEveryOpEveryDtype) {
  for (const Layout& L : layouts()) {
    const int64_t n = numel(L.shape);
    for (DType dt : kDTypes) {
      const Twin in = twin(dt, inputs(dt, L.elems, 7));
      const Twin dense_in = twin(dt, inputs(dt, n, 8));
      for (UnaryOp op : kUnaryOps) {
        if (requires_floating(op) && !is_floating(dt)) continue;
        const DType out_dt = result_dtype(op_result(op), dt);
        const std::string what = fmt::format("{} {} {}", op_name(op), dtype_name(dt), L.name);
        // The layout as input, into a dense output.
        const Twin out = output(out_dt, n);
        on_both([&](const Side& s) {
          s->unary(op, in.view(s, L.shape, L.strides, L.offset), out.dense(s, L.shape));
        });
        expect_match(out, elementwise_tolerance(out_dt), what);
        if (!L.writable) continue;
        // A dense input into the layout as output: the elements outside the view stay.
        const Twin strided_out = output(out_dt, L.elems);
        on_both([&](const Side& s) {
          s->unary(op, dense_in.dense(s, L.shape),
                   strided_out.view(s, L.shape, L.strides, L.offset));
        });
        expect_match(strided_out, elementwise_tolerance(out_dt), what + " (strided output)");
      }
    }
  }
}

TEST_P(ConformanceElementwise, BinaryEveryOpEveryDtype) {
  for (const Layout& L : layouts()) {
    const int64_t n = numel(L.shape);
    for (DType dt : kDTypes) {
      const Twin a = twin(dt, inputs(dt, L.elems, 11));
      const Twin b = twin(dt, inputs(dt, n, 13));
      const Twin c = twin(dt, inputs(dt, L.elems, 17));
      for (BinaryOp op : kBinaryOps) {
        const DType out_dt = result_dtype(op_result(op), dt);
        const Tolerance tol = elementwise_tolerance(out_dt);
        const std::string what = fmt::format("{} {} {}", op_name(op), dtype_name(dt), L.name);
        // The layout on the left, then on the right, of a dense operand.
        const Twin out = output(out_dt, n);
        on_both([&](const Side& s) {
          s->binary(op, a.view(s, L.shape, L.strides, L.offset), b.dense(s, L.shape),
                    out.dense(s, L.shape));
        });
        expect_match(out, tol, what + " (lhs strided)");
        const Twin swapped = output(out_dt, n);
        on_both([&](const Side& s) {
          s->binary(op, b.dense(s, L.shape), a.view(s, L.shape, L.strides, L.offset),
                    swapped.dense(s, L.shape));
        });
        expect_match(swapped, tol, what + " (rhs strided)");
        if (!L.writable) continue;
        // Everything in the layout, the output too.
        const Twin strided_out = output(out_dt, L.elems);
        on_both([&](const Side& s) {
          s->binary(op, a.view(s, L.shape, L.strides, L.offset),
                    c.view(s, L.shape, L.strides, L.offset),
                    strided_out.view(s, L.shape, L.strides, L.offset));
        });
        expect_match(strided_out, tol, what + " (all strided)");
      }
    }
  }
}

TEST_P(ConformanceElementwise, BinaryScalarBothOrders) {
  const double scalars[] = {2.0, -1.5, 0.0, 0.5, 3.0};
  for (const Layout& L : layouts()) {
    const int64_t n = numel(L.shape);
    for (DType dt : kDTypes) {
      const Twin a = twin(dt, inputs(dt, L.elems, 19));
      for (BinaryOp op : kBinaryOps) {
        const DType out_dt = result_dtype(op_result(op), dt);
        for (double scalar : scalars) {
          // A negative scalar cast to uint8 is undefined behaviour in C++: no case to compare.
          if (dt == DType::UInt8 && scalar < 0) continue;
          for (bool scalar_first : {false, true}) {
            const Twin out = output(out_dt, n);
            on_both([&](const Side& s) {
              s->binary_scalar(op, a.view(s, L.shape, L.strides, L.offset), scalar, scalar_first,
                               out.dense(s, L.shape));
            });
            expect_match(out, elementwise_tolerance(out_dt),
                         fmt::format("{} {} scalar {} scalar_first={} {}", op_name(op),
                                     dtype_name(dt), scalar, scalar_first, L.name));
          }
        }
      }
    }
  }
}

TEST_P(ConformanceElementwise, WhereEveryDtype) {
  for (const Layout& L : layouts()) {
    const int64_t n = numel(L.shape);
    const Strides broadcast(L.shape.size(), 0);
    const Twin cond = twin(DType::Bool, random_values(DType::Bool, L.elems, 23));
    const Twin dense_cond = twin(DType::Bool, random_values(DType::Bool, n, 29));
    for (DType dt : kDTypes) {
      const Twin a = twin(dt, inputs(dt, L.elems, 31));
      const Twin b = twin(dt, inputs(dt, n, 37));
      const Twin one = twin(dt, {5.0});
      const std::string what = fmt::format("where {} {}", dtype_name(dt), L.name);
      // The condition in the layout, b broadcast from one element.
      const Twin out = output(dt, n);
      on_both([&](const Side& s) {
        s->where(cond.view(s, L.shape, L.strides, L.offset), b.dense(s, L.shape),
                 one.view(s, L.shape, broadcast), out.dense(s, L.shape));
      });
      expect_match(out, what + " (condition strided)");
      // The values in the layout.
      const Twin out2 = output(dt, n);
      on_both([&](const Side& s) {
        s->where(dense_cond.dense(s, L.shape), b.dense(s, L.shape),
                 a.view(s, L.shape, L.strides, L.offset), out2.dense(s, L.shape));
      });
      expect_match(out2, what + " (rhs strided)");
      if (!L.writable) continue;
      const Twin strided_out = output(dt, L.elems);
      on_both([&](const Side& s) {
        s->where(cond.view(s, L.shape, L.strides, L.offset),
                 a.view(s, L.shape, L.strides, L.offset), b.dense(s, L.shape),
                 strided_out.view(s, L.shape, L.strides, L.offset));
      });
      expect_match(strided_out, what + " (all strided)");
    }
  }
}

TEST_P(ConformanceElementwise, CopyEveryDtypePair) {
  for (const Layout& L : layouts()) {
    const int64_t n = numel(L.shape);
    for (DType from : kDTypes) {
      // Non-negative values, in range of every type: every cast is defined behaviour.
      const Twin src = twin(from, random_values(from, L.elems, 41, 0.0, 6.0));
      const Twin dense_src = twin(from, random_values(from, n, 43, 0.0, 6.0));
      // Negative values too, for every pair but floating -> uint8 (undefined in C++).
      const Twin signed_src = twin(from, random_values(from, L.elems, 47, -6.0, 6.0));
      for (DType to : kDTypes) {
        const std::string what =
            fmt::format("copy {} -> {} {}", dtype_name(from), dtype_name(to), L.name);
        const Twin dst = output(to, n);
        on_both([&](const Side& s) {
          s->copy(src.view(s, L.shape, L.strides, L.offset), dst.dense(s, L.shape));
        });
        expect_match(dst, Tolerance{}, what);
        if (!(is_floating(from) && to == DType::UInt8)) {
          const Twin dst2 = output(to, n);
          on_both([&](const Side& s) {
            s->copy(signed_src.view(s, L.shape, L.strides, L.offset), dst2.dense(s, L.shape));
          });
          expect_match(dst2, Tolerance{}, what + " (negative values)");
        }
        if (!L.writable) continue;
        // Slice assignment: a dense source into the layout; the rest of dst stays.
        const Twin strided_dst = output(to, L.elems);
        on_both([&](const Side& s) {
          s->copy(dense_src.dense(s, L.shape), strided_dst.view(s, L.shape, L.strides, L.offset));
        });
        expect_match(strided_dst, Tolerance{}, what + " (strided destination)");
      }
    }
  }
}

TEST_P(ConformanceElementwise, FillEveryDtype) {
  for (const Layout& L : layouts()) {
    if (!L.writable) continue;
    for (DType dt : kDTypes) {
      for (double value : {0.0, -0.0, 1.0, 2.5, 0.5, -7.0}) {
        if (dt == DType::UInt8 && value < 0) continue;  // undefined cast
        const Twin dst = twin(dt, random_values(dt, L.elems, 53, 0.0, 6.0));
        on_both([&](const Side& s) { s->fill(dst.view(s, L.shape, L.strides, L.offset), value); });
        expect_match(dst, Tolerance{}, fmt::format("fill {} {} {}", value, dtype_name(dt), L.name));
      }
    }
  }
}

// Arrays of a million elements and more, misaligned by one element: the CUDA kernels' multi-block
// grids and vectorised bodies with a scalar tail, the CPU's threaded loops. One op of each kind
// (the paths do not depend on the op).
TEST_P(ConformanceElementwise, LargeMisalignedArrays) {
  const int64_t n = (int64_t{1} << 20) + 3;
  const Shape shape = {n};
  for (DType dt : kDTypes) {
    const Twin a = twin(dt, inputs(dt, n + 1, 97)), b = twin(dt, inputs(dt, n + 1, 98));
    const Twin cond = twin(DType::Bool, random_values(DType::Bool, n + 1, 99));
    const UnaryOp unary_op = is_floating(dt) ? UnaryOp::Exp : UnaryOp::Neg;
    const std::string what = fmt::format("{} large", dtype_name(dt));
    const Twin u = output(dt, n + 1), s = output(dt, n + 1), w = output(dt, n + 1);
    const Twin sum = output(dt, n + 1), lt = output(DType::Bool, n + 1);
    on_both([&](const Side& side) {
      const StridedView va = a.dense(side, shape, 1), vb = b.dense(side, shape, 1);
      side->unary(unary_op, va, u.dense(side, shape, 1));
      side->binary(BinaryOp::Add, va, vb, sum.dense(side, shape, 1));
      side->binary(BinaryOp::Lt, va, vb, lt.dense(side, shape, 1));
      side->binary_scalar(BinaryOp::Mul, va, 3.0, false, s.dense(side, shape, 1));
      side->where(cond.dense(side, shape, 1), va, vb, w.dense(side, shape, 1));
    });
    expect_match(u, elementwise_tolerance(dt), what + " " + op_name(unary_op));
    expect_match(sum, elementwise_tolerance(dt), what + " add");
    expect_match(lt, what + " lt");
    expect_match(s, elementwise_tolerance(dt), what + " mul scalar");
    expect_match(w, what + " where");
    const Twin src = twin(dt, random_values(dt, n + 1, 100, 0.0, 6.0));
    for (DType to : kDTypes) {
      const Twin dst = output(to, n + 1);
      on_both(
          [&](const Side& side) { side->copy(src.dense(side, shape, 1), dst.dense(side, shape)); });
      expect_match(dst, Tolerance{},
                   fmt::format("copy {} -> {} large", dtype_name(dt), dtype_name(to)));
    }
    const Twin filled = output(dt, n + 1);
    on_both([&](const Side& side) { side->fill(filled.dense(side, shape, 1), 2.5); });
    expect_match(filled, Tolerance{}, what + " fill");
  }
}

// An output may alias an input when every output element depends only on the input element at
// its position (the composed optimizer steps rely on it).
TEST_P(ConformanceElementwise, InPlaceOnEveryWritableLayout) {
  for (const Layout& L : layouts()) {
    if (!L.writable) continue;
    for (DType dt : {DType::Float32, DType::Float64, DType::Int32}) {
      const Twin x = twin(dt, random_values(dt, L.elems, 59));
      const Twin y = twin(dt, random_values(dt, L.elems, 61));
      on_both([&](const Side& s) {
        const StridedView vx = x.view(s, L.shape, L.strides, L.offset);
        const StridedView vy = y.view(s, L.shape, L.strides, L.offset);
        s->binary(BinaryOp::Add, vx, vy, vx);
        s->binary(BinaryOp::Mul, vx, vx, vx);
        s->binary_scalar(BinaryOp::Sub, vy, 1.0, true, vy);
        s->unary(UnaryOp::Neg, vy, vy);
        s->binary(BinaryOp::Maximum, vy, vx, vy);
      });
      const std::string what = fmt::format("in place {} {}", dtype_name(dt), L.name);
      expect_match(x, what + " x");
      expect_match(y, what + " y");
    }
  }
}

// A few answers known by hand, so that the reference itself is checked, not only agreement.
TEST_P(ConformanceElementwise, KnownAnswers) {
  Buffer f = buffer(DType::Float32, 4), i = buffer(DType::Int32, 4), b = buffer(DType::Bool, 4);
  Buffer l = buffer(DType::Int64, 2), r = buffer(DType::Int64, 2);
  f.upload(Host::of(DType::Float32, {1.9, -1.9, 0.0, 2.5}));
  backend().copy(f.dense({4}), i.dense({4}));  // truncation toward zero
  EXPECT_EQ(i.download().values(), (std::vector<double>{1, -1, 0, 2}));
  backend().copy(f.dense({4}), b.dense({4}));
  EXPECT_EQ(b.download().values(), (std::vector<double>{1, 1, 0, 1}));
  backend().binary_scalar(BinaryOp::Sub, f.dense({4}), 1.0, true, f.dense({4}));  // 1 - x
  EXPECT_EQ(f.download().values()[3], -1.5);
  l.upload(Host::of(DType::Int64, {-7, 7}));
  r.upload(Host::of(DType::Int64, {2, 0}));
  backend().binary(BinaryOp::Div, l.dense({2}), r.dense({2}), l.dense({2}));
  EXPECT_EQ(l.download().values(), (std::vector<double>{-3, 0}));  // trunc; / 0 gives 0
  i.upload(Host::of(DType::Int32, {-5, 0, 7, -2147483648.0}));
  backend().binary_scalar(BinaryOp::Div, i.dense({4}), -1.0, false, i.dense({4}));
  EXPECT_EQ(i.download().values(), (std::vector<double>{5, 0, -7, -2147483648.0}));  // wraps
  f.upload(Host::of(DType::Float32, {std::nan(""), 1.0, 2.0, -1.0}));
  backend().binary_scalar(BinaryOp::Maximum, f.dense({4}), 1.5, false, f.dense({4}));
  const std::vector<double> m = f.download().values();
  EXPECT_TRUE(std::isnan(m[0]));  // NaN propagates
  EXPECT_EQ(m[1], 1.5);
  EXPECT_EQ(m[2], 2.0);
}

}  // namespace
}  // namespace needle::conformance

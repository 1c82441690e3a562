// Convolution and fused batch-norm conformance, for the backends that support them
// (BackendFeature::Conv2d, FusedBatchNorm): conv2d_forward with and without bias and with and
// without save_for_backward, conv2d_backward_input, conv2d_backward_weight and the
// all-gradients conv2d_backward (given the forward's saved state, and without), over
// geometries with strides, paddings, dilations, groups (depthwise too), rectangular kernels and
// an empty batch; batch_norm_forward / _backward with and without weight, bias and gradients.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceConv2d : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!backend().supports(BackendFeature::Conv2d)) {
      GTEST_SKIP() << "the " << backend().name() << " backend does not support conv2d";
    }
  }
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceConv2d);

class ConformanceBatchNorm : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!backend().supports(BackendFeature::FusedBatchNorm)) {
      GTEST_SKIP() << "the " << backend().name() << " backend does not fuse batch_norm";
    }
  }
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceBatchNorm);

struct Geometry {
  std::string name;
  int64_t n, c, h, w;  // input
  int64_t o, kh, kw;   // weight (o, c / groups, kh, kw)
  Conv2dParams p;
};

std::vector<Geometry> geometries() {
  return {
      {"3x3_pad1", 2, 3, 7, 8, 4, 3, 3, {1, 1, 1, 1, 1, 1, 1}},
      {"3x3_stride2", 2, 3, 9, 8, 5, 3, 3, {2, 2, 0, 0, 1, 1, 1}},
      {"dilation2_pad2", 1, 2, 9, 10, 3, 3, 3, {1, 1, 2, 2, 2, 2, 1}},
      {"groups2", 2, 4, 6, 7, 6, 3, 3, {1, 1, 1, 1, 1, 1, 2}},
      {"depthwise", 2, 4, 6, 6, 8, 3, 3, {1, 1, 1, 1, 1, 1, 4}},
      {"rectangular_mixed", 1, 3, 8, 9, 4, 3, 1, {2, 1, 1, 0, 1, 2, 1}},
      {"1x1", 3, 5, 4, 4, 2, 1, 1, {1, 1, 0, 0, 1, 1, 1}},
      {"7x7_stride2_pad3", 1, 2, 14, 17, 3, 7, 7, {2, 2, 3, 3, 1, 1, 1}},
      {"empty_batch", 0, 3, 5, 5, 2, 3, 3, {1, 1, 1, 1, 1, 1, 1}},
  };
}

// float32 convolutions accumulate in float32 (im2col GEMM, cuDNN); inputs are in [-1, 1).
Tolerance conv_tolerance(DType dtype) {
  return dtype == DType::Float32 ? Tolerance{2e-5, 1e-4} : Tolerance{1e-12, 1e-12};
}

TEST_P(ConformanceConv2d, ForwardAndEveryBackwardEntryPoint) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tolerance tol = conv_tolerance(dt);
    for (const Geometry& g : geometries()) {
      const Shape xs = {g.n, g.c, g.h, g.w}, ws = {g.o, g.c / g.p.groups, g.kh, g.kw};
      const Shape ys = conv2d_output_shape(xs, ws, g.p);
      const Twin x = twin(dt, random_values(dt, numel(xs), 1, -1.0, 1.0));
      const Twin w = twin(dt, random_values(dt, numel(ws), 2, -1.0, 1.0));
      const Twin bias = twin(dt, random_values(dt, g.o, 3, -1.0, 1.0));
      const Twin gy = twin(dt, random_values(dt, numel(ys), 4, -1.0, 1.0));
      const std::string what = fmt::format("{} {}", g.name, dtype_name(dt));
      const StridedView absent{};

      for (bool with_bias : {true, false}) {
        for (bool save : {false, true}) {
          const Twin y = output(dt, numel(ys));
          on_both([&](const Side& s) {
            s->conv2d_forward(x.dense(s, xs), w.dense(s, ws),
                              with_bias ? bias.dense(s, {g.o}) : absent, y.dense(s, ys), g.p, save);
          });
          expect_match(y, tol, fmt::format("{} forward bias={} save={}", what, with_bias, save));
        }
      }

      const Twin gx = output(dt, numel(xs)), gw = output(dt, numel(ws));
      on_both([&](const Side& s) {
        s->conv2d_backward_input(gy.dense(s, ys), w.dense(s, ws), gx.dense(s, xs), g.p);
        s->conv2d_backward_weight(x.dense(s, xs), gy.dense(s, ys), gw.dense(s, ws), g.p);
      });
      expect_match(gx, tol, what + " backward_input");
      expect_match(gw, tol, what + " backward_weight");

      // All gradients at once, given what the forward saved for this input, and without.
      for (bool saved : {true, false}) {
        const Twin y = output(dt, numel(ys));
        const Twin gx2 = output(dt, numel(xs)), gw2 = output(dt, numel(ws)), gb = output(dt, g.o);
        on_both([&](const Side& s) {
          const Conv2dSaved state = s->conv2d_forward(x.dense(s, xs), w.dense(s, ws),
                                                      bias.dense(s, {g.o}), y.dense(s, ys), g.p,
                                                      /*save_for_backward=*/saved);
          s->conv2d_backward(gy.dense(s, ys), x.dense(s, xs), w.dense(s, ws), gx2.dense(s, xs),
                             gw2.dense(s, ws), gb.dense(s, {g.o}), g.p,
                             saved ? state : Conv2dSaved{});
        });
        const std::string how = what + (saved ? " conv2d_backward (saved)" : " conv2d_backward");
        expect_match(y, tol, how + " forward");
        expect_match(gx2, tol, how + " grad_input");
        expect_match(gw2, tol, how + " grad_weight");
        expect_match(gb, tol, how + " grad_bias");
      }

      // One gradient at a time, with only the operand it needs.
      const Twin gx3 = output(dt, numel(xs)), gw3 = output(dt, numel(ws)), gb3 = output(dt, g.o);
      on_both([&](const Side& s) {
        s->conv2d_backward(gy.dense(s, ys), absent, w.dense(s, ws), gx3.dense(s, xs), absent,
                           absent, g.p);
        s->conv2d_backward(gy.dense(s, ys), x.dense(s, xs), absent, absent, gw3.dense(s, ws),
                           absent, g.p);
        s->conv2d_backward(gy.dense(s, ys), x.dense(s, xs), w.dense(s, ws), absent, absent,
                           gb3.dense(s, {g.o}), g.p);
      });
      expect_match(gx3, tol, what + " conv2d_backward grad_input only");
      expect_match(gw3, tol, what + " conv2d_backward grad_weight only");
      expect_match(gb3, tol, what + " conv2d_backward grad_bias only");
    }
  }
}

// Known by hand: a 3x3 image of 1..9 with a 2x2 kernel of ones sums each 2x2 window.
TEST_P(ConformanceConv2d, KnownAnswer) {
  Buffer x = buffer(DType::Float64, 9), w = buffer(DType::Float64, 4),
         y = buffer(DType::Float64, 4);
  Buffer b = buffer(DType::Float64, 1);
  x.upload(Host::of(DType::Float64, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  w.upload(Host::of(DType::Float64, {1, 1, 1, 1}));
  b.upload(Host::of(DType::Float64, {0.5}));
  backend().conv2d_forward(x.dense({1, 1, 3, 3}), w.dense({1, 1, 2, 2}), b.dense({1}),
                           y.dense({1, 1, 2, 2}), Conv2dParams{});
  EXPECT_EQ(y.download().values(), (std::vector<double>{12.5, 16.5, 24.5, 28.5}));
}

TEST_P(ConformanceBatchNorm, ForwardAndBackward) {
  const std::vector<Shape> shapes = {{4, 3}, {2, 3, 4, 5}, {3, 4, 7}, {2, 2, 1, 1}, {5, 1, 3, 2}};
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tolerance tol = dt == DType::Float32 ? Tolerance{2e-5, 1e-5} : Tolerance{1e-12, 1e-12};
    for (const Shape& xs : shapes) {
      const int64_t c = xs[1], n = numel(xs), per_channel = n / c;
      const double eps = 1e-5;
      const Twin x = twin(dt, random_values(dt, n, 5));
      const Twin weight = twin(dt, random_values(dt, c, 6, 0.5, 2.0));
      const Twin bias = twin(dt, random_values(dt, c, 7));
      const Twin gy = twin(dt, random_values(dt, n, 8));
      const std::string what = fmt::format("batch_norm {} {}", shape_str(xs), dtype_name(dt));
      const StridedView absent{};

      for (bool affine : {true, false}) {
        const Twin y = output(dt, n), mean = output(dt, c), var = output(dt, c);
        on_both([&](const Side& s) {
          s->batch_norm_forward(x.dense(s, xs), affine ? weight.dense(s, {c}) : absent,
                                affine ? bias.dense(s, {c}) : absent, eps, y.dense(s, xs),
                                mean.dense(s, {c}), var.dense(s, {c}));
        });
        const std::string how = what + (affine ? " affine" : "");
        expect_match(y, tol, how + " y");
        expect_match(mean, tol, how + " mean");
        expect_match(var, tol, how + " var");
      }

      // The backward pass's statistics, computed here once for both sides.
      const std::vector<double> xv = Host::of(dt, random_values(dt, n, 5)).values();
      const int64_t plane = per_channel / xs[0];  // values per channel per image
      auto channel_of = [&](int64_t i) { return static_cast<size_t>(i / plane % c); };
      std::vector<double> mean_v(static_cast<size_t>(c), 0.0), invstd_v(static_cast<size_t>(c));
      for (int64_t i = 0; i < n; ++i)
        mean_v[channel_of(i)] += xv[static_cast<size_t>(i)];
      for (double& m : mean_v)
        m /= static_cast<double>(per_channel);
      std::vector<double> var_v(static_cast<size_t>(c), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        const size_t ch = channel_of(i);
        const double d = xv[static_cast<size_t>(i)] - mean_v[ch];
        var_v[ch] += d * d;
      }
      for (size_t k = 0; k < var_v.size(); ++k)
        invstd_v[k] = 1.0 / std::sqrt(var_v[k] / static_cast<double>(per_channel) + eps);
      const Twin mean = twin(dt, mean_v), invstd = twin(dt, invstd_v);

      for (int variant = 0; variant < 3; ++variant) {
        // 0: every gradient, with a weight; 1: no weight; 2: no input gradient (the one gradient
        // backend.h lets a caller leave out).
        const Twin gx = output(dt, n), gw = output(dt, c), gb = output(dt, c);
        on_both([&](const Side& s) {
          s->batch_norm_backward(gy.dense(s, xs), x.dense(s, xs), mean.dense(s, {c}),
                                 invstd.dense(s, {c}), variant == 1 ? absent : weight.dense(s, {c}),
                                 variant == 2 ? absent : gx.dense(s, xs), gw.dense(s, {c}),
                                 gb.dense(s, {c}));
        });
        const std::string how = fmt::format("{} backward variant {}", what, variant);
        expect_match(gx, tol, how + " grad_input");
        expect_match(gw, tol, how + " grad_weight");
        expect_match(gb, tol, how + " grad_bias");
      }
    }
  }
}

// A channel whose values are all equal (here: one image of 1x1 maps, one value per channel)
// normalizes to exactly 0, so y is exactly the bias, in float32 too, however large the values:
// the kernel must center x on the mean rather than fold the mean into a shift (the CPU's fused
// kernel gave -6.1e-5 for a bias of 0 before it did).
TEST_P(ConformanceBatchNorm, EqualValuesGiveExactlyTheBias) {
  // Dyadic values, so that any backend's sum of a channel is exact and its mean is the value;
  // the old fold a * x + (b - a * mean) still rounds, because a = weight / sqrt(eps) is not.
  const std::vector<double> values = {1000.125, -3.25, 7.75, 123456.5};
  const std::vector<double> biases = {0.25, -1.5, 0.0, 3.0};
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Shape& xs : {Shape{1, 4}, Shape{3, 4, 1, 1}}) {
      const int64_t n = numel(xs), c = 4;
      std::vector<double> xv(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        xv[static_cast<size_t>(i)] = values[static_cast<size_t>(i % c)];
      Buffer x = buffer(dt, n), w = buffer(dt, c), b = buffer(dt, c), y = buffer(dt, n),
             mean = buffer(dt, c), var = buffer(dt, c);
      x.upload(Host::of(dt, xv));
      w.upload(Host::of(dt, {2.0, 0.5, 1.0, 4.0}));
      b.upload(Host::of(dt, biases));
      backend().batch_norm_forward(x.dense(xs), w.dense({c}), b.dense({c}), 1e-5, y.dense(xs),
                                   mean.dense({c}), var.dense({c}));
      const std::vector<double> got = y.download().values();
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_EQ(got[static_cast<size_t>(i)], biases[static_cast<size_t>(i % c)])
            << "batch_norm " << shape_str(xs) << " " << dtype_name(dt) << " element " << i;
      }
      EXPECT_EQ(var.download().values(), (std::vector<double>{0, 0, 0, 0}));
    }
  }
}

}  // namespace
}  // namespace needle::conformance

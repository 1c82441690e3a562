// conv2d against a naive direct convolution, its three gradients against central differences,
// second order through the gradient ops, and the errors users can cause.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/autograd/gradcheck.h"
#include "tests/composed_cpu_backend.h"
#include "tests/conv/conv_test_util.h"
#include "tests/core/expect_error.h"

namespace needle {
namespace {

using conv_test::ConvCase;
using conv_test::naive_conv2d;

class Conv2dGrid : public ::testing::TestWithParam<ConvCase> {};

std::string case_name(const ::testing::TestParamInfo<ConvCase>& info) {
  return info.param.name;
}

// The op's inputs for a case: input, weight and (when the case has one) bias, float64.
std::vector<Tensor> make_inputs(const ConvCase& c) {
  manual_seed(42);
  std::vector<Tensor> in{Tensor(NDArray::rand(c.input, -1, 1, DType::Float64)),
                         Tensor(NDArray::rand(c.weight, -1, 1, DType::Float64))};
  if (c.bias) in.emplace_back(NDArray::rand({c.weight[0]}, -1, 1, DType::Float64));
  return in;
}

Tensor run_conv(const ConvCase& c, const std::vector<Tensor>& in) {
  return conv2d(in[0], in[1], in.size() == 3 ? in[2] : Tensor(), c.params);
}

void expect_matches_naive(const ConvCase& c, DType dtype, double tol) {
  std::vector<Tensor> in = make_inputs(c);
  std::vector<double> b;
  if (c.bias) b = in[2].to_vector<double>();
  Shape expected_shape;
  const std::vector<double> expected =
      naive_conv2d(in[0].to_vector<double>(), c.input, in[1].to_vector<double>(), c.weight,
                   c.bias ? &b : nullptr, c.params, expected_shape);
  std::vector<Tensor> cast;
  for (const Tensor& t : in)
    cast.emplace_back(t.data().astype(dtype));
  Tensor y = run_conv(c, cast);
  ASSERT_EQ(y.shape(), expected_shape) << c.name;
  EXPECT_EQ(y.dtype(), dtype);
  const std::vector<double> got = y.to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], tol * (1 + std::abs(expected[i]))) << c.name << " at " << i;
}

TEST_P(Conv2dGrid, ForwardMatchesNaiveFloat64) {
  expect_matches_naive(GetParam(), DType::Float64, 1e-12);
}

TEST_P(Conv2dGrid, ForwardMatchesNaiveFloat32) {
  expect_matches_naive(GetParam(), DType::Float32, 1e-5);
}

TEST_P(Conv2dGrid, GradientsMatchCentralDifferences) {
  const ConvCase c = GetParam();
  testing::check_gradient([&c](const std::vector<Tensor>& in) { return run_conv(c, in); },
                          make_inputs(c), c.name);
}

// A non-compact (transposed) input and weight give the same result as compact ones.
TEST_P(Conv2dGrid, NonCompactInputs) {
  const ConvCase c = GetParam();
  std::vector<Tensor> in = make_inputs(c);
  const Tensor expected = run_conv(c, in);
  std::vector<Tensor> views = in;
  views[0] = transpose(Tensor(transpose(in[0]).data().compact()));
  views[1] = transpose(Tensor(transpose(in[1]).data().compact()));
  EXPECT_EQ(run_conv(c, views).to_vector<double>(), expected.to_vector<double>());
}

INSTANTIATE_TEST_SUITE_P(Conv, Conv2dGrid, ::testing::ValuesIn(conv_test::grid()), case_name);

TEST(Conv2d, SecondOrderThroughGradientOps) {
  for (const ConvCase& c : {conv_test::grid()[3], conv_test::grid()[6]}) {
    testing::check_second_order([&c](const std::vector<Tensor>& in) { return run_conv(c, in); },
                                make_inputs(c), c.name);
  }
}

// A batch big enough to spread over threads, float32, against the float64 reference.
TEST(Conv2d, LargerBatchMatchesNaive) {
  ConvCase c{"large", {8, 16, 20, 18}, {24, 16, 3, 3}, conv_test::params(1, 1, 1, 1, 1, 1, 1)};
  expect_matches_naive(c, DType::Float32, 1e-5);
  ConvCase one{"large1x1", {8, 32, 9, 9}, {16, 32, 1, 1}, conv_test::params(1, 1, 0, 0, 1, 1, 1)};
  expect_matches_naive(one, DType::Float32, 1e-5);
}

// The weight gradient sums over the batch across threads: check it against the naive adjoint
// (one image at a time) on a batch that is not a multiple of the thread count.
TEST(Conv2d, WeightGradientSumsOverImages) {
  manual_seed(3);
  const Conv2dParams p = conv_test::params(2, 1, 1, 1, 1, 1, 1);
  Tensor x(NDArray::rand({7, 3, 9, 8}, -1, 1, DType::Float64));
  Tensor w(NDArray::rand({5, 3, 3, 3}, -1, 1, DType::Float64), true);
  Tensor y = conv2d(x, w, Tensor(), p);
  Tensor g(NDArray::rand(y.shape(), -1, 1, DType::Float64));
  std::vector<double> total(static_cast<size_t>(w.numel()), 0.0);
  for (int64_t n = 0; n < 7; ++n) {
    Tensor xn = x.slice({Slice(n, n + 1)});
    Tensor gn = g.slice({Slice(n, n + 1)});
    std::vector<double> part = conv2d_backward_weight(xn, gn, w.shape(), p).to_vector<double>();
    for (size_t i = 0; i < part.size(); ++i)
      total[i] += part[i];
  }
  const std::vector<double> got = conv2d_backward_weight(x, g, w.shape(), p).to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], total[i], 1e-12 * (1 + std::abs(total[i])));
}

// ResNet9's small-map layers in float32 with a batch that spreads over threads and chunks: the
// pixel-class path (4x4 maps, 3x3 kernels: classes of 1, 2 and 4 pixels; 8x8 maps with a 7x7
// stride-4 kernel) against the float64 reference.
TEST(Conv2d, ResNet9SmallMapsMatchNaive) {
  ConvCase res{"res4x4", {19, 8, 4, 4}, {8, 8, 3, 3}, conv_test::params(1, 1, 1, 1, 1, 1, 1)};
  expect_matches_naive(res, DType::Float32, 1e-5);
  ConvCase down{"down", {19, 8, 8, 8}, {6, 8, 3, 3}, conv_test::params(2, 2, 1, 1, 1, 1, 1)};
  expect_matches_naive(down, DType::Float32, 1e-5);
  ConvCase stem{"stem", {9, 3, 32, 32}, {4, 3, 7, 7}, conv_test::params(4, 4, 3, 3, 1, 1, 1)};
  expect_matches_naive(stem, DType::Float32, 1e-5);
}

// A plain backward pass takes every gradient from the backend's fused pass, the weight's from
// the columns the forward kept (conv.cc, Backend::conv2d_backward and its Conv2dSaved); they
// must equal what the separate gradient ops compute (unfolding the input again), and the bias
// gradient grad_out summed over N, H and W.
TEST(Conv2d, FusedBackwardMatchesTheSeparateGradients) {
  for (const ConvCase& c :
       {ConvCase{"res4x4", {13, 6, 4, 4}, {5, 6, 3, 3}, conv_test::params(1, 1, 1, 1, 1, 1, 1)},
        ConvCase{"large_map", {5, 4, 12, 12}, {6, 2, 3, 3}, conv_test::params(1, 1, 1, 1, 1, 1, 2)},
        ConvCase{"stem", {6, 3, 32, 32}, {4, 3, 7, 7}, conv_test::params(4, 4, 3, 3, 1, 1, 1)},
        ConvCase{"one_by_one", {5, 4, 3, 3}, {6, 4, 1, 1}, conv_test::params(1, 1, 0, 0, 1, 1, 1)},
        ConvCase{"padding_only_pixels",
                 {3, 2, 1, 1},
                 {4, 2, 1, 1},
                 conv_test::params(1, 1, 1, 1, 1, 1, 1)},
        // Columns over the CPU backend's keeping budget (8 MB): unfolded again in the backward.
        ConvCase{"over_budget",
                 {40, 16, 24, 24},
                 {8, 16, 3, 3},
                 conv_test::params(1, 1, 1, 1, 1, 1, 1)}}) {
    for (DType dtype : {DType::Float32, DType::Float64}) {
      manual_seed(11);
      Tensor x(NDArray::rand(c.input, -1, 1, dtype), true);
      Tensor w(NDArray::rand(c.weight, -1, 1, dtype), true);
      Tensor b(NDArray::rand({c.weight[0]}, -1, 1, dtype), true);
      Tensor y = conv2d(x, w, b, c.params);
      Tensor g(NDArray::rand(y.shape(), -1, 1, dtype));
      y.backward(g);
      EXPECT_EQ(w.grad().to_vector<double>(),
                conv2d_backward_weight(x.detach(), g, w.shape(), c.params).to_vector<double>())
          << c.name;
      EXPECT_EQ(x.grad().to_vector<double>(),
                conv2d_backward_input(g, w.detach(), x.shape(), c.params).to_vector<double>())
          << c.name;
      const std::vector<double> db = sum(g, {0, 2, 3}).to_vector<double>();
      const std::vector<double> got = b.grad().to_vector<double>();
      ASSERT_EQ(got.size(), db.size());
      for (size_t i = 0; i < db.size(); ++i)
        EXPECT_NEAR(got[i], db[i], (dtype == DType::Float32 ? 1e-4 : 1e-12) * (1 + std::abs(db[i])))
            << c.name;
    }
  }
}

// Only the input gradient, or only the weight gradient: the fused pass computes just those.
TEST(Conv2d, FusedBackwardComputesWhatIsAsked) {
  manual_seed(12);
  const Conv2dParams p = conv_test::params(1, 1, 1, 1, 1, 1, 1);
  Tensor x(NDArray::rand({4, 3, 4, 4}, -1, 1, DType::Float64), true);
  Tensor w(NDArray::rand({5, 3, 3, 3}, -1, 1, DType::Float64));
  Tensor y = conv2d(x, w, Tensor(), p);
  Tensor g(NDArray::rand(y.shape(), -1, 1, DType::Float64));
  y.backward(g);
  EXPECT_FALSE(w.grad().defined());
  EXPECT_EQ(x.grad().to_vector<double>(),
            conv2d_backward_input(g, w, x.shape(), p).to_vector<double>());
  Tensor x2 = x.detach();
  Tensor w2 = w.detach().set_requires_grad(true);
  conv2d(x2, w2, Tensor(), p).backward(g);
  EXPECT_EQ(w2.grad().to_vector<double>(),
            conv2d_backward_weight(x2, g, w2.shape(), p).to_vector<double>());
  // Only the bias trained (input and weight frozen).
  Tensor b(NDArray::rand({5}, -1, 1, DType::Float64), true);
  conv2d(x2, w.detach(), b, p).backward(g);
  EXPECT_FALSE(w.grad().defined());
  const std::vector<double> db = sum(g, {0, 2, 3}).to_vector<double>();
  const std::vector<double> got = b.grad().to_vector<double>();
  ASSERT_EQ(got.size(), db.size());
  for (size_t i = 0; i < db.size(); ++i)
    EXPECT_NEAR(got[i], db[i], 1e-12 * (1 + std::abs(db[i])));
}

// A backend that does not fuse the gradients gets Backend::do_conv2d_backward's default: the
// separate kernels and a sum reduction for the bias. Composed from the CPU's own kernels
// (tests/composed_cpu_backend.h), it must give what the CPU's fused pass gives.
TEST(Conv2d, DefaultAllGradientsComposeTheSeparateKernels) {
  manual_seed(13);
  Backend& cpu = backend_for(needle::cpu());
  test::ComposedCpuBackend composed_backend;
  const Conv2dParams p = conv_test::params(2, 1, 1, 0, 1, 1, 2);
  NDArray x = NDArray::rand({5, 4, 7, 6}, -1, 1, DType::Float64);
  NDArray w = NDArray::rand({6, 2, 3, 3}, -1, 1, DType::Float64);
  const Shape ys = conv2d_output_shape(x.shape(), w.shape(), p);
  NDArray g = NDArray::rand(ys, -1, 1, DType::Float64);
  std::vector<NDArray> fused, composed;
  for (std::vector<NDArray>* out : {&fused, &composed}) {
    *out = {NDArray::empty(x.shape(), DType::Float64), NDArray::empty(w.shape(), DType::Float64),
            NDArray::empty({6}, DType::Float64)};
    const auto& o = *out;
    if (out == &fused) {
      cpu.conv2d_backward(g.view(), x.view(), w.view(), o[0].view(), o[1].view(), o[2].view(), p);
    } else {
      composed_backend.conv2d_backward(g.view(), x.view(), w.view(), o[0].view(), o[1].view(),
                                       o[2].view(), p);
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    const std::vector<double> a = fused[i].to_vector<double>(), e = composed[i].to_vector<double>();
    ASSERT_EQ(a.size(), e.size());
    for (size_t j = 0; j < a.size(); ++j)
      EXPECT_NEAR(a[j], e[j], 1e-12 * (1 + std::abs(e[j]))) << "gradient " << i << " at " << j;
  }
  NDArray short_bias = NDArray::empty({5}, DType::Float64);
  testing::expect_error<ShapeError>(
      [&] {
        composed_backend.conv2d_backward(g.view(), x.view(), w.view(), StridedView{}, StridedView{},
                                         short_bias.view(), p);
      },
      "conv2d_backward: grad_bias must be a compact (6) array");
}

// The Backend entry points check what they are handed, and the CPU keeps columns only where
// they pay (Conv2dSaved is empty otherwise) and only for the convolution that made them.
TEST(Conv2d, FusedBackwardAndSavedColumnsAreChecked) {
  Backend& cpu = backend_for(needle::cpu());
  const Shape xs{2, 3, 4, 4}, ws{4, 3, 3, 3}, ys{2, 4, 4, 4};
  const Conv2dParams p = conv_test::params(1, 1, 1, 1, 1, 1, 1);
  NDArray x = NDArray::zeros(xs), w = NDArray::zeros(ws), y = NDArray::empty(ys);
  NDArray dx = NDArray::empty(xs), dw = NDArray::empty(ws);
  const Conv2dSaved saved = cpu.conv2d_forward(x.view(), w.view(), StridedView{}, y.view(), p,
                                               /*save_for_backward=*/true);
  EXPECT_TRUE(saved);
  EXPECT_FALSE(cpu.conv2d_forward(x.view(), w.view(), StridedView{}, y.view(), p));
  // A 1x1 stride-1 convolution reads the image as it is: nothing worth keeping.
  NDArray w1 = NDArray::zeros({4, 3, 1, 1}), y1 = NDArray::empty({2, 4, 4, 4});
  EXPECT_FALSE(
      cpu.conv2d_forward(x.view(), w1.view(), StridedView{}, y1.view(), Conv2dParams{}, true));
  // The columns of one convolution are no use to another.
  NDArray x2 = NDArray::zeros({3, 3, 4, 4}), y2 = NDArray::empty({3, 4, 4, 4});
  testing::expect_error<Error>(
      [&] {
        cpu.conv2d_backward(y2.view(), x2.view(), StridedView{}, StridedView{}, dw.view(),
                            StridedView{}, p, saved);
      },
      "conv2d_backward: the saved state is from another convolution");
  testing::expect_error<ShapeError>(
      [&] {
        cpu.conv2d_backward(y.view(), x.view(), StridedView{}, dx.view(), StridedView{},
                            StridedView{}, p);
      },
      "conv2d_backward: the input gradient needs the weight");
  NDArray db = NDArray::empty({3});
  testing::expect_error<ShapeError>(
      [&] {
        cpu.conv2d_backward(y.view(), x.view(), w.view(), StridedView{}, StridedView{}, db.view(),
                            p);
      },
      "conv2d_backward: grad_bias must be a compact (4) array");
  // Shapes that do not make a convolution are refused before any kernel runs.
  NDArray wrong_out = NDArray::empty({2, 4, 3, 3});
  testing::expect_error<ShapeError>(
      [&] {
        cpu.conv2d_backward(wrong_out.view(), x.view(), w.view(), dx.view(), dw.view(),
                            StridedView{}, p);
      },
      "conv2d_backward: output has shape (2, 4, 3, 3), expected (2, 4, 4, 4)");
  testing::expect_error<ShapeError>(
      [&] {
        cpu.conv2d_forward(x.view(), NDArray::zeros({4, 2, 3, 3}).view(), StridedView{}, y.view(),
                           p);
      },
      "conv2d: input (2, 3, 4, 4) has 3 channels but weight (4, 2, 3, 3)");
  testing::expect_error<ShapeError>(
      [&] {
        cpu.conv2d_forward(x.view(), w.view(), StridedView{}, y.view(),
                           conv_test::params(0, 1, 1, 1, 1, 1, 1));
      },
      "conv2d: stride and dilation must be positive");
}

TEST(Conv2d, SquareOverloadEqualsParams) {
  manual_seed(5);
  Tensor x(NDArray::rand({2, 4, 7, 7}, -1, 1, DType::Float64));
  Tensor w(NDArray::rand({4, 2, 3, 3}, -1, 1, DType::Float64));
  Tensor b(NDArray::rand({4}, -1, 1, DType::Float64));
  EXPECT_EQ(conv2d(x, w, b, 2, 1, 2, 2).to_vector<double>(),
            conv2d(x, w, b, conv_test::params(2, 2, 1, 1, 2, 2, 2)).to_vector<double>());
}

TEST(Conv2d, NoGraphWithoutGrad) {
  Tensor x(NDArray::ones({1, 1, 3, 3}));
  Tensor w(NDArray::ones({1, 1, 2, 2}));
  Tensor y = conv2d(x, w);
  EXPECT_TRUE(y.is_leaf());
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(4, 4.0f));
}

TEST(Conv2d, ScratchThatCannotBeAllocatedIsAnErrorNotATerminate) {
  // A 1000x1000 kernel over 1x1 images padded by 999: a 4 MB weight and a 1000x1000 output,
  // yet one image's column matrix is 10^6 taps x 10^6 pixels, 4 TB of float32. The CPU kernel
  // asks for it inside its OpenMP region (batch 2 spreads over the threads), where a
  // std::bad_alloc used to call std::terminate.
#if defined(NEEDLE_SANITIZED)  // clang defines no __SANITIZE_*__ macros
  GTEST_SKIP() << "a sanitizer's allocator aborts on a 4 TB request instead of failing it";
#endif
  int overcommit = 0;
  std::ifstream("/proc/sys/vm/overcommit_memory") >> overcommit;
  if (overcommit == 1) {
    GTEST_SKIP() << "vm.overcommit_memory=1 grants a 4 TB request, so it would fault pages in "
                    "instead of failing";
  }
  Tensor x(NDArray::ones({2, 1, 1, 1}));
  Tensor w(NDArray::ones({1, 1, 1000, 1000}));
  testing::expect_error<Error>([&] { conv2d(x, w, Tensor(), 1, 999); },
                               "conv2d: out of memory allocating 4000000000000 bytes");
}

TEST(Conv2d, Errors) {
  using testing::expect_error;
  Tensor x(NDArray::zeros({2, 3, 5, 5}));
  Tensor w(NDArray::zeros({4, 3, 3, 3}));
  expect_error<ShapeError>(
      [&] {
        conv2d(x, Tensor(NDArray::zeros({4, 2, 3, 3})));
      },
      "conv2d: input (2, 3, 5, 5) has 3 channels but weight (4, 2, 3, 3)");
  expect_error<ShapeError>(
      [&] {
        conv2d(Tensor(NDArray::zeros({2, 4, 5, 5})), Tensor(NDArray::zeros({3, 2, 3, 3})), Tensor(),
               1, 0, 1, 2);
      },
      "conv2d: groups=2 must divide both the input channels and the output channels");
  expect_error<ShapeError>([&] { conv2d(x, w, Tensor(), 1, 0, 1, 2); },
                           "conv2d: groups=2 must divide");
  expect_error<ShapeError>(
      [&] {
        conv2d(x, Tensor(NDArray::zeros({4, 3, 6, 3})));
      },
      "conv2d: kernel of size 6 (dilation 1, spanning 6) is larger than the "
      "padded input of size 5 + 2*0");
  expect_error<ShapeError>([&] { conv2d(x, w, Tensor(), 1, 0, 3); }, "conv2d: kernel of size 3");
  expect_error<ShapeError>(
      [&] {
        conv2d(Tensor(NDArray::zeros({3, 5, 5})), w);
      },
      "conv2d: expected a 4-D input (N, C, H, W) and a 4-D weight");
  expect_error<ShapeError>([&] { conv2d(x, Tensor(NDArray::zeros({4, 27}))); }, "weight (4, 27)");
  expect_error<ShapeError>([&] { conv2d(x, w, Tensor(NDArray::zeros({3}))); },
                           "conv2d: bias has shape (3,), expected (4,)");
  expect_error<ShapeError>([&] { conv2d(x, w, Tensor(), 0); }, "conv2d: stride and dilation");
  expect_error<DTypeError>(
      [&] {
        conv2d(x, Tensor(NDArray::zeros({4, 3, 3, 3}, DType::Float64)));
      },
      "conv2d");
  expect_error<DTypeError>(
      [&] {
        conv2d(Tensor(NDArray::zeros({1, 1, 3, 3}, DType::Int32)),
               Tensor(NDArray::zeros({1, 1, 2, 2}, DType::Int32)));
      },
      "conv2d");
}

}  // namespace
}  // namespace needle

// conv2d on CUDA (cuDNN) against the CPU backend on the same inputs: the output and all three
// gradients (input, weight, bias) through autograd with a fixed non-uniform seed gradient,
// float32 across a grid of kernels (1x1, 3x3, 7x7, rectangular), strides, paddings, dilations,
// groups (depthwise included), bias or none, batch 1 and 3 and non-square images; float64 on a
// few cases; the TF32 switch; the algorithm cache; and the errors without a GPU or without
// cuDNN. GPU tests skip with the reason when no GPU is present or the build has no cuDNN.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "needle/needle.h"
#include "tests/cuda/require_cudnn.h"
#include "tests/device_test_util.h"
#include "tests/model_test_util.h"

// Test-only accessors of backends/cuda/conv2d.cc (declared in backends/cuda/cuda_backend.h,
// which needs the CUDA headers this test does not have). Weak, so that a build without the CUDA
// backend still links: there they are null and the cache test skips.
namespace needle::cuda_backend {
[[gnu::weak]] size_t conv_algorithm_cache_size();
[[gnu::weak]] size_t conv_algorithm_cache_hits();
}  // namespace needle::cuda_backend

namespace needle {
namespace {

using device_test::host;
using device_test::make;
using device_test::values;
// Relative tolerance, plus an absolute one scaled by the largest reference value.
using model_test::expect_close_scaled;
using needle_test::cudnn_missing;

struct Case {
  std::string name;
  int64_t n, c, h, w;  // input
  int64_t o, kh, kw;   // weight (o, c / groups, kh, kw)
  Conv2dParams p;
  bool bias;
};

std::string describe(const Case& c) {
  return fmt::format(
      "{}: input ({}, {}, {}, {}), weight ({}, {}, {}, {}), stride ({}, {}), padding ({}, {}), "
      "dilation ({}, {}), groups {}, {}",
      c.name, c.n, c.c, c.h, c.w, c.o, c.c / c.p.groups, c.kh, c.kw, c.p.stride_h, c.p.stride_w,
      c.p.pad_h, c.p.pad_w, c.p.dilation_h, c.p.dilation_w, c.p.groups,
      c.bias ? "bias" : "no bias");
}

// Every kernel size with every grouping, stride and dilation. The padding cycles through 0, 1, 2
// shifted by one per kernel size, so every (grouping, stride, dilation) meets every padding;
// bias and batch size cycle with periods 5 and 7 so that they meet many of the others.
std::vector<Case> grid() {
  std::vector<Case> cases;
  const int64_t channels = 4;
  int i = 0;
  for (int64_t k : {1, 3, 7}) {
    for (const char* grouping : {"dense", "groups2", "depthwise"}) {
      for (int64_t stride : {1, 2}) {
        for (int64_t dilation : {1, 2}) {
          const std::string g = grouping;
          const int64_t groups = g == "dense" ? 1 : g == "groups2" ? 2 : channels;
          const int64_t out = g == "depthwise" ? 2 * channels : 6;  // depthwise: multiplier 2
          const int64_t pad = (i + i / 12) % 3;                     // i / 12: which kernel size
          const bool bias = i % 5 % 2 == 0;
          const int64_t batch = i % 7 % 2 == 0 ? 3 : 1;
          // 14 x 17 fits the widest kernel (7x7 dilated by 2 spans 13) without padding.
          cases.push_back({fmt::format("k{}_{}_s{}_d{}_p{}", k, g, stride, dilation, pad), batch,
                           channels, 14, 17, out, k, k,
                           Conv2dParams{stride, stride, pad, pad, dilation, dilation, groups},
                           bias});
          ++i;
        }
      }
    }
  }
  // Different parameters along the two axes and a rectangular kernel.
  cases.push_back({"asymmetric", 3, 4, 9, 16, 6, 3, 5, Conv2dParams{1, 2, 2, 0, 2, 1, 1}, true});
  cases.push_back(
      {"asymmetric_groups", 1, 6, 16, 7, 9, 5, 2, Conv2dParams{2, 1, 0, 1, 1, 3, 3}, false});
  // Depthwise with one filter per channel, as in MobileNet.
  cases.push_back({"depthwise_x1", 3, 8, 12, 10, 8, 3, 3, Conv2dParams{2, 2, 1, 1, 1, 1, 8}, true});
  // A 1x1 convolution over many channels (a GEMM in disguise).
  cases.push_back({"pointwise_wide", 3, 32, 6, 5, 48, 1, 1, Conv2dParams{}, true});
  // A kernel as large as the padded input: a single output pixel.
  cases.push_back({"single_pixel", 3, 3, 5, 4, 2, 7, 6, Conv2dParams{1, 1, 1, 1, 1, 1, 1}, true});
  return cases;
}

struct Result {
  std::vector<double> y, gx, gw, gb;
};

// conv2d(x, w, b) on `device`, then backward from a fixed non-uniform seed gradient. The inputs
// depend only on the case's shapes, so the CPU and the GPU see the same values.
Result run(const Case& c, const Device& device, DType dtype) {
  const Shape xs{c.n, c.c, c.h, c.w};
  const Shape ws{c.o, c.c / c.p.groups, c.kh, c.kw};
  const Tensor x = make(values(numel(xs), 11, -1.0, 1.0), xs, device, dtype, true);
  const Tensor w = make(values(numel(ws), 12, -1.0, 1.0), ws, device, dtype, true);
  const Tensor b = c.bias ? make(values(c.o, 13, -1.0, 1.0), {c.o}, device, dtype, true) : Tensor();
  const Tensor y = conv2d(x, w, b, c.p);
  EXPECT_EQ(y.device(), device);
  const Tensor seed = make(values(numel(y.shape()), 14, -1.0, 1.0), y.shape(), device, dtype);
  y.backward(seed);
  Result r{host(y), host(x.grad()), host(w.grad()), {}};
  if (c.bias) r.gb = host(b.grad());
  return r;
}

void compare(const Case& c, DType dtype, double rtol) {
  const std::string what = fmt::format("{} ({})", describe(c), dtype_name(dtype));
  const Result cpu = run(c, needle::cpu(), dtype);
  const Result gpu = run(c, needle::cuda(0), dtype);
  expect_close_scaled(gpu.y, cpu.y, rtol, what + ", output");
  expect_close_scaled(gpu.gx, cpu.gx, rtol, what + ", input gradient");
  expect_close_scaled(gpu.gw, cpu.gw, rtol, what + ", weight gradient");
  expect_close_scaled(gpu.gb, cpu.gb, rtol, what + ", bias gradient");
}

TEST(CudaConv2d, Float32GridMatchesCpu) {
  NEEDLE_REQUIRE_CUDA_CONV();
  ASSERT_FALSE(cuda_allow_tf32());  // full float32 precision by default
  for (const Case& c : grid())
    compare(c, DType::Float32, 1e-4);
}

TEST(CudaConv2d, Float64MatchesCpu) {
  NEEDLE_REQUIRE_CUDA_CONV();
  const std::vector<Case> cases = grid();
  for (size_t i = 0; i < cases.size(); i += 5)
    compare(cases[i], DType::Float64, 1e-10);
}

// Turns TF32 on for a scope, and off again however the scope ends.
struct AllowTf32 {
  AllowTf32() { cuda_set_allow_tf32(true); }
  ~AllowTf32() { cuda_set_allow_tf32(false); }
  AllowTf32(const AllowTf32&) = delete;
  AllowTf32& operator=(const AllowTf32&) = delete;
};

TEST(CudaConv2d, Tf32StaysCloseToFloat32) {
  NEEDLE_REQUIRE_CUDA_CONV();
  const AllowTf32 tf32;
  // TF32 keeps a 10-bit mantissa: ~1e-3 relative on sums of a few hundred unit-scale products.
  const Case c{"tf32", 3, 16, 20, 18, 24, 3, 3, Conv2dParams{1, 1, 1, 1, 1, 1, 1}, true};
  compare(c, DType::Float32, 1e-2);
}

TEST(CudaConv2d, AlgorithmChoiceIsCached) {
  NEEDLE_REQUIRE_CUDA_CONV();
  if (cuda_backend::conv_algorithm_cache_size == nullptr ||
      cuda_backend::conv_algorithm_cache_hits == nullptr) {
    NEEDLE_SKIP_WITHOUT_CUDA("this libneedle does not export the CUDA convolution cache counters");
  }
  // A shape no other test uses, so that its first run is a miss for each pass.
  const Case c{"cache", 2, 3, 19, 23, 5, 5, 5, Conv2dParams{1, 1, 2, 2, 1, 1, 1}, true};
  const size_t size0 = cuda_backend::conv_algorithm_cache_size();
  const size_t hits0 = cuda_backend::conv_algorithm_cache_hits();
  (void)run(c, cuda(0), DType::Float32);
  // One choice each for the forward pass, the input gradient and the weight gradient.
  EXPECT_EQ(cuda_backend::conv_algorithm_cache_size(), size0 + 3);
  EXPECT_EQ(cuda_backend::conv_algorithm_cache_hits(), hits0);
  const Result again = run(c, cuda(0), DType::Float32);
  EXPECT_EQ(cuda_backend::conv_algorithm_cache_size(), size0 + 3);
  EXPECT_EQ(cuda_backend::conv_algorithm_cache_hits(), hits0 + 3);
  // The cached choice still computes the right thing.
  const Result cpu = run(c, needle::cpu(), DType::Float32);
  expect_close_scaled(again.y, cpu.y, 1e-4, "cached forward");
  expect_close_scaled(again.gw, cpu.gw, 1e-4, "cached weight gradient");
  // The TF32 switch changes what may be chosen, so it is part of the key.
  {
    const AllowTf32 tf32;
    (void)run(c, cuda(0), DType::Float32);
  }
  EXPECT_EQ(cuda_backend::conv_algorithm_cache_size(), size0 + 6);
}

TEST(CudaConv2d, WithoutCudnnTheErrorSaysSo) {
  NEEDLE_REQUIRE_CUDA();
  const std::string missing = cudnn_missing();
  if (missing.empty()) GTEST_SKIP() << "this build has cuDNN";
  EXPECT_NE(missing.find("conv2d on CUDA needs cuDNN"), std::string::npos) << missing;
  EXPECT_NE(missing.find("NEEDLE_CUDNN="), std::string::npos) << missing;
}

// Runs in every build: with no GPU, conv2d cannot reach cuDNN and every way in says why.
TEST(CudaConv2d, WithoutGpuTheErrorSaysWhy) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present: " << cuda_status();
  // Tensors cannot be put on a GPU that is not there; the error carries the reason.
  try {
    (void)cuda(0);
    FAIL() << "cuda(0) did not throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(cuda_status()), std::string::npos) << e.what();
  }
  const Device gpu{DeviceType::CUDA, 0};
  EXPECT_THROW((void)NDArray::zeros({1, 1, 3, 3}, DType::Float32, gpu), DeviceError);
  if (!has_backend(DeviceType::CUDA)) return;  // CPU-only build: nothing more to reach
  // The backend called directly refuses before touching cuDNN (or says cuDNN is missing).
  Backend& backend = backend_for(DeviceType::CUDA);
  const StridedView x{nullptr, 0, {1, 1, 3, 3}, {9, 9, 3, 1}, DType::Float32, gpu};
  const StridedView w{nullptr, 0, {1, 1, 2, 2}, {4, 4, 2, 1}, DType::Float32, gpu};
  const StridedView y{nullptr, 0, {1, 1, 2, 2}, {4, 4, 2, 1}, DType::Float32, gpu};
  const auto expect_refusal = [](auto&& call, const char* what) {
    try {
      call();
      ADD_FAILURE() << what << " did not throw";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("conv2d"), std::string::npos)
          << what << ": " << e.what();
    }
  };
  expect_refusal([&] { backend.conv2d_forward(x, w, StridedView{}, y, Conv2dParams{}); },
                 "conv2d_forward");
  expect_refusal([&] { backend.conv2d_backward_input(y, w, x, Conv2dParams{}); },
                 "conv2d_backward_input");
  expect_refusal([&] { backend.conv2d_backward_weight(x, y, w, Conv2dParams{}); },
                 "conv2d_backward_weight");
}

}  // namespace
}  // namespace needle

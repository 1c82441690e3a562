// The nn::Conv2d module on the device under test against the same module in float64 on the
// CPU: built on the CPU from a seed, its weights copied into the float64 twin, then moved to the
// device (Module::to), as a user trains one. Output and the gradients of the input, weight and
// bias, with and without bias, over strides, paddings, dilation, groups (depthwise included),
// 1x1 and even kernels, ResNet9's 7x7 stride-4 stem, and non-square inputs. tests/cuda/
// conv2d_test.cc checks the functional conv2d over a wider grid; this checks the module's path
// (its parameters, Module::to, the bias broadcast) on the device. The cuda instances skip with
// the reason when no GPU is present or the build has no cuDNN.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/require_cudnn.h"
#include "tests/device_test_util.h"
#include "tests/model_test_util.h"

namespace {

using device_test::make;
using device_test::values;
using needle::DType;
using needle::Tensor;
namespace nn = needle::nn;

class CudaConv2dModuleTest : public needle_test::ConvDeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(CudaConv2dModuleTest);

struct Case {
  std::string name;
  int64_t n, c, h, w;  // input
  int64_t out, kernel, stride, padding, dilation, groups;
  bool bias;
};

const std::vector<Case> kCases = {
    {"3x3_pad1", 2, 3, 8, 8, 4, 3, 1, 1, 1, 1, true},
    {"3x3_no_bias", 2, 3, 7, 9, 5, 3, 1, 0, 1, 1, false},
    {"stride2_pad1_nonsquare", 3, 4, 9, 12, 6, 3, 2, 1, 1, 1, true},
    {"groups2", 2, 4, 6, 7, 6, 3, 1, 1, 1, 2, true},
    {"depthwise_stride2_no_bias", 2, 6, 8, 5, 6, 3, 2, 1, 1, 6, false},
    {"1x1", 2, 8, 5, 5, 16, 1, 1, 0, 1, 1, true},
    {"1x1_stride2_no_bias", 2, 8, 7, 6, 4, 1, 2, 0, 1, 1, false},
    {"7x7_stride4_resnet9_stem", 2, 3, 32, 32, 16, 7, 4, 3, 1, 1, true},
    {"5x5_dilation2", 1, 3, 13, 11, 4, 5, 1, 2, 2, 1, true},
    {"2x2_stride2_even", 2, 2, 6, 6, 3, 2, 2, 0, 1, 1, false},
};

// Float32 against float64: the sums run over at most 7 * 7 * 3 taps in the forward pass and
// N * Ho * Wo positions in the weight gradient, relative rounding ~1e-6 of each sum's scale;
// cuDNN may pick Winograd or FFT algorithms, whose error is larger (~1e-5). The same bound as
// tests/cuda/conv2d_test.cc.
constexpr double kRtol = 1e-4;

TEST_P(CudaConv2dModuleTest, MatchesFloat64Cpu) {
  for (const Case& c : kCases) {
    const std::string what = fmt::format(
        "Conv2d({}, {}, kernel {}, stride {}, padding {}, dilation {}, groups {}, {}) "
        "on ({}, {}, {}, {}) [{}]",
        c.c, c.out, c.kernel, c.stride, c.padding, c.dilation, c.groups,
        c.bias ? "bias" : "no bias", c.n, c.c, c.h, c.w, c.name);
    SCOPED_TRACE(what);
    const auto build = [&](DType dtype) {
      return nn::Conv2d(c.c, c.out, c.kernel, c.stride, c.padding, c.dilation, c.groups, c.bias,
                        needle::init::Options{needle::cpu(), dtype, false});
    };
    needle::manual_seed(3);
    nn::Conv2d conv = build(DType::Float32);
    nn::Conv2d ref = build(DType::Float64);
    model_test::copy_state(*conv, *ref);
    conv->to(device());
    EXPECT_EQ(conv->bias.defined(), c.bias);

    const needle::Shape xs{c.n, c.c, c.h, c.w};
    const std::vector<double> xv = values(needle::numel(xs), 5, -1.0, 1.0);
    const Tensor x = make(xv, xs, device(), DType::Float32, true);
    const Tensor xr = make(xv, xs, needle::cpu(), DType::Float64, true);
    const Tensor y = conv(x);
    const Tensor yr = ref(xr);
    EXPECT_EQ(y.device(), device());
    model_test::expect_close_scaled(y, yr, kRtol, what + ", output");
    const std::vector<double> seed = values(yr.numel(), 6, -1.0, 1.0);
    y.backward(make(seed, y.shape(), device(), DType::Float32));
    yr.backward(make(seed, yr.shape(), needle::cpu(), DType::Float64));
    model_test::expect_close_scaled(x.grad(), xr.grad(), kRtol, what + ", input gradient");
    // Weight and bias, their gradients (and no buffers).
    model_test::expect_same_state(*conv, *ref, device(), kRtol, /*grads=*/true, what);
  }
}

}  // namespace

// Autograd ops forward and backward on every available device: float32 on the fixture's device
// against a float64 CPU reference over the same inputs, including broadcast and transposed
// (non-compact) inputs, so the CUDA backend's strided kernels are checked through the ops that
// use them. The cuda instances skip with the reason when no GPU is present.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/ranges.h>

#include "tests/device_test_util.h"

namespace {

using device_test::compare_with_reference;
using device_test::make;
using device_test::values;
using needle::Device;
using needle::DType;
using needle::Shape;
using needle::Tensor;

class AutogradDeviceTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(AutogradDeviceTest);

// Back-propagates a fixed, non-uniform seed through `out` and returns {out, grads of inputs}.
std::vector<Tensor> with_grads(const Tensor& out, const std::vector<Tensor>& inputs) {
  const Tensor seed =
      make(values(out.numel(), 999, -1.0, 1.0), out.shape(), out.device(), out.dtype());
  out.backward(seed);
  std::vector<Tensor> result{out};
  for (const Tensor& t : inputs)
    result.push_back(t.grad());
  return result;
}

// A unary op on a (3, 5) input drawn from [lo, hi).
void check_unary(const Device& device, const std::string& name,
                 const std::function<Tensor(const Tensor&)>& op, double lo = -2.0,
                 double hi = 2.0) {
  compare_with_reference(
      device,
      [&](const Device& d, DType dt) {
        Tensor a = make(values(15, 1, lo, hi), {3, 5}, d, dt, true);
        return with_grads(op(a), {a});
      },
      name);
}

TEST_P(AutogradDeviceTest, UnaryOps) {
  check_unary(device(), "exp", [](const Tensor& a) { return needle::exp(a); });
  check_unary(
      device(), "log", [](const Tensor& a) { return needle::log(a); }, 0.1, 3.0);
  check_unary(
      device(), "sqrt", [](const Tensor& a) { return needle::sqrt(a); }, 0.1, 3.0);
  check_unary(device(), "relu", [](const Tensor& a) { return needle::relu(a); });
  check_unary(device(), "tanh", [](const Tensor& a) { return needle::tanh(a); });
  check_unary(device(), "sigmoid", [](const Tensor& a) { return needle::sigmoid(a); });
  check_unary(device(), "negate", [](const Tensor& a) { return -a; });
  check_unary(device(), "pow 3", [](const Tensor& a) { return needle::pow(a, 3.0); });
  check_unary(
      device(), "pow 0.5", [](const Tensor& a) { return needle::pow(a, 0.5); }, 0.1, 3.0);
  check_unary(device(), "scalar ops",
              [](const Tensor& a) { return (2.0 - a) * 3.0 + a / 4.0 - 1.5 / (a * a + 1.0); });
}

TEST_P(AutogradDeviceTest, BinaryOpsBroadcastAndTransposed) {
  using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<std::string, BinaryFn>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / (b * b + 0.5); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return needle::maximum(a, b); }},
  };
  for (const auto& entry : ops) {
    // Plain references: clang 14 (the sanitizer build) cannot capture structured bindings.
    const std::string& name = entry.first;
    const BinaryFn& op = entry.second;
    // (4, 1, 3) with (2, 3): both sides broadcast.
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor a = make(values(12, 2), {4, 1, 3}, d, dt, true);
          Tensor b = make(values(6, 3), {2, 3}, d, dt, true);
          return with_grads(op(a, b), {a, b});
        },
        name + " broadcast");
    // A transposed (non-compact) lhs and a row vector rhs.
    compare_with_reference(
        device(),
        [&](const Device& d, DType dt) {
          Tensor a = make(values(20, 4), {4, 5}, d, dt, true);
          Tensor b = make(values(4, 5), {1, 4}, d, dt, true);
          return with_grads(op(needle::transpose(a), b), {a, b});
        },
        name + " transposed");
  }
}

TEST_P(AutogradDeviceTest, Reductions) {
  for (const needle::Axes& axes :
       {needle::Axes{}, needle::Axes{0}, needle::Axes{1}, needle::Axes{0, 2}, needle::Axes{-1}}) {
    for (bool keep : {false, true}) {
      const std::string tag = fmt::format(" axes={} keepdims={}", fmt::join(axes, ","), keep);
      compare_with_reference(
          device(),
          [&](const Device& d, DType dt) {
            Tensor a = make(values(60, 5), {3, 4, 5}, d, dt, true);
            Tensor b = make(values(60, 6), {3, 4, 5}, d, dt, true);
            Tensor c = make(values(60, 7), {3, 4, 5}, d, dt, true);
            Tensor x = make(values(60, 8), {3, 4, 5}, d, dt, true);
            const Tensor s = needle::sum(a, axes, keep);
            const Tensor m = needle::mean(b, axes, keep);
            const Tensor mx = needle::max(c, axes, keep);
            const Tensor lse = needle::logsumexp(x, axes, keep);
            std::vector<Tensor> out = with_grads(s, {a});
            for (const Tensor& t : with_grads(m, {b}))
              out.push_back(t);
            for (const Tensor& t : with_grads(mx, {c}))
              out.push_back(t);
            for (const Tensor& t : with_grads(lse, {x}))
              out.push_back(t);
            return out;
          },
          "reductions" + tag);
    }
  }
}

TEST_P(AutogradDeviceTest, ReductionOverTransposedAndLargeInput) {
  // A non-power-of-two reduced length large enough for multi-block reduction paths.
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(3 * 70001, 9), {70001, 3}, d, dt, true);
        const Tensor t = needle::transpose(a);  // (3, 70001), strided
        return with_grads(needle::sum(t, {1}), {a});
      },
      "sum over 70001", 1e-4, 1e-3);
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(5 * 1031, 10), {5, 1031}, d, dt, true);
        return with_grads(needle::logsumexp(needle::transpose(a), {0}), {a});
      },
      "logsumexp transposed");
}

TEST_P(AutogradDeviceTest, MatmulPlainBatchedBroadcastTransposed) {
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(35, 11), {5, 7}, d, dt, true);
        Tensor b = make(values(21, 12), {7, 3}, d, dt, true);
        return with_grads(needle::matmul(a, b), {a, b});
      },
      "matmul 2d");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(2 * 3 * 4 * 5, 13), {2, 3, 4, 5}, d, dt, true);
        Tensor b = make(values(5 * 6, 14), {5, 6}, d, dt, true);  // broadcast over the batch
        return with_grads(needle::matmul(a, b), {a, b});
      },
      "matmul batched broadcast rhs");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(4 * 3 * 6, 15), {4, 6, 3}, d, dt, true);
        Tensor b = make(values(4 * 5 * 6, 16), {4, 5, 6}, d, dt, true);
        // Both operands transposed views: cuBLAS transpose flags on the GPU.
        return with_grads(needle::matmul(needle::transpose(a), needle::transpose(b)), {a, b});
      },
      "matmul batched transposed");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(1 * 3 * 4, 17), {1, 3, 4}, d, dt, true);
        Tensor b = make(values(5 * 4 * 2, 18), {5, 4, 2}, d, dt, true);
        return with_grads(needle::matmul(a, b), {a, b});
      },
      "matmul broadcast lhs batch");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(6, 19), {6}, d, dt, true);
        Tensor b = make(values(6 * 4, 20), {6, 4}, d, dt, true);
        return with_grads(needle::matmul(a, b), {a, b});
      },
      "matmul vector @ matrix");
}

TEST_P(AutogradDeviceTest, ShapeOps) {
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(24, 21), {2, 3, 4}, d, dt, true);
        return with_grads(needle::reshape(needle::permute(a, {2, 0, 1}), {4, 6}), {a});
      },
      "permute+reshape");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(30, 22), {5, 6}, d, dt, true);
        return with_grads(
            needle::slice(a, {needle::Slice(1, 5, 2), needle::Slice(-1, std::nullopt, -2)}), {a});
      },
      "slice negative step");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(12, 23), {3, 4}, d, dt, true);
        Tensor b = make(values(12, 24), {3, 4}, d, dt, true);
        Tensor c = make(values(12, 25), {3, 4}, d, dt, true);
        return with_grads(needle::stack({a, b, c}, 1), {a, b, c});
      },
      "stack");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(24, 26), {2, 3, 4}, d, dt, true);
        const std::vector<Tensor> parts = needle::split(a, 1);
        const Tensor out = parts[0] * 2.0 + parts[1] * parts[2];
        return with_grads(out, {a});
      },
      "split");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(24, 27), {2, 3, 4}, d, dt, true);
        return with_grads(needle::flip(a, {0, 2}) * needle::flip(a, {1}), {a});
      },
      "flip");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(12, 28), {3, 4}, d, dt, true);
        const Tensor up = needle::dilate(a, {0, 1}, 2);
        return with_grads(
            needle::undilate(up * up, {0, 1}, 2) +
                up.slice({needle::Slice(0, 3)}).slice({needle::Slice::all(), needle::Slice(0, 4)}),
            {a});
      },
      "dilate/undilate");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(6, 29), {3, 1, 2}, d, dt, true);
        return with_grads(needle::broadcast_to(a, {3, 4, 2}) * 1.5, {a});
      },
      "broadcast_to");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(8, 30), {2, 4}, d, dt, true);
        Tensor b = make(values(4, 31), {2, 2}, d, dt, true);
        return with_grads(needle::concatenate({a, needle::transpose(b)}, 1), {a, b});
      },
      "concatenate");
}

TEST_P(AutogradDeviceTest, GatherAndOneHot) {
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(12, 32), {3, 4}, d, dt, true);
        const Tensor index = Tensor(
            needle::NDArray::from_vector<int64_t>({3, 0, 0, 1, 2, 2, 3, 1, 0}, {3, 3}).to(d));
        return with_grads(needle::gather(a, 1, index), {a});
      },
      "gather axis 1 repeated indices");
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        const Tensor labels =
            Tensor(needle::NDArray::from_vector<int64_t>({2, 0, 4, 4, 1}, {5}).to(d));
        return std::vector<Tensor>{needle::one_hot(labels, 5, dt)};
      },
      "one_hot");
}

TEST_P(AutogradDeviceTest, GradientsAccumulateAcrossBackwardCalls) {
  compare_with_reference(
      device(),
      [](const Device& d, DType dt) {
        Tensor a = make(values(6, 33), {2, 3}, d, dt, true);
        Tensor w = make(values(3, 34), {3}, d, dt, true);
        needle::sum(a * w).backward();
        needle::sum(needle::exp(a) * a).backward();
        // The same leaf used twice in one graph accumulates within the pass too.
        needle::sum(a * a + a).backward();
        return std::vector<Tensor>{a.grad(), w.grad()};
      },
      "accumulation");
  // Hand values: the gradient of sum(3 * x) twice is 6 everywhere.
  Tensor x = make({1.0, 2.0, 3.0}, {3}, device(), DType::Float32, true);
  needle::sum(x * 3.0).backward();
  needle::sum(x * 3.0).backward();
  EXPECT_EQ(x.grad().device(), device());
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6.f, 6.f, 6.f}));
}

TEST_P(AutogradDeviceTest, ToIsDifferentiableAcrossDevices) {
  // Moving to the device and back is part of the graph: the gradient lands on the CPU leaf.
  Tensor a = make(values(6, 35), {2, 3}, needle::cpu(), DType::Float32, true);
  const Tensor on_device = a.to(device());
  EXPECT_EQ(on_device.device(), device());
  needle::sum(on_device * 2.0).backward();
  ASSERT_TRUE(a.grad().defined());
  EXPECT_EQ(a.grad().device(), needle::cpu());
  EXPECT_EQ(a.grad().to_vector<float>(), std::vector<float>(6, 2.f));
}

}  // namespace

// nn::BatchNorm1d and nn::BatchNorm2d on the device under test against the same modules in
// float64 on the CPU: several training passes (outputs, gradients of the input, weight and bias,
// running mean and variance, num_batches_tracked after each), then an eval pass that normalizes
// with the running statistics those passes left. The CPU runs the fused batch-norm kernels, the
// GPU the composed Tensor ops, so the cuda instance checks one against the other; the cpu
// instance checks the float32 CPU kernels and runs this file's comparison code. The cuda
// instances skip with the reason when no GPU is present.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/device_test_util.h"

namespace {

using device_test::make;
using device_test::values;
using needle::Device;
using needle::DType;
using needle::Shape;
using needle::Tensor;
namespace nn = needle::nn;

class CudaBatchNormTest : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(CudaBatchNormTest);

constexpr int kTrainingPasses = 3;

// Overwrites a parameter's values in place with `v` (the module sees them through its handle).
void set_values(const Tensor& t, const std::vector<double>& v) {
  needle::NDArray a = t.data();
  a.copy_(needle::NDArray::from_vector(v, t.shape()).astype(t.dtype()).to(t.device()));
}

// kTrainingPasses training passes over different batches of `shape`, each a forward and a
// backward from a fixed non-uniform seed gradient (the parameter gradients accumulate over the
// passes), then an eval pass on another batch with fresh parameter gradients. Returns, in order:
// per training pass the output, the input gradient, running_mean, running_var and
// num_batches_tracked; then the accumulated weight and bias gradients; then the eval output,
// its input gradient and its weight and bias gradients. The module is built on the CPU with
// non-trivial weight, bias and running statistics and moved to `device`, as a user would.
template <typename Module>
std::vector<Tensor> run(const Shape& shape, double momentum, const Device& device, DType dtype) {
  const int64_t c = shape[1];
  Module bn(c, 1e-5, momentum, needle::init::Options{needle::cpu(), dtype, false});
  set_values(bn->weight, values(c, 1, 0.5, 1.5));
  set_values(bn->bias, values(c, 2, -0.5, 0.5));
  set_values(bn->running_mean, values(c, 3, -0.2, 0.2));
  set_values(bn->running_var, values(c, 4, 0.8, 1.2));
  bn->to(device);
  std::vector<Tensor> out;
  const int64_t n = needle::numel(shape);
  for (int pass = 0; pass < kTrainingPasses; ++pass) {
    // Per-channel offsets and scales differ from pass to pass, so the running statistics move.
    std::vector<double> xv = values(n, 10 + pass, -2.0, 2.0);
    const int64_t inner = n / shape[0] / c;
    for (int64_t i = 0; i < n; ++i)
      xv[static_cast<size_t>(i)] =
          xv[static_cast<size_t>(i)] * (1.0 + 0.3 * pass) + 0.1 * ((i / inner) % c) - 0.2 * pass;
    const Tensor x = make(xv, shape, device, dtype, true);
    const Tensor y = bn(x);
    y.backward(make(values(n, 20 + pass, -1.0, 1.0), shape, device, dtype));
    out.insert(out.end(),
               {y, x.grad(), bn->running_mean, bn->running_var, bn->num_batches_tracked});
    // The buffers are updated in place: keep this pass's values, not the handles.
    for (size_t i = out.size() - 3; i < out.size(); ++i)
      out[i] = Tensor(out[i].data().clone());
  }
  out.insert(out.end(), {bn->weight.grad(), bn->bias.grad()});
  bn->eval();
  bn->zero_grad();
  const Tensor x = make(values(n, 30, -2.0, 2.0), shape, device, dtype, true);
  const Tensor y = bn(x);
  y.backward(make(values(n, 31, -1.0, 1.0), shape, device, dtype));
  out.insert(out.end(), {y, x.grad(), bn->weight.grad(), bn->bias.grad()});
  // Evaluation leaves the running statistics alone.
  out.insert(out.end(), {bn->running_mean, bn->running_var, bn->num_batches_tracked});
  return out;
}

// Tolerances: device_test's float32-against-float64 defaults, with the absolute part doubled
// for the input gradient, which subtracts two means and so carries the rounding of the
// gradient's scale (about 1 here) in entries that may be tiny. On the CPU the largest error is
// 5e-6 on values of 65 (8e-8 relative); a GPU summing in another order stays near that, while a
// wrong statistic or a wrong gradient term is off by a good fraction of a unit.
constexpr double kRtol = 1e-4;
constexpr double kAtol = 2e-5;

TEST_P(CudaBatchNormTest, BatchNorm1dMatchesFloat64Cpu) {
  // (N, C): a tiny batch (2: the smallest with a variance), odd sizes, and enough rows that the
  // GPU's reductions split the batch axis over several threads.
  for (const Shape& shape : {Shape{2, 3}, Shape{7, 5}, Shape{16, 33}, Shape{300, 4}}) {
    for (double momentum : {0.1, 0.5}) {
      device_test::compare_with_reference(
          device(),
          [&](const Device& d, DType dt) { return run<nn::BatchNorm1d>(shape, momentum, d, dt); },
          fmt::format("BatchNorm1d {} momentum {}", needle::shape_str(shape), momentum), kRtol,
          kAtol);
    }
  }
}

TEST_P(CudaBatchNormTest, BatchNorm2dMatchesFloat64Cpu) {
  // (N, C, H, W): square and non-square maps, odd sizes, a 1x1 map (statistics over N only)
  // and a larger map whose per-channel reduction spans many blocks.
  for (const Shape& shape : {Shape{2, 3, 4, 4}, Shape{3, 5, 7, 3}, Shape{8, 6, 1, 1},
                             Shape{4, 3, 17, 19}, Shape{2, 2, 64, 48}}) {
    device_test::compare_with_reference(
        device(),
        [&](const Device& d, DType dt) { return run<nn::BatchNorm2d>(shape, 0.1, d, dt); },
        fmt::format("BatchNorm2d {}", needle::shape_str(shape)), kRtol, kAtol);
  }
}

// The bookkeeping itself, independent of rounding: after the passes, num_batches_tracked is
// exactly the number of training passes on the device, and evaluation did not count.
TEST_P(CudaBatchNormTest, NumBatchesTrackedCountsTrainingPasses) {
  const std::vector<Tensor> got = run<nn::BatchNorm2d>({2, 3, 4, 4}, 0.1, device(), DType::Float32);
  const Tensor& tracked = got.back();
  EXPECT_EQ(tracked.device(), device());
  EXPECT_EQ(tracked.dtype(), DType::Int64);
  EXPECT_EQ(tracked.item<int64_t>(), kTrainingPasses);
}

}  // namespace

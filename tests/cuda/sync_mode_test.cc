// NEEDLE_CUDA_SYNC=1 (needle/cuda.h): the mode is read when the CUDA backend first queues work,
// ordinary ops and a training step still give the CPU's results under it, a kernel that fails
// is reported at the op that launched it, and a bad label throws at the loss, not at the next
// read. Without the mode the same failing kernel surfaces only at the next wait. Each case runs
// in a fresh copy of this binary (a "threadsafe" death test re-executes it) with the variable
// set before that copy's first CUDA work, so the mode really is read from the environment, and
// the sticky error of an illegal address cannot poison the other tests of this process.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "needle/needle.h"
#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

// Runs `body` in a child process with NEEDLE_CUDA_SYNC=`mode`; the child exits 0 when `body`
// returns true. Its stderr must match `stderr_regex`.
void expect_in_child(const char* mode, const std::function<bool()>& body,
                     const std::string& stderr_regex) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("NEEDLE_CUDA_SYNC", mode, 1);
        bool ok = false;
        try {
          ok = body();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "unexpected exception: %s\n", e.what());
        }
        std::fflush(stderr);
        std::_Exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), stderr_regex);
}

bool close_to_cpu(const NDArray& got, const NDArray& want, const char* what) {
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!(std::fabs(g[i] - w[i]) <= 1e-4 + 1e-4 * std::fabs(w[i]))) {
      std::fprintf(stderr, "%s: element %zu is %g on cuda, %g on cpu\n", what, i, g[i], w[i]);
      return false;
    }
  }
  return g.size() == w.size();
}

TEST(CudaSyncMode, OpsAndATrainingStepWorkAndBadLabelsThrowAtTheLoss) {
  NEEDLE_REQUIRE_CUDA();
  expect_in_child(
      "1",
      [] {
        const Device gpu = needle::cuda(0);
        manual_seed(3);
        const NDArray a = NDArray::randn({33, 17});
        const NDArray b = NDArray::randn({17, 9});
        const NDArray ga = a.to(gpu), gb = b.to(gpu);
        bool ok = close_to_cpu(matmul(ga, gb), matmul(a, b), "matmul") &&
                  close_to_cpu(exp(ga.transpose()).compact(), exp(a.transpose()).compact(),
                               "exp of a transpose") &&
                  close_to_cpu(sum(ga * ga, {0}), sum(a * a, {0}), "sum") &&
                  close_to_cpu(NDArray::zeros({5}, DType::Float32, gpu) + 2.0,
                               NDArray::zeros({5}) + 2.0, "fill");
        // A small training step: every kind of launch the step makes, each one waited for.
        nn::Linear layer(17, 4, true, init::Options{gpu, DType::Float32, false});
        optim::Adam opt(layer->parameters(), 1e-2);
        nn::SoftmaxLoss loss_fn;
        const Tensor x(ga);
        const Tensor y(NDArray::from_vector(std::vector<int64_t>(33, 2), {33}).to(gpu));
        const Tensor loss = loss_fn(layer(x), y);
        loss.backward();
        opt.step();
        ok = ok && std::isfinite(loss.item<double>());
        // Under the mode the label check is read at once: the loss call itself throws.
        const Tensor bad(NDArray::from_vector(std::vector<int64_t>(33, 4), {33}).to(gpu));
        try {
          (void)loss_fn(layer(x), bad);
          std::fprintf(stderr, "a bad label did not throw at the loss\n");
          ok = false;
        } catch (const IndexError& e) {
          std::fprintf(stderr, "%s\n", e.what());
        }
        if (ok) std::fprintf(stderr, "sync mode: all ok\n");
        return ok;
      },
      "label 4 at position 0 is out of range for 4 classes.*sync mode: all ok");
}

// A view of 4096 float32 elements at an address no allocation has: reading it faults.
StridedView bogus_view() {
  return StridedView{
      reinterpret_cast<void*>(uintptr_t(0x100)), 0, {4096}, {1}, DType::Float32, needle::cuda(0)};
}

TEST(CudaSyncMode, AFailingKernelIsReportedAtTheOpThatLaunchedIt) {
  NEEDLE_REQUIRE_CUDA();
  expect_in_child(
      "1",
      [] {
        Buffer out(needle::cuda(0), DType::Float32, 4096);
        try {
          backend_for(DeviceType::CUDA).unary(UnaryOp::Exp, bogus_view(), out.dense({4096}));
        } catch (const DeviceError& e) {
          std::fprintf(stderr, "%s\n", e.what());
          return true;
        }
        std::fprintf(stderr, "the failing launch returned normally\n");
        return false;
      },
      "CUDA error after exp \\(kernel launch\\) at .*illegal memory access");
}

TEST(CudaSyncMode, WithoutItAFailingKernelSurfacesOnlyAtTheNextWait) {
  NEEDLE_REQUIRE_CUDA();
  expect_in_child(
      "0",
      [] {
        Buffer out(needle::cuda(0), DType::Float32, 4096);
        Backend& cuda = backend_for(DeviceType::CUDA);
        cuda.unary(UnaryOp::Exp, bogus_view(), out.dense({4096}));  // queued: no error yet
        try {
          cuda.synchronize(needle::cuda(0));
        } catch (const DeviceError& e) {
          std::fprintf(stderr, "%s\n", e.what());
          return true;
        }
        std::fprintf(stderr, "the fault was never reported\n");
        return false;
      },
      "illegal memory access");
}

}  // namespace
}  // namespace needle::cuda_test

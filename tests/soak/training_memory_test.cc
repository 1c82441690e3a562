// Soak: 10,000 small training steps keep the process's resident memory flat. A leak of a few
// hundred bytes a step, invisible in a short test, shows here as megabytes. Its own suite
// (soak_tests, ctest label soak_tests) so that a run can leave it out: the sanitizer stage does,
// because AddressSanitizer holds freed memory in quarantine and its resident size then grows by
// design.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "needle/needle.h"

namespace ndl = needle;
namespace nn = needle::nn;

namespace {

// Resident set size in MB, from /proc/self/statm (its second field, in pages).
double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long total = 0, resident = 0;
  statm >> total >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1e6;
}

TEST(Soak, TenThousandTrainingStepsKeepResidentMemoryFlat) {
  ndl::manual_seed(0);
  nn::MLPResNet model(64, 32, 2, 10);
  ndl::optim::Adam opt(model->parameters(), 1e-3);
  nn::SoftmaxLoss loss_fn;
  const ndl::Tensor x = ndl::randn({16, 64});
  const ndl::Tensor y = ndl::Tensor::from_vector(
      std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, {16});
  auto step = [&] {
    opt.zero_grad();
    ndl::Tensor loss = loss_fn(model(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  // Caches (the CPU allocator's, the thread pool's) fill during the first steps.
  for (int i = 0; i < 1000; ++i)
    step();
  const double warm = resident_mb();
  const int64_t nodes = ndl::Tensor::live_count();
  float last = 0;
  for (int i = 0; i < 9000; ++i)
    last = step().item<float>();
  const double after = resident_mb();
  std::printf("resident memory after 1,000 steps %.1f MB, after 10,000 %.1f MB\n", warm, after);
  EXPECT_LT(after - warm, 4.0) << "resident memory grew by " << after - warm << " MB";
  EXPECT_EQ(ndl::Tensor::live_count(), nodes);
  EXPECT_TRUE(std::isfinite(last));
}

}  // namespace

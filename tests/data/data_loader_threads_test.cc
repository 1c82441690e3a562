// DataLoader's worker threads under faults: a worker that throws mid-epoch, and a loop that
// leaves early, neither hang nor leave threads behind. Threads are counted in /proc/self/task,
// which sees every thread of the process, whoever started it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include "needle/data/data_loader.h"
#include "needle/error.h"

namespace needle::data {
namespace {

int thread_count() {
  const auto tasks = std::filesystem::directory_iterator("/proc/self/task");
  return static_cast<int>(std::distance(begin(tasks), end(tasks)));
}

// The count once it has come back to at most `expected`, or after `timeout`: a thread that has
// been joined can stay listed for a moment while the kernel reaps it.
int settled_thread_count(int expected, std::chrono::seconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int n = thread_count();
  while (n > expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    n = thread_count();
  }
  return n;
}

// Runs `fn` on a thread of its own and fails the whole program if it has not returned within
// `limit`: a hang must fail the test, not wait for ctest's timeout.
template <typename Fn>
void within(std::chrono::seconds limit, const char* what, Fn&& fn) {
  auto done = std::async(std::launch::async, std::forward<Fn>(fn));
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not finish within %lld s: the loader hangs\n", what,
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
  done.get();  // re-throws what fn threw
}

// Example i is a (1, 4, 4) image of i; example `fail_at` throws.
class FailingDataset : public Dataset {
 public:
  FailingDataset(int64_t n, int64_t fail_at) : n_(n), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  Example get(int64_t index, Generator&) const override {
    if (index == fail_at_) throw IOError("FailingDataset: example " + std::to_string(index));
    return Example{NDArray::full({1, 4, 4}, static_cast<double>(index)), index};
  }

 private:
  int64_t n_, fail_at_;
};

class DataLoaderThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    // One whole epoch first, so that threads started once per process (OpenMP's pool, which
    // collation may use) exist before the baseline is taken.
    DataLoader warm(std::make_shared<FailingDataset>(64, -1), {.batch_size = 8, .num_workers = 3});
    for (const Batch& b : warm)
      (void)b;
    baseline_ = settled_thread_count(0, std::chrono::seconds(0));
  }
  int baseline_ = 0;
};

TEST_F(DataLoaderThreads, WorkerThatThrowsMidEpochEndsEveryThread) {
  for (int workers : {1, 2, 4}) {
    within(std::chrono::seconds(60), "an epoch with a failing worker", [&] {
      DataLoader loader(std::make_shared<FailingDataset>(2000, 1003),
                        {.batch_size = 10, .num_workers = workers, .prefetch = 2});
      int64_t seen = 0;
      try {
        for (const Batch& b : loader)
          seen += b.labels.shape()[0];
        ADD_FAILURE() << "expected the dataset's IOError";
      } catch (const IOError& e) {
        EXPECT_NE(std::string(e.what()).find("example 1003"), std::string::npos) << e.what();
      }
      EXPECT_EQ(seen, 1000) << workers << " workers";
      EXPECT_GT(thread_count(), baseline_) << "the workers should still be alive here";
    });
    EXPECT_EQ(settled_thread_count(baseline_), baseline_) << workers << " workers";
  }
}

TEST_F(DataLoaderThreads, LoopLeftEarlyEndsEveryThread) {
  within(std::chrono::seconds(60), "loops left early", [&] {
    auto dataset = std::make_shared<FailingDataset>(100000, -1);
    for (int round = 0; round < 20; ++round) {
      DataLoader loader(dataset, {.batch_size = 16,
                                  .shuffle = true,
                                  .num_workers = 1 + round % 4,
                                  .prefetch = 1 + round % 3});
      int batches = 0;
      for (const Batch& b : loader) {
        (void)b;
        if (++batches == 1 + round) break;
      }
    }
  });
  EXPECT_EQ(settled_thread_count(baseline_), baseline_);
  // An iterator kept past its loader, abandoned mid-epoch.
  within(std::chrono::seconds(60), "an abandoned epoch", [&] {
    auto loader =
        std::make_unique<DataLoader>(std::make_shared<FailingDataset>(100000, -1),
                                     DataLoaderOptions{.batch_size = 8, .num_workers = 3});
    auto it = loader->begin();
    loader.reset();
    ++it;
  });
  EXPECT_EQ(settled_thread_count(baseline_), baseline_);
}

}  // namespace
}  // namespace needle::data

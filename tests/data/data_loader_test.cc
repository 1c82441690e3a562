// DataLoader: batching, shuffling, seeding, worker threads, ordering, errors and shutdown, and
// pin_memory (a no-op on the CPU; its pinned path against a fake backend).
#include "needle/data/data_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <ranges>
#include <set>
#include <thread>

#include "needle/error.h"
#include "src/data/pinned_buffer_pool.h"
#include "tests/data/fake_pinned_backend.h"
#include "tests/data/loader_test_util.h"

namespace needle::data {
namespace {

// Example i: a (1, 2, 3) image filled with i and label i, optionally slow or failing.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t n, int64_t fail_at = -1, bool slow = false)
      : n_(n), fail_at_(fail_at), slow_(slow) {}
  int64_t size() const override { return n_; }
  Example get(int64_t index, Generator&) const override {
    ++calls;
    if (slow_) {
      // Later examples finish sooner, so with several workers batches complete out of order.
      std::this_thread::sleep_for(std::chrono::microseconds(200 * ((n_ - index) % 7)));
    }
    if (index == fail_at_) throw IndexError("CountingDataset: example " + std::to_string(index));
    return Example{NDArray::full({1, 2, 3}, static_cast<double>(index)), index};
  }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t n_, fail_at_;
  bool slow_;
};

std::vector<int64_t> labels_of(const Batch& b) {
  return b.labels.data().to_vector<int64_t>();
}

// Every batch's labels of one epoch, in order.
std::vector<std::vector<int64_t>> epoch_labels(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (const Batch& b : loader)
    out.push_back(labels_of(b));
  return out;
}

std::vector<std::vector<float>> epoch_images(DataLoader& loader) {
  std::vector<std::vector<float>> out;
  for (const Batch& b : loader)
    out.push_back(b.images.data().to_vector<float>());
  return out;
}

// A loader is a C++20 input range, so std::ranges algorithms and views accept it.
static_assert(std::input_iterator<DataLoader::Iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, DataLoader::Iterator>);
static_assert(std::ranges::input_range<DataLoader>);

TEST(DataLoader, BatchesInOrderWithShortLastBatch) {
  auto ds = std::make_shared<CountingDataset>(10);
  DataLoader loader(ds, {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3);
  std::vector<int64_t> sizes;
  int64_t next = 0;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.images.dtype(), DType::Float32);
    EXPECT_EQ(b.labels.dtype(), DType::Int64);
    const int64_t bs = b.labels.shape()[0];
    EXPECT_EQ(b.images.shape(), (Shape{bs, 1, 2, 3}));
    sizes.push_back(bs);
    std::vector<float> px = b.images.data().to_vector<float>();
    for (int64_t j = 0; j < bs; ++j) {
      EXPECT_EQ(labels_of(b)[static_cast<size_t>(j)], next);
      for (int p = 0; p < 6; ++p)
        EXPECT_EQ(px[static_cast<size_t>(j * 6 + p)], next);
      ++next;
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
}

TEST(DataLoader, DropLastAndBatchSizeOne) {
  auto ds = std::make_shared<CountingDataset>(10);
  DataLoader loader(ds, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(loader.size(), 2);
  EXPECT_EQ(epoch_labels(loader), (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  DataLoader ones(ds);
  EXPECT_EQ(ones.size(), 10);
  EXPECT_EQ(epoch_labels(ones).size(), 10u);
  DataLoader exact(ds, {.batch_size = 5, .drop_last = true});
  EXPECT_EQ(epoch_labels(exact).size(), 2u);
  DataLoader too_big(ds, {.batch_size = 11, .drop_last = true});
  EXPECT_EQ(too_big.size(), 0);
  EXPECT_TRUE(too_big.begin() == too_big.end());
}

TEST(DataLoader, ShuffleIsAPermutationSeededAndNewEachEpoch) {
  auto ds = std::make_shared<CountingDataset>(50);
  DataLoaderOptions opts{.batch_size = 8, .shuffle = true, .seed = 7};
  DataLoader a(ds, opts), b(ds, opts);
  auto a1 = epoch_labels(a), a2 = epoch_labels(a);
  auto b1 = epoch_labels(b), b2 = epoch_labels(b);
  EXPECT_EQ(a1, b1);
  EXPECT_EQ(a2, b2);
  EXPECT_NE(a1, a2);
  for (const auto& epoch : {a1, a2}) {
    std::vector<int64_t> all;
    for (const auto& batch : epoch)
      all.insert(all.end(), batch.begin(), batch.end());
    std::vector<int64_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> iota(50);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(sorted, iota);
    EXPECT_NE(all, iota);
  }
  DataLoader other(ds, {.batch_size = 8, .shuffle = true, .seed = 8});
  EXPECT_NE(epoch_labels(other), a1);
  // set_epoch replays an epoch.
  a.set_epoch(1);
  EXPECT_EQ(epoch_labels(a), a2);
}

TEST(DataLoader, SeedDefaultsFromManualSeed) {
  auto ds = std::make_shared<CountingDataset>(30);
  manual_seed(123);
  DataLoader a(ds, {.batch_size = 4, .shuffle = true});
  manual_seed(123);
  DataLoader b(ds, {.batch_size = 4, .shuffle = true});
  EXPECT_EQ(a.seed(), b.seed());
  EXPECT_EQ(epoch_labels(a), epoch_labels(b));
}

using test::augmented_dataset;
using test::Epochs;
using test::run_epochs;

// MNIST-like images with the benchmark's augmentation: results must not depend on workers.

TEST(DataLoader, SameResultsForAnyWorkerCount) {
  auto ds = augmented_dataset(203);
  std::vector<std::vector<float>> reference;
  for (int workers : {0, 1, 2, 3}) {
    for (int prefetch : {1, 3}) {
      DataLoader loader(ds, {.batch_size = 16,
                             .shuffle = true,
                             .num_workers = workers,
                             .prefetch = prefetch,
                             .seed = 99});
      auto images = epoch_images(loader);
      ASSERT_EQ(images.size(), 13u);
      if (reference.empty()) {
        reference = images;
      } else {
        EXPECT_EQ(images, reference) << workers << " workers, prefetch " << prefetch;
      }
    }
  }
  // Augmentation really happens, and differs between epochs.
  DataLoader loader(ds, {.batch_size = 16, .shuffle = false, .num_workers = 2, .seed = 99});
  EXPECT_NE(epoch_images(loader), epoch_images(loader));
}

TEST(DataLoader, OrderPreservedWhenWorkersFinishOutOfOrder) {
  auto ds = std::make_shared<CountingDataset>(120, -1, /*slow=*/true);
  DataLoader loader(ds, {.batch_size = 3, .num_workers = 4, .prefetch = 2});
  int64_t next = 0;
  for (const Batch& b : loader) {
    for (int64_t l : labels_of(b))
      EXPECT_EQ(l, next++);
  }
  EXPECT_EQ(next, 120);
}

TEST(DataLoader, WorkerExceptionIsRethrownAtThatBatch) {
  for (int workers : {0, 2}) {
    auto ds = std::make_shared<CountingDataset>(40, /*fail_at=*/21);
    DataLoader loader(ds, {.batch_size = 5, .num_workers = workers});
    int64_t seen = 0;
    try {
      for (const Batch& b : loader)
        seen += b.labels.shape()[0];
      ADD_FAILURE() << "expected the dataset's error";
    } catch (const IndexError& e) {
      EXPECT_NE(std::string(e.what()).find("example 21"), std::string::npos);
    }
    EXPECT_EQ(seen, 20) << "batches before the failing one arrive intact";
    // The loader stays usable: the iterator may go on past the failed batch.
    auto it = loader.begin();
    int64_t batches = 1;
    while (true) {
      try {
        ++it;
        if (it == loader.end()) break;
        ++batches;
      } catch (const IndexError&) {
        ++batches;
      }
    }
    EXPECT_EQ(batches, 8);
  }
}

TEST(DataLoader, EarlyBreakAndDestroyingTheLoaderMidEpochDoNotHang) {
  auto ds = std::make_shared<CountingDataset>(10000);
  const auto start = std::chrono::steady_clock::now();
  {
    DataLoader loader(ds, {.batch_size = 10, .num_workers = 3, .prefetch = 2});
    for (const Batch& b : loader) {
      (void)b;
      break;
    }
    // Bounded prefetch: far fewer than all 10,000 examples were made.
    EXPECT_LE(ds->calls.load(), 10 * (1 + 3 * 2 + 3));
  }
  {
    auto loader =
        std::make_unique<DataLoader>(ds, DataLoaderOptions{.batch_size = 10, .num_workers = 2});
    auto it = loader->begin();
    loader.reset();  // the epoch owns what it needs
    ++it;
    EXPECT_EQ(labels_of(*it)[0], 10);
  }  // the iterator dies here, mid-epoch
  {
    // Two epochs of one loader alive at once are independent.
    DataLoader loader(ds, {.batch_size = 10, .num_workers = 2});
    auto first = loader.begin();
    auto second = loader.begin();
    EXPECT_EQ(labels_of(*first)[0], 0);
    EXPECT_EQ(labels_of(*second)[0], 0);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(DataLoader, ExamplesOfDifferentShapesAreAnError) {
  class Ragged : public Dataset {
   public:
    int64_t size() const override { return 4; }
    Example get(int64_t index, Generator&) const override {
      return Example{NDArray::zeros({1, 2, 2 + index}), 0};
    }
  };
  DataLoader loader(std::make_shared<Ragged>(), {.batch_size = 2, .num_workers = 1});
  EXPECT_THROW(loader.begin(), ShapeError);
}

TEST(DataLoader, InvalidOptions) {
  auto ds = std::make_shared<CountingDataset>(4);
  EXPECT_THROW(DataLoader(ds, {.batch_size = 0}), Error);
  EXPECT_THROW(DataLoader(ds, {.num_workers = -1}), Error);
  EXPECT_THROW(DataLoader(ds, {.prefetch = 0}), Error);
  EXPECT_THROW(DataLoader(nullptr), Error);
}

DataLoaderOptions augmented_options(int workers, bool pin) {
  return {.batch_size = 16,
          .shuffle = true,
          .num_workers = workers,
          .prefetch = 2,
          .seed = 99,
          .device = cpu(),
          .pin_memory = pin};
}

// On a CPU device pin_memory changes nothing: the CPU backend has no pinned memory.
TEST(DataLoader, PinMemoryMakesNoDifferenceOnTheCpu) {
  auto ds = augmented_dataset(203);
  DataLoader pageable(ds, augmented_options(0, false));
  const Epochs reference = run_epochs(pageable, 2);
  for (int workers : {0, 2}) {
    DataLoader pinned(ds, augmented_options(workers, true));
    EXPECT_EQ(run_epochs(pinned, 2), reference) << workers << " workers";
  }
}

// The pinned path itself (pool, uploads, ordering, reuse), against a backend that fakes pinned
// memory and uploads whose copies land only once they finish (fake_pinned_backend.h).
class PinnedDataLoader : public ::testing::Test {
 protected:
  void SetUp() override { detail::set_pinned_backend_for_testing(&fake); }
  void TearDown() override { detail::set_pinned_backend_for_testing(nullptr); }
  test::FakePinnedBackend fake;
};

TEST_F(PinnedDataLoader, SameBatchesAsPageableForAnyWorkerCountOverEpochs) {
  auto ds = augmented_dataset(203);
  DataLoader pageable(ds, augmented_options(0, false));
  const Epochs reference = run_epochs(pageable, 3);
  EXPECT_EQ(fake.upload_count(), 0u) << "pin_memory off never uploads";
  size_t uploads = 0;
  for (int workers : {0, 1, 3}) {
    {
      DataLoader pinned(ds, augmented_options(workers, true));
      EXPECT_EQ(run_epochs(pinned, 3), reference) << workers << " workers";
      uploads += 3 * 13;
      EXPECT_EQ(fake.upload_count(), uploads) << "every batch went through an upload";
      // Buffers are reused across batches and epochs, within the bound.
      const size_t bound = static_cast<size_t>(std::max(1, 2 * workers) + 2);
      EXPECT_LE(fake.peak_live, bound) << workers << " workers";
      EXPECT_LE(fake.allocations, bound) << workers << " workers";
    }
    EXPECT_EQ(fake.unordered_uploads(), 0u) << "every batch's reader was ordered after its copy";
    EXPECT_EQ(fake.overwritten_sources, 0u) << "no buffer was refilled while being uploaded";
    EXPECT_EQ(fake.live, 0u) << "the loader frees its pinned buffers";
    fake.allocations = fake.peak_live = 0;
  }
}

TEST_F(PinnedDataLoader, EarlyBreakErrorsAndOverlappingEpochs) {
  auto ds = std::make_shared<CountingDataset>(2000, /*fail_at=*/105);
  {
    DataLoader loader(ds, {.batch_size = 10, .num_workers = 3, .prefetch = 2});
    for (const Batch& b : loader) {
      EXPECT_EQ(labels_of(b)[0], 0);
      break;  // the prefetched batches are dropped unread
    }
    int64_t seen = 0;
    EXPECT_THROW(
        {
          for (const Batch& b : loader)
            seen += b.labels.shape()[0];
        },
        IndexError);
    EXPECT_EQ(seen, 100);
    auto first = loader.begin(), second = loader.begin();
    ++first;
    EXPECT_EQ(labels_of(*first)[0], 10);
    EXPECT_EQ(labels_of(*second)[0], 0);
  }
  EXPECT_EQ(fake.unordered_uploads(), 0u) << "dropped batches are ordered before being freed";
  EXPECT_EQ(fake.overwritten_sources, 0u);
  EXPECT_EQ(fake.live, 0u);
}

TEST(DataLoader, EmptyDataset) {
  DataLoader loader(std::make_shared<CountingDataset>(0), {.batch_size = 4, .num_workers = 2});
  EXPECT_EQ(loader.size(), 0);
  EXPECT_TRUE(epoch_labels(loader).empty());
}

}  // namespace
}  // namespace needle::data

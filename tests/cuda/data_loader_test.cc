// DataLoader with pin_memory on a GPU: pinned and pageable loaders give the CPU's batches over
// epochs and worker counts; a batch consumed by a kernel at once reads its finished copy; the
// copy stream is not the compute stream and is ordered after it by an event; pinned buffers stay
// bounded and are freed. The loader tests are device-parametrised: their cpu instances run the
// same code on a CPU target (where pin_memory does nothing), so the test code runs everywhere.
// The pinned path itself also runs against a fake backend in tests/data/data_loader_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "device_test_util.h"
#include "needle/backend.h"
#include "needle/data/data_loader.h"
#include "needle/ndarray.h"
#include "require_cuda.h"
#include "tests/data/loader_test_util.h"

namespace needle::cuda_backend {
// Test hooks of backends/cuda/cuda_backend.h, weak so that this file links in a CPU-only build,
// where they are null: the helpers below then read 0, and the CUDA-only test skips.
[[gnu::weak]] size_t async_uploads_started();
[[gnu::weak]] size_t pinned_host_buffers_live();
[[gnu::weak]] const void* copy_stream_handle(int device);
[[gnu::weak]] const void* compute_stream_handle(int device);
}  // namespace needle::cuda_backend

namespace needle::data {
namespace {

using test::augmented_dataset;
using test::Epochs;
using test::run_epochs;

// The hooks' figures, 0 in a build without the CUDA backend.
size_t uploads_started() {
  return cuda_backend::async_uploads_started ? cuda_backend::async_uploads_started() : 0;
}
size_t pinned_buffers_live() {
  return cuda_backend::pinned_host_buffers_live ? cuda_backend::pinned_host_buffers_live() : 0;
}

class DataLoaderOnDevice : public device_test::DeviceTest {};
NEEDLE_INSTANTIATE_DEVICE_TESTS(DataLoaderOnDevice);

DataLoaderOptions options(int workers, bool pin, const Device& device, int64_t batch = 16) {
  return {.batch_size = batch,
          .shuffle = true,
          .num_workers = workers,
          .prefetch = 2,
          .seed = 5,
          .device = device,
          .pin_memory = pin};
}

TEST_P(DataLoaderOnDevice, PinnedAndPageableGiveTheCpuBatchesOverEpochsAndWorkers) {
  auto ds = augmented_dataset(203, 3, 16);
  DataLoader on_cpu(ds, options(0, false, cpu()));
  const Epochs reference = run_epochs(on_cpu, 3);
  const size_t live_before = pinned_buffers_live();
  for (int workers : {0, 1, 4}) {
    for (bool pin : {true, false}) {
      const size_t uploads_before = uploads_started();
      {
        DataLoader loader(ds, options(workers, pin, device()));
        Epochs got;
        for (int e = 0; e < 3; ++e) {
          got.images.emplace_back();
          got.labels.emplace_back();
          for (const Batch& b : loader) {
            EXPECT_EQ(b.images.device(), device());
            EXPECT_EQ(b.labels.device(), device());
            got.images.back().push_back(b.images.data().to_vector<float>());
            got.labels.back().push_back(b.labels.data().to_vector<int64_t>());
            // Bounded: the batches in flight (2 per worker, or 1) plus two being released.
            EXPECT_LE(pinned_buffers_live() - live_before,
                      static_cast<size_t>(std::max(1, 2 * workers) + 2));
          }
        }
        EXPECT_TRUE(got == reference) << workers << " workers, pin_memory " << pin;
      }
      // Pinned memory, hence uploads, only for CUDA.
      EXPECT_EQ(uploads_started() - uploads_before, pin && device().is_cuda() ? 3u * 13 : 0u)
          << workers << " workers, pin_memory " << pin;
      EXPECT_EQ(pinned_buffers_live(), live_before) << "the loader frees its pinned buffers";
    }
  }
}

// A large batch consumed by a kernel on the compute stream the moment it is handed out: with
// no workers the copy has only just been queued, so a missing event wait would read stale or
// half-written memory (the caching allocator hands each batch the blocks of an earlier one).
TEST_P(DataLoaderOnDevice, NoBatchIsReadBeforeItsCopyFinished) {
  auto ds = augmented_dataset(96, 3, 192);  // 24 batches of 8 x 3 x 192 x 192 floats (3.5 MiB)
  for (int workers : {0, 1}) {
    DataLoader on_cpu(ds, options(0, false, cpu(), 8));
    DataLoader on_gpu(ds, options(workers, true, device(), 8));
    for (int e = 0; e < 2; ++e) {
      std::vector<std::vector<float>> expected;
      for (const Batch& b : on_cpu)
        expected.push_back((b.images.data() * 2.0 + 1.0).to_vector<float>());
      size_t k = 0;
      for (const Batch& b : on_gpu) {
        ASSERT_LT(k, expected.size());
        EXPECT_TRUE((b.images.data() * 2.0 + 1.0).to_vector<float>() == expected[k])
            << "batch " << k << ", epoch " << e << ", " << workers << " workers";
        ++k;
      }
      EXPECT_EQ(k, expected.size());
    }
  }
}

TEST(CudaDataLoader, CopyStreamIsSeparateAndOrderedByEvents) {
  NEEDLE_REQUIRE_CUDA();
  if (cuda_backend::copy_stream_handle == nullptr ||
      cuda_backend::compute_stream_handle == nullptr) {
    NEEDLE_SKIP_WITHOUT_CUDA("this build has no CUDA backend (no test hooks)");
  }
  const void* copy = cuda_backend::copy_stream_handle(0);
  const void* compute = cuda_backend::compute_stream_handle(0);
  EXPECT_NE(copy, nullptr);
  EXPECT_NE(compute, nullptr);
  EXPECT_NE(copy, compute);

  Backend& backend = backend_for(cuda(0));
  const int64_t n = int64_t{16} << 20;  // 64 MiB
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  float* host = static_cast<float*>(backend.allocate_pinned_host(bytes));
  ASSERT_NE(host, nullptr);
  for (int64_t i = 0; i < n; ++i)
    host[i] = static_cast<float>(i % 1000);
  NDArray dst = NDArray::empty({n}, DType::Float32, cuda(0));
  // Keep the compute stream busy for tens of milliseconds: the upload must wait behind it.
  NDArray a = NDArray::rand({4096, 4096}, 0.0, 1.0, DType::Float32, cuda(0));
  for (int i = 0; i < 20; ++i)
    a = matmul(a, a) * (1.0 / 4096);
  const HostToDeviceCopy c{host, dst.data_ptr(), bytes};
  UploadTicket ticket = backend.upload_async({&c, 1}, cuda(0));
  ASSERT_TRUE(ticket);
  // NEEDLE_CUDA_SYNC=1 waits after every matmul, which leaves the compute stream idle here.
  const char* sync = std::getenv("NEEDLE_CUDA_SYNC");
  if (sync == nullptr || *sync == '\0' || std::strcmp(sync, "0") == 0) {
    EXPECT_FALSE(backend.upload_finished(ticket))
        << "the copy ran before the compute stream's earlier work: not ordered by an event";
  }
  backend.wait_upload(ticket);
  EXPECT_TRUE(backend.upload_finished(ticket));
  // Read on the compute stream, after the upload; then the source may be freed.
  backend.order_after_upload(ticket);
  std::vector<float> got = (dst + 0.0).to_vector<float>();
  backend.free_pinned_host(host);
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  size_t wrong = 0;
  for (int64_t i = 0; i < n; ++i)
    wrong += got[static_cast<size_t>(i)] != static_cast<float>(i % 1000);
  EXPECT_EQ(wrong, 0u);
}

TEST_P(DataLoaderOnDevice, EarlyBreakDropsUploadsSafely) {
  auto ds = augmented_dataset(400, 3, 64);
  const size_t live_before = pinned_buffers_live();
  {
    DataLoader loader(ds, options(3, true, device(), 8));
    for (int e = 0; e < 3; ++e) {
      for (const Batch& b : loader) {
        (void)b;
        break;  // prefetched batches, their uploads maybe in flight, are dropped
      }
    }
    // The blocks of the dropped batches go back to the cache; an epoch reusing them is intact.
    DataLoader on_cpu(ds, options(0, false, cpu(), 8));
    on_cpu.set_epoch(3);
    EXPECT_TRUE(run_epochs(loader, 1) == run_epochs(on_cpu, 1));
  }
  EXPECT_EQ(pinned_buffers_live(), live_before);
}

}  // namespace
}  // namespace needle::data

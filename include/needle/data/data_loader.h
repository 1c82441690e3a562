// DataLoader: batches of a Dataset for a training loop,
//   for (const data::Batch& batch : loader) { ... batch.images ... batch.labels ... }
// Each begin() starts a new epoch (a new shuffle when shuffling). With num_workers > 0, worker
// threads decode, augment and collate batches ahead of the loop into a bounded queue; batches
// still come out in order, and an exception thrown while making batch k is re-thrown in the
// caller when batch k is reached. Leaving the loop early (or dropping the iterator) stops and
// joins the workers; an epoch owns what it reads, so destroying the loader mid-epoch is safe.
//
// Randomness: every example's transforms draw from a Generator seeded by (loader seed, epoch,
// example index), and the shuffle from one seeded by (loader seed, epoch). The same seed gives
// the same batches whatever num_workers is and however the threads are scheduled.
//
// Devices: with pin_memory (the default) and a device whose backend has pinned host memory
// (CUDA), batches are collated straight into page-locked buffers, kept in a small pool per
// loader and reused, and each batch's host-to-device copy starts as soon as it is collated, on
// the worker that made it, on a copy stream of the device's own: the next batches cross PCIe
// while the current step computes. The copy is ordered after the device's work queued when its
// destination was allocated, and the device's work is ordered after the copy when the batch is
// handed out, by events, without the host waiting. A pinned buffer is reused only once its copy
// has finished. With num_workers == 0 the copy starts when the loop asks for the batch (still
// without a host wait). Without pin_memory, or for a CPU device (whose backend has no pinned
// memory: nothing to do), batches are collated into pageable memory and moved with .to(device)
// on the caller's thread, which for CUDA stages through the backend's pinned ring and does not
// wait for the GPU either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>

#include "needle/data/batch.h"
#include "needle/data/dataset.h"
#include "needle/device.h"

namespace needle::data {

namespace detail {
class Epoch;
class PinnedBufferPool;
}  // namespace detail

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  // Drops the last, short batch when size() is not a multiple of batch_size.
  bool drop_last = false;
  // 0: batches are made on the caller's thread when the loop asks for them.
  int num_workers = 0;
  // Batches made ahead of the loop, per worker (PyTorch's prefetch_factor).
  int prefetch = 2;
  // Unset: drawn from default_generator() when the loader is built, so manual_seed() before
  // building it makes the loader repeatable too.
  std::optional<uint64_t> seed = std::nullopt;
  Device device = cpu();
  // For CUDA targets: collate into page-locked host memory and upload each batch ahead of the
  // loop on a copy stream ("Devices" above). No effect for a CPU device.
  bool pin_memory = true;
};

class DataLoader {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const Batch*;
    using reference = const Batch&;

    Iterator() = default;
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    // Waits for the next batch; re-throws the error that making it raised.
    Iterator& operator++();
    void operator++(int) { ++*this; }
    // Batches handed out so far in this epoch (1 while the first one is current).
    int64_t position() const { return position_; }
    bool operator==(std::default_sentinel_t) const;

   private:
    friend class DataLoader;
    explicit Iterator(std::shared_ptr<detail::Epoch> epoch);
    void fetch();

    std::shared_ptr<detail::Epoch> epoch_;
    Batch batch_;
    int64_t position_ = 0;
    bool at_end_ = true;
  };

  // Throws Error on batch_size < 1, num_workers < 0 or prefetch < 1.
  explicit DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  // Starts the next epoch and waits for its first batch.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

  // Batches per epoch.
  int64_t size() const;
  const DataLoaderOptions& options() const { return options_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }
  uint64_t seed() const { return seed_; }
  // The epoch the next begin() starts (0 at first); set it to resume a run's sequence.
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch) { epoch_ = epoch; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  uint64_t seed_ = 0;
  int64_t epoch_ = 0;
  // Pinned host buffers shared by this loader's epochs (null without pin_memory).
  std::shared_ptr<detail::PinnedBufferPool> pinned_;
};

}  // namespace needle::data

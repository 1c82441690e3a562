// DataLoader: epochs, worker threads, the ordered prefetch queue and collation.
#include "needle/data/data_loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "needle/backend.h"
#include "needle/error.h"
#include "needle/random.h"
#include "src/data/pinned_buffer_pool.h"
#include "src/data/seeding.h"

namespace needle::data {

namespace detail {
namespace {

std::atomic<Backend*> pinned_backend_override{nullptr};

// Batches claimed by workers and not yet consumed, at most (1 when the caller makes them).
int64_t prefetch_depth(const DataLoaderOptions& options) {
  return std::max<int64_t>(1, int64_t{options.prefetch} * options.num_workers);
}

}  // namespace

// A batch as produce() leaves it: host arrays (pageable, moved with .to() when handed out), or
// device arrays that an upload from a pinned buffer is still writing. Whoever drops such arrays,
// read or not, must first order the device's later work after the upload: the caching allocator
// would otherwise hand their blocks to work that races the copy. The destructor does so.
class Collated {
 public:
  Collated() = default;
  Collated(Collated&& other) noexcept { *this = std::move(other); }
  Collated& operator=(Collated&& other) noexcept {
    if (this != &other) {
      settle();
      images = std::move(other.images);
      labels = std::move(other.labels);
      backend = std::exchange(other.backend, nullptr);
      upload = std::move(other.upload);
      pinned = std::move(other.pinned);
    }
    return *this;
  }
  ~Collated() { settle(); }

  NDArray images;
  NDArray labels;
  Backend* backend = nullptr;  // the upload's
  UploadTicket upload;         // empty for host arrays (or an upload already ordered)
  // The upload's source; returned to its pool with the upload when this dies.
  PinnedBufferPool::Buffer pinned;

  // Orders the device's work from now on after the upload (no host wait).
  void order_device_work() {
    if (upload) backend->order_after_upload(upload);
    upload = UploadTicket();
  }

 private:
  void settle() noexcept {
    try {
      order_device_work();
    } catch (...) {
      // A device too broken to queue an event wait fails its next operation anyway.
    }
  }
};

void set_pinned_backend_for_testing(Backend* backend) {
  pinned_backend_override.store(backend);
}

// One pass over the dataset. Owns its workers and shares the dataset, so it outlives the loader
// safely; destroying it stops and joins the workers. Workers claim batch indices in order, at
// most `capacity` ahead of the consumer, and file finished batches under their index, so the
// consumer takes batch k k-th whichever worker finished first.
class Epoch {
 public:
  Epoch(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options, uint64_t seed,
        std::vector<int64_t> order, int64_t num_batches, std::shared_ptr<PinnedBufferPool> pinned)
      : dataset_(std::move(dataset)),
        options_(options),
        seed_(seed),
        order_(std::move(order)),
        num_batches_(num_batches),
        capacity_(prefetch_depth(options)),
        pinned_(std::move(pinned)) {
    const int workers =
        static_cast<int>(std::min<int64_t>(options.num_workers, std::max<int64_t>(num_batches, 1)));
    try {
      for (int i = 0; i < workers; ++i)
        workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      stop_and_join();  // joinable threads must never be destroyed
      throw;
    }
  }

  ~Epoch() { stop_and_join(); }
  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;

  int64_t num_batches() const { return num_batches_; }

  // Batch `consumed_`, on the target device; re-throws what making it threw.
  Batch next() {
    Slot slot;
    if (workers_.empty()) {
      const int64_t k = consumed_++;
      slot.batch = produce(k, scratch_);
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_cv_.wait(lock, [&] { return ready_.count(consumed_) > 0 || fatal_ != nullptr; });
      auto it = ready_.find(consumed_);
      if (it == ready_.end()) std::rethrow_exception(fatal_);
      slot = std::move(it->second);
      ready_.erase(it);
      ++consumed_;
      lock.unlock();
      work_cv_.notify_all();
    }
    if (slot.error) std::rethrow_exception(slot.error);
    return to_batch(slot.batch);
  }

 private:
  struct Slot {
    Collated batch;
    std::exception_ptr error;
  };

  void stop_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

  void worker_loop() {
    // Nothing may escape a thread (it would terminate the process): a failure to make a batch
    // goes into that batch's slot, anything else into fatal_ for the consumer.
    try {
      Image scratch;
      while (true) {
        int64_t k;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          work_cv_.wait(lock, [&] {
            return stop_ || next_task_ >= num_batches_ || next_task_ < consumed_ + capacity_;
          });
          if (stop_ || next_task_ >= num_batches_) return;
          k = next_task_++;
        }
        Slot slot;
        try {
          slot.batch = produce(k, scratch);
        } catch (...) {
          slot.error = std::current_exception();
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ready_.emplace(k, std::move(slot));
        }
        ready_cv_.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!fatal_) fatal_ = std::current_exception();
      }
      ready_cv_.notify_all();
    }
  }

  // Decodes, augments and collates batch k into one host buffer: a pinned one from the pool
  // when there is one, whose upload to the device it then starts, so that the copy runs ahead
  // of the loop on the workers' side; else pageable arrays.
  Collated produce(int64_t k, Image& scratch) const {
    const int64_t bs = options_.batch_size;
    const int64_t begin = k * bs;
    const int64_t end = std::min<int64_t>(begin + bs, static_cast<int64_t>(order_.size()));
    const int64_t count = end - begin;
    Shape example_shape;
    int64_t per = 0;
    // Example j of the batch into `scratch`, returning its label; example 0 sets the shape.
    auto decode = [&](int64_t j) {
      const int64_t index = order_[static_cast<size_t>(begin + j)];
      Generator gen(example_seed(seed_, index));
      const int64_t label = dataset_->get_into(index, gen, scratch);
      if (j == 0) {
        example_shape = scratch.shape;
        per = numel(example_shape);
      } else {
        NEEDLE_CHECK_AS(ShapeError, scratch.shape == example_shape,
                        "DataLoader: example {} has shape {} but example {} of the same batch has "
                        "shape {}; examples must share a shape to be batched (add a Resize or "
                        "RandomCrop)",
                        index, shape_str(scratch.shape), order_[static_cast<size_t>(begin)],
                        shape_str(example_shape));
      }
      NEEDLE_CHECK(static_cast<int64_t>(scratch.data.size()) == per,
                   "DataLoader: example {} has shape {} but holds {} values", index,
                   shape_str(scratch.shape), scratch.data.size());
      return label;
    };
    const int64_t first_label = decode(0);
    Shape shape{count};
    shape.insert(shape.end(), example_shape.begin(), example_shape.end());
    const size_t image_bytes = static_cast<size_t>(count * per) * sizeof(float);
    const size_t label_bytes = static_cast<size_t>(count) * sizeof(int64_t);
    const size_t label_offset = (image_bytes + 63) / 64 * 64;  // labels after the images

    Collated out;
    if (pinned_) out.pinned = pinned_->acquire(label_offset + label_bytes);
    float* images;
    int64_t* labels;
    if (out.pinned) {
      images = static_cast<float*>(out.pinned.data());
      labels = reinterpret_cast<int64_t*>(static_cast<char*>(out.pinned.data()) + label_offset);
    } else {
      out.images = NDArray::empty(shape, DType::Float32);
      out.labels = NDArray::empty({count}, DType::Int64);
      images = out.images.data<float>();
      labels = out.labels.data<int64_t>();
    }
    for (int64_t j = 0; j < count; ++j) {
      labels[j] = j == 0 ? first_label : decode(j);
      std::memcpy(images + j * per, scratch.data.data(), static_cast<size_t>(per) * sizeof(float));
    }
    if (out.pinned) {
      out.images = NDArray::empty(shape, DType::Float32, options_.device);
      out.labels = NDArray::empty({count}, DType::Int64, options_.device);
      const HostToDeviceCopy copies[] = {{images, out.images.data_ptr(), image_bytes},
                                         {labels, out.labels.data_ptr(), label_bytes}};
      out.backend = &pinned_->backend();
      out.upload = out.backend->upload_async(copies, options_.device);
      out.pinned.set_upload(out.upload);
    }
    return out;
  }

  // Runs on the caller's thread. An uploaded batch only has the device's later work ordered
  // after its copy (no host wait); a pageable one is copied with .to(), which for CUDA stages
  // through the backend's pinned ring and does not wait for the GPU either.
  Batch to_batch(Collated& batch) const {
    if (batch.backend != nullptr) {
      batch.order_device_work();
      return Batch{Tensor(batch.images), Tensor(batch.labels)};
    }
    return Batch{Tensor(batch.images.to(options_.device)),
                 Tensor(batch.labels.to(options_.device))};
  }

  const std::shared_ptr<const Dataset> dataset_;
  const DataLoaderOptions options_;
  const uint64_t seed_;
  const std::vector<int64_t> order_;
  const int64_t num_batches_;
  const int64_t capacity_;
  const std::shared_ptr<PinnedBufferPool> pinned_;  // null without pin_memory

  std::mutex mutex_;
  std::condition_variable work_cv_;   // workers wait for room in the queue or for stop_
  std::condition_variable ready_cv_;  // the consumer waits for its batch
  int64_t next_task_ = 0;             // the next batch a worker will claim
  int64_t consumed_ = 0;              // batches handed to the consumer
  std::map<int64_t, Slot> ready_;     // finished batches, by index
  std::exception_ptr fatal_;
  bool stop_ = false;
  Image scratch_;  // for num_workers == 0
  std::vector<std::thread> workers_;
};

}  // namespace detail

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  NEEDLE_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  NEEDLE_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got {}",
               options_.batch_size);
  NEEDLE_CHECK(options_.num_workers >= 0, "DataLoader: num_workers must be >= 0, got {}",
               options_.num_workers);
  NEEDLE_CHECK(options_.prefetch >= 1, "DataLoader: prefetch must be at least 1, got {}",
               options_.prefetch);
  seed_ = options_.seed ? *options_.seed : default_generator().next_u64();
  if (options_.pin_memory) {
    Backend* backend = detail::pinned_backend_override.load();
    if (backend == nullptr && has_backend(options_.device.type)) {
      backend = &backend_for(options_.device);
    }
    // Room for the batches in flight towards the consumer, plus two whose uploads may still be
    // reading them after they were handed out. A backend without pinned memory (the CPU) makes
    // the pool answer empty buffers, and batches stay pageable.
    if (backend != nullptr) {
      pinned_ = std::make_shared<detail::PinnedBufferPool>(
          *backend, static_cast<size_t>(detail::prefetch_depth(options_) + 2));
    }
  }
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size(), bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

DataLoader::Iterator DataLoader::begin() {
  const int64_t n = dataset_->size();
  const uint64_t seed = detail::epoch_seed(seed_, epoch_++);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    // Fisher-Yates on a generator of this epoch alone.
    Generator gen(detail::shuffle_seed(seed));
    for (int64_t i = n - 1; i > 0; --i) {
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(gen.next_int(0, i + 1))]);
    }
  }
  const int64_t batches = size();
  order.resize(static_cast<size_t>(std::min(n, batches * options_.batch_size)));
  return Iterator(std::make_shared<detail::Epoch>(dataset_, options_, seed, std::move(order),
                                                  batches, pinned_));
}

DataLoader::Iterator::Iterator(std::shared_ptr<detail::Epoch> epoch) : epoch_(std::move(epoch)) {
  at_end_ = false;
  fetch();
}

void DataLoader::Iterator::fetch() {
  if (position_ >= epoch_->num_batches()) {
    at_end_ = true;
    batch_ = Batch{};
    epoch_.reset();  // stops and joins the workers now, not when the iterator dies
    return;
  }
  ++position_;
  batch_ = Batch{};
  batch_ = epoch_->next();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  NEEDLE_CHECK(!at_end_, "DataLoader: iterator advanced past the end of the epoch");
  fetch();
  return *this;
}

bool DataLoader::Iterator::operator==(std::default_sentinel_t) const {
  return at_end_;
}

}  // namespace needle::data

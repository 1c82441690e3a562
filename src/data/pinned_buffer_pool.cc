// The DataLoader's pool of pinned host buffers (see the header).
#include "src/data/pinned_buffer_pool.h"

#include <algorithm>
#include <utility>

namespace needle::data::detail {

PinnedBufferPool::Buffer::Buffer(Buffer&& other) noexcept
    : pool_(std::move(other.pool_)),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      upload_(std::move(other.upload_)) {}

PinnedBufferPool::Buffer& PinnedBufferPool::Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    upload_ = std::move(other.upload_);
  }
  return *this;
}

PinnedBufferPool::Buffer::~Buffer() {
  release();
}

void PinnedBufferPool::Buffer::release() noexcept {
  if (data_ != nullptr) {
    pool_->give_back(Block{data_, capacity_, std::move(upload_)});
  }
  data_ = nullptr;
  capacity_ = 0;
  upload_ = UploadTicket();
  pool_.reset();
}

PinnedBufferPool::PinnedBufferPool(Backend& backend, size_t max_buffers)
    : backend_(backend), max_buffers_(std::max<size_t>(max_buffers, 1)) {}

PinnedBufferPool::~PinnedBufferPool() {
  // Nothing may escape a destructor; a failure here (a GPU already in error) leaves a buffer
  // pinned until the process exits, which is all that can be done about it.
  for (Block& b : in_flight_) {
    try {
      backend_.wait_upload(b.upload);
      backend_.free_pinned_host(b.data);
    } catch (...) {
    }
  }
  for (Block& b : free_) {
    try {
      backend_.free_pinned_host(b.data);
    } catch (...) {
    }
  }
}

void PinnedBufferPool::give_back(Block block) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  // Only the consumer's cheap push happens here; acquire() polls the upload later. A deque
  // allocation failing would be a bad_alloc out of a noexcept function: keep the buffer out of
  // circulation (and never freed) instead.
  try {
    if (block.upload) {
      in_flight_.push_back(std::move(block));
    } else {
      free_.push_back(std::move(block));
    }
  } catch (...) {
  }
}

void PinnedBufferPool::reclaim_locked() {
  // Every one is polled: workers upload batches out of order, so a later return may finish
  // first.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (backend_.upload_finished(it->upload)) {
      it->upload = UploadTicket();
      free_.push_back(std::move(*it));
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

void PinnedBufferPool::note_allocated_locked() {
  ++held_;
  peak_ = std::max(peak_, held_);
}

PinnedBufferPool::Buffer PinnedBufferPool::acquire(size_t nbytes) {
  const size_t size = std::max<size_t>(1, (nbytes + kRound - 1) / kRound) * kRound;
  std::unique_lock<std::mutex> lock(mutex_);
  void* to_free = nullptr;  // a free buffer too small for this request, replaced at the bound
  while (true) {
    if (!backend_.supports(BackendFeature::PinnedHostMemory)) return Buffer();
    reclaim_locked();
    // Best fit among the free buffers.
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->capacity >= size && (best == free_.end() || it->capacity < best->capacity)) best = it;
    }
    if (best != free_.end()) {
      Buffer out;
      out.pool_ = shared_from_this();
      out.data_ = best->data;
      out.capacity_ = best->capacity;
      free_.erase(best);
      return out;
    }
    if (held_ >= max_buffers_ && !free_.empty()) {
      // Every free buffer is too small (the batches grew): replace the largest.
      auto largest =
          std::max_element(free_.begin(), free_.end(),
                           [](const Block& a, const Block& b) { return a.capacity < b.capacity; });
      to_free = largest->data;
      free_.erase(largest);
      --held_;
    }
    if (held_ < max_buffers_ || in_flight_.empty()) break;
    // At the bound with every returned buffer still being read: wait for the oldest upload,
    // without the lock, so the consumer can keep returning buffers meanwhile.
    UploadTicket oldest = in_flight_.front().upload;
    lock.unlock();
    backend_.wait_upload(oldest);
    lock.lock();
  }
  note_allocated_locked();  // counted now, so concurrent acquires respect the bound
  lock.unlock();
  void* data = nullptr;
  try {
    if (to_free != nullptr) backend_.free_pinned_host(to_free);
    data = backend_.allocate_pinned_host(size);
  } catch (...) {
    std::lock_guard<std::mutex> relock(mutex_);
    --held_;
    throw;
  }
  Buffer out;
  out.pool_ = shared_from_this();
  out.data_ = data;
  out.capacity_ = size;
  return out;
}

size_t PinnedBufferPool::buffers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

size_t PinnedBufferPool::peak_buffers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

}  // namespace needle::data::detail

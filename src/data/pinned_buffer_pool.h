// PinnedBufferPool: the page-locked host buffers a DataLoader with pin_memory collates batches
// into, allocated through the target device's backend and reused from batch to batch and epoch
// to epoch, because pinning memory is slow and unpinning it slower (cudaFreeHost synchronises
// the device). A buffer comes back with the upload that reads it and is handed out again only
// once that upload has finished. acquire() reclaims finished buffers by polling, so the
// consumer's release is a push under a lock and the waiting, if any, happens on the workers.
// Internal to src/data.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "needle/backend.h"

namespace needle::data::detail {

class PinnedBufferPool : public std::enable_shared_from_this<PinnedBufferPool> {
 public:
  // A lease on one buffer. Destroying it returns the buffer to the pool together with the
  // upload set_upload() named, which the pool waits for before handing the buffer out again.
  class Buffer {
   public:
    Buffer() = default;
    Buffer(Buffer&& other) noexcept;
    Buffer& operator=(Buffer&& other) noexcept;
    ~Buffer();

    explicit operator bool() const { return data_ != nullptr; }
    void* data() const { return data_; }
    size_t capacity() const { return capacity_; }
    void set_upload(UploadTicket upload) { upload_ = std::move(upload); }

   private:
    friend class PinnedBufferPool;
    void release() noexcept;

    std::shared_ptr<PinnedBufferPool> pool_;
    void* data_ = nullptr;
    size_t capacity_ = 0;
    UploadTicket upload_;
  };

  // Sizes are rounded up to this, so batches whose sizes differ a little share buffers.
  static constexpr size_t kRound = size_t(64) << 10;

  // Create with std::make_shared (leases keep the pool alive). At most `max_buffers` buffers
  // are held while no more than that many are leased at once: at the bound, acquire() waits
  // for the oldest upload still reading a returned buffer. It never waits for a leased one,
  // which may sit in the queue of an epoch that nobody consumes; then it allocates past the
  // bound instead. (A DataLoader leases at most its prefetch depth per epoch.)
  PinnedBufferPool(Backend& backend, size_t max_buffers);
  // Waits for the uploads still reading returned buffers, then frees every buffer.
  ~PinnedBufferPool();
  PinnedBufferPool(const PinnedBufferPool&) = delete;
  PinnedBufferPool& operator=(const PinnedBufferPool&) = delete;

  // A buffer of at least `nbytes`, or an empty Buffer when the backend has no pinned memory
  // (the caller then uses pageable memory; the pool stops asking).
  Buffer acquire(size_t nbytes);

  Backend& backend() const { return backend_; }
  size_t max_buffers() const { return max_buffers_; }
  // Buffers held from the backend: free, leased, or returned with an unfinished upload.
  size_t buffers() const;
  // The most buffers held at once so far.
  size_t peak_buffers() const;

 private:
  struct Block {
    void* data = nullptr;
    size_t capacity = 0;
    UploadTicket upload;  // empty once finished
  };
  void give_back(Block block) noexcept;
  // Moves returned buffers whose uploads finished to free_; mutex_ held.
  void reclaim_locked();
  void note_allocated_locked();

  Backend& backend_;
  const size_t max_buffers_;
  mutable std::mutex mutex_;
  std::vector<Block> free_;
  std::deque<Block> in_flight_;  // returned, upload maybe unfinished; oldest first
  size_t held_ = 0;              // buffers allocated and not freed (a pending allocation too)
  size_t peak_ = 0;
};

// For tests only: loaders built from now on take their pinned buffers and uploads from `backend`
// instead of their device's backend (nullptr restores that), so that the pinned path can be
// exercised against a fake on a machine without a GPU.
void set_pinned_backend_for_testing(Backend* backend);

}  // namespace needle::data::detail

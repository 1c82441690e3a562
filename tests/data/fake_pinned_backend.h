// A CPU backend that pretends to have pinned memory and asynchronous uploads, so the
// DataLoader's pin_memory path and its buffer pool run on a machine without a GPU. An upload
// only snapshots its source; the copy lands in the destination when the upload "finishes":
// when the consumer orders work after it, when waited for, or on its third poll. So a batch
// read before its upload was ordered shows the destination's stale bytes, and a pinned buffer
// rewritten while its upload is pending is caught (the source no longer matches the snapshot).
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "backends/cpu/cpu_backend.h"

namespace needle::data::test {

class FakePinnedBackend : public cpu_backend::CpuBackend {
 public:
  // Polls before upload_finished says yes by itself.
  static constexpr int kPollsToFinish = 3;

  bool supports(BackendFeature feature) const override {
    return feature == BackendFeature::PinnedHostMemory || CpuBackend::supports(feature);
  }
  void* do_allocate_pinned_host(size_t nbytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++allocations;
    peak_live = std::max(peak_live, ++live);
    return ::operator new (nbytes, std::align_val_t{64});
  }
  void do_free_pinned_host(void* ptr) override {
    std::lock_guard<std::mutex> lock(mutex_);
    --live;
    ::operator delete (ptr, std::align_val_t{64});
  }

  UploadTicket upload_async(std::span<const HostToDeviceCopy> copies,
                            const Device& device) override {
    auto state = std::make_shared<State>();
    state->device = device;
    for (const HostToDeviceCopy& c : copies) {
      const auto* bytes = static_cast<const unsigned char*>(c.host);
      state->copies.push_back(c);
      state->snapshots.emplace_back(bytes, bytes + c.nbytes);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    uploads_.push_back(state);
    return UploadTicket(state);
  }
  void order_after_upload(const UploadTicket& ticket) override {
    if (!ticket) return;
    std::lock_guard<std::mutex> lock(mutex_);
    State& s = state(ticket);
    s.ordered = true;
    finish(s);
  }
  bool upload_finished(const UploadTicket& ticket) override {
    if (!ticket) return true;
    std::lock_guard<std::mutex> lock(mutex_);
    State& s = state(ticket);
    if (!s.done && ++s.polls >= kPollsToFinish) finish(s);
    return s.done;
  }
  void wait_upload(const UploadTicket& ticket) override {
    if (!ticket) return;
    std::lock_guard<std::mutex> lock(mutex_);
    ++waits;
    finish(state(ticket));
  }

  // Uploads whose arrays were handed out or dropped without ordering work after them.
  size_t unordered_uploads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<size_t>(
        std::count_if(uploads_.begin(), uploads_.end(), [](const auto& s) { return !s->ordered; }));
  }
  size_t upload_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return uploads_.size();
  }

  // Read under no lock only while no loader runs.
  size_t allocations = 0, live = 0, peak_live = 0, waits = 0, overwritten_sources = 0;

 private:
  struct State {
    Device device;
    std::vector<HostToDeviceCopy> copies;
    std::vector<std::vector<unsigned char>> snapshots;
    int polls = 0;
    bool done = false, ordered = false;
  };
  static State& state(const UploadTicket& ticket) { return *static_cast<State*>(ticket.state()); }
  void finish(State& s) {
    if (s.done) return;
    for (size_t i = 0; i < s.copies.size(); ++i) {
      const HostToDeviceCopy& c = s.copies[i];
      if (std::memcmp(c.host, s.snapshots[i].data(), c.nbytes) != 0) ++overwritten_sources;
      CpuBackend::copy_from_host(c.host, c.device_ptr, c.nbytes, s.device);
    }
    s.done = true;
  }

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<State>> uploads_;
};

}  // namespace needle::data::test

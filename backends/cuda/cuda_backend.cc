// CudaBackend: devices, memory, host copies, pinned memory and uploads, index checks, and its
// registration. The kernel families have a host file each (copy.cc, elementwise.cc, reduce.cc,
// matmul.cc, conv2d.cc, optimizer_steps.cc). See cuda_backend.h.
#include "backends/cuda/cuda_backend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "backends/cuda/async_upload.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/host_sync.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "kernels/kernels.cuh"
#include "needle/error.h"

namespace needle::cuda_backend {
namespace {

struct Registrar {
  Registrar() { register_backend(DeviceType::CUDA, std::make_unique<CudaBackend>()); }
};
const Registrar registrar;

// Pinned host buffers allocated and not yet freed (pinned_host_buffers_live, for tests).
std::atomic<size_t> pinned_host_live{0};

}  // namespace

// --- devices ------------------------------------------------------------------------------------

void CudaBackend::probe() const {
  std::call_once(probe_once_, [this] {
    int n = 0;
    const cudaError_t status = cudaGetDeviceCount(&n);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      count_ = 0;
      status_ = fmt::format("no CUDA device: {} ({})", cudaGetErrorString(status),
                            cudaGetErrorName(status));
      return;
    }
    if (n <= 0) {
      status_ = "no CUDA device: the driver reports none";
      return;
    }
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
      cudaDeviceProp p{};
      if (cudaGetDeviceProperties(&p, i) == cudaSuccess) {
        names.push_back(fmt::format("cuda:{} {} (sm_{}{}, {} MiB)", i, p.name, p.major, p.minor,
                                    p.totalGlobalMem >> 20));
      } else {
        (void)cudaGetLastError();
        names.push_back(fmt::format("cuda:{}", i));
      }
    }
    count_ = n;
    status_ = fmt::format("{} CUDA device(s): {}", n, fmt::join(names, ", "));
  });
}

int CudaBackend::device_count() const {
  probe();
  return count_;
}

std::string CudaBackend::availability() const {
  probe();
  return status_;
}

int CudaBackend::checked_index(const Device& device, const char* op) const {
  probe();
  NEEDLE_CHECK_AS(DeviceError, device.is_cuda() && device.index >= 0 && device.index < count_,
                  "{}: {} is not an available CUDA device ({})", op, device.str(), status_);
  return device.index;
}

// --- memory -------------------------------------------------------------------------------------

void* CudaBackend::allocate(size_t nbytes, const Device& device) {
  return allocator_.allocate(nbytes, checked_index(device, "allocate"));
}

void CudaBackend::deallocate(void* ptr, size_t /*nbytes*/, const Device& device) {
  // Not checked_index: a pointer returned by allocate() has an existing device, and freeing
  // must not need the driver. A pointer that is not live here is a caller's bug (a double
  // free, or memory from elsewhere): say so rather than corrupt the cache.
  NEEDLE_CHECK_AS(DeviceError, device.is_cuda() && device.index >= 0,
                  "deallocate: {} is not a CUDA device", device.str());
  NEEDLE_CHECK_AS(DeviceError, allocator_.deallocate(ptr, device.index),
                  "deallocate: {} on {} was not allocated by the CUDA backend or was already "
                  "freed",
                  fmt::ptr(ptr), device.str());
}

MemoryStats CudaBackend::memory_stats(const Device& device) const {
  return allocator_.stats(checked_index(device, "memory_stats"));
}

void CudaBackend::empty_cache() {
  if (device_count() > 0) allocator_.empty_cache();
}

void CudaBackend::synchronize(const Device& device) {
  const int index = checked_index(device, "synchronize");
  DeviceGuard guard(index);
  stream_synchronize(stream_for(index));
  synchronize_uploads(index);
  index_checks_.raise_failed(index);
}

CudaBackend::Scratch::Scratch(CudaBackend& backend, size_t nbytes, int device)
    : backend_(backend), ptr_(backend.allocator_.allocate(nbytes, device)), device_(device) {}

CudaBackend::Scratch::~Scratch() {
  if (!backend_.allocator_.deallocate(ptr_, device_)) {
    // Cannot happen (the block came from this allocator); a destructor must not throw.
    fmt::print(stderr, "needle: CUDA scratch block {} on cuda:{} was not live when freed\n",
               fmt::ptr(ptr_), device_);
  }
}

void CudaBackend::copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                                 const Device& device) {
  staging_.copy_from_host(host, device_ptr, nbytes, checked_index(device, "copy_from_host"));
}

void CudaBackend::copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                               const Device& device) {
  const int index = checked_index(device, "copy_to_host");
  staging_.copy_to_host(device_ptr, host, nbytes, index);
  index_checks_.raise_failed(index);  // the host has just waited for the device anyway
}

// --- pinned host memory and asynchronous uploads ------------------------------------------------

bool CudaBackend::supports(BackendFeature feature) const {
  switch (feature) {
    case BackendFeature::Conv2d:
      return true;
    case BackendFeature::PinnedHostMemory:
      return device_count() > 0;
    case BackendFeature::FusedBatchNorm:
      return false;
  }
  return false;
}

void* CudaBackend::do_allocate_pinned_host(size_t nbytes) {
  void* ptr = nullptr;
  // Portable: pinned for every GPU's context, whichever device the loader targets.
  NEEDLE_CUDA_CHECK(cudaHostAlloc(&ptr, std::max<size_t>(nbytes, 1), cudaHostAllocPortable));
  pinned_host_live.fetch_add(1);
  return ptr;
}

void CudaBackend::do_free_pinned_host(void* ptr) {
  NEEDLE_CUDA_CHECK(cudaFreeHost(ptr));
  pinned_host_live.fetch_sub(1);
}

UploadTicket CudaBackend::upload_async(std::span<const HostToDeviceCopy> copies,
                                       const Device& device) {
  const int index = checked_index(device, "upload_async");
  if (copies.empty()) return UploadTicket();
  return cuda_backend::upload_async(copies, index);
}

void CudaBackend::order_after_upload(const UploadTicket& ticket) {
  cuda_backend::order_after_upload(ticket);
}

bool CudaBackend::upload_finished(const UploadTicket& ticket) {
  return cuda_backend::upload_finished(ticket);
}

void CudaBackend::wait_upload(const UploadTicket& ticket) {
  cuda_backend::wait_upload(ticket);
}

size_t async_uploads_started() {
  return uploads_started();
}

size_t pinned_host_buffers_live() {
  return pinned_host_live.load();
}

const void* copy_stream_handle(int device) {
  return copy_stream_for(device);
}

const void* compute_stream_handle(int device) {
  return stream_for(device);
}

// --- index checks and host waits ---------------------------------------------------------------

void CudaBackend::do_check_index_range(const StridedView& values, int64_t lo, int64_t hi,
                                       IndexErrorMessage message) {
  index_checks_.check(values, lo, hi, std::move(message), values.device.index);
}

uint64_t CudaBackend::host_sync_count() const {
  return cuda_backend::host_sync_count();
}

}  // namespace needle::cuda_backend

// Asynchronous host-to-device uploads (Backend::upload_async) on a copy stream of their own, one
// per GPU beside its compute stream (stream.h), so that a DataLoader's next batch crosses PCIe
// while the current step computes. The two streams are ordered by events, never a host wait:
//  - before the copy, the copy stream waits for an event recorded on the compute stream after
//    the destinations were allocated: the caching allocator hands out blocks whose previous
//    users are ordered only on the compute stream, and their reads must end before we write;
//  - after it, a completion event, which order_after makes the compute stream wait for before
//    anything reads the destinations, and which finished()/wait() query for the pinned source.
// The caching allocator's rule (every user of a freed block is ordered on the compute stream)
// keeps holding because whoever frees the destinations calls order_after first: the DataLoader
// does so for every batch, handed out or dropped unread.
#pragma once

#include <cstddef>
#include <span>

#include <cuda_runtime.h>

#include "needle/backend.h"

namespace needle::cuda_backend {

// The copies (host memory pinned) onto GPU `device`, queued on its copy stream.
UploadTicket upload_async(std::span<const HostToDeviceCopy> copies, int device);
// The compute stream of the ticket's GPU waits for the upload (cudaStreamWaitEvent).
void order_after_upload(const UploadTicket& ticket);
bool upload_finished(const UploadTicket& ticket);
void wait_upload(const UploadTicket& ticket);
// Waits for every upload queued on GPU `device` (returns at once when it never uploaded).
void synchronize_uploads(int device);

// The copy stream of GPU `device` (which the caller has checked exists), created on first use.
cudaStream_t copy_stream_for(int device);
// Uploads started in this process.
size_t uploads_started();

}  // namespace needle::cuda_backend

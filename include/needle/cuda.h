// CUDA-specific controls that have no meaning on other devices: the TF32 switch for float32
// matmuls, the caching allocator's statistics and cache, and synchronisation. The header is
// CUDA-free and the functions exist in every build; without a CUDA backend or GPU they do
// nothing, report zeros or throw DeviceError, as each says. (They are free functions with a
// cuda_ prefix, like cuda_available(), because needle::cuda is already the function that names
// a GPU device.)
//
// Debugging: GPU work is queued, so a kernel that fails (an illegal address, say) is normally
// reported by whatever call next waits for the GPU, far from its cause. With the environment
// variable NEEDLE_CUDA_SYNC=1 (read once, when the CUDA backend first queues work) every kernel
// launch, cuBLAS and cuDNN call and asynchronous copy of the CUDA backend is followed by a
// synchronisation of its stream and an error check, so the failure is a DeviceError thrown by
// the op that caused it and naming it ("CUDA error after exp (kernel launch) at ...: an illegal
// memory access was encountered"). Slow; for debugging only. Deferred label checks
// (nn::SoftmaxLoss, one_hot) then also throw at once.
#pragma once

#include <cstdint>

#include "needle/backend.h"

namespace needle {

// Lets float32 matmuls and convolutions on CUDA use TF32 tensor cores (about 8x the fp32 rate,
// with a 10-bit mantissa). Off by default so that results match the CPU; PyTorch's allow_tf32 in
// spirit. Without a CUDA backend the switch has nothing to act on and cuda_allow_tf32() reads
// false.
void cuda_set_allow_tf32(bool allow);
bool cuda_allow_tf32();

// Returns cached, unused GPU memory of every device to the driver (no-op without CUDA).
void cuda_empty_cache();

// The caching allocator's figures for GPU `device`: zeros when CUDA is not available at all;
// DeviceError for an index that does not exist when it is.
MemoryStats cuda_memory_stats(int device = 0);

// Waits until all queued work on GPU `device` is done, or on every GPU when device is -1.
// Throws DeviceError when CUDA is not available (there is nothing to wait for, and a caller
// timing GPU work should know).
void cuda_synchronize(int device = -1);

// How many times the host has waited for the GPU so far, for tests and debugging: every stream or
// device synchronisation and every device-to-host copy (item(), to_vector(), .to(cpu())) the
// CUDA backend made, counted over all GPUs; the synchronisations NEEDLE_CUDA_SYNC=1 adds are not
// counted. A training step that keeps its data on the GPU adds none (tests/cuda/
// mlp_resnet_step_test.cc). 0 without a CUDA backend.
uint64_t cuda_host_sync_count();

}  // namespace needle

// The host-callable entry points of the CUDA kernels and the plain structs they take. This
// header is included both by nvcc (kernels/*.cu) and by the host compiler (backends/cuda/*.cc),
// so it holds only C++17, cuda_runtime_api.h and the dependency-free needle/op_codes.h (DType and
// the op codes themselves, so no mirror of them exists here). Launchers check every launch and
// throw needle::DeviceError on failure; they never synchronize (except in the debugging mode
// NEEDLE_CUDA_SYNC=1, see check_launch).
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "needle/op_codes.h"

namespace needle::kernels {

// Rank capacity of the by-value index structs: needle::kMaxDims (backend.h), which the dispatch
// front enforces; layout.cc static_asserts that they agree. 16 axes of 4 operands keep an
// ElementwiseArgs at about 700 bytes, far below the 4 KB of kernel parameters.
constexpr int kMaxDims = 16;
constexpr int kMaxOperands = 4;

// Up to four operands of one shape. Operand 0 is always the output. Pointers are already
// advanced to each view's first element; dims are stored innermost first so kernels peel
// indices with compile-time array positions.
struct ElementwiseArgs {
  int ndim = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};
  int nops = 0;
  void* data[kMaxOperands] = {};
  int64_t strides[kMaxOperands][kMaxDims] = {};
  DType dtype[kMaxOperands] = {};
  bool contiguous = false;  // every operand dense in the same order: vectorised path
  bool index32 = false;     // numel and every element offset fit in int32
};

// out = op(in0) / op(in0, in1) / ...; operand order: out, inputs. `what` names the op in
// errors (the host passes needle's op_name).
void launch_unary(UnaryOp op, const ElementwiseArgs& args, const char* what, cudaStream_t stream);
void launch_binary(BinaryOp op, const ElementwiseArgs& args, const char* what, cudaStream_t stream);
void launch_binary_scalar(BinaryOp op, const ElementwiseArgs& args, double scalar,
                          bool scalar_first, const char* what, cudaStream_t stream);
// Operands: out, cond (Bool), a, b.
void launch_where(const ElementwiseArgs& args, cudaStream_t stream);
// Operands: dst, src; any pair of dtypes.
void launch_copy(const ElementwiseArgs& args, cudaStream_t stream);
// Operand: dst.
void launch_fill(const ElementwiseArgs& args, double value, cudaStream_t stream);
// Dense dst of n elements; element i from Philox counter offset + i (same mapping as the CPU).
void launch_random_uniform(DType dtype, void* dst, int64_t n, uint64_t seed, uint64_t offset,
                           double low, double high, cudaStream_t stream);
void launch_random_normal(DType dtype, void* dst, int64_t n, uint64_t seed, uint64_t offset,
                          double mean, double std, cudaStream_t stream);

// A reduction seen as M output rows of R reduced elements each: element (m, r) lives at
// in + kept_offset(m) + red_offset(r), where m and r are row-major over the kept and the reduced
// axes. Dims are innermost first. `out` is dense (M elements, offset applied).
struct ReduceArgs {
  const void* in = nullptr;
  DType in_dtype = DType::Float32;
  void* out = nullptr;
  DType out_dtype = DType::Float32;
  int kept_ndim = 0;
  int64_t kept_sizes[kMaxDims] = {};
  int64_t kept_strides[kMaxDims] = {};
  int red_ndim = 0;
  int64_t red_sizes[kMaxDims] = {};
  int64_t red_strides[kMaxDims] = {};
  int64_t M = 0;
  int64_t R = 0;
  bool index32 = false;  // every input offset fits in int32
};

// How a reduction runs; plan_reduce fills it and says how much scratch (for per-split partial
// results) launch_reduce needs.
struct ReducePlan {
  bool column = false;  // threads along x take different outputs (reduced axes are outer)
  int block_x = 32;
  int block_y = 1;
  int64_t grid_x = 1;
  int splits = 1;  // blocks sharing one output row; > 1 needs a second pass over partials
  int64_t chunk = 0;
  size_t workspace_bytes = 0;
};

ReducePlan plan_reduce(ReduceOp op, const ReduceArgs& args, int sm_count);
// `workspace` holds at least plan.workspace_bytes (may be null when that is 0). Requires R > 0.
// `what` names the reduction in errors.
void launch_reduce(ReduceOp op, const ReduceArgs& args, const ReducePlan& plan, void* workspace,
                   const char* what, cudaStream_t stream);

// Defined on the host side (backends/cuda/cuda_check.cc): throws needle::DeviceError naming
// `what` and file:line when cudaGetLastError() reports a failed launch, and under
// NEEDLE_CUDA_SYNC=1 (needle/cuda.h) also waits for `stream` and throws when the kernel failed.
void check_launch(const char* what, cudaStream_t stream, const char* file, int line);
// Also host side: throws needle::Error for an op or dtype code outside needle/op_codes.h's lists
// (`family`: "unary", "dtype", ...), so that a corrupted code never silently launches nothing.
[[noreturn]] void throw_unknown_code(const char* family, int code);

}  // namespace needle::kernels

#define NEEDLE_CHECK_LAUNCH(what, stream) \
  ::needle::kernels::check_launch((what), (stream), __FILE__, __LINE__)

namespace needle::kernels {

// What a failed index range check leaves on the device for the host to read at its next wait
// (backends/cuda/index_checks.h). Set to all ones (0xff bytes): no check has failed.
struct IndexCheckRecord {
  unsigned long long failed_check;  // the sequence number of the first check that failed
  long long position;               // its first offending element, row-major
  long long value;                  // and that element's value
};

// Checks lo <= v < hi for every element of operand 0 of `args` (an integer view). When one is
// outside and no earlier check has failed (record->failed_check is all ones), writes `check`,
// the first offending position and its value into *record. One block: labels are a batch long,
// and a single block finds the first position without any inter-block protocol.
void launch_check_index_range(const ElementwiseArgs& args, long long lo, long long hi,
                              IndexCheckRecord* record, unsigned long long check,
                              cudaStream_t stream);

// Softmax (or log_softmax with `log`) along the middle axis of a dense float32/float64 array seen
// as (outer, n, inner), and its gradient from the output y (backend.h states the formulas).
void launch_softmax(DType dtype, const void* x, void* y, int64_t outer, int64_t n, int64_t inner,
                    bool log, cudaStream_t stream);
void launch_softmax_backward(DType dtype, const void* y, const void* g, void* gx, int64_t outer,
                             int64_t n, int64_t inner, bool log, cudaStream_t stream);
// Fused optimizer updates over dense float32/float64 arrays of n elements, in place; the
// formulas are the CPU backend's (backends/cpu/optimizer_steps.cc). `u` is null without
// momentum. For Adam the host precomputes step_size = lr / (1 - beta1^t),
// inv_bc2 = 1 / (1 - beta2^t), l2 (coupled weight decay) and shrink (1 - lr * wd, AdamW).
void launch_sgd_step(DType dtype, void* w, const void* g, void* u, int64_t n, double lr,
                     double weight_decay, double momentum, bool nesterov, cudaStream_t stream);
void launch_adam_step(DType dtype, void* w, const void* g, void* m, void* v, int64_t n,
                      double beta1, double beta2, double step_size, double inv_bc2, double eps,
                      double l2, double shrink, cudaStream_t stream);

}  // namespace needle::kernels

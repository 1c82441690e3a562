// 2-D convolution on CUDA through cuDNN: the forward pass (cudnnConvolutionForward, then the
// bias with cudnnAddTensor), the input gradient (cudnnConvolutionBackwardData) and the weight
// gradient (cudnnConvolutionBackwardFilter), all queued on the device's stream. One cuDNN handle
// per GPU, created on first use and bound to that GPU's stream. Each pass picks its algorithm
// once per (pass, shapes, parameters, dtype, device, TF32 switch) and caches the choice.
//
// Handles and descriptors: cudnn_handles.h; the cache of algorithm choices:
// cudnn_algorithm_cache.h.
//
// Algorithm choice: cudnnGet*Algorithm_v7, cuDNN's heuristics, not cudnnFind*AlgorithmEx. Find
// runs every algorithm on the real buffers and times them, which synchronises the device (the
// backend promises that nothing but copy_to_host and synchronize() does) and costs a noticeable
// pause for every new shape; the heuristics are a host-side query. From their ranked list we
// take the first entry that cuDNN reports as supported, whose workspace size query succeeds
// for the math type we will run it with, whose workspace the caching allocator can hand out
// right now, and whose call cuDNN then accepts (PyTorch's rule with benchmark mode off). The
// choice is cached in-process (never persisted) and reused without asking cuDNN again.
//
// Precision: float32 runs with CUDNN_FMA_MATH unless needle::cuda_set_allow_tf32(true), so by
// default results match the CPU the way matmul's do (CUDNN_DEFAULT_MATH lets cuDNN use TF32
// tensor cores on Ampere and later). In that strict mode WINOGRAD_NONFUSED is skipped as well:
// its transforms lose noticeably more precision than the other algorithms (TensorFlow skips it
// for the same reason). float64 always runs with CUDNN_DEFAULT_MATH (FP64 tensor cores, where
// present, are full precision).
//
// Without cuDNN (cmake -DNEEDLE_CUDNN=OFF, or AUTO when it was not found) the three entry points
// throw a DeviceError that says so.
#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn_algorithm_cache.h"
#include "backends/cuda/cudnn_handles.h"
#include "backends/cuda/layout.h"
#include "backends/cuda/stream.h"
#include "needle/error.h"

namespace needle::cuda_backend {

#ifdef NEEDLE_WITH_CUDNN

namespace {

// --- the problem --------------------------------------------------------------------------------

// One convolution, whichever pass: input (n, c, h, w), weight (o, c / groups, kh, kw), output
// (n, o, ho, wo).
struct Problem {
  int device = 0;
  DType dtype = DType::Float32;
  int64_t n = 0, c = 0, h = 0, w = 0, o = 0, kh = 0, kw = 0, ho = 0, wo = 0;
  Conv2dParams p;
  bool strict = false;  // float32 with TF32 off: FMA math only, no WINOGRAD_NONFUSED
};

std::string params_str(const Conv2dParams& p) {
  return fmt::format("stride=({}, {}), padding=({}, {}), dilation=({}, {}), groups={}", p.stride_h,
                     p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups);
}

std::string problem_str(const Problem& pr) {
  return fmt::format("input ({}, {}, {}, {}), weight ({}, {}, {}, {}), {}, {}", pr.n, pr.c, pr.h,
                     pr.w, pr.o, pr.c / pr.p.groups, pr.kh, pr.kw, params_str(pr.p),
                     dtype_name(pr.dtype));
}

// The problem of one call, from views the dispatch front has checked (one device, one floating
// dtype, compact 4-D views of consistent shapes); what only cuDNN needs is checked here: sizes
// within its 32-bit indexing. `x`, `wt` and `y` have the input's, the weight's and the output's
// shape.
Problem make_problem(const char* op, const StridedView& x, const StridedView& wt,
                     const StridedView& y, const Conv2dParams& p) {
  Problem pr;
  pr.device = y.device.index;
  pr.dtype = x.dtype;
  pr.p = p;
  pr.n = x.shape[0];
  pr.c = x.shape[1];
  pr.h = x.shape[2];
  pr.w = x.shape[3];
  pr.o = wt.shape[0];
  pr.kh = wt.shape[2];
  pr.kw = wt.shape[3];
  pr.ho = y.shape[2];
  pr.wo = y.shape[3];
  // cuDNN's legacy API takes int dimensions and indexes each tensor with 32 bits.
  bool fits = x.numel() <= INT_MAX && wt.numel() <= INT_MAX && y.numel() <= INT_MAX;
  for (int64_t v : {p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w})
    fits = fits && v <= INT_MAX;
  NEEDLE_CHECK_AS(ShapeError, fits,
                  "{}: input {}, weight {}, output {} ({}) exceed cuDNN's 32-bit sizes", op,
                  shape_str(x.shape), shape_str(wt.shape), shape_str(y.shape), params_str(p));
  return pr;
}

cudnnDataType_t cudnn_dtype(DType dtype) {
  return dtype == DType::Float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

// Packed NCHW: the views are compact (checked above), so their strides are the packed ones;
// computing them from the shape ignores the arbitrary strides a compact view may carry along
// size-1 axes, which cuDNN need not see.
void set_tensor(const TensorDesc& desc, DType dtype, int64_t n, int64_t c, int64_t h, int64_t w) {
  NEEDLE_CUDNN_CHECK(cudnnSetTensor4dDescriptorEx(
      desc.get(), cudnn_dtype(dtype), static_cast<int>(n), static_cast<int>(c), static_cast<int>(h),
      static_cast<int>(w), static_cast<int>(c * h * w), static_cast<int>(h * w),
      static_cast<int>(w), 1));
}

struct Descriptors {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
};

// Fills the descriptors of `pr`; the convolution's math type is the base one for the dtype and
// TF32 switch, which the heuristics read (the chosen algorithm's replaces it before running).
void describe(const Problem& pr, Descriptors& d) {
  set_tensor(d.x, pr.dtype, pr.n, pr.c, pr.h, pr.w);
  set_tensor(d.y, pr.dtype, pr.n, pr.o, pr.ho, pr.wo);
  // The filter's C is the channels of one group (cuDNN's grouped-convolution convention, which
  // is PyTorch's weight layout).
  NEEDLE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
      d.w.get(), cudnn_dtype(pr.dtype), CUDNN_TENSOR_NCHW, static_cast<int>(pr.o),
      static_cast<int>(pr.c / pr.p.groups), static_cast<int>(pr.kh), static_cast<int>(pr.kw)));
  NEEDLE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      d.conv.get(), static_cast<int>(pr.p.pad_h), static_cast<int>(pr.p.pad_w),
      static_cast<int>(pr.p.stride_h), static_cast<int>(pr.p.stride_w),
      static_cast<int>(pr.p.dilation_h), static_cast<int>(pr.p.dilation_w), CUDNN_CROSS_CORRELATION,
      cudnn_dtype(pr.dtype)));
  NEEDLE_CUDNN_CHECK(cudnnSetConvolutionGroupCount(d.conv.get(), static_cast<int>(pr.p.groups)));
  NEEDLE_CUDNN_CHECK(
      cudnnSetConvolutionMathType(d.conv.get(), pr.strict ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  // cuDNN must agree with our output size, or the parameters were passed wrongly.
  int n = 0, c = 0, h = 0, w = 0;
  NEEDLE_CUDNN_CHECK(
      cudnnGetConvolution2dForwardOutputDim(d.conv.get(), d.x.get(), d.w.get(), &n, &c, &h, &w));
  NEEDLE_CHECK_AS(DeviceError, n == pr.n && c == pr.o && h == pr.ho && w == pr.wo,
                  "conv2d: internal error: cuDNN computes output ({}, {}, {}, {}) but needle "
                  "expects ({}, {}, {}, {}) for {}",
                  n, c, h, w, pr.n, pr.o, pr.ho, pr.wo, problem_str(pr));
}

// --- algorithm choice and its cache -------------------------------------------------------------

enum class Pass : int64_t { Forward, BackwardData, BackwardFilter };

const char* pass_name(Pass pass) {
  switch (pass) {
    case Pass::Forward:
      return "forward";
    case Pass::BackwardData:
      return "backward data";
    case Pass::BackwardFilter:
      return "backward filter";
  }
  return "?";
}

AlgoKey make_key(Pass pass, const Problem& pr) {
  const Conv2dParams& p = pr.p;
  return {static_cast<int64_t>(pass),
          pr.device,
          static_cast<int64_t>(pr.dtype),
          pr.strict ? 1 : 0,
          pr.n,
          pr.c,
          pr.h,
          pr.w,
          pr.o,
          pr.kh,
          pr.kw,
          p.stride_h,
          p.stride_w,
          p.pad_h,
          p.pad_w,
          p.dilation_h,
          p.dilation_w,
          p.groups};
}

struct Candidate {
  int algo;
  cudnnMathType_t math;
};

// cuDNN's heuristic ranking for `pass`, best first, the supported entries only.
template <typename Perf>
std::vector<Candidate> supported(const std::vector<Perf>& perf, int returned) {
  std::vector<Candidate> out;
  for (int i = 0; i < returned && i < static_cast<int>(perf.size()); ++i) {
    if (perf[static_cast<size_t>(i)].status == CUDNN_STATUS_SUCCESS) {
      out.push_back({static_cast<int>(perf[static_cast<size_t>(i)].algo),
                     perf[static_cast<size_t>(i)].mathType});
    }
  }
  return out;
}

std::vector<Candidate> heuristics(Pass pass, cudnnHandle_t handle, const Descriptors& d) {
  int count = 0, returned = 0;
  switch (pass) {
    case Pass::Forward: {
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &count));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(std::max(count, 1)));
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
          handle, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), static_cast<int>(perf.size()),
          &returned, perf.data()));
      return supported(perf, returned);
    }
    case Pass::BackwardData: {
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &count));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(std::max(count, 1)));
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
          handle, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), static_cast<int>(perf.size()),
          &returned, perf.data()));
      return supported(perf, returned);
    }
    case Pass::BackwardFilter: {
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &count));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(
          static_cast<size_t>(std::max(count, 1)));
      NEEDLE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
          handle, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), static_cast<int>(perf.size()),
          &returned, perf.data()));
      return supported(perf, returned);
    }
  }
  return {};
}

bool is_winograd_nonfused(Pass pass, int algo) {
  switch (pass) {
    case Pass::Forward:
      return algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    case Pass::BackwardData:
      return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
    case Pass::BackwardFilter:
      return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
  }
  return false;
}

// The workspace `algo` needs with the descriptor's current math type; a status other than
// success means cuDNN cannot run that combination.
cudnnStatus_t workspace_size(Pass pass, cudnnHandle_t handle, const Descriptors& d, int algo,
                             size_t* bytes) {
  switch (pass) {
    case Pass::Forward:
      return cudnnGetConvolutionForwardWorkspaceSize(
          handle, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
          static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
    case Pass::BackwardData:
      return cudnnGetConvolutionBackwardDataWorkspaceSize(
          handle, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
          static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
    case Pass::BackwardFilter:
      return cudnnGetConvolutionBackwardFilterWorkspaceSize(
          handle, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
          static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// Runs one pass of `pr`: `call(choice, workspace)` queues the cuDNN call with the algorithm,
// workspace and (already set on the descriptor) math type of `choice` and returns its status.
// The choice is the cached one, or is made now (see the top of the file) and cached once a call
// with it has been accepted: a candidate that cuDNN refuses at that point (a combination its
// heuristics offered but cannot run) is passed over like one whose workspace does not fit. A
// refused call has queued nothing, and the next one overwrites the whole output (beta = 0).
template <typename Call>
void run_pass(CudaBackend& backend, Pass pass, const Problem& pr, cudnnHandle_t handle,
              const Descriptors& d, const char* call_name, Call&& call) {
  const AlgoKey key = make_key(pass, pr);
  if (const std::optional<AlgoChoice> cached = cache_find(key)) {
    NEEDLE_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), cached->math));
    const CudaBackend::Scratch workspace(backend, cached->workspace, pr.device);
    const cudnnStatus_t status = call(*cached, workspace.get());
    if (status != CUDNN_STATUS_SUCCESS) throw_cudnn_error(status, call_name, __FILE__, __LINE__);
    NEEDLE_CUDA_QUEUED(stream_for(pr.device), call_name);
    return;
  }
  const std::vector<Candidate> candidates = heuristics(pass, handle, d);
  // A workspace larger than the GPU cannot be allocated (and cuDNN has been known to report
  // absurd sizes): skip it rather than ask the allocator.
  const size_t device_bytes = device_context(pr.device).props.totalGlobalMem;
  std::string passed_over;  // why each candidate was rejected, for the error below
  for (const Candidate& c : candidates) {
    if (pr.strict && is_winograd_nonfused(pass, c.algo)) continue;
    // Strict float32 runs FMA kernels only, whatever math type the heuristics attached (they
    // should already say FMA, having been asked with FMA set); otherwise run the algorithm with
    // the math type it was ranked with (the pairing cuDNN 7.4+ expects), except that float32 is
    // never allowed down-conversion to half precision.
    cudnnMathType_t math = c.math;
    if (pr.strict) {
      math = CUDNN_FMA_MATH;
    } else if (math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) {
      math = CUDNN_DEFAULT_MATH;
    }
    NEEDLE_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), math));
    size_t bytes = 0;
    cudnnStatus_t status = workspace_size(pass, handle, d, c.algo, &bytes);
    if (status != CUDNN_STATUS_SUCCESS) {
      passed_over += fmt::format("; algo {} (math {}): {} {}", c.algo, static_cast<int>(math),
                                 cudnnGetErrorString(status), take_cudnn_detail());
      continue;
    }
    if (bytes > device_bytes) {
      passed_over += fmt::format("; algo {}: workspace of {} bytes", c.algo, bytes);
      continue;
    }
    std::optional<CudaBackend::Scratch> workspace;
    try {
      workspace.emplace(backend, bytes, pr.device);
    } catch (const DeviceError& e) {  // out of memory: a cheaper algorithm may still fit
      passed_over += fmt::format("; algo {}: {}", c.algo, e.what());
      continue;
    }
    const AlgoChoice choice{c.algo, math, bytes};
    status = call(choice, workspace->get());
    if (status != CUDNN_STATUS_SUCCESS) {
      (void)cudaGetLastError();  // a refused launch must not fail the next, unrelated check
      passed_over +=
          fmt::format("; algo {} (math {}): {} refused it: {} {}", c.algo, static_cast<int>(math),
                      call_name, cudnnGetErrorString(status), take_cudnn_detail());
      continue;
    }
    cache_insert(key, choice);
    NEEDLE_CUDA_QUEUED(stream_for(pr.device), call_name);
    return;
  }
  throw DeviceError(fmt::format("conv2d: cuDNN offers no usable {} algorithm for {} ({} ranked{})",
                                pass_name(pass), problem_str(pr), candidates.size(), passed_over));
}

// cuDNN's alpha and beta: host scalars of the compute type (double for double data).
struct Scalar {
  float f;
  double d;
  const void* ptr(DType dtype) const {
    return dtype == DType::Float64 ? static_cast<const void*>(&d) : static_cast<const void*>(&f);
  }
};
constexpr Scalar kOne{1.0f, 1.0};
constexpr Scalar kZero{0.0f, 0.0};

}  // namespace

// Each entry point: handle the sizes cuDNN rejects (zero-sized dimensions) itself,
// then under the device's handle lock describe, choose (or recall) the algorithm and queue the
// call with beta = 0, so that the output is fully overwritten and never read.

Conv2dSaved CudaBackend::do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                           const StridedView& bias, const StridedView& out,
                                           const Conv2dParams& params, bool /*save_for_backward*/) {
  const char* op = "conv2d";
  Problem pr = make_problem(op, input, weight, out, params);
  const bool has_bias = bias.data != nullptr;
  pr.strict = pr.dtype == DType::Float32 && !allow_tf32();
  if (out.numel() == 0) return {};
  DeviceGuard guard(pr.device);
  CudnnSlot& slot = cudnn_slot(pr.device);
  std::lock_guard<std::mutex> lock(slot.mutex);
  TensorDesc y;  // the output alone: cuDNN rejects the zero-sized input described below
  set_tensor(y, pr.dtype, pr.n, pr.o, pr.ho, pr.wo);
  if (input.numel() == 0) {
    // An empty image padded into a non-empty output: every window sees only padding.
    fill(out, 0.0);
  } else {
    Descriptors d;
    describe(pr, d);
    run_pass(*this, Pass::Forward, pr, slot.handle, d, "cudnnConvolutionForward",
             [&](const AlgoChoice& choice, void* workspace) {
               return cudnnConvolutionForward(
                   slot.handle, kOne.ptr(pr.dtype), d.x.get(), first_element(input), d.w.get(),
                   first_element(weight), d.conv.get(),
                   static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), workspace, choice.workspace,
                   kZero.ptr(pr.dtype), d.y.get(), first_element(out));
             });
  }
  if (has_bias) {
    // out += bias, broadcast from (1, O, 1, 1) over N, H and W.
    TensorDesc b;
    set_tensor(b, pr.dtype, 1, pr.o, 1, 1);
    NEEDLE_CUDNN_CHECK(cudnnAddTensor(slot.handle, kOne.ptr(pr.dtype), b.get(), first_element(bias),
                                      kOne.ptr(pr.dtype), y.get(), first_element(out)));
    NEEDLE_CUDA_QUEUED(stream_for(pr.device), "cudnnAddTensor (conv2d bias)");
  }
  return {};  // cuDNN's backward passes need nothing kept
}

void CudaBackend::do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                           const StridedView& grad_input,
                                           const Conv2dParams& params) {
  const char* op = "conv2d_backward_input";
  Problem pr = make_problem(op, grad_input, weight, grad_out, params);
  pr.strict = pr.dtype == DType::Float32 && !allow_tf32();
  // A non-empty grad_input implies a non-empty grad_out (the output of a valid convolution of a
  // non-empty input has at least one pixel), so there is nothing else to special-case.
  if (grad_input.numel() == 0) return;
  DeviceGuard guard(pr.device);
  CudnnSlot& slot = cudnn_slot(pr.device);
  std::lock_guard<std::mutex> lock(slot.mutex);
  Descriptors d;
  describe(pr, d);
  run_pass(*this, Pass::BackwardData, pr, slot.handle, d, "cudnnConvolutionBackwardData",
           [&](const AlgoChoice& choice, void* workspace) {
             return cudnnConvolutionBackwardData(
                 slot.handle, kOne.ptr(pr.dtype), d.w.get(), first_element(weight), d.y.get(),
                 first_element(grad_out), d.conv.get(),
                 static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo), workspace,
                 choice.workspace, kZero.ptr(pr.dtype), d.x.get(), first_element(grad_input));
           });
}

void CudaBackend::do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                            const StridedView& grad_weight,
                                            const Conv2dParams& params) {
  const char* op = "conv2d_backward_weight";
  Problem pr = make_problem(op, input, grad_weight, grad_out, params);
  pr.strict = pr.dtype == DType::Float32 && !allow_tf32();
  if (input.numel() == 0) {
    // No images (or empty ones): the weight gradient is a sum over nothing.
    fill(grad_weight, 0.0);
    return;
  }
  DeviceGuard guard(pr.device);
  CudnnSlot& slot = cudnn_slot(pr.device);
  std::lock_guard<std::mutex> lock(slot.mutex);
  Descriptors d;
  describe(pr, d);
  run_pass(*this, Pass::BackwardFilter, pr, slot.handle, d, "cudnnConvolutionBackwardFilter",
           [&](const AlgoChoice& choice, void* workspace) {
             return cudnnConvolutionBackwardFilter(
                 slot.handle, kOne.ptr(pr.dtype), d.x.get(), first_element(input), d.y.get(),
                 first_element(grad_out), d.conv.get(),
                 static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo), workspace,
                 choice.workspace, kZero.ptr(pr.dtype), d.w.get(), first_element(grad_weight));
           });
}

#else  // !NEEDLE_WITH_CUDNN

// cmake/NeedleCUDA.cmake passes the NEEDLE_CUDNN setting the build was configured with.
#ifndef NEEDLE_CUDNN_SETTING
#define NEEDLE_CUDNN_SETTING "unknown"
#endif

namespace {

[[noreturn]] void no_cudnn() {
  const std::string setting = NEEDLE_CUDNN_SETTING;
  throw DeviceError(fmt::format(
      "conv2d on CUDA needs cuDNN; this build has none (NEEDLE_CUDNN={}{})", setting,
      setting == "OFF" ? ""
                       : ": cuDNN was not found when needle was configured; install it or set "
                         "CUDNN_ROOT and reconfigure"));
}

}  // namespace

Conv2dSaved CudaBackend::do_conv2d_forward(const StridedView&, const StridedView&,
                                           const StridedView&, const StridedView&,
                                           const Conv2dParams&, bool) {
  no_cudnn();
}

void CudaBackend::do_conv2d_backward_input(const StridedView&, const StridedView&,
                                           const StridedView&, const Conv2dParams&) {
  no_cudnn();
}

void CudaBackend::do_conv2d_backward_weight(const StridedView&, const StridedView&,
                                            const StridedView&, const Conv2dParams&) {
  no_cudnn();
}

size_t conv_algorithm_cache_size() {
  return 0;
}

size_t conv_algorithm_cache_hits() {
  return 0;
}

#endif  // NEEDLE_WITH_CUDNN

}  // namespace needle::cuda_backend

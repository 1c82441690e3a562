// The errors every backend reports through the dispatch front, with the same types and words:
// wrong shapes (ShapeError), mismatched dtypes and floating-only ops on integers (DTypeError),
// unknown op codes (Error), too many axes, a view on another device type or a device that does
// not exist (DeviceError), bad reduction axes, reductions of empty axes, missing operands and
// unsupported optional features; and the memory entry points' own contract.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"
#include "tests/core/expect_error.h"

namespace needle::conformance {
namespace {

using needle::testing::expect_error;

class ConformanceErrors : public ConformanceTest {
 protected:
  // A device of the other type than the backend's, which it must refuse.
  Device foreign() const { return is_cuda() ? cpu() : Device{DeviceType::CUDA, 0}; }
};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceErrors);

TEST_P(ConformanceErrors, WrongShapes) {
  Buffer a = buffer(DType::Float32, 12), out = buffer(DType::Float32, 12);
  Backend& be = backend();
  expect_error<ShapeError>(
      [&] {
        be.binary(BinaryOp::Add, a.dense({2, 3}), a.dense({3, 2}), out.dense({2, 3}));
      },
      "add: rhs has shape (3, 2), expected (2, 3)");
  expect_error<ShapeError>(
      [&] {
        be.unary(UnaryOp::Neg, a.dense({2, 2}), out.dense({4}));
      },
      "neg: input has shape (2, 2), expected (4,)");
  expect_error<ShapeError>(
      [&] {
        be.binary_scalar(BinaryOp::Mul, a.dense({6}), 2.0, false, out.dense({2, 3}));
      },
      "mul: input has shape (6,)");
  expect_error<ShapeError>(
      [&] {
        be.binary(BinaryOp::Mul, a.dense({2, 3}), a.dense({6}), out.dense({2, 3}));
      },
      "mul: rhs has shape (6,), expected (2, 3)");
  expect_error<ShapeError>(
      [&] {
        be.copy(a.dense({2, 3}), out.dense({3, 2}));
      },
      "copy: destination has shape (3, 2), expected (2, 3)");
  expect_error<ShapeError>(
      [&] {
        be.matmul(a.dense({2, 3}), a.dense({4, 3}), out.dense({2, 3}));
      },
      "(2, 3) @ (4, 3)");
  expect_error<ShapeError>([&] { be.matmul(a.dense({12}), a.dense({12}), out.dense({1})); },
                           "matmul: expected operands of equal rank >= 2");
  expect_error<ShapeError>(
      [&] {
        be.unary(UnaryOp::Neg, a.view({2, 3}, {3}), out.dense({2, 3}));
      },
      "neg: input has 1 strides for 2 dimensions");
  expect_error<ShapeError>([&] { be.fill(a.view({-1}, {1}), 0.0); },
                           "fill: destination has a negative dimension");
  Buffer cond = buffer(DType::Bool, 6);
  expect_error<ShapeError>(
      [&] {
        be.where(cond.dense({6}), a.dense({2, 3}), a.dense({2, 3}), out.dense({2, 3}));
      },
      "where: condition has shape (6,), expected (2, 3)");
}

TEST_P(ConformanceErrors, MismatchedDtypes) {
  Buffer f = buffer(DType::Float32, 6), d = buffer(DType::Float64, 6);
  Buffer i = buffer(DType::Int32, 6), flags = buffer(DType::Bool, 6);
  Backend& be = backend();
  expect_error<DTypeError>(
      [&] { be.binary(BinaryOp::Add, f.dense({6}), d.dense({6}), f.dense({6})); },
      "add: operand dtypes differ: float32 and float64");
  expect_error<DTypeError>(
      [&] { be.binary(BinaryOp::Lt, f.dense({6}), f.dense({6}), f.dense({6})); },
      "lt: output has dtype float32, expected bool");
  expect_error<DTypeError>([&] { be.unary(UnaryOp::Neg, f.dense({6}), d.dense({6})); },
                           "neg: output has dtype float64, expected float32");
  expect_error<DTypeError>([&] { be.unary(UnaryOp::LogicalNot, f.dense({6}), f.dense({6})); },
                           "logical_not: output has dtype float32, expected bool");
  expect_error<DTypeError>(
      [&] { be.where(f.dense({6}), f.dense({6}), f.dense({6}), f.dense({6})); },
      "where: condition has dtype float32, expected bool");
  expect_error<DTypeError>(
      [&] { be.where(flags.dense({6}), f.dense({6}), d.dense({6}), f.dense({6})); },
      "where: rhs has dtype float64, expected float32");
  expect_error<DTypeError>(
      [&] {
        be.matmul(i.dense({2, 3}), i.dense({3, 2}), i.dense({2, 2}));
      },
      "matmul: dtype int32 is not supported");
  expect_error<DTypeError>(
      [&] {
        be.matmul(f.dense({2, 3}), d.dense({3, 2}), f.dense({2, 2}));
      },
      "matmul: dtypes differ");
  expect_error<DTypeError>(
      [&] { be.sgd_step(i.dense({6}), i.dense({6}), StridedView{}, SgdStepArgs{}); },
      "sgd_step: dtype int32 is not supported");
  expect_error<DTypeError>(
      [&] { be.sgd_step(f.dense({6}), d.dense({6}), StridedView{}, SgdStepArgs{}); },
      "sgd_step: gradient has dtype float64, parameter float32");
  expect_error<DTypeError>(
      [&] {
        be.check_index_range(f.dense({6}), 0, 1, [](int64_t, int64_t) { return std::string(); });
      },
      "check_index_range: indices need an integer dtype, got float32");
}

TEST_P(ConformanceErrors, FloatingOnlyOpsRefuseOtherDtypes) {
  for (DType dt : kDTypes) {
    if (is_floating(dt)) continue;
    Buffer a = buffer(dt, 4);
    for (UnaryOp op : kUnaryOps) {
      if (!requires_floating(op)) continue;
      expect_error<DTypeError>(
          [&] { backend().unary(op, a.dense({4}), a.dense({4})); },
          fmt::format("{}: dtype {} is not supported (float32 or float64 expected)", op_name(op),
                      dtype_name(dt)));
    }
  }
}

TEST_P(ConformanceErrors, UnknownOpCodes) {
  Buffer a = buffer(DType::Float32, 4), out = buffer(DType::Float32, 4);
  Backend& be = backend();
  expect_error<Error>([&] { be.unary(static_cast<UnaryOp>(250), a.dense({4}), out.dense({4})); },
                      "unary: unknown op code 250");
  expect_error<Error>(
      [&] { be.binary(static_cast<BinaryOp>(250), a.dense({4}), a.dense({4}), out.dense({4})); },
      "binary: unknown op code 250");
  expect_error<Error>(
      [&] {
        be.binary_scalar(static_cast<BinaryOp>(250), a.dense({4}), 1.0, false, out.dense({4}));
      },
      "unknown op code 250");
  expect_error<Error>(
      [&] { be.reduce(static_cast<ReduceOp>(250), a.dense({4}), {0}, out.dense({1})); },
      "reduce: unknown op code 250");
}

TEST_P(ConformanceErrors, TooManyAxes) {
  Buffer a = buffer(DType::Float32, 1);
  const Shape shape(kMaxDims + 1, 1);
  const Strides strides(kMaxDims + 1, 1);
  expect_error<ShapeError>(
      [&] { backend().unary(UnaryOp::Neg, a.view(shape, strides), a.view(shape, strides)); },
      fmt::format("has {} dimensions; at most {} are supported", kMaxDims + 1, kMaxDims));
  expect_error<ShapeError>([&] { backend().fill(a.view(shape, strides), 1.0); },
                           "at most 16 are supported");
  // kMaxDims axes that cannot be merged are fine: every axis of the input transposed against
  // the compact output, and one of them reversed.
  const Shape s16(kMaxDims, 2);
  Strides reversed(kMaxDims);
  for (int d = 0; d < kMaxDims; ++d)
    reversed[static_cast<size_t>(d)] = int64_t{1} << d;
  reversed[3] = -reversed[3];
  const int64_t offset = int64_t{1} << 3;
  const Twin in = twin(DType::Float32, random_values(DType::Float32, int64_t{1} << kMaxDims, 3));
  const Twin out = output(DType::Float32, int64_t{1} << kMaxDims);
  on_both([&](const Side& s) {
    s->unary(UnaryOp::Neg, in.view(s, s16, reversed, offset), out.dense(s, s16));
  });
  expect_match(out, "16 axes");
}

TEST_P(ConformanceErrors, ViewsOnOtherDevices) {
  Buffer a = buffer(DType::Float32, 4);
  const StridedView alien{a.data(), 0, {4}, {1}, DType::Float32, foreign()};
  const std::string served = fmt::format("is on {}, which the {} backend does not serve",
                                         foreign().str(), backend().name());
  expect_error<DeviceError>([&] { backend().unary(UnaryOp::Neg, alien, a.dense({4})); },
                            "neg: input " + served);
  expect_error<DeviceError>([&] { backend().fill(alien, 1.0); }, "fill: destination " + served);
  expect_error<DeviceError>([&] { backend().copy(a.dense({4}), alien); }, served);
  const Device missing{backend().device_type(), 7};
  const StridedView nowhere{a.data(), 0, {4}, {1}, DType::Float32, missing};
  expect_error<DeviceError>([&] { backend().unary(UnaryOp::Neg, a.dense({4}), nowhere); },
                            fmt::format("neg: output is on {}, but", missing.str()));
}

TEST_P(ConformanceErrors, BadReductionAxes) {
  Buffer a = buffer(DType::Float32, 6), out = buffer(DType::Float32, 6);
  Buffer idx = buffer(DType::Int64, 6);
  Backend& be = backend();
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Sum, a.dense({2, 3}), {1, 0}, out.dense({1, 1}));
      },
      "sum: axes must be sorted and unique");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Sum, a.dense({2, 3}), {1, 1}, out.dense({2, 1}));
      },
      "sum: axes must be sorted and unique");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Max, a.dense({2, 3}), {2}, out.dense({2, 1}));
      },
      "max: axis 2 out of range for 2 dimensions");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Sum, a.dense({2, 3}), {}, out.dense({2, 3}));
      },
      "sum: no axes to reduce over");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Argmax, a.dense({2, 3}), {0, 1}, idx.dense({1, 1}));
      },
      "argmax: takes exactly one axis, got 2");
  expect_error<DTypeError>(
      [&] {
        be.reduce(ReduceOp::Argmax, a.dense({2, 3}), {1}, out.dense({2, 1}));
      },
      "argmax: output has dtype float32, expected int64");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Sum, a.dense({2, 3}), {1}, out.dense({2}));
      },
      "sum: output has shape (2,), expected (2, 1)");
  expect_error<ShapeError>(
      [&] {
        be.reduce(ReduceOp::Sum, a.dense({2, 3}), {0}, out.view({1, 3}, {3, 2}));
      },
      "sum: output (1, 3) must be compact");
}

TEST_P(ConformanceErrors, EmptyReducedAxes) {
  const Twin none = twin(DType::Float32, std::vector<double>{});
  const Twin out = twin(DType::Float32, {9, 9, 9});
  const Twin idx = twin(DType::Int64, {9, 9, 9});
  // Sum of nothing is 0, for every output element.
  on_both([&](const Side& s) {
    s->reduce(ReduceOp::Sum, none.view(s, {0, 3}, {3, 1}), {0}, out.dense(s, {1, 3}));
  });
  EXPECT_EQ(out.dut_host().values(), (std::vector<double>{0, 0, 0}));
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min, ReduceOp::Argmax, ReduceOp::Argmin}) {
    const Twin& o = result_dtype(op_result(op), DType::Float32) == DType::Int64 ? idx : out;
    expect_error<ShapeError>(
        [&] {
          backend().reduce(op, none.view(dut(), {0, 3}, {3, 1}), {0}, o.dense(dut(), {1, 3}));
        },
        fmt::format("{}: cannot reduce an empty axis (input shape (0, 3))", op_name(op)));
  }
  // Reducing the non-empty axis of an empty array: an empty output, no error.
  EXPECT_NO_THROW(backend().reduce(ReduceOp::Max, none.view(dut(), {0, 3}, {3, 1}), {1},
                                   none.dense(dut(), {0, 1})));
}

TEST_P(ConformanceErrors, MissingOperands) {
  Buffer a = buffer(DType::Float32, 6), out = buffer(DType::Float32, 6);
  StridedView missing = a.dense({6});
  missing.data = nullptr;
  Backend& be = backend();
  expect_error<Error>([&] { be.unary(UnaryOp::Exp, missing, out.dense({6})); },
                      "exp: input is missing (no memory)");
  expect_error<Error>([&] { be.binary(BinaryOp::Sub, a.dense({6}), missing, out.dense({6})); },
                      "sub: rhs is missing");
  expect_error<Error>([&] { be.copy(missing, out.dense({6})); }, "copy: source is missing");
  expect_error<Error>([&] { be.fill(missing, 0.0); }, "fill: destination is missing");
  expect_error<Error>([&] { be.random_uniform(missing, 1, 0, 0.0, 1.0); },
                      "random_uniform: destination is missing");
  expect_error<Error>([&] { be.reduce(ReduceOp::Sum, missing, {0}, out.dense({1})); },
                      "sum: input is missing");
  const StridedView missing_out{nullptr, 0, {3, 3}, {3, 1}, DType::Float32, device()};
  expect_error<Error>(
      [&] {
        be.matmul(a.dense({3, 2}), a.dense({2, 3}), missing_out);
      },
      "matmul: output is missing");
  expect_error<Error>(
      [&] {
        be.sgd_step(a.dense({6}), a.dense({6}), missing, SgdStepArgs{0.1, 0.9, 0.0, false});
      },
      "sgd_step: momentum buffer is missing");
  expect_error<Error>(
      [&] { be.adam_step(a.dense({6}), a.dense({6}), a.dense({6}), missing, AdamStepArgs{}); },
      "adam_step: exp_avg_sq is missing");
  AdamStepArgs zero_step;
  zero_step.step = 0;
  expect_error<Error>(
      [&] { be.adam_step(a.dense({6}), a.dense({6}), a.dense({6}), out.dense({6}), zero_step); },
      "adam_step: step count must be >= 1, got 0");
}

TEST_P(ConformanceErrors, OptionalFeatures) {
  Backend& be = backend();
  Buffer x = buffer(DType::Float32, 16), w = buffer(DType::Float32, 4),
         y = buffer(DType::Float32, 9);
  if (!be.supports(BackendFeature::Conv2d)) {
    expect_error<DeviceError>(
        [&] {
          be.conv2d_forward(x.dense({1, 1, 4, 4}), w.dense({1, 1, 2, 2}), StridedView{},
                            y.dense({1, 1, 3, 3}), Conv2dParams{});
        },
        fmt::format("conv2d is not supported by the {} backend", be.name()));
  } else {
    expect_error<ShapeError>(
        [&] {
          be.conv2d_forward(x.dense({1, 1, 4, 4}), w.dense({1, 1, 2, 2}), StridedView{},
                            y.dense({1, 1, 2, 2}), Conv2dParams{});
        },
        "conv2d: output has shape (1, 1, 2, 2), expected (1, 1, 3, 3)");
    expect_error<ShapeError>(
        [&] {
          be.conv2d_backward(y.dense({1, 1, 3, 3}), StridedView{}, StridedView{},
                             x.dense({1, 1, 4, 4}), StridedView{}, StridedView{}, Conv2dParams{});
        },
        "conv2d_backward: the input gradient needs the weight");
  }
  if (!be.supports(BackendFeature::FusedBatchNorm)) {
    expect_error<DeviceError>(
        [&] {
          be.batch_norm_forward(x.dense({4, 4}), StridedView{}, StridedView{}, 1e-5,
                                x.dense({4, 4}), w.dense({4}), w.dense({4}));
        },
        fmt::format("fused batch_norm is not supported by the {} backend", be.name()));
  } else {
    expect_error<ShapeError>(
        [&] {
          be.batch_norm_forward(x.dense({4, 4}), StridedView{}, StridedView{}, 1e-5,
                                x.dense({4, 4}), w.dense({2}), w.dense({2}));
        },
        "batch_norm: mean must be a compact (4) array, got (2,)");
  }
  if (!be.supports(BackendFeature::PinnedHostMemory)) {
    expect_error<DeviceError>(
        [&] { (void)be.allocate_pinned_host(64); },
        fmt::format("pinned host memory is not supported by the {} backend", be.name()));
  } else {
    void* pinned = be.allocate_pinned_host(64);
    EXPECT_NE(pinned, nullptr);
    be.free_pinned_host(pinned);
  }
  be.free_pinned_host(nullptr);  // always a no-op
}

TEST_P(ConformanceErrors, MemoryContract) {
  Backend& be = backend();
  const MemoryStats before = be.memory_stats(device());
  void* zero = be.allocate(0, device());
  void* block = be.allocate(1000, device());
  EXPECT_NE(zero, nullptr);
  EXPECT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u);
  const MemoryStats during = be.memory_stats(device());
  EXPECT_EQ(during.live_buffers, before.live_buffers + 2);
  EXPECT_GE(during.allocated, before.allocated + 1000);
  EXPECT_GE(during.reserved, during.allocated);
  EXPECT_GE(during.peak_allocated, during.allocated);
  // Host round trip, also at an offset into the block.
  std::vector<unsigned char> host(1000), back(1000);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = static_cast<unsigned char>(i * 7);
  be.copy_from_host(host.data(), block, 1000, device());
  be.copy_to_host(block, back.data(), 1000, device());
  EXPECT_EQ(host, back);
  be.copy_to_host(static_cast<unsigned char*>(block) + 100, back.data(), 10, device());
  EXPECT_TRUE(std::equal(back.begin(), back.begin() + 10, host.begin() + 100));
  be.deallocate(block, 1000, device());
  be.deallocate(zero, 0, device());
  const MemoryStats after = be.memory_stats(device());
  EXPECT_EQ(after.live_buffers, before.live_buffers);
  EXPECT_EQ(after.allocated, before.allocated);
  be.synchronize(device());
  // An impossible request is a needle::Error, not a crash or a null pointer. (Not under a
  // sanitizer: its allocator aborts on such a request instead of failing it.)
#if !defined(NEEDLE_SANITIZED)  // clang defines no __SANITIZE_*__ macros
  expect_error<Error>([&] { (void)be.allocate(size_t{1} << 60, device()); }, "out of memory");
#endif
  // A GPU's failure is a DeviceError with the runtime's words.
  if (is_cuda()) {
    expect_error<DeviceError>([&] { (void)be.allocate(size_t{1} << 60, device()); },
                              "out of memory");
  }
}

}  // namespace
}  // namespace needle::conformance

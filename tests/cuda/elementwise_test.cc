// Every elementwise kernel (unary, binary, scalar, where, copy/cast, fill) run by the CPU and the
// CUDA backend on the same inputs, over dense, transposed, broadcast, sliced, flipped and
// misaligned views, compared element by element.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

// An input layout: a view of `shape` with `strides` and `offset` over a buffer of `elems`.
struct Layout {
  std::string name;
  Shape shape;
  Strides strides;
  int64_t offset;
  int64_t elems;
};

std::vector<Layout> layouts() {
  return {
      {"dense", {3, 5, 7}, {35, 7, 1}, 0, 105},
      {"transposed", {5, 7}, {1, 5}, 0, 35},
      {"broadcast_rows", {5, 7}, {0, 1}, 0, 7},
      {"broadcast_cols", {4, 3, 6}, {3, 1, 0}, 0, 12},
      {"sliced_stepped", {5, 7}, {16, 2}, 18, 160},
      {"flipped", {6, 7}, {7, -1}, 6, 42},
      {"misaligned_dense", {1001}, {1}, 1, 1002},
      {"large_dense", {(1 << 20) + 3}, {1}, 0, (1 << 20) + 3},
      {"rank6", {2, 3, 1, 2, 3, 2}, {1, 2, 36, 6, 12, 72}, 0, 144},
  };
}

const DType kAllTypes[] = {DType::Float32, DType::Float64, DType::Int32,
                           DType::Int64,   DType::UInt8,   DType::Bool};

TEST(CudaElementwise, UnaryMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (const Layout& L : layouts()) {
    for (DType dt : kAllTypes) {
      for (UnaryOp op : kUnaryOps) {
        if (requires_floating(op) && !is_floating(dt)) continue;
        const bool positive = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Log1p;
        std::vector<double> values = random_values(dt, L.elems, 7, positive ? 0.1 : -3.0, 3.0);
        Twin in(dt, L.elems, values);
        const DType out_dt = result_dtype(op_result(op), dt);
        const int64_t n = numel(L.shape);
        Twin out(out_dt, n);
        backend_for(DeviceType::CPU)
            .unary(op, in.cpu.view(L.shape, L.strides, L.offset), out.cpu.dense(L.shape));
        backend_for(DeviceType::CUDA)
            .unary(op, in.gpu.view(L.shape, L.strides, L.offset), out.gpu.dense(L.shape));
        // Transcendentals differ by an ulp or two between glibc and CUDA's libm.
        expect_close(out.cpu.download(), out.gpu.download(), 4 * rtol_for(out_dt),
                     dt == DType::Float32 ? 1e-6 : 1e-14,
                     fmt::format("{} {} {}", op_name(op), dtype_name(dt), L.name));
      }
    }
  }
}

const BinaryOp kBinaryOps[] = {BinaryOp::Add, BinaryOp::Sub,     BinaryOp::Mul,     BinaryOp::Div,
                               BinaryOp::Pow, BinaryOp::Maximum, BinaryOp::Minimum, BinaryOp::Eq,
                               BinaryOp::Ne,  BinaryOp::Lt,      BinaryOp::Le,      BinaryOp::Gt,
                               BinaryOp::Ge};

TEST(CudaElementwise, BinaryWithBroadcastMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (const Layout& L : layouts()) {
    for (DType dt : kAllTypes) {
      for (BinaryOp op : kBinaryOps) {
        const int64_t n = numel(L.shape);
        // a uses the layout under test; b is dense, so every pairing of layouts is exercised
        // across the list. Pow gets positive bases and small exponents.
        const bool pow = op == BinaryOp::Pow;
        Twin a(dt, L.elems, random_values(dt, L.elems, 11, pow ? 0.5 : -3.0, pow ? 2.0 : 3.0));
        Twin b(dt, n, random_values(dt, n, 13, pow ? 0.0 : -3.0, pow ? 0.3 : 3.0));
        const DType out_dt = is_comparison(op) ? DType::Bool : dt;
        Twin out(out_dt, n);
        backend_for(DeviceType::CPU)
            .binary(op, a.cpu.view(L.shape, L.strides, L.offset), b.cpu.dense(L.shape),
                    out.cpu.dense(L.shape));
        backend_for(DeviceType::CUDA)
            .binary(op, a.gpu.view(L.shape, L.strides, L.offset), b.gpu.dense(L.shape),
                    out.gpu.dense(L.shape));
        expect_close(out.cpu.download(), out.gpu.download(), 4 * rtol_for(out_dt), 0.0,
                     fmt::format("{} {} {}", op_name(op), dtype_name(dt), L.name));
        // And with the strided operand second (for Pow: small bases to moderate exponents,
        // which for the integer types wraps, the same way on both backends).
        Twin out2(out_dt, n);
        backend_for(DeviceType::CPU)
            .binary(op, b.cpu.dense(L.shape), a.cpu.view(L.shape, L.strides, L.offset),
                    out2.cpu.dense(L.shape));
        backend_for(DeviceType::CUDA)
            .binary(op, b.gpu.dense(L.shape), a.gpu.view(L.shape, L.strides, L.offset),
                    out2.gpu.dense(L.shape));
        expect_close(out2.cpu.download(), out2.gpu.download(), 4 * rtol_for(out_dt), 0.0,
                     fmt::format("{} {} {} (swapped)", op_name(op), dtype_name(dt), L.name));
      }
    }
  }
}

TEST(CudaElementwise, ScalarOpsMatchCpu) {
  NEEDLE_REQUIRE_CUDA();
  const double scalars[] = {2.0, -1.5, 0.0, 3.0};
  for (const Layout& L : layouts()) {
    for (DType dt : kAllTypes) {
      Twin a(dt, L.elems, random_values(dt, L.elems, 17, 0.5, 3.0));
      for (BinaryOp op : kBinaryOps) {
        for (double s : scalars) {
          // A negative scalar cast to uint8 is undefined behaviour in C++ (the CPU wraps, the
          // GPU saturates), so it is not a case to compare.
          if (dt == DType::UInt8 && s < 0) continue;
          for (bool first : {false, true}) {
            const DType out_dt = is_comparison(op) ? DType::Bool : dt;
            const int64_t n = numel(L.shape);
            Twin out(out_dt, n);
            backend_for(DeviceType::CPU)
                .binary_scalar(op, a.cpu.view(L.shape, L.strides, L.offset), s, first,
                               out.cpu.dense(L.shape));
            backend_for(DeviceType::CUDA)
                .binary_scalar(op, a.gpu.view(L.shape, L.strides, L.offset), s, first,
                               out.gpu.dense(L.shape));
            expect_close(out.cpu.download(), out.gpu.download(), 4 * rtol_for(out_dt), 0.0,
                         fmt::format("{} {} scalar {} first={} {}", op_name(op), dtype_name(dt), s,
                                     first, L.name));
          }
        }
      }
    }
  }
}

TEST(CudaElementwise, WhereMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (const Layout& L : layouts()) {
    for (DType dt : kAllTypes) {
      const int64_t n = numel(L.shape);
      Twin cond(DType::Bool, L.elems, random_values(DType::Bool, L.elems, 19));
      Twin a(dt, n, random_values(dt, n, 23));
      Twin b(dt, 1, {5.0});
      const Strides scalar_strides(L.shape.size(), 0);  // b broadcast from one element
      Twin out(dt, n);
      backend_for(DeviceType::CPU)
          .where(cond.cpu.view(L.shape, L.strides, L.offset), a.cpu.dense(L.shape),
                 b.cpu.view(L.shape, scalar_strides), out.cpu.dense(L.shape));
      backend_for(DeviceType::CUDA)
          .where(cond.gpu.view(L.shape, L.strides, L.offset), a.gpu.dense(L.shape),
                 b.gpu.view(L.shape, scalar_strides), out.gpu.dense(L.shape));
      expect_close(out.cpu.download(), out.gpu.download(), 0.0, 0.0,
                   fmt::format("where {} {}", dtype_name(dt), L.name));
    }
  }
}

TEST(CudaElementwise, CopyAndCastMatchCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (const Layout& L : layouts()) {
    for (DType from : kAllTypes) {
      // Non-negative values in range of every type, so every cast is defined behaviour.
      Twin src(from, L.elems, random_values(from, L.elems, 29, 0.0, 6.0));
      for (DType to : kAllTypes) {
        const int64_t n = numel(L.shape);
        Twin dst(to, n);
        backend_for(DeviceType::CPU)
            .copy(src.cpu.view(L.shape, L.strides, L.offset), dst.cpu.dense(L.shape));
        backend_for(DeviceType::CUDA)
            .copy(src.gpu.view(L.shape, L.strides, L.offset), dst.gpu.dense(L.shape));
        expect_close(dst.cpu.download(), dst.gpu.download(), 0.0, 0.0,
                     fmt::format("copy {} -> {} {}", dtype_name(from), dtype_name(to), L.name));
      }
    }
  }
}

TEST(CudaElementwise, SliceAssignmentMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  // dst[1:6, 2:16:2] = src (5 x 7), the rest of dst untouched.
  for (DType dt : {DType::Float32, DType::Int64}) {
    Twin dst(dt, 160, random_values(dt, 160, 31));
    Twin src(dt, 35, random_values(dt, 35, 37));
    backend_for(DeviceType::CPU).copy(src.cpu.dense({5, 7}), dst.cpu.view({5, 7}, {16, 2}, 18));
    backend_for(DeviceType::CUDA).copy(src.gpu.dense({5, 7}), dst.gpu.view({5, 7}, {16, 2}, 18));
    expect_close(dst.cpu.download(), dst.gpu.download(), 0.0, 0.0, "slice assignment");
  }
}

TEST(CudaElementwise, FillMatchesCpu) {
  NEEDLE_REQUIRE_CUDA();
  for (const Layout& L : layouts()) {
    if (L.strides[0] == 0 || L.name.rfind("broadcast", 0) == 0) continue;  // not writable
    for (DType dt : kAllTypes) {
      for (double value : {0.0, -0.0, 1.0, 2.5, -7.0}) {
        Twin dst(dt, L.elems, random_values(dt, L.elems, 41, 0.0, 6.0));
        backend_for(DeviceType::CPU).fill(dst.cpu.view(L.shape, L.strides, L.offset), value);
        backend_for(DeviceType::CUDA).fill(dst.gpu.view(L.shape, L.strides, L.offset), value);
        expect_close(dst.cpu.download(), dst.gpu.download(), 0.0, 0.0,
                     fmt::format("fill {} {} {}", value, dtype_name(dt), L.name));
      }
    }
  }
}

TEST(CudaElementwise, ErrorsAreNeedleErrors) {
  NEEDLE_REQUIRE_CUDA();
  Backend& cuda = backend_for(DeviceType::CUDA);
  Buffer i32(needle::cuda(0), DType::Int32, 4), f32(needle::cuda(0), DType::Float32, 4);
  Buffer host(needle::cpu(), DType::Float32, 4);
  EXPECT_THROW(cuda.unary(UnaryOp::Exp, i32.dense({4}), i32.dense({4})), DTypeError);
  EXPECT_THROW(cuda.binary(BinaryOp::Add, f32.dense({4}), i32.dense({4}), f32.dense({4})),
               DTypeError);
  EXPECT_THROW(cuda.binary(BinaryOp::Add, f32.dense({4}), host.dense({4}), f32.dense({4})),
               DeviceError);
  EXPECT_THROW(cuda.unary(UnaryOp::Neg, f32.dense({2, 2}), f32.dense({4})), ShapeError);
  // Nine axes that cannot be merged exceed the kernels' rank limit.
  const Shape shape(9, 2);
  Strides strides(9);
  for (int d = 0; d < 9; ++d)
    strides[d] = int64_t(1) << (2 * (8 - d));  // gaps between axes
  Buffer big(needle::cuda(0), DType::Float32, int64_t(1) << 17);
  EXPECT_THROW(cuda.unary(UnaryOp::Neg, big.view(shape, strides), big.view(shape, strides)),
               ShapeError);
  // A failing CUDA call surfaces as DeviceError with the runtime's message.
  try {
    cuda.allocate(size_t(1) << 60, needle::cuda(0));
    FAIL() << "allocating 1 EiB did not throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace needle::cuda_test

// The parts of the dispatch seam that need no kernels: StridedView's contiguity rule, kernel op
// names used in error messages, and the registry's answer for a device type with no backend.
#include <set>
#include <string>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "core/expect_error.h"
#include "needle/backend.h"
#include "needle/error.h"

namespace needle {
namespace {

using testing::expect_error;

StridedView view(Shape shape, Strides strides) {
  StridedView v;
  v.shape = std::move(shape);
  v.strides = std::move(strides);
  return v;
}

TEST(StridedView, IsContiguous) {
  EXPECT_TRUE(view({2, 3}, {3, 1}).is_contiguous());
  EXPECT_TRUE(view({}, {}).is_contiguous());
  EXPECT_FALSE(view({2, 3}, {1, 2}).is_contiguous());  // a transpose
  EXPECT_FALSE(view({2, 3}, {0, 1}).is_contiguous());  // a broadcast
  EXPECT_FALSE(view({3}, {-1}).is_contiguous());       // a flip
  EXPECT_FALSE(view({3}, {2}).is_contiguous());        // a stepped slice
  // Size-1 axes may carry any stride; an empty array is trivially dense.
  EXPECT_TRUE(view({2, 1, 3}, {3, 99, 1}).is_contiguous());
  EXPECT_TRUE(view({2, 0, 3}, {5, 7, 11}).is_contiguous());
  EXPECT_EQ(view({2, 0, 3}, {0, 3, 1}).numel(), 0);
  EXPECT_EQ(view({2, 4}, {4, 1}).ndim(), 2);
}

TEST(StridedView, PtrAppliesTheOffset) {
  float buf[6] = {0, 1, 2, 3, 4, 5};
  StridedView v = view({2}, {1});
  v.data = buf;
  v.offset = 4;
  EXPECT_EQ(*v.ptr<float>(), 4.0f);
}

TEST(OpNames, NameEveryOp) {
  EXPECT_STREQ(op_name(UnaryOp::Neg), "neg");
  EXPECT_STREQ(op_name(UnaryOp::Relu), "relu");
  EXPECT_STREQ(op_name(UnaryOp::LogicalNot), "logical_not");
  EXPECT_STREQ(op_name(BinaryOp::Add), "add");
  EXPECT_STREQ(op_name(BinaryOp::Maximum), "maximum");
  EXPECT_STREQ(op_name(BinaryOp::Ge), "ge");
  EXPECT_STREQ(op_name(ReduceOp::Sum), "sum");
  EXPECT_STREQ(op_name(ReduceOp::Argmin), "argmin");
}

// The names come from needle/op_codes.h's lists: every code has one, and no two share it (the
// conformance suite and error messages rely on both).
TEST(OpNames, EveryListedCodeHasItsOwnName) {
  std::set<std::string> unary, binary, reduce, dtypes;
  for (UnaryOp op : kUnaryOps) {
    EXPECT_STRNE(op_name(op), "unknown");
    EXPECT_TRUE(unary.insert(op_name(op)).second) << op_name(op);
  }
  for (BinaryOp op : kBinaryOps)
    EXPECT_TRUE(binary.insert(op_name(op)).second) << op_name(op);
  for (ReduceOp op : kReduceOps)
    EXPECT_TRUE(reduce.insert(op_name(op)).second) << op_name(op);
  for (DType dt : kDTypes)
    EXPECT_TRUE(dtypes.insert(std::string(dtype_name(dt))).second) << dtype_name(dt);
  EXPECT_EQ(unary.size(), std::size(kUnaryOps));  // no two codes share a name
  EXPECT_EQ(binary.size(), std::size(kBinaryOps));
  EXPECT_EQ(reduce.size(), std::size(kReduceOps));
  EXPECT_EQ(dtypes.size(), std::size(kDTypes));
  EXPECT_STREQ(op_name(static_cast<UnaryOp>(250)), "unknown");
}

TEST(OpNames, DTypeRulesComeFromTheList) {
  EXPECT_TRUE(requires_floating(UnaryOp::Log1p));
  EXPECT_FALSE(requires_floating(UnaryOp::Abs));
  EXPECT_EQ(result_dtype(op_result(UnaryOp::LogicalNot), DType::Float32), DType::Bool);
  EXPECT_EQ(result_dtype(op_result(ReduceOp::Argmax), DType::Float32), DType::Int64);
  EXPECT_EQ(result_dtype(op_result(ReduceOp::Sum), DType::Int32), DType::Int32);
}

// A code outside the lists (a corrupted value) is an error on the CPU, never a silent no-op.
TEST(OpNames, UnknownCodeIsAnErrorNotANoOp) {
  float in[2] = {1, 2}, out[2] = {0, 0};
  StridedView a = view({2}, {1}), o = view({2}, {1});
  a.data = in;
  o.data = out;
  Backend& cpu = backend_for(DeviceType::CPU);
  expect_error<Error>([&] { cpu.unary(static_cast<UnaryOp>(250), a, o); }, "unknown op code 250");
  expect_error<Error>([&] { cpu.binary(static_cast<BinaryOp>(250), a, a, o); },
                      "unknown op code 250");
  expect_error<Error>([&] { cpu.binary_scalar(static_cast<BinaryOp>(250), a, 1.0, false, o); },
                      "unknown op code 250");
}

TEST(OpNames, ComparisonsAreMarked) {
  EXPECT_FALSE(is_comparison(BinaryOp::Add));
  EXPECT_FALSE(is_comparison(BinaryOp::Minimum));
  for (BinaryOp op :
       {BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt, BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge}) {
    EXPECT_TRUE(is_comparison(op)) << op_name(op);
  }
}

TEST(Registry, MissingCudaBackendIsADeviceError) {
  if (has_backend(DeviceType::CUDA)) GTEST_SKIP() << "this build has the CUDA backend";
  expect_error<DeviceError>([] { backend_for(DeviceType::CUDA); },
                            "no cuda backend in this build of libneedle");
  expect_error<DeviceError>([] { backend_for(Device{DeviceType::CUDA, 0}); }, "NEEDLE_CUDA=ON");
}

// The registry's table has one slot per listed device type: the host's is always filled, and a
// type without a backend is a DeviceError naming it (with its build option, but for the host).
TEST(Registry, EveryListedTypeHasASlot) {
  EXPECT_TRUE(has_backend(kHostDeviceType));
  for (DeviceType type : kDeviceTypes) {
    const std::string name = device_type_name(type);
    if (has_backend(type)) {
      EXPECT_EQ(backend_for(type).device_type(), type) << name;
      EXPECT_GE(backend_for(type).device_count(), 0) << name;
    } else {
      expect_error<DeviceError>([&] { backend_for(type); },
                                fmt::format("no {} backend in this build of libneedle", name));
      expect_error<DeviceError>(
          [&] {
            backend_for(Device{type, 0});
          },
          fmt::format("NEEDLE_{}=ON", device_type_label(type)));
    }
  }
}

// A value outside the list is an error, never a read past the table.
TEST(Registry, UnlistedTypeIsADeviceError) {
  const auto unlisted = static_cast<DeviceType>(kDeviceTypeCount);
  EXPECT_FALSE(has_backend(unlisted));
  expect_error<DeviceError>([&] { backend_for(unlisted); },
                            fmt::format("unknown device type {}", kDeviceTypeCount));
  expect_error<DeviceError>([&] { register_backend(unlisted, nullptr); }, "unknown device type");
}

}  // namespace
}  // namespace needle

// The parts of the dispatch seam that need no kernels: StridedView's contiguity rule, kernel op
// names used in error messages, and the registry's answer for a device type with no backend.
#include <string>

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

}  // namespace
}  // namespace needle

// User mistakes on NDArray throw the right needle::Error subclass, with a message that names the
// operation and the shapes, dtypes, axes or devices involved.
#include <gtest/gtest.h>

#include "needle/ndarray.h"
#include "require_cuda.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::expect_error;
using testing::iota;

TEST(Errors, MismatchedShapes) {
  expect_error<ShapeError>([] { iota({2, 3}) + iota({4, 3}); }, {"add", "(2, 3)", "(4, 3)"});
  expect_error<ShapeError>([] { eq(iota({2}), iota({3})); }, {"eq", "(2,)", "(3,)"});
  expect_error<ShapeError>([] { where(NDArray::ones({4}, DType::Bool), iota({3}), iota({3})); },
                           {"where", "(4,)", "(3,)"});
  expect_error<ShapeError>(
      [] {
        iota({2, 3}).broadcast_to({3, 3});
      },
      {"broadcast_to", "(2, 3)", "(3, 3)"});
  expect_error<ShapeError>(
      [] {
        iota({2, 3}).broadcast_to({3});
      },
      {"broadcast_to", "(2, 3)", "(3,)"});
}

TEST(Errors, Reshape) {
  expect_error<ShapeError>(
      [] {
        iota({2, 3}).reshape({4, 2});
      },
      {"reshape: cannot reshape array of shape (2, 3) into shape (4, 2)"});
  expect_error<ShapeError>([] { iota({2, 3}).reshape({4, -1}); }, {"reshape", "(2, 3)", "(4, -1)"});
  expect_error<ShapeError>([] { iota({2, 3}).reshape({-1, -1}); }, {"reshape", "-1"});
  expect_error<ShapeError>([] { iota({2, 3}).reshape({-2, 3}); }, {"reshape", "-2"});
  expect_error<ShapeError>([] { NDArray::zeros({0, 3}).reshape({0, -1}); }, {"reshape", "(0, 3)"});
}

TEST(Errors, BadAxes) {
  expect_error<ShapeError>([] { sum(iota({2, 3}), {2}); }, {"sum", "axis 2"});
  expect_error<ShapeError>([] { sum(iota({2, 3}), {0, -2}); }, {"sum", "repeated"});
  expect_error<ShapeError>([] { argmax(iota({2, 3}), -3); }, {"argmax", "axis -3"});
  expect_error<ShapeError>([] { iota({2, 3}).permute({0}); }, {"permute", "(2, 3)"});
  expect_error<ShapeError>([] { iota({2, 3}).permute({1, 1}); }, {"permute", "(1, 1)"});
  expect_error<ShapeError>([] { iota({2, 3}).permute({0, 2}); }, {"permute", "axis 2"});
  expect_error<ShapeError>([] { iota({2, 3}).transpose(0, 5); }, {"transpose", "axis 5"});
  expect_error<ShapeError>([] { iota({3}).transpose(); }, {"transpose", "(3,)"});
  expect_error<ShapeError>([] { iota({2, 3}).squeeze({0}); }, {"squeeze", "(2, 3)", "size 2"});
  expect_error<ShapeError>([] { iota({2, 3}).unsqueeze(4); }, {"unsqueeze", "axis 4"});
  expect_error<ShapeError>([] { iota({2, 3}).flip({2}); }, {"flip", "axis 2"});
  expect_error<ShapeError>([] { iota({2}).shape(1); }, {"shape", "axis 1"});
}

TEST(Errors, OutOfRangeSlicesAndSelects) {
  expect_error<IndexError>(
      [] {
        iota({2, 3}).slice({Slice(), Slice(), Slice()});
      },
      {"slice", "3 slices", "(2, 3)"});
  expect_error<IndexError>([] { iota({4}).slice(0, 0, 4, 0); }, {"slice", "step", "zero"});
  expect_error<IndexError>(
      [] {
        iota({2, 3}).select(1, 3);
      },
      {"select", "index 3", "axis 1", "size 3"});
  expect_error<IndexError>([] { iota({2, 3}).select(0, -3); }, {"select", "index -3", "size 2"});
  expect_error<ShapeError>([] { iota({2, 3}).select(2, 0); }, {"select", "axis 2"});
  expect_error<IndexError>(
      [] {
        iota({2, 3}).assign({Slice(), Slice(), Slice()}, 1.0);
      },
      {"slice", "3 slices"});
}

TEST(Errors, AssignAndCopy) {
  expect_error<ShapeError>(
      [] {
        iota({2, 3}).assign({Slice(0, 1)}, iota({2}));
      },
      {"assign", "(2,)", "(1, 3)"});
  expect_error<ShapeError>([] { iota({2}).copy_(iota({2, 2})); }, {"copy_", "(2, 2)", "(2,)"});
  // Writing through a broadcast view would store several values in one place.
  expect_error<ShapeError>(
      [] {
        iota({3}).broadcast_to({2, 3}).copy_(iota({2, 3}));
      },
      {"copy_", "broadcast", "(2, 3)"});
  expect_error<ShapeError>(
      [] {
        iota({2}).pad({{1, 1}}, 0).pad({{1, 1}, {0, 0}});
      },
      {"pad", "(4,)"});
  expect_error<ShapeError>([] { iota({2}).pad({{-1, 1}}); }, {"pad", "negative"});
  expect_error<ShapeError>([] { dilate(iota({2}), {0}, -1); }, {"dilate", "-1"});
  expect_error<ShapeError>([] { undilate(iota({2}), {1}, 1); }, {"undilate", "axis 1"});
  expect_error<ShapeError>([] { iota({2}).item<float>(); }, {"item", "(2,)"});
  expect_error<ShapeError>(
      [] {
        NDArray::from_vector<float>({1, 2, 3}, {2, 2});
      },
      {"from_vector", "3 values", "(2, 2)"});
  expect_error<ShapeError>([] { NDArray::zeros({2, -1}); }, {"full", "(2, -1)"});
  expect_error<DTypeError>([] { iota({2}).data<double>(); }, {"data<float64>", "float32"});
}

TEST(Errors, UnsupportedAndMixedDtypes) {
  expect_error<DTypeError>([] { exp(NDArray::arange(3)); }, {"exp", "int64"});
  expect_error<DTypeError>([] { log(NDArray::ones({2}, DType::Int32)); }, {"log", "int32"});
  expect_error<DTypeError>([] { matmul(NDArray::arange(3), NDArray::arange(3)); },
                           {"matmul", "int64"});
  expect_error<DTypeError>([] { mean(NDArray::arange(3)); }, {"mean", "int64"});
  expect_error<DTypeError>([] { NDArray::rand({2}, 0, 1, DType::Int32); }, {"rand", "int32"});
  expect_error<DTypeError>([] { NDArray::randn({2}, 0, 1, DType::UInt8); }, {"randn", "uint8"});
  expect_error<DTypeError>([] { iota({2}) + iota({2}, DType::Float64); },
                           {"add: dtypes differ: float32 and float64"});
  expect_error<DTypeError>([] { maximum(iota({2}), iota({2}, DType::Int32)); },
                           {"maximum", "float32", "int32"});
  expect_error<DTypeError>(
      [] {
        matmul(iota({2, 2}), iota({2, 2}, DType::Float64));
      },
      {"matmul", "float32", "float64"});
  expect_error<DTypeError>([] { where(iota({2}), iota({2}), iota({2})); },
                           {"where", "float32", "bool"});
  expect_error<DTypeError>(
      [] {
        stack({iota({2}), iota({2}, DType::Int64)});
      },
      {"stack", "int64", "float32"});
}

TEST(Errors, Matmul) {
  expect_error<ShapeError>(
      [] {
        matmul(iota({2, 3}), iota({4, 5}));
      },
      {"matmul: inner dimensions differ: (2, 3) @ (4, 5)"});
  expect_error<ShapeError>([] { matmul(iota({3}), iota({4})); }, {"matmul", "(3,)", "(4,)"});
  expect_error<ShapeError>(
      [] {
        matmul(iota({2, 2, 3}), iota({3, 3, 2}));
      },
      {"matmul", "(2,)", "(3,)"});
  expect_error<ShapeError>([] { matmul(NDArray::full({}, 1.0), iota({2})); }, {"matmul", "0-d"});
}

TEST(Errors, StackAndConcatenate) {
  expect_error<ShapeError>([] { stack({}); }, {"stack", "at least one"});
  expect_error<ShapeError>(
      [] {
        stack({iota({2, 3}), iota({3, 2})});
      },
      {"stack", "(3, 2)", "(2, 3)"});
  expect_error<ShapeError>([] { stack({iota({2}), iota({2})}, 2); }, {"stack", "axis 2"});
  expect_error<ShapeError>(
      [] {
        concatenate({iota({2, 3}), iota({2, 2})}, 0);
      },
      {"concatenate", "(2, 2)", "(2, 3)", "axis 0"});
  expect_error<ShapeError>(
      [] {
        concatenate({iota({2, 3}), iota({2})}, 0);
      },
      {"concatenate", "(2,)"});
  expect_error<ShapeError>([] { concatenate({NDArray::full({}, 1.0)}); },
                           {"concatenate", "zero-dimensional"});
}

TEST(Errors, Devices) {
  if (cuda_available()) GTEST_SKIP() << "the CUDA-device mix is tested where CUDA exists";
  expect_error<DeviceError>(
      [] {
        NDArray::zeros({2}, DType::Float32, Device{DeviceType::CUDA, 0});
      },
      {"cuda"});
}

TEST(Errors, MixedDevicesWithCuda) {
  NEEDLE_REQUIRE_CUDA();
  expect_error<DeviceError>([] { iota({2}) + iota({2}).to(cuda(0)); },
                            {"add: arrays on different devices: cpu and cuda:0"});
  expect_error<DeviceError>([] { iota({2}).copy_(iota({2}).to(cuda(0))); },
                            {"copy_", "cpu", "cuda:0"});
  expect_error<DeviceError>([] { stack({iota({2}), iota({2}).to(cuda(0))}); }, {"stack", "cuda:0"});
}

TEST(Errors, AreNeedleErrors) {
  // Every subclass is catchable as needle::Error and std::runtime_error.
  EXPECT_THROW(iota({2}).reshape({3}), Error);
  EXPECT_THROW(iota({2}).select(0, 5), std::runtime_error);
}

}  // namespace
}  // namespace needle

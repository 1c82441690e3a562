// DType sizes and names, the C++ type mapping and the dispatch helpers kernels are built on.
#include "needle/dtype.h"

#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/expect_error.h"

namespace needle {
namespace {

using testing::expect_error;

constexpr DType kAll[] = {DType::Float32, DType::Float64, DType::Int32,
                          DType::Int64,   DType::UInt8,   DType::Bool};

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::Float32), 4u);
  EXPECT_EQ(dtype_size(DType::Float64), 8u);
  EXPECT_EQ(dtype_size(DType::Int32), 4u);
  EXPECT_EQ(dtype_size(DType::Int64), 8u);
  EXPECT_EQ(dtype_size(DType::UInt8), 1u);
  EXPECT_EQ(dtype_size(DType::Bool), 1u);
  EXPECT_EQ(dtype_name(DType::Float32), "float32");
  EXPECT_EQ(dtype_name(DType::Float64), "float64");
  EXPECT_EQ(dtype_name(DType::Int32), "int32");
  EXPECT_EQ(dtype_name(DType::Int64), "int64");
  EXPECT_EQ(dtype_name(DType::UInt8), "uint8");
  EXPECT_EQ(dtype_name(DType::Bool), "bool");
  // Usable in constant expressions, so kernels can size buffers at compile time.
  static_assert(dtype_size(DType::Float64) == 8);
  static_assert(dtype_name(DType::Int32) == "int32");
}

TEST(DType, FmtPrintsTheName) {
  EXPECT_EQ(fmt::format("{}", DType::Float64), "float64");
  EXPECT_EQ(fmt::format("[{:>8}]", DType::Bool), "[    bool]");
}

TEST(DType, IsFloating) {
  EXPECT_TRUE(is_floating(DType::Float32));
  EXPECT_TRUE(is_floating(DType::Float64));
  EXPECT_FALSE(is_floating(DType::Int32));
  EXPECT_FALSE(is_floating(DType::Int64));
  EXPECT_FALSE(is_floating(DType::UInt8));
  EXPECT_FALSE(is_floating(DType::Bool));
}

TEST(DType, DtypeOfMapsCppTypes) {
  static_assert(dtype_of<float>() == DType::Float32);
  static_assert(dtype_of<double>() == DType::Float64);
  static_assert(dtype_of<int32_t>() == DType::Int32);
  static_assert(dtype_of<int64_t>() == DType::Int64);
  static_assert(dtype_of<uint8_t>() == DType::UInt8);
  static_assert(dtype_of<bool>() == DType::Bool);
}

TEST(DType, DispatchDtypeRoundTrips) {
  for (DType dt : kAll) {
    // The dispatched C++ type maps back to the same DType and has the DType's size.
    DType back = dispatch_dtype(dt, [](auto tag) {
      using T = typename decltype(tag)::type;
      return dtype_of<T>();
    });
    EXPECT_EQ(back, dt) << dtype_name(dt);
    size_t size = dispatch_dtype(dt, [](auto tag) { return sizeof(typename decltype(tag)::type); });
    EXPECT_EQ(size, dtype_size(dt)) << dtype_name(dt);
  }
}

TEST(DType, DispatchDtypeRejectsUnknownCodes) {
  expect_error<DTypeError>([] { dispatch_dtype(static_cast<DType>(42), [](auto) { return 0; }); },
                           "unknown dtype code 42");
}

TEST(DType, DispatchFloatingAcceptsOnlyFloats) {
  EXPECT_EQ(dispatch_floating(DType::Float32, "exp",
                              [](auto tag) { return sizeof(typename decltype(tag)::type); }),
            4u);
  EXPECT_EQ(dispatch_floating(DType::Float64, "exp",
                              [](auto tag) { return sizeof(typename decltype(tag)::type); }),
            8u);
  expect_error<DTypeError>([] { dispatch_floating(DType::Int32, "exp", [](auto) { return 0; }); },
                           "exp: dtype int32 is not supported (float32 or float64 expected)");
  expect_error<DTypeError>([] { dispatch_floating(DType::Bool, "matmul", [](auto) { return 0; }); },
                           "matmul: dtype bool is not supported");
}

}  // namespace
}  // namespace needle

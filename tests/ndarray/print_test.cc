// Printing: golden strings in PyTorch's layout (without the "tensor(...)" wrapper, which the
// Tensor layer adds), for every dtype, 0-d, empty, 3-D, wrapped rows and summarised arrays.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "needle/ndarray.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;

TEST(Print, FloatMatrix) {
  EXPECT_EQ(iota({2, 2}).to_string(), "[[0.0000, 1.0000],\n [2.0000, 3.0000]]");
  NDArray a = NDArray::from_vector<double>({-1.5, 10, 2.25}, {3});
  EXPECT_EQ(a.to_string(), "[-1.5000, 10.0000,  2.2500]");
}

TEST(Print, IntegersAndBools) {
  EXPECT_EQ(NDArray::arange(3).to_string(), "[0, 1, 2]");
  EXPECT_EQ(NDArray::from_vector<int32_t>({-5, 12}, {2, 1}).to_string(), "[[-5],\n [12]]");
  EXPECT_EQ(NDArray::from_vector<uint8_t>({0, 255}, {2}).to_string(), "[  0, 255]");
  EXPECT_EQ(NDArray::from_vector<bool>({true, false}, {2}).to_string(), "[ True, False]");
}

TEST(Print, NanAndInf) {
  const double inf = std::numeric_limits<double>::infinity();
  NDArray a = NDArray::from_vector<double>({std::nan(""), -inf, 1}, {3});
  EXPECT_EQ(a.to_string(), "[   nan,   -inf, 1.0000]");
}

TEST(Print, ThreeDimsSeparateBlocksWithBlankLines) {
  EXPECT_EQ(iota({2, 2, 2}, DType::Int64).to_string(),
            "[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]");
}

TEST(Print, ScalarAndEmpty) {
  EXPECT_EQ(NDArray::full({}, 2.5).to_string(), "2.5000");
  EXPECT_EQ(NDArray::zeros({0}).to_string(), "[]");
  EXPECT_EQ(NDArray::zeros({2, 0}).to_string(), "[]");
  EXPECT_EQ(NDArray().to_string(), "[undefined]");
}

TEST(Print, NonCompactViewsPrintTheirValues) {
  EXPECT_EQ(iota({2, 3}, DType::Int64).transpose().to_string(), "[[0, 3],\n [1, 4],\n [2, 5]]");
  EXPECT_EQ(NDArray::arange(4).flip({0}).to_string(), "[3, 2, 1, 0]");
}

TEST(Print, LongRowsWrapAtEightyColumns) {
  const std::string expected =
      "[ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n"
      "  8.0000,  9.0000, 10.0000, 11.0000, 12.0000, 13.0000, 14.0000, 15.0000,\n"
      " 16.0000, 17.0000, 18.0000, 19.0000]";
  EXPECT_EQ(iota({20}).to_string(), expected);
  // With a caller's prefix of 7 columns ("tensor("), continuation lines move right by 7.
  const std::string indented =
      "[ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n"
      "         8.0000,  9.0000, 10.0000, 11.0000, 12.0000, 13.0000, 14.0000, 15.0000,\n"
      "        16.0000, 17.0000, 18.0000, 19.0000]";
  EXPECT_EQ(iota({20}).to_string(7), indented);
  EXPECT_EQ(iota({2, 2}).to_string(7), "[[0.0000, 1.0000],\n        [2.0000, 3.0000]]");
}

TEST(Print, SummarisesLargeArrays) {
  EXPECT_EQ(NDArray::arange(2000).to_string(), "[   0,    1,    2,  ..., 1997, 1998, 1999]");
  EXPECT_EQ(NDArray::arange(2000).reshape({1000, 2}).to_string(),
            "[[   0,    1],\n [   2,    3],\n [   4,    5],\n ...,\n [1994, 1995],\n"
            " [1996, 1997],\n [1998, 1999]]");
  EXPECT_NE(NDArray::arange(1001).reshape({7, 11, 13}).to_string().find("..."), std::string::npos);
  // 1000 elements exactly are printed in full.
  EXPECT_EQ(NDArray::arange(1000).to_string().find("..."), std::string::npos);
}

TEST(Print, StreamAndFmtAgree) {
  NDArray a = iota({2, 2});
  std::ostringstream os;
  os << a;
  EXPECT_EQ(os.str(), a.to_string());
  EXPECT_EQ(fmt::format("{}", a), a.to_string());
  EXPECT_EQ(fmt::format("x = {}", NDArray::arange(2)), "x = [0, 1]");
}

}  // namespace
}  // namespace needle

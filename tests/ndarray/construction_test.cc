// Construction (empty/full/zeros/ones/arange/from_vector/rand/randn), host access, casts and
// device moves of NDArray.
#include <gtest/gtest.h>

#include <cmath>

#include "needle/ndarray.h"
#include "needle/random.h"
#include "require_cuda.h"
#include "tests/ndarray/test_util.h"

namespace needle {
namespace {

using testing::iota;
using testing::values;
using V = std::vector<float>;

TEST(Construction, FullZerosOnes) {
  NDArray z = NDArray::zeros({2, 3});
  EXPECT_TRUE(z.defined());
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.strides(), (Strides{3, 1}));
  EXPECT_EQ(z.offset(), 0);
  EXPECT_EQ(z.dtype(), DType::Float32);
  EXPECT_TRUE(z.device().is_cpu());
  EXPECT_TRUE(z.is_compact());
  EXPECT_EQ(values(z), V(6, 0.0f));
  EXPECT_EQ(values(NDArray::ones({3})), (V{1, 1, 1}));
  EXPECT_EQ(NDArray::full({2}, 2.5, DType::Float64).to_vector<double>(),
            (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(NDArray::full({2}, 7, DType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{7, 7}));
  EXPECT_EQ(NDArray::ones({2}, DType::Bool).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(NDArray::full({2}, 200, DType::UInt8).to_vector<uint8_t>(),
            (std::vector<uint8_t>{200, 200}));
}

TEST(Construction, EmptyAndZeroSizeShapes) {
  NDArray e = NDArray::empty({0, 4});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.defined());
  EXPECT_TRUE(e.to_vector<float>().empty());
  NDArray s = NDArray::full({}, 4.0);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item<float>(), 4.0f);
  NDArray undefined;
  EXPECT_FALSE(undefined.defined());
}

TEST(Construction, Arange) {
  NDArray a = NDArray::arange(5);
  EXPECT_EQ(a.dtype(), DType::Int64);
  EXPECT_EQ(a.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(NDArray::arange(3, DType::Float64).to_vector<double>(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(NDArray::arange(0).numel(), 0);
}

TEST(Construction, FromVectorToVectorEveryDtype) {
  EXPECT_EQ(NDArray::from_vector<float>({1.5f, -2}, {2}).to_vector<float>(), (V{1.5f, -2}));
  EXPECT_EQ(NDArray::from_vector<double>({1.25, 2}, {2, 1}).to_vector<double>(),
            (std::vector<double>{1.25, 2}));
  EXPECT_EQ(NDArray::from_vector<int32_t>({-3, 4}, {2}).to_vector<int32_t>(),
            (std::vector<int32_t>{-3, 4}));
  EXPECT_EQ(NDArray::from_vector<int64_t>({1LL << 40, -1}, {2}).to_vector<int64_t>(),
            (std::vector<int64_t>{1LL << 40, -1}));
  EXPECT_EQ(NDArray::from_vector<uint8_t>({0, 255}, {2}).to_vector<uint8_t>(),
            (std::vector<uint8_t>{0, 255}));
  NDArray b = NDArray::from_vector<bool>({true, false, true}, {3});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false, true}));
  // to_vector casts.
  EXPECT_EQ(NDArray::from_vector<float>({1.7f, -1.7f}, {2}).to_vector<int64_t>(),
            (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(NDArray::from_vector<int32_t>({0, 3}, {2}).to_vector<bool>(),
            (std::vector<bool>{false, true}));
}

TEST(Construction, ToVectorOfNonCompactViews) {
  NDArray a = iota({2, 3});
  EXPECT_EQ(a.transpose().to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(values(a.flip({0, 1})), (V{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(a.select(1, 1).to_vector<int32_t>(), (std::vector<int32_t>{1, 4}));
  EXPECT_EQ(a.select(0, 1).select(0, 2).item<double>(), 5.0);
}

TEST(Construction, Astype) {
  NDArray a = NDArray::from_vector<float>({1.5f, -2.5f, 0}, {3});
  EXPECT_EQ(a.astype(DType::Float32).data_ptr(), a.data_ptr());  // same dtype: no copy
  NDArray d = a.astype(DType::Float64);
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_FALSE(d.shares_storage(a));
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{1.5, -2.5, 0}));
  EXPECT_EQ(a.astype(DType::Int32).to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 0}));
  EXPECT_EQ(a.astype(DType::Bool).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  // A cast of a non-compact view is compact.
  NDArray t = iota({2, 3}).transpose().astype(DType::Int64);
  EXPECT_TRUE(t.is_compact());
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
}

TEST(Construction, ToSameDeviceIsTheArray) {
  NDArray a = iota({3});
  NDArray b = a.to(cpu());
  EXPECT_EQ(b.data_ptr(), a.data_ptr());
}

TEST(Construction, ToCudaWithoutCudaThrowsDeviceError) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  NDArray a = iota({3});
  EXPECT_THROW(a.to(Device{DeviceType::CUDA, 0}), DeviceError);
}

TEST(Construction, ToCudaAndBack) {
  NEEDLE_REQUIRE_CUDA();
  NDArray a = iota({2, 3}).transpose();
  NDArray g = a.to(cuda(0));
  EXPECT_TRUE(g.device().is_cuda());
  NDArray h = g.to(cpu());
  EXPECT_EQ(values(h), (V{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(values(g), (V{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(g.astype(DType::Float64).to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
}

TEST(Random, RepeatableAfterManualSeed) {
  manual_seed(42);
  NDArray a = NDArray::rand({100});
  NDArray b = NDArray::randn({100}, 0.0, 1.0, DType::Float64);
  manual_seed(42);
  NDArray c = NDArray::rand({100});
  NDArray d = NDArray::randn({100}, 0.0, 1.0, DType::Float64);
  EXPECT_EQ(values(a), values(c));
  EXPECT_EQ(b.to_vector<double>(), d.to_vector<double>());
  // The next draw continues the stream rather than repeating it.
  NDArray e = NDArray::rand({100});
  EXPECT_NE(values(a), values(e));
  manual_seed(43);
  EXPECT_NE(values(NDArray::rand({100})), values(a));
}

TEST(Random, UniformRangeAndNormalMoments) {
  manual_seed(0);
  const int n = 20000;
  std::vector<double> u = NDArray::rand({n}, -2.0, 3.0, DType::Float64).to_vector<double>();
  double lo = 1e9, hi = -1e9, mean = 0;
  for (double x : u) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    mean += x / n;
  }
  EXPECT_GE(lo, -2.0);
  EXPECT_LT(hi, 3.0);
  EXPECT_NEAR(mean, 0.5, 0.05);

  std::vector<float> g = NDArray::randn({n}, 1.0, 2.0).to_vector<float>();
  double m = 0, var = 0;
  for (float x : g)
    m += x / static_cast<double>(n);
  for (float x : g)
    var += (x - m) * (x - m) / n;
  EXPECT_NEAR(m, 1.0, 0.06);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.06);
  EXPECT_EQ(NDArray::rand({0}).numel(), 0);
}

}  // namespace
}  // namespace needle

// The real Fashion-MNIST files from Debian's dataset-fashion-mnist, when installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "needle/data/mnist_dataset.h"

namespace needle::data {
namespace {

constexpr const char* kDir = "/usr/share/datasets/fashion-mnist";

void check_split(const std::string& prefix, int64_t expected) {
  const std::string dir = kDir;
  if (!std::filesystem::exists(dir + "/" + prefix + "-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST not installed at " << dir
                 << " (apt install dataset-fashion-mnist)";
  }
  // No timing here: a loaded machine would make it flake; data_loader_bench measures speed.
  MNISTDataset ds(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                  dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  ASSERT_EQ(ds.size(), expected);
  EXPECT_EQ(ds.rows(), 28);
  EXPECT_EQ(ds.cols(), 28);
  std::vector<int64_t> counts(10, 0);
  for (int64_t i = 0; i < ds.size(); ++i) {
    const int64_t l = ds.label(i);
    ASSERT_GE(l, 0);
    ASSERT_LT(l, 10);
    ++counts[static_cast<size_t>(l)];
  }
  // Fashion-MNIST is balanced: every class has a tenth of the examples.
  for (int64_t c : counts)
    EXPECT_EQ(c, expected / 10);
  float lo = 1.0f, hi = 0.0f;
  Image image;
  Generator gen(0);
  for (int64_t i = 0; i < ds.size(); i += 97) {
    ds.get_into(i, gen, image);
    ASSERT_EQ(image.shape, (Shape{1, 28, 28}));
    const auto [mn, mx] = std::minmax_element(image.data.begin(), image.data.end());
    lo = std::min(lo, *mn);
    hi = std::max(hi, *mx);
  }
  EXPECT_GE(lo, 0.0f);
  EXPECT_LE(hi, 1.0f);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

TEST(FashionMNIST, TrainSplit) {
  check_split("train", 60000);
}
TEST(FashionMNIST, TestSplit) {
  check_split("t10k", 10000);
}

}  // namespace
}  // namespace needle::data

// CIFAR10Dataset: reading the binary batches, and every validation failure.
#include "needle/data/cifar10_dataset.h"

#include <gtest/gtest.h>

#include <string>

#include "data/data_test_util.h"
#include "needle/error.h"

namespace needle::data {
namespace {

using testing::cifar_records;
using testing::TempDir;
using testing::write_file;

template <typename Fn>
void expect_io_error(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected IOError";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) {
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    }
  }
}

void write_train(const TempDir& dir, int per_file) {
  for (int b = 1; b <= 5; ++b) {
    write_file(dir.file("data_batch_" + std::to_string(b) + ".bin"), cifar_records(per_file, b));
  }
}

TEST(CIFAR10Dataset, ReadsTrainAndTest) {
  TempDir dir;
  write_train(dir, 3);
  write_file(dir.file("test_batch.bin"), cifar_records(4));
  CIFAR10Dataset train(dir.path().string(), true);
  ASSERT_EQ(train.size(), 15);
  CIFAR10Dataset test(dir.path().string(), false);
  ASSERT_EQ(test.size(), 4);
  // Record 1 of data_batch_2: label (2 + 1) % 10, pixel p = (3 + p) % 256 in CHW order.
  Generator gen(0);
  Example ex = train.get(4, gen);
  EXPECT_EQ(ex.label, 3);
  ASSERT_EQ(ex.image.shape(), (Shape{3, 32, 32}));
  std::vector<float> px = ex.image.to_vector<float>();
  for (int p : {0, 1, 1023, 1024, 2047, 3071}) {
    EXPECT_FLOAT_EQ(px[static_cast<size_t>(p)], static_cast<float>((3 + p) % 256) / 255.0f);
  }
  EXPECT_EQ(test.label(3), 3);
}

TEST(CIFAR10Dataset, MissingFile) {
  TempDir dir;
  write_train(dir, 1);
  std::filesystem::remove(dir.file("data_batch_4.bin"));
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), true); },
                  {"data_batch_4.bin", "no such file"});
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {"test_batch.bin", "no such file"});
}

TEST(CIFAR10Dataset, TruncatedTrailingAndEmpty) {
  TempDir dir;
  std::vector<uint8_t> rec = cifar_records(2);
  rec.pop_back();
  write_file(dir.file("test_batch.bin"), rec);
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "truncated", "3073"});
  rec = cifar_records(2);
  rec.push_back(7);
  write_file(dir.file("test_batch.bin"), rec);
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "trailing"});
  write_file(dir.file("test_batch.bin"), {});
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "empty"});
}

TEST(CIFAR10Dataset, LabelOutOfRange) {
  TempDir dir;
  std::vector<uint8_t> rec = cifar_records(3);
  rec[2 * 3073] = 11;
  write_file(dir.file("test_batch.bin"), rec);
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "label 11 of record 2", "out of range"});
}

TEST(CIFAR10Dataset, CorruptGzip) {
  TempDir dir;
  std::vector<uint8_t> gz = testing::gzip(cifar_records(2));
  gz.resize(gz.size() - 10);
  write_file(dir.file("test_batch.bin"), gz);
  expect_io_error([&] { CIFAR10Dataset(dir.path().string(), false); },
                  {dir.file("test_batch.bin"), "gzip"});
}

}  // namespace
}  // namespace needle::data

// MNISTDataset: reading plain and gzipped IDX files, and every validation failure.
#include "needle/data/mnist_dataset.h"

#include <gtest/gtest.h>

#include <string>

#include "data/data_test_util.h"
#include "needle/error.h"

namespace needle::data {
namespace {

using testing::gzip;
using testing::idx_images;
using testing::idx_labels;
using testing::TempDir;
using testing::write_file;

// Expects `fn` to throw IOError whose message contains every one of `parts`.
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

void check_contents(const MNISTDataset& ds, int count, int rows, int cols) {
  ASSERT_EQ(ds.size(), count);
  EXPECT_EQ(ds.rows(), rows);
  EXPECT_EQ(ds.cols(), cols);
  for (int i = 0; i < count; ++i) {
    Generator gen(1);
    Example ex = ds.get(i, gen);
    EXPECT_EQ(ex.label, i % 10);
    ASSERT_EQ(ex.image.shape(), (Shape{1, rows, cols}));
    EXPECT_EQ(ex.image.dtype(), DType::Float32);
    std::vector<float> px = ex.image.to_vector<float>();
    for (int p = 0; p < rows * cols; ++p) {
      EXPECT_FLOAT_EQ(px[static_cast<size_t>(p)], static_cast<float>((i * 7 + p) % 256) / 255.0f);
    }
  }
}

TEST(MNISTDataset, ReadsPlainFiles) {
  TempDir dir;
  write_file(dir.file("img"), idx_images(12, 5, 4));
  write_file(dir.file("lbl"), idx_labels(12));
  MNISTDataset ds(dir.file("img"), dir.file("lbl"));
  check_contents(ds, 12, 5, 4);
}

TEST(MNISTDataset, ReadsGzippedFilesByMagicNotName) {
  TempDir dir;
  // Gzipped content under a plain name and plain content under a .gz name both read.
  write_file(dir.file("img.idx"), gzip(idx_images(12, 28, 28)));
  write_file(dir.file("lbl.gz"), idx_labels(12));
  MNISTDataset ds(dir.file("img.idx"), dir.file("lbl.gz"));
  check_contents(ds, 12, 28, 28);
}

TEST(MNISTDataset, ReadsConcatenatedGzipMembers) {
  TempDir dir;
  std::vector<uint8_t> all = idx_images(3, 4, 4);
  std::vector<uint8_t> a(all.begin(), all.begin() + 20), b(all.begin() + 20, all.end());
  std::vector<uint8_t> gz = gzip(a), gz2 = gzip(b);
  gz.insert(gz.end(), gz2.begin(), gz2.end());
  write_file(dir.file("img"), gz);
  write_file(dir.file("lbl"), gzip(idx_labels(3)));
  check_contents(MNISTDataset(dir.file("img"), dir.file("lbl")), 3, 4, 4);
}

TEST(MNISTDataset, AppliesTransformsAndChecksIndex) {
  TempDir dir;
  write_file(dir.file("img"), idx_images(2, 3, 3));
  write_file(dir.file("lbl"), idx_labels(2));
  MNISTDataset ds(dir.file("img"), dir.file("lbl"));
  EXPECT_THROW(ds.get(2), IndexError);
  EXPECT_THROW(ds.get(-1), IndexError);
  EXPECT_EQ(ds.label(1), 1);
}

TEST(MNISTDataset, MissingFile) {
  TempDir dir;
  write_file(dir.file("lbl"), idx_labels(2));
  expect_io_error([&] { MNISTDataset(dir.file("nope"), dir.file("lbl")); },
                  {dir.file("nope"), "no such file"});
  write_file(dir.file("img"), idx_images(2, 3, 3));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("nolabels")); },
                  {dir.file("nolabels"), "no such file"});
}

TEST(MNISTDataset, WrongMagic) {
  TempDir dir;
  write_file(dir.file("img"), idx_images(2, 3, 3, /*magic=*/0x801));
  write_file(dir.file("lbl"), idx_labels(2));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "wrong magic number", "0x00000801"});
  write_file(dir.file("img"), idx_images(2, 3, 3));
  write_file(dir.file("lbl"), idx_labels(2, /*magic=*/0x803));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("lbl"), "wrong magic number"});
}

TEST(MNISTDataset, TruncatedAndTrailingBytes) {
  TempDir dir;
  write_file(dir.file("lbl"), idx_labels(4));
  std::vector<uint8_t> img = idx_images(4, 3, 3);
  img.pop_back();
  write_file(dir.file("img"), img);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "truncated", "4 images"});
  img = idx_images(4, 3, 3);
  img.push_back(0);
  write_file(dir.file("img"), img);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "trailing"});
  write_file(dir.file("img"), std::vector<uint8_t>{0, 0, 8});
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "truncated", "header"});
  write_file(dir.file("img"), idx_images(4, 3, 3));
  std::vector<uint8_t> lbl = idx_labels(4);
  lbl.pop_back();
  write_file(dir.file("lbl"), lbl);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("lbl"), "truncated"});
}

TEST(MNISTDataset, CountMismatchBetweenFiles) {
  TempDir dir;
  write_file(dir.file("img"), idx_images(5, 3, 3));
  write_file(dir.file("lbl"), idx_labels(4));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), dir.file("lbl"), "5 images", "4 labels"});
}

TEST(MNISTDataset, LabelOutOfRange) {
  TempDir dir;
  write_file(dir.file("img"), idx_images(3, 3, 3));
  std::vector<uint8_t> lbl = idx_labels(3);
  lbl[8 + 2] = 10;
  write_file(dir.file("lbl"), lbl);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("lbl"), "label 10 of example 2", "out of range"});
}

TEST(MNISTDataset, CorruptAndTruncatedGzip) {
  TempDir dir;
  write_file(dir.file("lbl"), idx_labels(50));
  std::vector<uint8_t> gz = gzip(idx_images(50, 8, 8));
  std::vector<uint8_t> corrupt = gz;
  for (size_t i = 12; i < 40 && i < corrupt.size(); ++i)
    corrupt[i] ^= 0x5a;
  write_file(dir.file("img"), corrupt);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "gzip"});
  std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  write_file(dir.file("img"), cut);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "truncated gzip"});
  std::vector<uint8_t> trailing = gz;
  trailing.push_back(1);
  trailing.push_back(2);
  trailing.push_back(3);
  write_file(dir.file("img"), trailing);
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "after the compressed stream"});
}

}  // namespace
}  // namespace needle::data

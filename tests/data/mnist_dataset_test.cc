// MNISTDataset: reading plain and gzipped IDX files, and every validation failure.
#include "needle/data/mnist_dataset.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

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

// A gzip file that inflates to `prefix` followed by `zero_mib` MiB of zeros: concatenated
// members, each 1 MiB of zeros, so a 1 GiB bomb is a 1 MB file that costs one small
// compression to make.
std::vector<uint8_t> gzip_bomb(const std::vector<uint8_t>& prefix, int zero_mib) {
  std::vector<uint8_t> out = gzip(prefix);
  const std::vector<uint8_t> member = gzip(std::vector<uint8_t>(size_t{1} << 20, 0));
  for (int i = 0; i < zero_mib; ++i)
    out.insert(out.end(), member.begin(), member.end());
  return out;
}

// The process's peak resident memory so far, in MiB.
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
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

TEST(MNISTDataset, GzipBombIsRefusedWithoutInflatingIt) {
  // 1 GiB of zeros behind a header: a wrong magic number, and a right header followed by far
  // more data than it declares. Both are refused after inflating what the header declares (plus
  // one byte), so the peak memory barely moves; inflating the whole file first took 2.3 GiB.
  TempDir dir;
  write_file(dir.file("lbl"), idx_labels(2));
  const double peak_before = peak_rss_mib();
  write_file(dir.file("img"), gzip_bomb(idx_images(2, 4, 4, /*magic=*/0x802), 1024));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "wrong magic number", "0x00000802"});
  write_file(dir.file("img"), gzip_bomb(idx_images(2, 4, 4), 1024));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "unexpected trailing bytes", "2 images of 4x4 (32 bytes)"});
  EXPECT_LT(peak_rss_mib() - peak_before, 200.0);
}

TEST(MNISTDataset, HeaderPromisingMoreThanTheFileCanHoldIsRefusedBeforeAllocating) {
  TempDir dir;
  write_file(dir.file("lbl"), idx_labels(2));
  // 4e9 images of 65536x65536 would be 2^64 bytes: no allocation is attempted, plain or gzip.
  std::vector<uint8_t> header = idx_images(0, 65536, 65536);
  header[4] = header[5] = header[6] = header[7] = 0xff;
  write_file(dir.file("img"), header);
  expect_io_error(
      [&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
      {dir.file("img"), "truncated", "4294967295 images of 65536x65536", "the data has 0 bytes"});
  write_file(dir.file("img"), gzip(header));
  expect_io_error(
      [&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
      {dir.file("img"), "4294967295 images of 65536x65536", "gzip file inflates to at most"});
}

TEST(MNISTDataset, EmptyDatasetIsAnError) {
  // Valid headers and no images: training on it would take no step and report 0% accuracy.
  TempDir dir;
  write_file(dir.file("img"), idx_images(0, 28, 28));
  write_file(dir.file("lbl"), idx_labels(0));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "0 images", "empty"});
  write_file(dir.file("img"), gzip(idx_images(0, 28, 28)));
  expect_io_error([&] { MNISTDataset(dir.file("img"), dir.file("lbl")); },
                  {dir.file("img"), "empty"});
}

}  // namespace
}  // namespace needle::data

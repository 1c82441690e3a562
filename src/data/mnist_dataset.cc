// MNISTDataset: IDX parsing and validation, decoding into float32 on demand.
#include "needle/data/mnist_dataset.h"

#include <algorithm>

#include "needle/error.h"
#include "src/data/read_bytes.h"

namespace needle::data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
constexpr const char* kWho = "MNISTDataset";

}  // namespace

MNISTDataset::MNISTDataset(const std::string& images_path, const std::string& labels_path,
                           Transforms transforms)
    : Dataset(std::move(transforms)) {
  // Images: magic, count, rows, cols (big-endian), then count * rows * cols bytes.
  std::vector<uint8_t> images = detail::read_bytes(images_path, kWho);
  NEEDLE_CHECK_AS(IOError, images.size() >= 16,
                  "{}: {}: truncated: {} bytes is shorter than the 16-byte IDX image header", kWho,
                  images_path, images.size());
  const uint32_t magic = detail::read_be32(images.data());
  NEEDLE_CHECK_AS(IOError, magic == kImagesMagic,
                  "{}: {}: wrong magic number 0x{:08x}, expected 0x{:08x} (IDX image file)", kWho,
                  images_path, magic, kImagesMagic);
  const uint64_t count = detail::read_be32(images.data() + 4);
  const uint64_t rows = detail::read_be32(images.data() + 8);
  const uint64_t cols = detail::read_be32(images.data() + 12);
  NEEDLE_CHECK_AS(IOError, rows > 0 && cols > 0 && rows <= 65536 && cols <= 65536,
                  "{}: {}: implausible image size {}x{} in the header", kWho, images_path, rows,
                  cols);
  const uint64_t expected = 16 + count * rows * cols;
  NEEDLE_CHECK_AS(IOError, images.size() == expected,
                  "{}: {}: {}: the header promises {} images of {}x{} ({} bytes) but the data "
                  "has {} bytes",
                  kWho, images_path,
                  images.size() < expected ? "truncated" : "unexpected trailing bytes", count, rows,
                  cols, expected, images.size());

  // Labels: magic, count, then count bytes.
  std::vector<uint8_t> labels = detail::read_bytes(labels_path, kWho);
  NEEDLE_CHECK_AS(IOError, labels.size() >= 8,
                  "{}: {}: truncated: {} bytes is shorter than the 8-byte IDX label header", kWho,
                  labels_path, labels.size());
  const uint32_t label_magic = detail::read_be32(labels.data());
  NEEDLE_CHECK_AS(IOError, label_magic == kLabelsMagic,
                  "{}: {}: wrong magic number 0x{:08x}, expected 0x{:08x} (IDX label file)", kWho,
                  labels_path, label_magic, kLabelsMagic);
  const uint64_t label_count = detail::read_be32(labels.data() + 4);
  NEEDLE_CHECK_AS(IOError, labels.size() == 8 + label_count,
                  "{}: {}: {}: the header promises {} labels but the data has {} bytes", kWho,
                  labels_path,
                  labels.size() < 8 + label_count ? "truncated" : "unexpected trailing bytes",
                  label_count, labels.size() - 8);
  NEEDLE_CHECK_AS(IOError, label_count == count, "{}: {} has {} images but {} has {} labels", kWho,
                  images_path, count, labels_path, label_count);
  const auto bad =
      std::find_if(labels.begin() + 8, labels.end(), [](uint8_t l) { return l >= kNumClasses; });
  NEEDLE_CHECK_AS(IOError, bad == labels.end(),
                  "{}: {}: label {} of example {} is out of range (labels must be < {})", kWho,
                  labels_path, static_cast<int>(*bad), bad - (labels.begin() + 8), kNumClasses);

  size_ = static_cast<int64_t>(count);
  rows_ = static_cast<int64_t>(rows);
  cols_ = static_cast<int64_t>(cols);
  // Drop the headers in place rather than copying 47 MB.
  images.erase(images.begin(), images.begin() + 16);
  labels.erase(labels.begin(), labels.begin() + 8);
  pixels_ = std::move(images);
  labels_ = std::move(labels);
}

int64_t MNISTDataset::label(int64_t index) const {
  check_index(index, kWho);
  return labels_[static_cast<size_t>(index)];
}

int64_t MNISTDataset::get_into(int64_t index, Generator& gen, Image& image) const {
  check_index(index, kWho);
  const int64_t per = rows_ * cols_;
  image.reshape(1, rows_, cols_);
  const float* table = detail::byte_to_unit_table();
  const uint8_t* src = pixels_.data() + index * per;
  float* dst = image.data.data();
  for (int64_t i = 0; i < per; ++i)
    dst[i] = table[src[i]];
  apply_transforms(image, gen);
  return labels_[static_cast<size_t>(index)];
}

Example MNISTDataset::get(int64_t index, Generator& gen) const {
  Image image;
  const int64_t label = get_into(index, gen, image);
  return Example{image.to_ndarray(), label};
}

}  // namespace needle::data

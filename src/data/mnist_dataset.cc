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
  // Each file's header is read and checked before its payload, and the payload is read to the
  // size the header declares and no further (read_bytes.h): a damaged header or a gzip bomb
  // costs a few bytes of reading, not memory.
  // Images: magic, count, rows, cols (big-endian), then count * rows * cols bytes.
  detail::ByteReader images(images_path, kWho);
  uint8_t header[16];
  const size_t got = images.read(header, sizeof(header));
  NEEDLE_CHECK_AS(IOError, got == sizeof(header),
                  "{}: {}: truncated: {} bytes is shorter than the 16-byte IDX image header", kWho,
                  images_path, got);
  const uint32_t magic = detail::read_be32(header);
  NEEDLE_CHECK_AS(IOError, magic == kImagesMagic,
                  "{}: {}: wrong magic number 0x{:08x}, expected 0x{:08x} (IDX image file)", kWho,
                  images_path, magic, kImagesMagic);
  const uint64_t count = detail::read_be32(header + 4);
  const uint64_t rows = detail::read_be32(header + 8);
  const uint64_t cols = detail::read_be32(header + 12);
  NEEDLE_CHECK_AS(IOError, rows > 0 && cols > 0 && rows <= 65536 && cols <= 65536,
                  "{}: {}: implausible image size {}x{} in the header", kWho, images_path, rows,
                  cols);
  // A dataset of no examples would "train" without a single step and report 0% accuracy.
  NEEDLE_CHECK_AS(IOError, count > 0, "{}: {}: the header declares 0 images: the dataset is empty",
                  kWho, images_path);
  // count < 2^32 and rows * cols <= 2^32, so the product fits in 64 bits.
  const uint64_t pixel_bytes = count * rows * cols;
  std::vector<uint8_t> pixels = detail::read_payload(
      images, pixel_bytes,
      fmt::format("{} images of {}x{} ({} bytes)", count, rows, cols, pixel_bytes));

  // Labels: magic, count, then count bytes.
  detail::ByteReader labels(labels_path, kWho);
  uint8_t label_header[8];
  const size_t label_got = labels.read(label_header, sizeof(label_header));
  NEEDLE_CHECK_AS(IOError, label_got == sizeof(label_header),
                  "{}: {}: truncated: {} bytes is shorter than the 8-byte IDX label header", kWho,
                  labels_path, label_got);
  const uint32_t label_magic = detail::read_be32(label_header);
  NEEDLE_CHECK_AS(IOError, label_magic == kLabelsMagic,
                  "{}: {}: wrong magic number 0x{:08x}, expected 0x{:08x} (IDX label file)", kWho,
                  labels_path, label_magic, kLabelsMagic);
  const uint64_t label_count = detail::read_be32(label_header + 4);
  NEEDLE_CHECK_AS(IOError, label_count == count, "{}: {} has {} images but {} has {} labels", kWho,
                  images_path, count, labels_path, label_count);
  std::vector<uint8_t> label_bytes =
      detail::read_payload(labels, label_count, fmt::format("{} labels", label_count));
  const auto bad = std::find_if(label_bytes.begin(), label_bytes.end(),
                                [](uint8_t l) { return l >= kNumClasses; });
  NEEDLE_CHECK_AS(IOError, bad == label_bytes.end(),
                  "{}: {}: label {} of example {} is out of range (labels must be < {})", kWho,
                  labels_path, static_cast<int>(*bad), bad - label_bytes.begin(), kNumClasses);

  size_ = static_cast<int64_t>(count);
  rows_ = static_cast<int64_t>(rows);
  cols_ = static_cast<int64_t>(cols);
  pixels_ = std::move(pixels);
  labels_ = std::move(label_bytes);
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

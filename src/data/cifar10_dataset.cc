// CIFAR10Dataset: binary batch parsing and validation, decoding into float32 on demand.
#include "needle/data/cifar10_dataset.h"

#include <filesystem>

#include "needle/error.h"
#include "src/data/read_bytes.h"

namespace needle::data {

namespace {
constexpr const char* kWho = "CIFAR10Dataset";
constexpr int64_t kPixels =
    CIFAR10Dataset::kChannels * CIFAR10Dataset::kHeight * CIFAR10Dataset::kWidth;
}  // namespace

CIFAR10Dataset::CIFAR10Dataset(const std::string& dir, bool train, Transforms transforms)
    : Dataset(std::move(transforms)) {
  std::vector<std::string> names;
  if (train) {
    for (int i = 1; i <= 5; ++i)
      names.push_back(fmt::format("data_batch_{}.bin", i));
  } else {
    names.push_back("test_batch.bin");
  }
  for (const std::string& name : names) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    // Record by record: the format has no header to check first, so memory follows the data
    // read (exactly reserved for a plain file) rather than a whole-file buffer.
    detail::ByteReader in(path, kWho);
    if (const auto size = in.remaining()) {
      const auto records = static_cast<size_t>(*size / kRecordBytes);
      pixels_.reserve(pixels_.size() + records * static_cast<size_t>(kPixels));
      labels_.reserve(labels_.size() + records);
    }
    std::vector<uint8_t> rec(static_cast<size_t>(kRecordBytes));
    int64_t records = 0;
    while (true) {
      const auto got = static_cast<int64_t>(in.read(rec.data(), rec.size()));
      if (got == 0) break;
      NEEDLE_CHECK_AS(IOError, got == kRecordBytes,
                      "{}: {}: truncated or trailing bytes: {} bytes is not a whole number of "
                      "{}-byte records (1 label + 3072 pixels)",
                      kWho, path, records * kRecordBytes + got, kRecordBytes);
      NEEDLE_CHECK_AS(IOError, rec[0] < kNumClasses,
                      "{}: {}: label {} of record {} is out of range (labels must be < {})", kWho,
                      path, static_cast<int>(rec[0]), records, kNumClasses);
      labels_.push_back(rec[0]);
      pixels_.insert(pixels_.end(), rec.begin() + 1, rec.end());
      ++records;
    }
    NEEDLE_CHECK_AS(IOError, records > 0, "{}: {}: the file is empty", kWho, path);
  }
  size_ = static_cast<int64_t>(labels_.size());
}

int64_t CIFAR10Dataset::label(int64_t index) const {
  check_index(index, kWho);
  return labels_[static_cast<size_t>(index)];
}

int64_t CIFAR10Dataset::get_into(int64_t index, Generator& gen, Image& image) const {
  check_index(index, kWho);
  image.reshape(kChannels, kHeight, kWidth);
  const float* table = detail::byte_to_unit_table();
  const uint8_t* src = pixels_.data() + index * kPixels;
  float* dst = image.data.data();
  for (int64_t i = 0; i < kPixels; ++i)
    dst[i] = table[src[i]];
  apply_transforms(image, gen);
  return labels_[static_cast<size_t>(index)];
}

Example CIFAR10Dataset::get(int64_t index, Generator& gen) const {
  Image image;
  const int64_t label = get_into(index, gen, image);
  return Example{image.to_ndarray(), label};
}

}  // namespace needle::data

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
    std::vector<uint8_t> bytes = detail::read_bytes(path, kWho);
    const auto n = static_cast<int64_t>(bytes.size());
    NEEDLE_CHECK_AS(IOError, n > 0, "{}: {}: the file is empty", kWho, path);
    NEEDLE_CHECK_AS(IOError, n % kRecordBytes == 0,
                    "{}: {}: truncated or trailing bytes: {} bytes is not a whole number of "
                    "{}-byte records (1 label + 3072 pixels)",
                    kWho, path, n, kRecordBytes);
    const int64_t records = n / kRecordBytes;
    pixels_.reserve(pixels_.size() + static_cast<size_t>(records * kPixels));
    for (int64_t r = 0; r < records; ++r) {
      const uint8_t* rec = bytes.data() + r * kRecordBytes;
      NEEDLE_CHECK_AS(IOError, rec[0] < kNumClasses,
                      "{}: {}: label {} of record {} is out of range (labels must be < {})", kWho,
                      path, static_cast<int>(rec[0]), r, kNumClasses);
      labels_.push_back(rec[0]);
      pixels_.insert(pixels_.end(), rec + 1, rec + kRecordBytes);
    }
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

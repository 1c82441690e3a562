// CIFAR10Dataset: the CIFAR-10 binary version (cifar-10-batches-bin): data_batch_1.bin ...
// data_batch_5.bin for training, test_batch.bin for testing. Each record is one label byte and
// 3072 pixel bytes in CHW order; images come out float32 (3, 32, 32) in [0, 1].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "needle/data/dataset.h"

namespace needle::data {

class CIFAR10Dataset : public Dataset {
 public:
  // Reads `dir`/data_batch_{1..5}.bin (train) or `dir`/test_batch.bin; throws IOError naming
  // the file and the problem: missing, empty, a size that is not a whole number of 3073-byte
  // records (truncated or trailing bytes), or a label >= 10.
  CIFAR10Dataset(const std::string& dir, bool train, Transforms transforms = {});

  int64_t size() const override { return size_; }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;
  int64_t get_into(int64_t index, Generator& gen, Image& image) const override;

  int64_t label(int64_t index) const;
  static constexpr int64_t kNumClasses = 10;
  static constexpr int64_t kChannels = 3, kHeight = 32, kWidth = 32;
  static constexpr int64_t kRecordBytes = 1 + kChannels * kHeight * kWidth;

 private:
  int64_t size_ = 0;
  std::vector<uint8_t> pixels_;  // size_ * 3072
  std::vector<uint8_t> labels_;
};

}  // namespace needle::data

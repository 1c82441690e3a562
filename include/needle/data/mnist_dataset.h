// MNISTDataset: MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST ...), gzipped or plain
// (told apart by the gzip magic bytes, not the file name). Images come out float32 in [0, 1]
// with shape (1, rows, cols); the decoded bytes stay uint8 in memory (47 MB for 60,000 images
// rather than 188 MB as float32).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "needle/data/dataset.h"

namespace needle::data {

class MNISTDataset : public Dataset {
 public:
  // Reads and validates both files; throws IOError naming the file and the problem: a missing
  // file, a corrupt or truncated gzip stream, a wrong magic number, a size that does not match
  // the header's count (checked before anything is allocated or inflated past the header, so a
  // gzip bomb is refused cheaply), no images at all, labels >= 10, or image and label counts
  // that differ.
  MNISTDataset(const std::string& images_path, const std::string& labels_path,
               Transforms transforms = {});

  int64_t size() const override { return size_; }
  using Dataset::get;
  Example get(int64_t index, Generator& gen) const override;
  int64_t get_into(int64_t index, Generator& gen, Image& image) const override;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t label(int64_t index) const;
  static constexpr int64_t kNumClasses = 10;

 private:
  int64_t size_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_;  // size_ * rows_ * cols_
  std::vector<uint8_t> labels_;
};

}  // namespace needle::data

// Fuzz target: MNISTDataset's IDX reader, plain and gzipped, on arbitrary bytes.
//
// An input is [flags: 1 byte][n: 4 bytes, little-endian][images file: n bytes][labels file]:
// n is cut to what is there, and flag bit 0 (1) gzips the images file, bit 1 (2) the labels
// file, before they are written. Compressing here lets mutations reach the IDX parser through
// the gzip path (a mutated .gz mostly fails its CRC); seeds with flags 0 that hold gzip bytes
// themselves fuzz the inflating reader.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ndl = needle;
  if (size < 5) return 0;
  const uint8_t flags = data[0];
  size_t n = size_t{data[1]} | size_t{data[2]} << 8 | size_t{data[3]} << 16 | size_t{data[4]} << 24;
  data += 5;
  size -= 5;
  n = std::min(n, size);
  std::vector<uint8_t> images(data, data + n), labels(data + n, data + size);
  if (flags & 1) images = ndl::data::testing::gzip(images);
  if (flags & 2) labels = ndl::data::testing::gzip(labels);
  const std::string images_path =
      ndl::fuzz::write_input("images-idx3-ubyte", images.data(), images.size());
  const std::string labels_path =
      ndl::fuzz::write_input("labels-idx1-ubyte", labels.data(), labels.size());

  std::unique_ptr<ndl::data::MNISTDataset> dataset;
  if (!ndl::fuzz::accepted(
          [&] { dataset = std::make_unique<ndl::data::MNISTDataset>(images_path, labels_path); })) {
    return 0;
  }
  ndl::fuzz::decode_first_and_last(*dataset);
  return 0;
}

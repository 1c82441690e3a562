// Helpers for the data tests: a self-deleting temporary directory and writers for small IDX
// (plain and gzipped) and CIFAR-10 binary files, good or deliberately damaged.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace needle::data::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("needle_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
             "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// IDX image file: pixel p of image i is (i * 7 + p) % 256.
inline std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows, uint32_t cols,
                                       uint32_t magic = 0x803) {
  std::vector<uint8_t> out;
  put_be32(out, magic);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  for (uint32_t i = 0; i < count; ++i) {
    for (uint32_t p = 0; p < rows * cols; ++p)
      out.push_back(static_cast<uint8_t>((i * 7 + p) % 256));
  }
  return out;
}

// IDX label file: label i is i % 10.
inline std::vector<uint8_t> idx_labels(uint32_t count, uint32_t magic = 0x801) {
  std::vector<uint8_t> out;
  put_be32(out, magic);
  put_be32(out, count);
  for (uint32_t i = 0; i < count; ++i)
    out.push_back(static_cast<uint8_t>(i % 10));
  return out;
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Gzip-compresses `bytes` with zlib (deflate with a gzip wrapper).
inline std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(bytes.size())) + 64);
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

// CIFAR-10 record r of a file: label labels(r), pixel p = (r * 3 + p) % 256.
inline std::vector<uint8_t> cifar_records(int count, int first_label = 0) {
  std::vector<uint8_t> out;
  for (int r = 0; r < count; ++r) {
    out.push_back(static_cast<uint8_t>((first_label + r) % 10));
    for (int p = 0; p < 3072; ++p)
      out.push_back(static_cast<uint8_t>((r * 3 + p) % 256));
  }
  return out;
}

}  // namespace needle::data::testing

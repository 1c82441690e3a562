// Reading dataset files front to back, with transparent gunzip. Internal to src/data.
//
// A parser reads its fixed-size header first, validates it, and only then reads the payload the
// header declares, with read_payload(): a corrupt header or a gzip bomb is refused after a few
// bytes, before anything large is allocated, and nothing is ever inflated past the declared size
// (plus the one byte that tells trailing data apart from the end).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace needle::data::detail {

class ByteReader {
 public:
  // Opens `path`; a file that starts with the gzip magic (1f 8b) is inflated as it is read.
  // Throws IOError "<who>: <path>: <problem>" for a missing, directory or unreadable path.
  ByteReader(const std::string& path, const char* who);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  // Reads up to `n` bytes into `dst` and returns how many; fewer than `n` only at the end of the
  // data. Throws IOError for a read error and for a corrupt, truncated or trailing-garbage gzip
  // stream.
  size_t read(uint8_t* dst, size_t n);

  // The bytes left: exact for a plain regular file, unknown (nullopt) for gzip or a pipe.
  std::optional<uint64_t> remaining() const;
  // An upper bound on the bytes left: remaining() when known; for gzip, deflate's limit of
  // 1032 inflated bytes per compressed byte of the file.
  uint64_t max_remaining() const;
  bool gzipped() const;
  // The file's size on disk (0 when it is not a regular file).
  uint64_t file_size() const;

  // Throws IOError "<who>: <path>: <problem>".
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The `size` bytes of payload that follow a header which promises them (`promise` says what, as
// "4 images of 3x3 (36 bytes)"), read from `in` with the buffer grown only as data arrives.
// Fails, naming the promise, when the file cannot hold that much, when it ends early
// ("truncated") and when more data follows ("unexpected trailing bytes").
std::vector<uint8_t> read_payload(ByteReader& in, uint64_t size, const std::string& promise);

// The big-endian 32-bit value at `p` (IDX headers).
inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// x / 255 for every byte value, so decoding is a table lookup and matches numpy's x / 255.
const float* byte_to_unit_table();

}  // namespace needle::data::detail

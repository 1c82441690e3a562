// Whole-file reads for the dataset parsers, with transparent gunzip. Internal to src/data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace needle::data::detail {

// The bytes of `path`; when the file starts with the gzip magic (1f 8b) the inflated bytes.
// Throws IOError "<who>: <path>: <problem>" for a missing or unreadable file and for a
// corrupt, truncated or trailing-garbage gzip stream.
std::vector<uint8_t> read_bytes(const std::string& path, const char* who);

// The big-endian 32-bit value at `p` (IDX headers).
inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// x / 255 for every byte value, so decoding is a table lookup and matches numpy's x / 255.
const float* byte_to_unit_table();

}  // namespace needle::data::detail

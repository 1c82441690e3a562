// Whole-file reads with zlib inflate for gzip files (see read_bytes.h).
#include "src/data/read_bytes.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <system_error>

#include "needle/error.h"

namespace needle::data::detail {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::vector<uint8_t> read_raw(const std::string& path, const char* who) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  NEEDLE_CHECK_AS(IOError, std::filesystem::exists(status), "{}: {}: no such file", who, path);
  NEEDLE_CHECK_AS(IOError, !std::filesystem::is_directory(status),
                  "{}: {}: is a directory, not a file", who, path);
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  NEEDLE_CHECK_AS(IOError, f != nullptr, "{}: {}: cannot open: {}", who, path,
                  std::strerror(errno));
  std::vector<uint8_t> bytes;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) bytes.reserve(static_cast<size_t>(size));
  std::array<uint8_t, 1 << 16> chunk;
  size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f.get())) > 0) {
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
  NEEDLE_CHECK_AS(IOError, !std::ferror(f.get()), "{}: {}: read error: {}", who, path,
                  std::strerror(errno));
  return bytes;
}

bool is_gzip(const std::vector<uint8_t>& bytes, size_t at = 0) {
  return bytes.size() >= at + 2 && bytes[at] == 0x1f && bytes[at + 1] == 0x8b;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path,
                            const char* who) {
  std::vector<uint8_t> out;
  // The gzip trailer holds the uncompressed size mod 2^32: a good capacity hint for a sound
  // file. Only reserve it (no pages are touched), and never more than deflate's maximum ratio
  // (1032:1) allows, since a truncated file's last bytes are arbitrary.
  if (in.size() >= 18) {
    const uint8_t* t = in.data() + in.size() - 4;
    const size_t isize =
        uint32_t{t[0]} | (uint32_t{t[1]} << 8) | (uint32_t{t[2]} << 16) | (uint32_t{t[3]} << 24);
    try {
      out.reserve(std::min(isize, in.size() * 1032));
    } catch (const std::bad_alloc&) {
      // Only a hint: grow as needed instead.
    }
  }
  constexpr size_t kChunk = size_t{1} << 20;
  z_stream zs{};
  NEEDLE_CHECK_AS(IOError, inflateInit2(&zs, 15 + 16) == Z_OK, "{}: {}: zlib init failed", who,
                  path);
  size_t in_pos = 0, out_pos = 0;
  auto fail = [&](const std::string& problem) {
    inflateEnd(&zs);
    throw IOError(fmt::format("{}: {}: {}", who, path, problem));
  };
  while (true) {
    if (out_pos == out.size()) out.resize(out.size() + std::max(kChunk, out.size() / 2));
    // zlib counts in uInt: feed and drain in pieces of at most 1 GiB.
    const size_t in_avail = std::min<size_t>(in.size() - in_pos, size_t{1} << 30);
    const size_t out_avail = std::min<size_t>(out.size() - out_pos, size_t{1} << 30);
    zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
    zs.avail_in = static_cast<uInt>(in_avail);
    zs.next_out = out.data() + out_pos;
    zs.avail_out = static_cast<uInt>(out_avail);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_avail - zs.avail_in;
    out_pos += out_avail - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are one file (as gunzip reads them); anything else after the
      // stream is damage.
      if (in_pos == in.size()) break;
      if (!is_gzip(in, in_pos)) {
        fail(fmt::format("corrupt gzip file: {} unexpected bytes after the compressed stream",
                         in.size() - in_pos));
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      fail(fmt::format("corrupt gzip stream ({})", zs.msg ? zs.msg : "invalid data"));
    }
    if (rc == Z_MEM_ERROR) fail("out of memory while inflating");
    // Z_OK or Z_BUF_ERROR: progress is possible only while input or output space remains.
    if (in_pos == in.size() && zs.avail_out != 0) {
      fail("truncated gzip stream (the file ends before the compressed data does)");
    }
  }
  inflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

}  // namespace

std::vector<uint8_t> read_bytes(const std::string& path, const char* who) {
  std::vector<uint8_t> raw = read_raw(path, who);
  if (!is_gzip(raw)) return raw;
  return gunzip(raw, path, who);
}

const float* byte_to_unit_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<size_t>(i)] = static_cast<float>(i) / 255.0f;
    return t;
  }();
  return table.data();
}

}  // namespace needle::data::detail

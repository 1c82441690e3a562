// ByteReader: buffered reads with zlib inflate for gzip files, and read_payload (see read_bytes.h).
#include "src/data/read_bytes.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <stdexcept>
#include <system_error>

#include "needle/error.h"

namespace needle::data::detail {

namespace {

// Deflate cannot do better than this ratio (zlib's FAQ), so a gzip file of n bytes inflates to
// at most n * 1032: a bound on what a header may promise before anything is allocated.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr size_t kInputChunk = size_t{1} << 16;
// read_payload grows its buffer by at most this much per read, so a file that ends early costs
// memory in proportion to what it holds, not to what its header promised.
constexpr size_t kPayloadStep = size_t{16} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

bool is_gzip_magic(const uint8_t* p) {
  return p[0] == 0x1f && p[1] == 0x8b;
}

}  // namespace

struct ByteReader::State {
  std::string path;
  const char* who = "";
  std::unique_ptr<std::FILE, FileCloser> file;
  bool regular = false;
  uint64_t size = 0;  // on disk, for a regular file
  uint64_t fed = 0;   // bytes read from the file so far
  // File bytes read ahead and not consumed yet: in[pos, end).
  std::vector<uint8_t> in;
  size_t pos = 0, end = 0;
  bool eof = false;
  bool gzip = false;
  bool inflating = false;  // zs is initialised
  z_stream zs{};
  bool finished = false;  // gzip: the last member ended at the end of the file

  ~State() {
    if (inflating) inflateEnd(&zs);
  }

  size_t buffered() const { return end - pos; }
  uint64_t consumed() const { return fed - buffered(); }

  [[noreturn]] void fail(const std::string& problem) const {
    throw IOError(fmt::format("{}: {}: {}", who, path, problem));
  }

  // Moves the unconsumed bytes to the front of `in` and reads more of the file after them.
  void refill() {
    if (eof) return;
    if (pos > 0) {
      std::memmove(in.data(), in.data() + pos, buffered());
      end -= pos;
      pos = 0;
    }
    const size_t got = std::fread(in.data() + end, 1, in.size() - end, file.get());
    if (std::ferror(file.get())) fail(fmt::format("read error: {}", std::strerror(errno)));
    end += got;
    fed += got;
    eof = std::feof(file.get()) != 0;
  }

  size_t read_plain(uint8_t* dst, size_t n) {
    size_t got = std::min(n, buffered());
    std::memcpy(dst, in.data() + pos, got);
    pos += got;
    while (got < n && !eof) {
      const size_t more = std::fread(dst + got, 1, n - got, file.get());
      if (std::ferror(file.get())) fail(fmt::format("read error: {}", std::strerror(errno)));
      got += more;
      fed += more;
      eof = std::feof(file.get()) != 0;
    }
    return got;
  }

  // After a member's end: concatenated gzip members are one file (as gunzip reads them), and
  // anything else after the stream is damage.
  void next_member() {
    if (buffered() < 2) refill();
    if (buffered() == 0) {
      finished = true;
      return;
    }
    if (buffered() >= 2 && is_gzip_magic(in.data() + pos)) {
      inflateReset(&zs);
      return;
    }
    const uint64_t extra = regular && size > consumed() ? size - consumed() : buffered();
    fail(fmt::format("corrupt gzip file: {} unexpected bytes after the compressed stream", extra));
  }

  size_t read_gzip(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n && !finished) {
      if (buffered() == 0) refill();
      // zlib counts in uInt: drain in pieces of at most 1 GiB (the input is one chunk).
      const size_t want = std::min<size_t>(n - got, size_t{1} << 30);
      zs.next_in = in.data() + pos;
      zs.avail_in = static_cast<uInt>(buffered());
      zs.next_out = dst + got;
      zs.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&zs, Z_NO_FLUSH);
      pos = end - zs.avail_in;
      got += want - zs.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
        fail(fmt::format("corrupt gzip stream ({})", zs.msg ? zs.msg : "invalid data"));
      } else if (rc == Z_MEM_ERROR) {
        fail("out of memory while inflating");
      } else if (rc == Z_BUF_ERROR && buffered() == 0 && eof) {
        // No progress was possible and no input is left.
        fail("truncated gzip stream (the file ends before the compressed data does)");
      }
    }
    return got;
  }
};

ByteReader::ByteReader(const std::string& path, const char* who) : s_(std::make_unique<State>()) {
  s_->path = path;
  s_->who = who;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  NEEDLE_CHECK_AS(IOError, std::filesystem::exists(status), "{}: {}: no such file", who, path);
  NEEDLE_CHECK_AS(IOError, !std::filesystem::is_directory(status),
                  "{}: {}: is a directory, not a file", who, path);
  s_->file.reset(std::fopen(path.c_str(), "rb"));
  NEEDLE_CHECK_AS(IOError, s_->file != nullptr, "{}: {}: cannot open: {}", who, path,
                  std::strerror(errno));
  s_->regular = std::filesystem::is_regular_file(status);
  if (s_->regular) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) s_->size = size;
  }
  s_->in.resize(kInputChunk);
  s_->refill();
  s_->gzip = s_->buffered() >= 2 && is_gzip_magic(s_->in.data());
  if (s_->gzip) {
    NEEDLE_CHECK_AS(IOError, inflateInit2(&s_->zs, 15 + 16) == Z_OK, "{}: {}: zlib init failed",
                    who, path);
    s_->inflating = true;
  }
}

ByteReader::~ByteReader() = default;

size_t ByteReader::read(uint8_t* dst, size_t n) {
  return s_->gzip ? s_->read_gzip(dst, n) : s_->read_plain(dst, n);
}

std::optional<uint64_t> ByteReader::remaining() const {
  if (s_->gzip || !s_->regular) return std::nullopt;
  return s_->size > s_->consumed() ? s_->size - s_->consumed() : 0;
}

uint64_t ByteReader::max_remaining() const {
  if (const auto left = remaining()) return *left;
  if (s_->gzip && s_->regular) {
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    return s_->size <= kMax / kMaxDeflateRatio ? s_->size * kMaxDeflateRatio : kMax;
  }
  return std::numeric_limits<uint64_t>::max();  // a pipe: nothing to bound it by
}

bool ByteReader::gzipped() const {
  return s_->gzip;
}

uint64_t ByteReader::file_size() const {
  return s_->size;
}

void ByteReader::fail(const std::string& problem) const {
  s_->fail(problem);
}

std::vector<uint8_t> read_payload(ByteReader& in, uint64_t size, const std::string& promise) {
  if (const auto left = in.remaining()) {
    if (*left != size) {
      in.fail(fmt::format("{}: the header promises {} but the data has {} bytes",
                          *left < size ? "truncated" : "unexpected trailing bytes", promise,
                          *left));
    }
  } else if (size > in.max_remaining()) {
    in.fail(
        fmt::format("the header promises {} but a {}-byte gzip file inflates to at most {} bytes",
                    promise, in.file_size(), in.max_remaining()));
  }
  if (size > static_cast<uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
    in.fail(fmt::format("the header promises {}, more than this machine can address", promise));
  }
  std::vector<uint8_t> out;
  try {
    out.reserve(static_cast<size_t>(size));  // address space only: pages are touched as filled
  } catch (const std::bad_alloc&) {
    in.fail(fmt::format("the header promises {}: cannot allocate that much memory", promise));
  }
  while (out.size() < size) {
    const size_t old = out.size();
    const size_t step = std::min<size_t>(static_cast<size_t>(size) - old, kPayloadStep);
    out.resize(old + step);
    const size_t got = in.read(out.data() + old, step);
    if (got < step) {
      in.fail(fmt::format("truncated: the header promises {} but the data has {} bytes", promise,
                          old + got));
    }
  }
  uint8_t extra = 0;
  if (in.read(&extra, 1) != 0) {
    in.fail(fmt::format("unexpected trailing bytes: the header promises {} but the data has more",
                        promise));
  }
  return out;
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

// The safetensors reader and writer, and module/optimizer checkpoints on top of them.
#include "needle/serialize.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "needle/error.h"

namespace needle {
namespace {

using json = nlohmann::ordered_json;

// Headers larger than this are rejected as corrupt (the reference implementation uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

void check_little_endian(const char* op) {
  NEEDLE_CHECK_AS(IOError, std::endian::native == std::endian::little,
                  "{}: safetensors data is little-endian; big-endian hosts are not supported", op);
}

const char* st_dtype(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int32:
      return "I32";
    case DType::Int64:
      return "I64";
    case DType::UInt8:
      return "U8";
    case DType::Bool:
      return "BOOL";
  }
  return "?";
}

bool parse_st_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> table[] = {
      {"F32", DType::Float32}, {"F64", DType::Float64}, {"I32", DType::Int32},
      {"I64", DType::Int64},   {"U8", DType::UInt8},    {"BOOL", DType::Bool}};
  for (const auto& [name, dt] : table) {
    if (s == name) {
      out = dt;
      return true;
    }
  }
  return false;
}

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, returning close()'s result: for a file being written it can carry an error.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Reads exactly `n` bytes at `offset`; a short read means the file shrank while being read.
void read_at(int fd, uint64_t offset, void* dst, size_t n, const std::string& path) {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    NEEDLE_CHECK_AS(IOError, r >= 0, "load: error reading '{}': {}", path, std::strerror(errno));
    NEEDLE_CHECK_AS(IOError, r > 0, "load: '{}' is truncated: it ended while being read", path);
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
}

// One tensor's header entry, validated against the size of the data section.
struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // within the data section
};

// Parses and validates the JSON header; every problem is an IOError naming the file (and the
// key). `data_size` is the size of the data section that follows the header on disk.
std::vector<Entry> parse_header(const std::string& text, uint64_t data_size,
                                const std::string& path,
                                std::map<std::string, std::string>& metadata) {
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    throw IOError(fmt::format("load: '{}' has a corrupt JSON header: {}", path, e.what()));
  }
  NEEDLE_CHECK_AS(IOError, header.is_object(), "load: '{}': the header is not a JSON object", path);
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& entry = it.value();
    if (key == "__metadata__") {
      NEEDLE_CHECK_AS(IOError, entry.is_object(), "load: '{}': __metadata__ is not an object",
                      path);
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        NEEDLE_CHECK_AS(IOError, m.value().is_string(),
                        "load: '{}': metadata value of '{}' is not a string", path, m.key());
        metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    NEEDLE_CHECK_AS(IOError,
                    entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                        entry.contains("data_offsets") && entry["dtype"].is_string() &&
                        entry["shape"].is_array() && entry["data_offsets"].is_array() &&
                        entry["data_offsets"].size() == 2,
                    "load: '{}': tensor '{}' has a malformed header entry", path, key);
    Entry e;
    e.name = key;
    const std::string dt = entry["dtype"].get<std::string>();
    NEEDLE_CHECK_AS(IOError, parse_st_dtype(dt, e.dtype),
                    "load: '{}': tensor '{}' has unsupported dtype {}", path, key, dt);
    uint64_t count = 1;
    for (const json& d : entry["shape"]) {
      NEEDLE_CHECK_AS(IOError, d.is_number_unsigned() || (d.is_number_integer() && d >= 0),
                      "load: '{}': tensor '{}' has a bad shape", path, key);
      const uint64_t n = d.get<uint64_t>();
      NEEDLE_CHECK_AS(IOError, n < (1ull << 40) && (n == 0 || count <= (1ull << 48) / n),
                      "load: '{}': tensor '{}' has an impossibly large shape", path, key);
      count *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }
    const json& off = entry["data_offsets"];
    NEEDLE_CHECK_AS(IOError, off[0].is_number_unsigned() && off[1].is_number_unsigned(),
                    "load: '{}': tensor '{}' has bad data_offsets", path, key);
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    NEEDLE_CHECK_AS(IOError, e.begin <= e.end && e.end <= data_size,
                    "load: '{}' is truncated or corrupt: tensor '{}' spans bytes [{}, {}) of a "
                    "{}-byte data section",
                    path, key, e.begin, e.end, data_size);
    NEEDLE_CHECK_AS(IOError, e.end - e.begin == count * dtype_size(e.dtype),
                    "load: '{}': tensor '{}' has {} bytes, its shape {} and dtype {} need {}", path,
                    key, e.end - e.begin, shape_str(e.shape), dt, count * dtype_size(e.dtype));
    entries.push_back(std::move(e));
  }
  return entries;
}

// Reads and validates a checkpoint. The path must be a regular file: a directory, a device or
// a pipe is refused before anything is read (/dev/zero would be read until memory ran out).
// Nothing is read beyond what the validated header describes: the 8-byte length, the header,
// then each tensor's bytes straight into its array.
SafetensorsFile read_checkpoint(const std::string& path, const Device& device) {
  check_little_endian("load");
  // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  NEEDLE_CHECK_AS(IOError, fd.get() >= 0, "load: cannot open '{}': {}", path, std::strerror(errno));
  struct stat st {};
  NEEDLE_CHECK_AS(IOError, ::fstat(fd.get(), &st) == 0, "load: cannot stat '{}': {}", path,
                  std::strerror(errno));
  NEEDLE_CHECK_AS(IOError, !S_ISDIR(st.st_mode),
                  "load: '{}' is a directory, not a safetensors file", path);
  NEEDLE_CHECK_AS(IOError, S_ISREG(st.st_mode),
                  "load: '{}' is not a regular file (a device, pipe or socket?), not a "
                  "safetensors file",
                  path);
  const auto size = static_cast<uint64_t>(st.st_size);
  NEEDLE_CHECK_AS(IOError, size >= 8,
                  "load: '{}' is truncated: {} bytes, a safetensors file has at least 8", path,
                  size);
  uint64_t header_len = 0;
  read_at(fd.get(), 0, &header_len, 8, path);
  NEEDLE_CHECK_AS(IOError, header_len <= kMaxHeaderBytes,
                  "load: '{}' has a corrupt header length ({} bytes)", path, header_len);
  NEEDLE_CHECK_AS(IOError, header_len <= size - 8,
                  "load: '{}' is truncated: the header needs {} bytes, the file has {} after the "
                  "length",
                  path, header_len, size - 8);
  std::string text(header_len, '\0');
  read_at(fd.get(), 8, text.data(), text.size(), path);

  SafetensorsFile out;
  const uint64_t data_start = 8 + header_len;
  const std::vector<Entry> entries = parse_header(text, size - data_start, path, out.metadata);
  for (const Entry& e : entries) {
    NDArray host = NDArray::empty(e.shape, e.dtype, cpu());
    if (e.end > e.begin) {
      read_at(fd.get(), data_start + e.begin, host.data_ptr(), e.end - e.begin, path);
    }
    out.tensors.emplace_back(e.name, host.to(device));
  }
  return out;
}

// Temporary files are named ".<target>.tmp-<pid>-<6 characters>", so that a later save of the
// same target can tell a leftover of an interrupted save (its writer gone) from a file another
// process is writing right now.
std::string temp_prefix(const std::filesystem::path& target) {
  return fmt::format(".{}.tmp-", target.filename().string());
}

// A leftover whose writer cannot be checked (a writer on another machine sharing the file
// system, a pid reused after a reboot, the pid-less names of earlier versions) is removed once
// it has not been written for this long.
constexpr auto kStaleTempAge = std::chrono::hours(24);

// Removes what interrupted saves of `target` left in `dir`: temporaries whose writer process
// is gone, or that have not been written for a day. Best effort: nothing here fails a save.
void remove_stale_temporaries(const std::filesystem::path& dir,
                              const std::filesystem::path& target) {
  namespace fs = std::filesystem;
  const std::string prefix = temp_prefix(target);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    // "<pid>-<6 characters>" as written here, or mkstemp's "<6 characters>" of earlier versions.
    const size_t dash = rest.find('-');
    pid_t pid = 0;
    if (dash != std::string::npos) {
      const bool ours = dash > 0 && dash <= 9 && rest.size() == dash + 7 &&
                        rest.find_first_not_of("0123456789") == dash;
      if (!ours) continue;
      pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    } else if (rest.size() != 6) {
      continue;
    }
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    const bool writer_gone = pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
    const auto written = fs::last_write_time(it->path(), file_ec);
    const bool old = !file_ec && fs::file_time_type::clock::now() - written > kStaleTempAge;
    if (writer_gone || old) fs::remove(it->path(), file_ec);
  }
}

// A fresh name for this process's temporary file for `target` (the caller creates it O_EXCL).
std::string temp_name(const std::filesystem::path& dir, const std::filesystem::path& target) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string suffix(6, ' ');
  for (char& c : suffix)
    c = kChars[rng() % (sizeof(kChars) - 1)];
  return (dir / fmt::format("{}{}-{}", temp_prefix(target), ::getpid(), suffix)).string();
}

// Writes the file to a temporary next to `path`, flushes it to disk, renames it over `path`
// and flushes the directory, so that a crash or a power loss leaves the old file or the new
// one under the real name, never a part of one. The new file gets the mode an ordinary write
// would give it: the existing file's, else 0666 less the umask (a mkstemp file's 0600 would
// survive the rename).
void write_atomically(const std::string& path, const std::string& header,
                      const std::vector<std::pair<const void*, size_t>>& blobs) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  remove_stale_temporaries(dir, target);

  std::string tmp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 100 && raw_fd < 0; ++attempt) {
    tmp = temp_name(dir, target);
    // The kernel applies the umask to 0666, as for any new file.
    raw_fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (raw_fd < 0 && errno != EEXIST) break;
  }
  NEEDLE_CHECK_AS(IOError, raw_fd >= 0, "save: cannot create a temporary file in '{}': {}",
                  dir.string(), std::strerror(errno));
  Fd fd(raw_fd);
  auto fail = [&](const std::string& what) {
    const int err = errno;
    if (fd.get() >= 0) fd.close();
    ::unlink(tmp.c_str());
    throw IOError(fmt::format("save: {} '{}': {}", what, path, std::strerror(err)));
  };
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode) &&
      ::fchmod(fd.get(), existing.st_mode & 07777) != 0) {
    fail("cannot give the new file the mode of");
  }
  auto write_all = [&](const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd.get(), p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("cannot write");
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  };
  const uint64_t header_len = header.size();
  write_all(&header_len, sizeof(header_len));
  write_all(header.data(), header.size());
  for (const auto& [data, n] : blobs)
    write_all(data, n);
  if (::fsync(fd.get()) != 0) fail("cannot flush");
  if (fd.close() != 0) fail("cannot close");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file to");
  // The rename survives a power loss only once the directory is flushed as well. Some file
  // systems cannot fsync a directory (EINVAL); the file is in place either way.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0 && ::fsync(dir_fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) {
    throw IOError(
        fmt::format("save: cannot flush the directory of '{}': {}", path, std::strerror(errno)));
  }
}

}  // namespace

void save_safetensors(const std::string& path, const NamedArrays& tensors,
                      const std::map<std::string, std::string>& metadata) {
  check_little_endian("save");
  json header = json::object();
  std::vector<NDArray> host;  // keeps the compact host copies alive until written
  std::vector<std::pair<const void*, size_t>> blobs;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, array] : tensors) {
    NEEDLE_CHECK(!name.empty() && name != "__metadata__", "save: invalid tensor name '{}'", name);
    NEEDLE_CHECK(names.insert(name).second, "save: duplicate tensor name '{}'", name);
    NEEDLE_CHECK(array.defined(), "save: tensor '{}' is undefined", name);
    host.push_back(array.to(cpu()).compact());
    const size_t nbytes = static_cast<size_t>(array.numel()) * dtype_size(array.dtype());
    header[name] = {{"dtype", st_dtype(array.dtype())},
                    {"shape", array.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    blobs.emplace_back(host.back().data_ptr(), nbytes);
    offset += nbytes;
  }
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [k, v] : metadata)
      meta[k] = v;
    header["__metadata__"] = meta;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // 8-byte aligned data, as the reference writer
  write_atomically(path, text, blobs);
}

SafetensorsFile load_safetensors(const std::string& path, const Device& device) {
  return read_checkpoint(path, device);
}

void load_state_dict(nn::Module& module, const NamedArrays& tensors) {
  const nn::NamedList<Tensor> state = module.state_dict();
  std::map<std::string, const NDArray*> given;
  for (const auto& [name, array] : tensors) {
    NEEDLE_CHECK(given.emplace(name, &array).second, "load_state_dict: duplicate key '{}'", name);
  }
  // Validate everything first: the module is untouched if anything is wrong.
  std::set<std::string> expected;
  for (const auto& [name, t] : state) {
    expected.insert(name);
    auto it = given.find(name);
    NEEDLE_CHECK(it != given.end(), "load_state_dict: missing key '{}' for {}", name,
                 module.type_name());
    const NDArray& a = *it->second;
    NEEDLE_CHECK_AS(ShapeError, a.shape() == t.shape(),
                    "load_state_dict: '{}' has shape {} in the file, {} in the module", name,
                    shape_str(a.shape()), shape_str(t.shape()));
    NEEDLE_CHECK_AS(DTypeError, a.dtype() == t.dtype(),
                    "load_state_dict: '{}' has dtype {} in the file, {} in the module", name,
                    dtype_name(a.dtype()), dtype_name(t.dtype()));
  }
  for (const auto& [name, array] : tensors) {
    NEEDLE_CHECK(expected.count(name) != 0, "load_state_dict: unexpected key '{}' for {}", name,
                 module.type_name());
  }
  for (const auto& [name, t] : state) {
    NDArray target = t.data();
    target.copy_(given[name]->to(target.device()));
  }
}

void save(const nn::Module& module, const std::string& path) {
  NamedArrays arrays;
  for (const auto& [name, t] : module.state_dict())
    arrays.emplace_back(name, t.data());
  save_safetensors(path, arrays, {{"format", "pt"}, {"producer", "libneedle"}});
}

void load(nn::Module& module, const std::string& path) {
  load_state_dict(module, load_safetensors(path).tensors);
}

void save(const optim::Optimizer& optimizer, const std::string& path) {
  save_safetensors(path, optimizer.state_tensors(), optimizer.state_metadata());
}

void load(optim::Optimizer& optimizer, const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  optimizer.load_state(file.tensors, file.metadata);
}

}  // namespace needle

// The safetensors reader and writer, and module/optimizer checkpoints on top of them.
#include "needle/serialize.h"

#include <fmt/format.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NEEDLE_CHECK_AS(IOError, in.good(), "load: cannot open '{}': {}", path, std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  NEEDLE_CHECK_AS(IOError, !in.bad(), "load: error reading '{}'", path);
  return bytes;
}

// Writes `bytes` to a temporary file in path's directory, flushes it to disk and renames it
// over `path`.
void write_atomically(const std::string& path, const std::string& header,
                      const std::vector<std::pair<const void*, size_t>>& blobs) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / fmt::format(".{}.tmp-XXXXXX", target.filename().string())).string();
  const int fd = ::mkstemp(tmpl.data());
  NEEDLE_CHECK_AS(IOError, fd >= 0, "save: cannot create a temporary file in '{}': {}",
                  dir.string(), std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw IOError(fmt::format("save: {} '{}': {}", what, path, std::strerror(err)));
  };
  auto write_all = [&](const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
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
  if (::fsync(fd) != 0) fail("cannot flush");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    throw IOError(fmt::format("save: cannot close '{}': {}", path, std::strerror(errno)));
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    throw IOError(fmt::format("save: cannot rename the temporary file to '{}': {}", path,
                              std::strerror(err)));
  }
}

// Parses and validates a whole file image; every problem is an IOError naming it.
SafetensorsFile parse(const std::string& bytes, const std::string& path, const Device& device) {
  check_little_endian("load");
  NEEDLE_CHECK_AS(IOError, bytes.size() >= 8,
                  "load: '{}' is truncated: {} bytes, a safetensors file has at least 8", path,
                  bytes.size());
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  NEEDLE_CHECK_AS(IOError, header_len <= kMaxHeaderBytes,
                  "load: '{}' has a corrupt header length ({} bytes)", path, header_len);
  NEEDLE_CHECK_AS(IOError, header_len <= bytes.size() - 8,
                  "load: '{}' is truncated: the header needs {} bytes, the file has {} after the "
                  "length",
                  path, header_len, bytes.size() - 8);
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(header_len));
  } catch (const json::exception& e) {
    throw IOError(fmt::format("load: '{}' has a corrupt JSON header: {}", path, e.what()));
  }
  NEEDLE_CHECK_AS(IOError, header.is_object(), "load: '{}': the header is not a JSON object", path);
  const uint64_t data_size = bytes.size() - 8 - header_len;
  const char* data = bytes.data() + 8 + header_len;

  SafetensorsFile out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& entry = it.value();
    if (key == "__metadata__") {
      NEEDLE_CHECK_AS(IOError, entry.is_object(), "load: '{}': __metadata__ is not an object",
                      path);
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        NEEDLE_CHECK_AS(IOError, m.value().is_string(),
                        "load: '{}': metadata value of '{}' is not a string", path, m.key());
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    NEEDLE_CHECK_AS(IOError,
                    entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                        entry.contains("data_offsets") && entry["dtype"].is_string() &&
                        entry["shape"].is_array() && entry["data_offsets"].is_array() &&
                        entry["data_offsets"].size() == 2,
                    "load: '{}': tensor '{}' has a malformed header entry", path, key);
    DType dtype;
    const std::string dt = entry["dtype"].get<std::string>();
    NEEDLE_CHECK_AS(IOError, parse_st_dtype(dt, dtype),
                    "load: '{}': tensor '{}' has unsupported dtype {}", path, key, dt);
    Shape shape;
    uint64_t count = 1;
    for (const json& d : entry["shape"]) {
      NEEDLE_CHECK_AS(IOError, d.is_number_unsigned() || (d.is_number_integer() && d >= 0),
                      "load: '{}': tensor '{}' has a bad shape", path, key);
      const uint64_t n = d.get<uint64_t>();
      NEEDLE_CHECK_AS(IOError, n < (1ull << 40) && (n == 0 || count <= (1ull << 48) / n),
                      "load: '{}': tensor '{}' has an impossibly large shape", path, key);
      count *= n;
      shape.push_back(static_cast<int64_t>(n));
    }
    const json& off = entry["data_offsets"];
    NEEDLE_CHECK_AS(IOError, off[0].is_number_unsigned() && off[1].is_number_unsigned(),
                    "load: '{}': tensor '{}' has bad data_offsets", path, key);
    const uint64_t begin = off[0].get<uint64_t>();
    const uint64_t end = off[1].get<uint64_t>();
    NEEDLE_CHECK_AS(IOError, begin <= end && end <= data_size,
                    "load: '{}' is truncated or corrupt: tensor '{}' spans bytes [{}, {}) of a "
                    "{}-byte data section",
                    path, key, begin, end, data_size);
    NEEDLE_CHECK_AS(IOError, end - begin == count * dtype_size(dtype),
                    "load: '{}': tensor '{}' has {} bytes, its shape {} and dtype {} need {}", path,
                    key, end - begin, shape_str(shape), dt, count * dtype_size(dtype));
    out.tensors.emplace_back(key, NDArray::from_host(data + begin, shape, dtype, device));
  }
  return out;
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
  return parse(read_file(path), path, device);
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

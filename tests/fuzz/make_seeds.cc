// Writes the seed corpus of the fuzz targets (tests/fuzz/run.sh runs it before them):
//   make_seeds OUT_DIR [FASHION_MNIST_DIR]
// OUT_DIR/<target>/ gets small valid inputs of each format, so that libFuzzer starts from files
// that pass every check and mutates them past each one: checkpoints that needle itself writes
// (a model, Adam and SGD state, every dtype with metadata, a 0-d and an empty tensor, no tensors),
// the first records of the real Fashion-MNIST test files (/usr/share/datasets/fashion-mnist,
// Debian's dataset-fashion-mnist; a synthetic file when they are missing) cut into tiny IDX
// files, plain and gzipped, and synthetic CIFAR-10 records.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"

namespace ndl = needle;
namespace fs = std::filesystem;
using ndl::data::testing::cifar_records;
using ndl::data::testing::gzip;
using ndl::data::testing::write_file;

namespace {

// The first `n` bytes of the gzipped file `path` (fewer if it is shorter), or none if missing.
std::vector<uint8_t> gunzip_head(const std::string& path, size_t n) {
  std::vector<uint8_t> out(n);
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  const int got = gzread(f, out.data(), static_cast<unsigned>(n));
  gzclose(f);
  out.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return out;
}

// An IDX file cut to its first `count` items, with the header's count rewritten to match.
std::vector<uint8_t> cut_idx(std::vector<uint8_t> head, uint32_t count, size_t header_bytes,
                             size_t item_bytes) {
  head.resize(header_bytes + count * item_bytes);
  for (int i = 0; i < 4; ++i)
    head[4 + i] = static_cast<uint8_t>(count >> (24 - 8 * i));
  return head;
}

// mnist_fuzz's input layout (see mnist_fuzz.cc).
std::vector<uint8_t> mnist_input(uint8_t flags, const std::vector<uint8_t>& images,
                                 const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> out{flags};
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(images.size() >> (8 * i)));
  out.insert(out.end(), images.begin(), images.end());
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_checkpoints(const fs::path& dir) {
  ndl::manual_seed(0);
  ndl::nn::Sequential model = ndl::fuzz::seed_model();
  ndl::save(model, (dir / "model.safetensors").string());
  ndl::optim::Adam adam(model->parameters(), 0.01);
  ndl::fuzz::train_step(model, adam);
  ndl::save(adam, (dir / "adam.safetensors").string());
  ndl::optim::SGD sgd(model->parameters(), 0.1, 0.9, 1e-4, /*nesterov=*/true);
  ndl::fuzz::train_step(model, sgd);
  ndl::save(sgd, (dir / "sgd.safetensors").string());

  ndl::NamedArrays all{
      {"f32", ndl::NDArray::from_vector<float>({1.5f, -2.f}, {2})},
      {"f64", ndl::NDArray::from_vector<double>({3.25}, {1, 1})},
      {"i32", ndl::NDArray::from_vector<int32_t>({-7, 8, 9}, {3, 1})},
      {"i64", ndl::NDArray::from_vector<int64_t>({1LL << 40}, {})},
      {"u8", ndl::NDArray::from_vector<uint8_t>({0, 255}, {2})},
      {"bool", ndl::NDArray::from_vector<uint8_t>({1, 0}, {2}).astype(ndl::DType::Bool)},
      {"empty", ndl::NDArray::zeros({0, 3})}};
  ndl::save_safetensors((dir / "dtypes.safetensors").string(), all,
                        {{"format", "pt"}, {"note", "every dtype"}});
  ndl::save_safetensors((dir / "none.safetensors").string(), {});
}

void write_idx(const fs::path& dir, const std::string& fashion_dir) {
  constexpr size_t kImage = 28 * 28;
  std::vector<uint8_t> images =
      gunzip_head(fashion_dir + "/t10k-images-idx3-ubyte.gz", 16 + 2 * kImage);
  std::vector<uint8_t> labels = gunzip_head(fashion_dir + "/t10k-labels-idx1-ubyte.gz", 8 + 2);
  if (images.size() == 16 + 2 * kImage && labels.size() == 10) {
    images = cut_idx(images, 2, 16, kImage);
    labels = cut_idx(labels, 2, 8, 1);
    write_file((dir / "fashion2").string(), mnist_input(0, images, labels));
    write_file((dir / "fashion2-gz").string(), mnist_input(0, gzip(images), gzip(labels)));
    write_file((dir / "fashion1-zip-here").string(),
               mnist_input(3, cut_idx(images, 1, 16, kImage), cut_idx(labels, 1, 8, 1)));
  } else {
    std::fprintf(stderr, "make_seeds: no Fashion-MNIST in %s; synthetic IDX seeds only\n",
                 fashion_dir.c_str());
  }
  using ndl::data::testing::idx_images;
  using ndl::data::testing::idx_labels;
  write_file((dir / "tiny3").string(), mnist_input(0, idx_images(3, 2, 2), idx_labels(3)));
  write_file((dir / "tiny3-zip-here").string(), mnist_input(3, idx_images(3, 1, 3), idx_labels(3)));
  // Two gzip members in one file, as gunzip reads them.
  std::vector<uint8_t> members = gzip(idx_images(1, 2, 2));
  const std::vector<uint8_t> second = gzip({});
  members.insert(members.end(), second.begin(), second.end());
  write_file((dir / "tiny1-members").string(), mnist_input(0, members, idx_labels(1)));
}

void write_cifar(const fs::path& dir) {
  write_file((dir / "one").string(), cifar_records(1, 3));
  write_file((dir / "two").string(), cifar_records(2, 9));
  write_file((dir / "one-gz").string(), gzip(cifar_records(1, 0)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR [FASHION_MNIST_DIR]\n");
    return 2;
  }
  const fs::path out(argv[1]);
  const std::string fashion = argc == 3 ? argv[2] : "/usr/share/datasets/fashion-mnist";
  for (const char* target : {"safetensors_fuzz", "mnist_fuzz", "cifar10_fuzz"})
    fs::create_directories(out / target);
  write_checkpoints(out / "safetensors_fuzz");
  write_idx(out / "mnist_fuzz", fashion);
  write_cifar(out / "cifar10_fuzz");
  return 0;
}

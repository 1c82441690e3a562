// What the fuzz targets (tests/fuzz/*_fuzz.cc) and their seed writer (make_seeds.cc) share.
// The readers under test take paths, and fuzzing them through their real entry points keeps the
// library's API as it is: each input is written to a file in a private scratch folder, under
// TMPDIR, which tests/fuzz/run.sh points at a tmpfs so that no input touches a disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "needle/needle.h"

namespace needle::fuzz {

// This process's scratch folder, made on first use and removed at exit.
inline const data::testing::TempDir& scratch() {
  static const data::testing::TempDir dir;
  return dir;
}

// Writes `size` bytes at `data` to the scratch file `name` (replacing it) and returns its path.
inline std::string write_input(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch().file(name);
  data::testing::write_file(path, std::vector<uint8_t>(data, data + size));
  return path;
}

// Runs `fn` and says whether it returned. A reader may refuse any input, but only with a
// needle::Error: anything else that escapes (another exception type, a crash, a sanitizer
// report) is a finding, and libFuzzer stops on it.
template <typename Fn>
bool accepted(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// What a dataset reader accepted must decode: its first and last examples, as the loader reads
// them.
template <typename Dataset>
void decode_first_and_last(Dataset& dataset) {
  Generator gen(0);
  data::Image image;
  dataset.get_into(0, gen, image);
  dataset.get_into(dataset.size() - 1, gen, image);
  dataset.label(dataset.size() - 1);
}

// The model of the seed checkpoints: parameters and buffers of float32 and int64 (BatchNorm's
// num_batches_tracked), so that a mutated file can still match it key for key.
inline nn::Sequential seed_model() {
  return nn::Sequential(nn::Linear(3, 2), nn::BatchNorm1d(2));
}

// One training step of `model` with `optimizer`: what a checkpoint that loaded must allow.
inline void train_step(nn::Sequential& model, optim::Optimizer& optimizer) {
  optimizer.zero_grad();
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, -1, 0, 2, 4, 1, -3, 0, 0, 1}, {4, 3});
  sum(model(x) * model(x)).backward();
  optimizer.step();
}

}  // namespace needle::fuzz

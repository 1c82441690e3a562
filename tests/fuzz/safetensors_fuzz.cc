// Fuzz target: the checkpoint readers (load_safetensors, load(module), load(optimizer)) on
// arbitrary bytes. Each may refuse a file only with needle::Error, and a module or optimizer
// that accepted one must still train: a step after a successful load must not fail.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ndl = needle;
  using ndl::fuzz::accepted;
  const std::string path = ndl::fuzz::write_input("input.safetensors", data, size);
  // The module and optimizer loads read through load_safetensors: a file it refuses, they refuse.
  if (!accepted([&] { ndl::load_safetensors(path); })) return 0;

  ndl::manual_seed(0);  // every input starts from the same model
  ndl::nn::Sequential model = ndl::fuzz::seed_model();
  ndl::optim::Adam adam(model->parameters(), 0.01);
  ndl::optim::SGD sgd(model->parameters(), 0.1, 0.9);
  accepted([&] { ndl::load(model, path); });
  if (accepted([&] { ndl::load(adam, path); })) ndl::fuzz::train_step(model, adam);
  if (accepted([&] { ndl::load(sgd, path); })) ndl::fuzz::train_step(model, sgd);
  return 0;
}

// Fuzz target: CIFAR10Dataset's binary batch reader (plain or gzipped, told apart by content)
// on arbitrary bytes, written as the test batch of a scratch folder.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ndl = needle;
  ndl::fuzz::write_input("test_batch.bin", data, size);
  std::unique_ptr<ndl::data::CIFAR10Dataset> dataset;
  if (!ndl::fuzz::accepted([&] {
        dataset = std::make_unique<ndl::data::CIFAR10Dataset>(ndl::fuzz::scratch().path().string(),
                                                              /*train=*/false);
      })) {
    return 0;
  }
  ndl::fuzz::decode_first_and_last(*dataset);
  return 0;
}

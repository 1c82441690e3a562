// Every LibTorch twin computes on every core, as needle's OpenMP pool does. Debian's LibTorch
// 1.13 otherwise starts with the number of cores its cpuinfo finds, which on the 2-vCPU
// development VM is one (at::get_num_threads() == 1), and a one-thread LibTorch against a
// two-thread needle is no comparison. OMP_NUM_THREADS, when set, still wins.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace needle_twins {

inline int use_all_cores() {
  if (std::getenv("OMP_NUM_THREADS") == nullptr) {
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  }
  return torch::get_num_threads();
}

}  // namespace needle_twins

// BENCHMARK_MAIN() for the twins: LibTorch on every core, and the thread count in the report's
// context. (Needs <benchmark/benchmark.h> and <string> included first.)
#define NEEDLE_TWIN_BENCHMARK_MAIN()                                                             \
  int main(int argc, char** argv) {                                                              \
    benchmark::AddCustomContext("torch_threads", std::to_string(needle_twins::use_all_cores())); \
    benchmark::Initialize(&argc, argv);                                                          \
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;                            \
    benchmark::RunSpecifiedBenchmarks();                                                         \
    benchmark::Shutdown();                                                                       \
    return 0;                                                                                    \
  }

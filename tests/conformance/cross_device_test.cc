// Copies across devices, which only a backend with more than the host's memory has: cpu <-> cuda
// through NDArray::to for every dtype and for strided arrays on either side, and strided copies
// from cuda:0 to cuda:0 (and to cuda:1 where a second GPU exists) through Backend::copy. The
// fixture is instantiated for "cuda" only, which skips with the reason when no GPU is present.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "needle/ndarray.h"
#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceCrossDevice : public ConformanceTest {};
INSTANTIATE_TEST_SUITE_P(Devices, ConformanceCrossDevice, ::testing::Values("cuda"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(ConformanceCrossDevice, HostToDeviceAndBackThroughNDArrayTo) {
  for (DType dt : kDTypes) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const std::vector<double> v = random_values(dt, 4 * 5 * 6, 83, 0.0, 6.0);
    const NDArray host = NDArray::from_vector(v, {4, 5, 6}).astype(dt);
    const std::vector<double> expected = host.to_vector<double>();
    const NDArray on_gpu = host.to(device());
    EXPECT_EQ(on_gpu.device(), device());
    EXPECT_EQ(on_gpu.dtype(), dt);
    EXPECT_EQ(on_gpu.to_vector<double>(), expected);
    EXPECT_EQ(on_gpu.to(cpu()).to_vector<double>(), expected);
    // Strided on the host side: transposed, sliced with a step, flipped.
    for (const NDArray& view :
         {host.permute({2, 0, 1}), host.slice(1, 1, 5, 2), host.flip({0, 2})}) {
      const NDArray moved = view.to(device());
      EXPECT_EQ(moved.shape(), view.shape());
      EXPECT_EQ(moved.to_vector<double>(), view.to_vector<double>());
    }
    // And back from strided views on the GPU side.
    EXPECT_EQ(on_gpu.permute({1, 2, 0}).flip({1}).to(cpu()).to_vector<double>(),
              host.permute({1, 2, 0}).flip({1}).to_vector<double>());
    EXPECT_EQ(on_gpu.slice(2, 0, 6, 3).to(cpu()).to_vector<double>(),
              host.slice(2, 0, 6, 3).to_vector<double>());
  }
}

TEST_P(ConformanceCrossDevice, StridedCopiesBetweenGpuViews) {
  const int gpus = backend().device_count();
  for (DType from : kDTypes) {
    const std::vector<double> v = random_values(from, 160, 89, 0.0, 6.0);
    for (DType to : kDTypes) {
      const std::string what = fmt::format("{} -> {}", dtype_name(from), dtype_name(to));
      // cuda:0 -> cuda:0: a flipped, stepped source into a transposed destination.
      const Twin src = twin(from, v);
      const Twin dst = output(to, 35);
      on_both([&](const Side& s) {
        s->copy(src.view(s, {5, 7}, {-16, 2}, 64 + 2), dst.view(s, {5, 7}, {1, 5}));
      });
      expect_match(dst, Tolerance{}, "cuda:0 -> cuda:0 " + what);
      if (gpus < 2) continue;
      // cuda:0 -> cuda:1, compared with the same copy on cuda:0.
      const Device second = cuda(1);
      Buffer remote(backend(), second, to, 35);
      remote.upload(Host::of(to, std::vector<double>(35, sentinel(to))));
      backend().copy(src.view(dut(), {5, 7}, {-16, 2}, 64 + 2), remote.view({5, 7}, {1, 5}));
      expect_match(remote.download(), dst.dut_host(), Tolerance{}, "cuda:0 -> cuda:1 " + what);
    }
  }
}

}  // namespace
}  // namespace needle::conformance

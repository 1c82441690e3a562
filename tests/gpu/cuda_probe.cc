// cuda_probe: the first thing tests/gpu/run.sh runs after the build, before any test. It says
// whether this libneedle reaches a GPU at all and whether its three kinds of device code work
// there (a hand-written kernel, cuBLAS and cuDNN), each checked against the CPU backend on the
// same inputs. A run in which CUDA never initialises (a driver/runtime mismatch, a configure
// that silently went CPU-only, code built for another architecture, cuDNN missing) stops here
// with the reason, instead of passing with every CUDA test skipped.
//
//   cuda_probe              exit 0: every check passed; 1: a check failed; 2: no usable GPU
//   cuda_probe --no-cudnn   skips the convolution check (a build without cuDNN)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "needle/needle.h"

namespace ndl = needle;

namespace {

// Largest |a - b| over two tensors of one shape, read back to the host.
double max_difference(const ndl::Tensor& a, const ndl::Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  if (x.size() != y.size()) return INFINITY;
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i)
    worst = std::fmax(worst, std::fabs(x[i] - y[i]));
  return worst;
}

// Runs `fn` on the CPU and on cuda:0 from the same inputs and reports the difference.
template <typename Fn>
bool check(const char* what, double tolerance, Fn fn) {
  try {
    const double diff = max_difference(fn(ndl::cpu()), fn(ndl::cuda(0)));
    const bool ok = diff <= tolerance;
    std::printf("cuda_probe: %-34s %s (max |cuda - cpu| = %.3g, tolerance %.1g)\n", what,
                ok ? "ok" : "WRONG", diff, tolerance);
    return ok;
  } catch (const std::exception& e) {
    std::printf("cuda_probe: %-34s FAILED: %s\n", what, e.what());
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool cudnn = !(argc > 1 && std::strcmp(argv[1], "--no-cudnn") == 0);
  std::printf("cuda_probe: %s\n", ndl::cuda_status().c_str());
  if (!ndl::cuda_available()) {
    std::printf("cuda_probe: no usable GPU: the CUDA tests would all skip\n");
    return 2;
  }
  ndl::manual_seed(0);
  const ndl::Tensor x = ndl::randn({1000, 37});
  const ndl::Tensor w = ndl::randn({37, 53});
  const ndl::Tensor image = ndl::randn({2, 3, 9, 11});
  const ndl::Tensor filter = ndl::randn({4, 3, 3, 3});
  bool ok = true;
  ok &= check("kernels (exp, add, sum over axis 0)", 1e-3, [&](const ndl::Device& d) {
    const ndl::Tensor v = x.to(d);
    return ndl::sum(ndl::exp(v) + v, {0});
  });
  ok &= check("cuBLAS (matmul 1000x37 @ 37x53)", 1e-3,
              [&](const ndl::Device& d) { return ndl::matmul(x.to(d), w.to(d)); });
  if (cudnn) {
    ok &= check("cuDNN (conv2d 3->4, 3x3, pad 1)", 1e-3, [&](const ndl::Device& d) {
      return ndl::conv2d(image.to(d), filter.to(d), ndl::Tensor(), 1, 1);
    });
  }
  std::printf("cuda_probe: %s\n", ok ? "all checks passed" : "a check FAILED");
  return ok ? 0 : 1;
}

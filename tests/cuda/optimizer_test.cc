// The fused SGD (momentum, Nesterov, weight decay) and Adam/AdamW updates on CUDA against the
// CPU backend's, over several steps so that the state buffers matter.
#include "tests/cuda/cuda_test_util.h"

namespace needle::cuda_test {
namespace {

TEST(CudaOptimizer, FusedStepsMatchCpu) {
  NEEDLE_REQUIRE_CUDA();
  const int64_t n = 10007;
  for (DType dt : {DType::Float32, DType::Float64}) {
    Twin w(dt, n, random_values(dt, n, 71)), g(dt, n, random_values(dt, n, 73));
    Twin u(dt, n, random_values(dt, n, 79)), m(dt, n, random_values(dt, n, 83));
    Twin v(dt, n, random_values(dt, n, 89, 0.0, 1.0));
    SgdStepArgs sgd;
    sgd.lr = 0.1;
    sgd.momentum = 0.9;
    sgd.weight_decay = 1e-2;
    sgd.nesterov = true;
    AdamStepArgs adam;
    adam.weight_decay = 0.1;
    adam.decoupled_weight_decay = true;
    adam.step = 3;
    for (int step = 0; step < 3; ++step) {
      backend_for(DeviceType::CPU)
          .sgd_step(w.cpu.dense({n}), g.cpu.dense({n}), u.cpu.dense({n}), sgd);
      backend_for(DeviceType::CUDA)
          .sgd_step(w.gpu.dense({n}), g.gpu.dense({n}), u.gpu.dense({n}), sgd);
      backend_for(DeviceType::CPU)
          .adam_step(w.cpu.dense({n}), g.cpu.dense({n}), m.cpu.dense({n}), v.cpu.dense({n}), adam);
      backend_for(DeviceType::CUDA)
          .adam_step(w.gpu.dense({n}), g.gpu.dense({n}), m.gpu.dense({n}), v.gpu.dense({n}), adam);
    }
    const double tol = dt == DType::Float32 ? 1e-5 : 1e-12;
    expect_close(w.cpu.download(), w.gpu.download(), tol, tol, "param");
    expect_close(u.cpu.download(), u.gpu.download(), tol, tol, "momentum");
    expect_close(m.cpu.download(), m.gpu.download(), tol, tol, "exp_avg");
    expect_close(v.cpu.download(), v.gpu.download(), tol, tol, "exp_avg_sq");
  }
}

}  // namespace
}  // namespace needle::cuda_test

// Binary elementwise ops over two strided, broadcast operands. The formulas are
// backends/common/scalar_ops.h's, the CPU backend's own.
#include "backends/common/scalar_ops.h"
#include "kernels/elementwise.cuh"

namespace needle::kernels {
namespace {

template <BinaryOp Op, typename T>
struct BinaryFn {
  __device__ scalar_ops::binary_result_t<Op, T> operator()(T a, T b) const {
    return scalar_ops::binary_fn<Op, T>(a, b);
  }
};

template <BinaryOp Op>
void binary_typed(const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<2, scalar_ops::binary_result_t<Op, T>, T, T>(args, BinaryFn<Op, T>{}, what,
                                                                 stream);
  });
}

}  // namespace

void launch_binary(BinaryOp op, const ElementwiseArgs& args, const char* what,
                   cudaStream_t stream) {
  const bool known =
      visit_op(op, [&](auto op_c) { binary_typed<decltype(op_c)::value>(args, what, stream); });
  if (!known) throw_unknown_code("binary", static_cast<int>(op));
}

}  // namespace needle::kernels

// Binary ops with one scalar operand: a op s, or s op a (for 1 - x, 2 / x, 2 ** x). The scalar
// is converted to the array's dtype once, on the host, as the CPU backend does; the formulas are
// backends/common/scalar_ops.h's.
#include "backends/common/scalar_ops.h"
#include "kernels/elementwise.cuh"

namespace needle::kernels {
namespace {

template <BinaryOp Op, typename T>
struct ScalarFn {
  T scalar;
  bool scalar_first;
  __device__ scalar_ops::binary_result_t<Op, T> operator()(T a) const {
    return scalar_first ? scalar_ops::binary_fn<Op, T>(scalar, a)
                        : scalar_ops::binary_fn<Op, T>(a, scalar);
  }
};

template <BinaryOp Op>
void scalar_typed(const ElementwiseArgs& args, double scalar, bool scalar_first, const char* what,
                  cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T s = static_cast<T>(scalar);
    run_elementwise<1, scalar_ops::binary_result_t<Op, T>, T>(
        args, ScalarFn<Op, T>{s, scalar_first}, what, stream);
  });
}

}  // namespace

void launch_binary_scalar(BinaryOp op, const ElementwiseArgs& args, double scalar,
                          bool scalar_first, const char* what, cudaStream_t stream) {
  const bool known = visit_op(op, [&](auto op_c) {
    scalar_typed<decltype(op_c)::value>(args, scalar, scalar_first, what, stream);
  });
  if (!known) throw_unknown_code("binary_scalar", static_cast<int>(op));
}

}  // namespace needle::kernels

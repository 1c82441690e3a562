// Binary ops with one scalar operand: a op s, or s op a (for 1 - x, 2 / x, 2 ** x). The scalar
// is converted to the array's dtype once, on the host, as the CPU backend does.
#include "kernels/elementwise.cuh"
#include "kernels/ops.cuh"

namespace needle::kernels {
namespace {

template <KBinary Op, typename T>
struct ScalarFn {
  T scalar;
  bool scalar_first;
  __device__ auto operator()(T a) const {
    return scalar_first ? binary_op<Op, T>(scalar, a) : binary_op<Op, T>(a, scalar);
  }
};

template <KBinary Op>
void scalar_typed(const ElementwiseArgs& args, double scalar, bool scalar_first, const char* what,
                  cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    using O = typename std::conditional<is_comparison_op(Op), bool, T>::type;
    T s;
    if constexpr (std::is_same<T, bool>::value) {
      s = scalar != 0.0;
    } else {
      s = static_cast<T>(scalar);
    }
    run_elementwise<1, O, T>(args, ScalarFn<Op, T>{s, scalar_first}, what, stream);
  });
}

}  // namespace

void launch_binary_scalar(KBinary op, const ElementwiseArgs& args, double scalar, bool scalar_first,
                          const char* what, cudaStream_t stream) {
  switch (op) {
#define NEEDLE_SCALAR_CASE(name)                                           \
  case KBinary::name:                                                      \
    scalar_typed<KBinary::name>(args, scalar, scalar_first, what, stream); \
    return;
    NEEDLE_SCALAR_CASE(Add)
    NEEDLE_SCALAR_CASE(Sub)
    NEEDLE_SCALAR_CASE(Mul)
    NEEDLE_SCALAR_CASE(Div)
    NEEDLE_SCALAR_CASE(Pow)
    NEEDLE_SCALAR_CASE(Maximum)
    NEEDLE_SCALAR_CASE(Minimum)
    NEEDLE_SCALAR_CASE(Eq)
    NEEDLE_SCALAR_CASE(Ne)
    NEEDLE_SCALAR_CASE(Lt)
    NEEDLE_SCALAR_CASE(Le)
    NEEDLE_SCALAR_CASE(Gt)
    NEEDLE_SCALAR_CASE(Ge)
#undef NEEDLE_SCALAR_CASE
  }
}

}  // namespace needle::kernels

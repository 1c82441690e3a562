// Binary elementwise ops over two strided, broadcast operands.
#include "kernels/elementwise.cuh"
#include "kernels/ops.cuh"

namespace needle::kernels {
namespace {

template <KBinary Op, typename T>
struct BinaryFn {
  __device__ auto operator()(T a, T b) const { return binary_op<Op, T>(a, b); }
};

template <KBinary Op>
void binary_typed(const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    using O = typename std::conditional<is_comparison_op(Op), bool, T>::type;
    run_elementwise<2, O, T, T>(args, BinaryFn<Op, T>{}, what, stream);
  });
}

}  // namespace

void launch_binary(KBinary op, const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  switch (op) {
#define NEEDLE_BINARY_CASE(name)                     \
  case KBinary::name:                                \
    binary_typed<KBinary::name>(args, what, stream); \
    return;
    NEEDLE_BINARY_CASE(Add)
    NEEDLE_BINARY_CASE(Sub)
    NEEDLE_BINARY_CASE(Mul)
    NEEDLE_BINARY_CASE(Div)
    NEEDLE_BINARY_CASE(Pow)
    NEEDLE_BINARY_CASE(Maximum)
    NEEDLE_BINARY_CASE(Minimum)
    NEEDLE_BINARY_CASE(Eq)
    NEEDLE_BINARY_CASE(Ne)
    NEEDLE_BINARY_CASE(Lt)
    NEEDLE_BINARY_CASE(Le)
    NEEDLE_BINARY_CASE(Gt)
    NEEDLE_BINARY_CASE(Ge)
#undef NEEDLE_BINARY_CASE
  }
}

}  // namespace needle::kernels

// Unary elementwise ops, where() and fill. The formulas are backends/common/scalar_ops.h's, the
// CPU backend's own.
#include "backends/common/scalar_ops.h"
#include "kernels/elementwise.cuh"

namespace needle::kernels {
namespace {

template <UnaryOp Op, typename T>
struct UnaryFn {
  __device__ scalar_ops::unary_result_t<Op, T> operator()(T x) const {
    return scalar_ops::unary_fn<Op, T>(x);
  }
};

template <typename T>
struct WhereFn {
  __device__ T operator()(bool c, T a, T b) const { return c ? a : b; }
};

template <typename T>
struct FillFn {
  T value;
  __device__ T operator()() const { return value; }
};

template <UnaryOp Op>
void unary_typed(const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Other combinations are refused with a DTypeError on the host side before launch.
    if constexpr (scalar_ops::unary_supported<Op, T>()) {
      run_elementwise<1, scalar_ops::unary_result_t<Op, T>, T>(args, UnaryFn<Op, T>{}, what,
                                                               stream);
    }
  });
}

}  // namespace

void launch_unary(UnaryOp op, const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  const bool known =
      visit_op(op, [&](auto op_c) { unary_typed<decltype(op_c)::value>(args, what, stream); });
  if (!known) throw_unknown_code("unary", static_cast<int>(op));
}

void launch_where(const ElementwiseArgs& args, cudaStream_t stream) {
  dispatch(args.dtype[0], [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_elementwise<3, T, bool, T, T>(args, WhereFn<T>{}, "where", stream);
  });
}

void launch_fill(const ElementwiseArgs& args, double value, cudaStream_t stream) {
  dispatch(args.dtype[0], [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v;
    if constexpr (std::is_same<T, bool>::value) {
      v = value != 0.0;
    } else {
      v = static_cast<T>(value);
    }
    run_elementwise<0, T>(args, FillFn<T>{v}, "fill", stream);
  });
}

}  // namespace needle::kernels

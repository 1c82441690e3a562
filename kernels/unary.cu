// Unary elementwise ops, where() and fill.
#include "kernels/elementwise.cuh"
#include "kernels/ops.cuh"

namespace needle::kernels {
namespace {

template <KUnary Op, typename T>
struct UnaryFn {
  __device__ T operator()(T x) const { return unary_op<Op, T>(x); }
};

template <typename T>
struct LogicalNotFn {
  __device__ bool operator()(T x) const { return x == T(0); }
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

template <KUnary Op>
void unary_typed(const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  dispatch(args.dtype[1], [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (Op == KUnary::LogicalNot) {
      run_elementwise<1, bool, T>(args, LogicalNotFn<T>{}, what, stream);
    } else if constexpr (kIsFloat<T> || unary_supports_integers(Op)) {
      run_elementwise<1, T, T>(args, UnaryFn<Op, T>{}, what, stream);
    }
    // Other combinations are rejected with a DTypeError on the host side before launch.
  });
}

}  // namespace

void launch_unary(KUnary op, const ElementwiseArgs& args, const char* what, cudaStream_t stream) {
  switch (op) {
#define NEEDLE_UNARY_CASE(name)                    \
  case KUnary::name:                               \
    unary_typed<KUnary::name>(args, what, stream); \
    return;
    NEEDLE_UNARY_CASE(Neg)
    NEEDLE_UNARY_CASE(Exp)
    NEEDLE_UNARY_CASE(Log)
    NEEDLE_UNARY_CASE(Sqrt)
    NEEDLE_UNARY_CASE(Tanh)
    NEEDLE_UNARY_CASE(Sigmoid)
    NEEDLE_UNARY_CASE(Relu)
    NEEDLE_UNARY_CASE(Abs)
    NEEDLE_UNARY_CASE(Sign)
    NEEDLE_UNARY_CASE(Sin)
    NEEDLE_UNARY_CASE(Cos)
    NEEDLE_UNARY_CASE(Square)
    NEEDLE_UNARY_CASE(Reciprocal)
    NEEDLE_UNARY_CASE(LogicalNot)
#undef NEEDLE_UNARY_CASE
  }
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

// Strided copy with dtype conversion: compact(), astype(), slice assignment. Dense same-dtype
// copies never get here (the host side uses cudaMemcpyAsync for those).
#include "kernels/elementwise.cuh"

namespace needle::kernels {
namespace {

template <typename To, typename From>
struct CastFn {
  __device__ To operator()(From v) const { return cast_to<To>(v); }
};

}  // namespace

void launch_copy(const ElementwiseArgs& args, cudaStream_t stream) {
  dispatch(args.dtype[0], [&](auto out_tag) {
    using O = typename decltype(out_tag)::type;
    dispatch(args.dtype[1], [&](auto in_tag) {
      using I = typename decltype(in_tag)::type;
      run_elementwise<1, O, I>(args, CastFn<O, I>{}, "copy", stream);
    });
  });
}

}  // namespace needle::kernels

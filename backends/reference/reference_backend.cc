// The reference kernels: one loop over the output's multi-indices each, every element read and
// written through its view's strides (so broadcast, transposed, flipped, sliced, offset and 0-d
// views need no special case), the scalar formulas of backends/common/scalar_ops.h, and double
// accumulators. The dispatch front has checked every argument before a do_* method runs.
#include "backends/reference/reference_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "backends/common/scalar_ops.h"
#include "needle/error.h"

#include "src/core/philox.h"

namespace needle::reference_backend {
namespace {

using Index = std::vector<int64_t>;

// Calls fn(index) for every multi-index of `shape`, row-major: once (with an empty index) for a
// 0-d shape, never for a shape with a zero dimension.
template <typename Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  if (numel(shape) == 0) return;
  Index idx(shape.size(), 0);
  for (;;) {
    fn(static_cast<const Index&>(idx));
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0; --d) {
      const auto k = static_cast<size_t>(d);
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
    if (d < 0) return;
  }
}

// The element position (in elements from the base pointer) of multi-index `idx` of `v`.
int64_t at(const StridedView& v, const Index& idx) {
  int64_t pos = v.offset;
  for (size_t d = 0; d < idx.size(); ++d)
    pos += idx[d] * v.strides[d];
  return pos;
}

// Of (i0, i1, i2, i3) in a 4-D view, without building an index.
int64_t at4(const StridedView& v, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  return v.offset + i0 * v.strides[0] + i1 * v.strides[1] + i2 * v.strides[2] + i3 * v.strides[3];
}

// Reads and writes the element at `pos` as T, the C++ type of v.dtype. Bool is one byte: any
// nonzero byte reads as true, and true is written as 1.
template <typename T>
T load(const StridedView& v, int64_t pos) {
  const auto* p = static_cast<const unsigned char*>(v.data) + pos * static_cast<int64_t>(sizeof(T));
  if constexpr (std::is_same_v<T, bool>) {
    return *p != 0;
  } else {
    T x;
    std::memcpy(&x, p, sizeof(T));
    return x;
  }
}

template <typename T>
void store(const StridedView& v, int64_t pos, T x) {
  auto* p = static_cast<unsigned char*>(v.data) + pos * static_cast<int64_t>(sizeof(T));
  if constexpr (std::is_same_v<T, bool>) {
    *p = x ? 1 : 0;
  } else {
    std::memcpy(p, &x, sizeof(T));
  }
}

// Calls fn(TypeTag<T>{}) for the C++ type of `dtype`.
template <typename Fn>
void with_dtype(DType dtype, Fn&& fn) {
  if (!visit_dtype(dtype, fn)) {
    throw DTypeError(fmt::format("reference: unknown dtype code {}", static_cast<int>(dtype)));
  }
}

// As with_dtype, for the floating types the front lets through to matmul, conv and batch norm.
template <typename Fn>
void with_floating(const char* op, DType dtype, Fn&& fn) {
  with_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      fn(tag);
    } else {
      throw DTypeError(
          fmt::format("reference {}: dtype {} is not floating", op, dtype_name(dtype)));
    }
  });
}

template <typename Code>
[[noreturn]] void unknown_op(const char* family, Code op) {
  throw Error(fmt::format("{}: unknown op code {}", family, static_cast<int>(op)));
}

// Whether v replaces best as the maximum (kMax) or minimum: strictly more extreme, or the first
// NaN (NaN wins, as in NumPy; a later NaN does not replace an earlier one).
template <bool kMax, typename T>
bool better(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    return (kMax ? v > best : v < best) || (std::isnan(v) && !std::isnan(best));
  } else {
    return kMax ? v > best : v < best;
  }
}

// Fills dst with gen(counter, TypeTag<T>{}) for counters offset, offset + 1, ... in dst's
// row-major order, whatever its strides.
template <typename Gen>
void random_fill(const StridedView& dst, uint64_t offset, Gen gen) {
  with_dtype(dst.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    uint64_t counter = offset;
    for_each_index(dst.shape,
                   [&](const Index& i) { store<T>(dst, at(dst, i), gen(counter++, tag)); });
  });
}

}  // namespace

// --- memory ------------------------------------------------------------------------------------

void* ReferenceBackend::allocate(size_t nbytes, const Device&) {
  NEEDLE_CHECK_AS(DeviceError, nbytes <= std::numeric_limits<size_t>::max() - 64,
                  "reference: out of memory allocating {} bytes", nbytes);
  const size_t rounded = (std::max<size_t>(nbytes, 1) + 63) / 64 * 64;
  void* ptr = std::aligned_alloc(64, rounded);
  NEEDLE_CHECK_AS(DeviceError, ptr != nullptr, "reference: out of memory allocating {} bytes",
                  nbytes);
  const std::lock_guard<std::mutex> lock(mutex_);
  stats_.allocated += nbytes;
  stats_.reserved = stats_.allocated;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  ++stats_.live_buffers;
  return ptr;
}

void ReferenceBackend::deallocate(void* ptr, size_t nbytes, const Device&) {
  if (ptr == nullptr) return;
  std::free(ptr);
  const std::lock_guard<std::mutex> lock(mutex_);
  stats_.allocated -= nbytes;
  stats_.reserved = stats_.allocated;
  --stats_.live_buffers;
}

MemoryStats ReferenceBackend::memory_stats(const Device&) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void ReferenceBackend::copy_from_host(const void* host, void* device_ptr, size_t nbytes,
                                      const Device&) {
  if (nbytes > 0) std::memcpy(device_ptr, host, nbytes);
}

void ReferenceBackend::copy_to_host(const void* device_ptr, void* host, size_t nbytes,
                                    const Device&) {
  if (nbytes > 0) std::memcpy(host, device_ptr, nbytes);
}

// --- data movement -----------------------------------------------------------------------------

void ReferenceBackend::do_copy(const StridedView& src, const StridedView& dst) {
  with_dtype(src.dtype, [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    with_dtype(dst.dtype, [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      for_each_index(src.shape, [&](const Index& i) {
        store<D>(dst, at(dst, i), static_cast<D>(load<S>(src, at(src, i))));
      });
    });
  });
}

void ReferenceBackend::do_fill(const StridedView& dst, double value) {
  with_dtype(dst.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = static_cast<T>(value);
    for_each_index(dst.shape, [&](const Index& i) { store<T>(dst, at(dst, i), v); });
  });
}

void ReferenceBackend::do_random_uniform(const StridedView& dst, uint64_t seed, uint64_t offset,
                                         double low, double high) {
  random_fill(dst, offset, [&](uint64_t counter, auto tag) {
    using T = typename decltype(tag)::type;
    T r = static_cast<T>(low + (high - low) * philox::uniform(seed, counter));
    if constexpr (std::is_floating_point_v<T>) {
      // Rounding to the element type can land on `high`; the range is [low, high).
      if (high > low && r >= static_cast<T>(high)) {
        r = std::nextafter(static_cast<T>(high), static_cast<T>(low));
      }
    }
    return r;
  });
}

void ReferenceBackend::do_random_normal(const StridedView& dst, uint64_t seed, uint64_t offset,
                                        double mean, double std) {
  random_fill(dst, offset, [&](uint64_t counter, auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<T>(mean + std * philox::normal(seed, counter));
  });
}

// --- elementwise -------------------------------------------------------------------------------

void ReferenceBackend::do_unary(UnaryOp op, const StridedView& a, const StridedView& out) {
  const bool known = visit_op(op, [&](auto op_c) {
    constexpr UnaryOp OP = decltype(op_c)::value;
    with_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (scalar_ops::unary_supported<OP, T>()) {
        using R = scalar_ops::unary_result_t<OP, T>;
        for_each_index(out.shape, [&](const Index& i) {
          store<R>(out, at(out, i), scalar_ops::unary_fn<OP, T>(load<T>(a, at(a, i))));
        });
      } else {
        throw DTypeError(fmt::format("reference {}: dtype {} is not supported", op_name(OP),
                                     dtype_name(a.dtype)));
      }
    });
  });
  if (!known) unknown_op("unary", op);
}

void ReferenceBackend::do_binary(BinaryOp op, const StridedView& a, const StridedView& b,
                                 const StridedView& out) {
  const bool known = visit_op(op, [&](auto op_c) {
    constexpr BinaryOp OP = decltype(op_c)::value;
    with_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using R = scalar_ops::binary_result_t<OP, T>;
      for_each_index(out.shape, [&](const Index& i) {
        const T x = load<T>(a, at(a, i)), y = load<T>(b, at(b, i));
        store<R>(out, at(out, i), scalar_ops::binary_fn<OP, T>(x, y));
      });
    });
  });
  if (!known) unknown_op("binary", op);
}

void ReferenceBackend::do_binary_scalar(BinaryOp op, const StridedView& a, double scalar,
                                        bool scalar_first, const StridedView& out) {
  const bool known = visit_op(op, [&](auto op_c) {
    constexpr BinaryOp OP = decltype(op_c)::value;
    with_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using R = scalar_ops::binary_result_t<OP, T>;
      const T s = static_cast<T>(scalar);  // the scalar in a's dtype
      for_each_index(out.shape, [&](const Index& i) {
        const T x = load<T>(a, at(a, i));
        store<R>(
            out, at(out, i),
            scalar_first ? scalar_ops::binary_fn<OP, T>(s, x) : scalar_ops::binary_fn<OP, T>(x, s));
      });
    });
  });
  if (!known) unknown_op("binary", op);
}

void ReferenceBackend::do_where(const StridedView& cond, const StridedView& a, const StridedView& b,
                                const StridedView& out) {
  with_dtype(out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(out.shape, [&](const Index& i) {
      const bool c = load<bool>(cond, at(cond, i));
      store<T>(out, at(out, i), c ? load<T>(a, at(a, i)) : load<T>(b, at(b, i)));
    });
  });
}

// --- reductions --------------------------------------------------------------------------------

void ReferenceBackend::do_reduce(ReduceOp op, const StridedView& a, const Axes& axes,
                                 const StridedView& out) {
  // Output index o (0 along the reduced axes) reads a at o plus r along the reduced axes, r
  // walking their sizes row-major.
  Shape reduced;
  Strides reduced_strides;
  for (int64_t ax : axes) {
    reduced.push_back(a.shape[static_cast<size_t>(ax)]);
    reduced_strides.push_back(a.strides[static_cast<size_t>(ax)]);
  }
  auto input_pos = [&](int64_t base, const Index& r) {
    for (size_t k = 0; k < r.size(); ++k)
      base += r[k] * reduced_strides[k];
    return base;
  };
  const bool known = visit_op(op, [&](auto op_c) {
    constexpr ReduceOp OP = decltype(op_c)::value;
    with_dtype(a.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      for_each_index(out.shape, [&](const Index& o) {
        const int64_t base = at(a, o);
        if constexpr (OP == ReduceOp::Sum) {
          if constexpr (std::is_floating_point_v<T>) {
            double acc = 0.0;
            for_each_index(reduced, [&](const Index& r) {
              acc += static_cast<double>(load<T>(a, input_pos(base, r)));
            });
            store<T>(out, at(out, o), static_cast<T>(acc));
          } else {
            // Integers (and bools) sum exactly in int64, wrapping as the elementwise Add does.
            uint64_t acc = 0;
            for_each_index(reduced, [&](const Index& r) {
              acc += static_cast<uint64_t>(static_cast<int64_t>(load<T>(a, input_pos(base, r))));
            });
            store<T>(out, at(out, o), static_cast<T>(static_cast<int64_t>(acc)));
          }
        } else {
          constexpr bool kMax = OP == ReduceOp::Max || OP == ReduceOp::Argmax;
          // The first element, then each one that is strictly better: the first extreme wins.
          T best{};
          int64_t best_at = 0, position = 0;
          for_each_index(reduced, [&](const Index& r) {
            const T v = load<T>(a, input_pos(base, r));
            if (position == 0 || better<kMax>(v, best)) {
              best = v;
              best_at = position;
            }
            ++position;
          });
          if constexpr (OP == ReduceOp::Max || OP == ReduceOp::Min) {
            store<T>(out, at(out, o), best);
          } else {
            store<int64_t>(out, at(out, o), best_at);  // the index along the one reduced axis
          }
        }
      });
    });
  });
  if (!known) unknown_op("reduce", op);
}

// --- softmax -----------------------------------------------------------------------------------

namespace {
// Calls fn(positions of one row's n elements in v) for every row along `axis`.
template <typename Fn>
void for_each_row(const StridedView& v, int64_t axis, Fn&& fn) {
  Shape kept = v.shape;
  const auto ax = static_cast<size_t>(axis);
  const int64_t n = kept[ax];
  kept[ax] = 1;
  for_each_index(kept, [&](const Index& o) {
    std::vector<int64_t> positions;
    for (int64_t j = 0; j < n; ++j)
      positions.push_back(at(v, o) + j * v.strides[ax]);
    fn(positions);
  });
}
}  // namespace

// The textbook formulas in double: m = max x, s = sum exp(x - m); y = exp(x - m) / s or
// (x - m) - log s. A NaN or +inf in the row, or a row of only -inf, makes it NaN.
void ReferenceBackend::do_softmax(const StridedView& a, int64_t axis, bool log,
                                  const StridedView& out) {
  with_floating("softmax", a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_row(a, axis, [&](const std::vector<int64_t>& row) {
      std::vector<double> x;
      for (int64_t pos : row)
        x.push_back(static_cast<double>(load<T>(a, pos)));
      double m = -std::numeric_limits<double>::infinity();
      bool nan = false;
      for (double v : x) {
        nan = nan || std::isnan(v);
        m = std::max(m, v);
      }
      double s = 0.0;
      for (double v : x)
        s += std::exp(v - m);
      for (size_t j = 0; j < x.size(); ++j) {
        const double y = nan   ? std::nan("")
                         : log ? (x[j] - m) - std::log(s)
                               : std::exp(x[j] - m) / s;
        store<T>(out, row[j] - a.offset + out.offset, static_cast<T>(y));
      }
    });
  });
}

void ReferenceBackend::do_softmax_backward(const StridedView& out, const StridedView& grad_out,
                                           int64_t axis, bool log, const StridedView& grad_input) {
  with_floating("softmax_backward", out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_row(out, axis, [&](const std::vector<int64_t>& row) {
      // The views are compact and of one shape: the same position less the offsets.
      auto in = [&](const StridedView& v, int64_t pos) { return pos - out.offset + v.offset; };
      double s = 0.0;
      for (int64_t pos : row) {
        const double g = static_cast<double>(load<T>(grad_out, in(grad_out, pos)));
        s += log ? g : g * static_cast<double>(load<T>(out, pos));
      }
      for (int64_t pos : row) {
        const double y = static_cast<double>(load<T>(out, pos));
        const double g = static_cast<double>(load<T>(grad_out, in(grad_out, pos)));
        store<T>(grad_input, in(grad_input, pos),
                 static_cast<T>(log ? g - std::exp(y) * s : y * (g - s)));
      }
    });
  });
}

// --- linear algebra ----------------------------------------------------------------------------

void ReferenceBackend::do_matmul(const StridedView& a, const StridedView& b,
                                 const StridedView& out) {
  with_floating("matmul", out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto nd = static_cast<size_t>(out.ndim());
    const int64_t m = out.shape[nd - 2], n = out.shape[nd - 1], k = a.shape[nd - 1];
    const Shape batch(out.shape.begin(), out.shape.end() - 2);
    for_each_index(batch, [&](const Index& bi) {
      Index ia = bi, ib = bi, io = bi;
      ia.resize(nd);
      ib.resize(nd);
      io.resize(nd);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double acc = 0.0;
          for (int64_t p = 0; p < k; ++p) {
            ia[nd - 2] = i, ia[nd - 1] = p;
            ib[nd - 2] = p, ib[nd - 1] = j;
            acc += static_cast<double>(load<T>(a, at(a, ia))) *
                   static_cast<double>(load<T>(b, at(b, ib)));
          }
          io[nd - 2] = i, io[nd - 1] = j;
          store<T>(out, at(out, io), static_cast<T>(acc));
        }
      }
    });
  });
}

// --- convolution -------------------------------------------------------------------------------
// Output (n, o, y, x) reads input (n, g * Cg + c, y * stride - pad + ky * dilation, ...) for
// every c < Cg = C / groups and kernel tap (ky, kx) inside the input, g = o / (O / groups).

namespace {

// Calls fn(c, ky, kx, iy, ix) for every input channel c < Cg of output element o = (n, o, y, x)'s
// group and every kernel tap (ky, kx) whose input pixel (iy, ix) lies inside the H x W input.
template <typename Fn>
void for_each_tap(const Index& o, const Conv2dParams& p, int64_t Cg, int64_t KH, int64_t KW,
                  int64_t H, int64_t W, Fn&& fn) {
  for (int64_t c = 0; c < Cg; ++c) {
    for (int64_t ky = 0; ky < KH; ++ky) {
      const int64_t iy = o[2] * p.stride_h - p.pad_h + ky * p.dilation_h;
      if (iy < 0 || iy >= H) continue;
      for (int64_t kx = 0; kx < KW; ++kx) {
        const int64_t ix = o[3] * p.stride_w - p.pad_w + kx * p.dilation_w;
        if (ix >= 0 && ix < W) fn(c, ky, kx, iy, ix);
      }
    }
  }
}

}  // namespace

Conv2dSaved ReferenceBackend::do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                                const StridedView& bias, const StridedView& out,
                                                const Conv2dParams& p, bool) {
  with_floating("conv2d", input.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t H = input.shape[2], W = input.shape[3];
    const int64_t Cg = weight.shape[1], KH = weight.shape[2], KW = weight.shape[3];
    const int64_t Og = weight.shape[0] / p.groups;
    for_each_index(out.shape, [&](const Index& o) {
      const int64_t g = o[1] / Og;
      double acc = bias.data != nullptr
                       ? static_cast<double>(load<T>(bias, bias.offset + o[1] * bias.strides[0]))
                       : 0.0;
      for_each_tap(
          o, p, Cg, KH, KW, H, W, [&](int64_t c, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
            acc += static_cast<double>(load<T>(input, at4(input, o[0], g * Cg + c, iy, ix))) *
                   static_cast<double>(load<T>(weight, at4(weight, o[1], c, ky, kx)));
          });
      store<T>(out, at(out, o), static_cast<T>(acc));
    });
  });
  return {};
}

void ReferenceBackend::do_conv2d_backward_input(const StridedView& grad_out,
                                                const StridedView& weight,
                                                const StridedView& grad_input,
                                                const Conv2dParams& p) {
  with_floating("conv2d_backward_input", grad_out.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t C = grad_input.shape[1], H = grad_input.shape[2], W = grad_input.shape[3];
    const int64_t Cg = weight.shape[1], KH = weight.shape[2], KW = weight.shape[3];
    const int64_t Og = weight.shape[0] / p.groups;
    // Every output element scatters into the input elements it read, in double.
    std::vector<double> acc(static_cast<size_t>(numel(grad_input.shape)), 0.0);
    for_each_index(grad_out.shape, [&](const Index& o) {
      const int64_t g = o[1] / Og;
      const double go = static_cast<double>(load<T>(grad_out, at(grad_out, o)));
      for_each_tap(o, p, Cg, KH, KW, H, W,
                   [&](int64_t c, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
                     const int64_t flat = ((o[0] * C + g * Cg + c) * H + iy) * W + ix;
                     acc[static_cast<size_t>(flat)] +=
                         go * static_cast<double>(load<T>(weight, at4(weight, o[1], c, ky, kx)));
                   });
    });
    size_t flat = 0;
    for_each_index(grad_input.shape, [&](const Index& i) {
      store<T>(grad_input, at(grad_input, i), static_cast<T>(acc[flat++]));
    });
  });
}

void ReferenceBackend::do_conv2d_backward_weight(const StridedView& input,
                                                 const StridedView& grad_out,
                                                 const StridedView& grad_weight,
                                                 const Conv2dParams& p) {
  with_floating("conv2d_backward_weight", input.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t N = input.shape[0], H = input.shape[2], W = input.shape[3];
    const int64_t Ho = grad_out.shape[2], Wo = grad_out.shape[3];
    const int64_t Cg = grad_weight.shape[1];
    const int64_t Og = grad_weight.shape[0] / p.groups;
    for_each_index(grad_weight.shape, [&](const Index& w) {  // (o, c, ky, kx)
      const int64_t g = w[0] / Og;
      double acc = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t y = 0; y < Ho; ++y) {
          const int64_t iy = y * p.stride_h - p.pad_h + w[2] * p.dilation_h;
          if (iy < 0 || iy >= H) continue;
          for (int64_t x = 0; x < Wo; ++x) {
            const int64_t ix = x * p.stride_w - p.pad_w + w[3] * p.dilation_w;
            if (ix < 0 || ix >= W) continue;
            acc += static_cast<double>(load<T>(grad_out, at4(grad_out, n, w[0], y, x))) *
                   static_cast<double>(load<T>(input, at4(input, n, g * Cg + w[1], iy, ix)));
          }
        }
      }
      store<T>(grad_weight, at(grad_weight, w), static_cast<T>(acc));
    });
  });
}

// --- batch normalization -----------------------------------------------------------------------
// x is compact (N, C, S...): flat element (n * C + c) * S + s sits at x.offset + that; the
// per-channel vectors are compact (C).

namespace {

struct Planes {
  int64_t n, c, s;
  int64_t count() const { return n * s; }
  int64_t pos(const StridedView& v, int64_t image, int64_t channel, int64_t k) const {
    return v.offset + (image * c + channel) * s + k;
  }
};

Planes planes_of(const StridedView& x) {
  const int64_t n = x.shape[0], c = x.shape[1];
  return {n, c, x.numel() / (n * c)};
}

template <typename T>
double channel_value(const StridedView& v, int64_t c, double absent) {
  return v.data != nullptr ? static_cast<double>(load<T>(v, v.offset + c)) : absent;
}

}  // namespace

void ReferenceBackend::do_batch_norm_forward(const StridedView& x, const StridedView& weight,
                                             const StridedView& bias, double eps,
                                             const StridedView& y, const StridedView& mean,
                                             const StridedView& var) {
  with_floating("batch_norm", x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Planes P = planes_of(x);
    const auto cnt = static_cast<double>(P.count());
    for (int64_t c = 0; c < P.c; ++c) {
      double sum = 0.0;
      for (int64_t n = 0; n < P.n; ++n)
        for (int64_t k = 0; k < P.s; ++k)
          sum += static_cast<double>(load<T>(x, P.pos(x, n, c, k)));
      const double m = sum / cnt;
      double sq = 0.0;
      for (int64_t n = 0; n < P.n; ++n) {
        for (int64_t k = 0; k < P.s; ++k) {
          const double d = static_cast<double>(load<T>(x, P.pos(x, n, c, k))) - m;
          sq += d * d;
        }
      }
      const double v = sq / cnt;  // biased
      const double w = channel_value<T>(weight, c, 1.0), b = channel_value<T>(bias, c, 0.0);
      const double sd = std::sqrt(v + eps);
      for (int64_t n = 0; n < P.n; ++n) {
        for (int64_t k = 0; k < P.s; ++k) {
          const double xv = static_cast<double>(load<T>(x, P.pos(x, n, c, k)));
          store<T>(y, P.pos(y, n, c, k), static_cast<T>((xv - m) / sd * w + b));
        }
      }
      store<T>(mean, mean.offset + c, static_cast<T>(m));
      store<T>(var, var.offset + c, static_cast<T>(v));
    }
  });
}

void ReferenceBackend::do_batch_norm_backward(const StridedView& grad_out, const StridedView& x,
                                              const StridedView& mean, const StridedView& invstd,
                                              const StridedView& weight,
                                              const StridedView& grad_input,
                                              const StridedView& grad_weight,
                                              const StridedView& grad_bias) {
  with_floating("batch_norm_backward", x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Planes P = planes_of(x);
    const auto cnt = static_cast<double>(P.count());
    for (int64_t c = 0; c < P.c; ++c) {
      const double m = channel_value<T>(mean, c, 0.0), is = channel_value<T>(invstd, c, 1.0);
      const double w = channel_value<T>(weight, c, 1.0);
      double dbias = 0.0, dweight = 0.0;
      for (int64_t n = 0; n < P.n; ++n) {
        for (int64_t k = 0; k < P.s; ++k) {
          const double g = static_cast<double>(load<T>(grad_out, P.pos(grad_out, n, c, k)));
          const double xhat = (static_cast<double>(load<T>(x, P.pos(x, n, c, k))) - m) * is;
          dbias += g;
          dweight += g * xhat;
        }
      }
      if (grad_input.data != nullptr) {
        for (int64_t n = 0; n < P.n; ++n) {
          for (int64_t k = 0; k < P.s; ++k) {
            const double g = static_cast<double>(load<T>(grad_out, P.pos(grad_out, n, c, k)));
            const double xhat = (static_cast<double>(load<T>(x, P.pos(x, n, c, k))) - m) * is;
            const double dx = w * is * (g - dbias / cnt - xhat * dweight / cnt);
            store<T>(grad_input, P.pos(grad_input, n, c, k), static_cast<T>(dx));
          }
        }
      }
      if (grad_weight.data != nullptr) {
        store<T>(grad_weight, grad_weight.offset + c, static_cast<T>(dweight));
      }
      if (grad_bias.data != nullptr)
        store<T>(grad_bias, grad_bias.offset + c, static_cast<T>(dbias));
    }
  });
}

}  // namespace needle::reference_backend

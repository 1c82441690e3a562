// 2-D convolution on the CPU: per channel group, im2col (im2col.h) of a chunk of images side by
// side, then one OpenBLAS GEMM for the whole chunk; on small maps one GEMM per pixel class, which
// leaves the padding out. A single 1x1, stride-1, unpadded image is already a GEMM on the image
// itself and skips the unfolding. The batch is spread over the OpenMP pool; the weight and bias
// gradients sum over images, so each thread accumulates into its own buffer and the buffers are
// added at the end. One backward pass computes every gradient asked for, gathering each chunk
// of grad_out once (Backend::conv2d_backward); in training the forward keeps its column
// matrices in the Conv2dSaved state that the autograd op holds until the backward pass, and the
// weight gradient multiplies those instead of unfolding the same input a second time.
#include <cblas.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "backends/cpu/conv2d_plan.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/im2col.h"
#include "backends/cpu/region_errors.h"
#include "backends/cpu/strided_loop.h"

namespace needle::cpu_backend {
namespace {

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                 int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

// Packing and unpacking run once per call, before or after the batch is split, while the pool's
// threads are awake: spread over them from this many elements on.
constexpr int64_t kPackParallelThreshold = 8192;

// The weight (out, group_in, kh, kw) restricted to each class's taps, in the packed layout
// (Problem::weight_start), rows in the order the columns have them: channel-major (c, tap) for
// im2col, tap-major (tap, c) for im2col_class. Unpacked, that is the weight itself. By class,
// each output channel's live taps are first transposed to (tap, group_in), so that each class's
// rows are runs of whole channels to copy.
template <typename T>
const T* pack_weight(const T* w, const Problem& pr, std::vector<T>& storage) {
  if (!pr.packed) return w;
  const int64_t kernel = pr.kernel_h * pr.kernel_w, cin = pr.group_in;
  const int64_t used = static_cast<int64_t>(pr.used_taps.size());
  resize_scratch(storage, static_cast<size_t>(pr.packed_weight), "conv2d");
  RegionErrors errors;
#pragma omp parallel for schedule(static) if (pr.packed_weight >= kPackParallelThreshold)
  for (int64_t o = 0; o < pr.out_channels; ++o) {
    const T* wo = w + o * cin * kernel;
    if (!pr.by_class) {
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        T* dst = storage.data() + pr.weight_start[q] + o * pr.k(q);
        for (int64_t c = 0; c < cin; ++c) {
          for (const int32_t t : pr.tap_index[q])
            *dst++ = wo[c * kernel + t];
        }
      }
      continue;
    }
    errors.run([&] {
      thread_local std::vector<T> tap_major;
      resize_scratch(tap_major, static_cast<size_t>(used * cin), "conv2d");
      for (int64_t c = 0; c < cin; ++c) {
        for (int64_t u = 0; u < used; ++u)
          tap_major[static_cast<size_t>(u * cin + c)] = wo[c * kernel + pr.used_taps[u]];
      }
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        T* dst = storage.data() + pr.weight_start[q] + o * pr.k(q);
        for (const int32_t t : pr.tap_index[q]) {
          const T* run = tap_major.data() + pr.tap_slot[t] * cin;
          dst = std::copy(run, run + cin, dst);
        }
      }
    });
  }
  errors.rethrow();
  return storage.data();
}

// The adjoint of pack_weight: adds each class's (out, k) gradient into the full (out, group_in,
// kh, kw) one; taps no class reads get zero.
template <typename T>
void unpack_weight_grad(const T* packed, const Problem& pr, T* w) {
  const int64_t kernel = pr.kernel_h * pr.kernel_w, cin = pr.group_in;
  const int64_t used = static_cast<int64_t>(pr.used_taps.size());
  RegionErrors errors;
#pragma omp parallel for schedule(static) if (pr.packed_weight >= kPackParallelThreshold)
  for (int64_t o = 0; o < pr.out_channels; ++o) {
    T* wo = w + o * cin * kernel;
    std::fill(wo, wo + cin * kernel, T(0));
    if (!pr.by_class) {
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        const T* src = packed + pr.weight_start[q] + o * pr.k(q);
        for (int64_t c = 0; c < cin; ++c) {
          for (const int32_t t : pr.tap_index[q])
            wo[c * kernel + t] += *src++;
        }
      }
      continue;
    }
    errors.run([&] {
      thread_local std::vector<T> tap_major;
      const size_t n = static_cast<size_t>(used * cin);
      resize_scratch(tap_major, n, "conv2d");
      std::fill(tap_major.begin(), tap_major.begin() + static_cast<std::ptrdiff_t>(n), T(0));
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        const T* src = packed + pr.weight_start[q] + o * pr.k(q);
        for (const int32_t t : pr.tap_index[q]) {
          T* run = tap_major.data() + pr.tap_slot[t] * cin;
          for (int64_t c = 0; c < cin; ++c)
            run[c] += src[c];
          src += cin;
        }
      }
      for (int64_t c = 0; c < cin; ++c) {
        for (int64_t u = 0; u < used; ++u)
          wo[c * kernel + pr.used_taps[u]] = tap_major[static_cast<size_t>(u * cin + c)];
      }
    });
  }
  errors.rethrow();
}

// A GEMM per image is a poor GEMM when images are small (a 4x4 feature map gives 16 columns, so
// the weight is streamed from memory once per image for very little work). Images are therefore
// unfolded side by side into one column matrix per class and multiplied together: a chunk of
// images wide enough for OpenBLAS to run at speed, small enough to stay in cache.
constexpr int64_t kTargetColumns = 2048;
constexpr int64_t kColumnBudgetBytes = int64_t(4) << 20;

int64_t chunk_images(const Problem& pr, int64_t images, size_t element_size) {
  const int64_t wanted = (kTargetColumns + pr.hw_out - 1) / pr.hw_out;
  const int64_t bytes_per_image = std::max<int64_t>(
      1, (pr.image_columns + pr.group_out * pr.hw_out) * static_cast<int64_t>(element_size));
  const int64_t affordable = std::max<int64_t>(1, kColumnBudgetBytes / bytes_per_image);
  return std::clamp<int64_t>(std::min(wanted, affordable), 1, std::max<int64_t>(1, images));
}

// Per-thread scratch that grows and is kept, so a training loop does not page-fault fresh
// megabytes on every convolution. Called inside the parallel region of for_each_chunk, whose
// RegionErrors carries a failed allocation out.
// The per-thread scratch buffers of one convolution, by what they hold.
enum class Scratch : int {
  Columns,          // a chunk's unfolded column matrices (when none were kept)
  Product,          // a class's GEMM result, or grad_out gathered into a class's pixel order
  GradAccumulator,  // a thread's packed weight and bias gradient sums
  PixelMajor,       // a chunk of the input, or of its gradient, pixel-major (im2col.h)
  ColumnGradient,   // a class's column gradient, before col2im folds it into dx
  kCount
};

template <typename T>
T* scratch(Scratch slot, size_t n) {
  thread_local std::vector<T> buffers[static_cast<int>(Scratch::kCount)];
  std::vector<T>& b = buffers[static_cast<int>(slot)];
  resize_scratch(b, n, "conv2d");
  return b.data();
}

// Runs body(first_image, images, thread) over the batch in chunks: the batch is split evenly
// over the OpenMP pool (inside a parallel region the OpenMP build of OpenBLAS runs
// single-threaded, so there is one pool and no oversubscription), and each thread walks its
// share chunk by chunk. A batch of one leaves the threading to BLAS instead. An exception in
// `body` (scratch that cannot be allocated) is rethrown here, after the region.
template <typename T, typename Body>
void for_each_chunk(const Problem& pr, Body&& body) {
  const int threads = static_cast<int>(std::min<int64_t>(max_threads(), pr.batch));
  auto run = [&](int tid, int nt) {
    const int64_t begin = pr.batch * tid / nt, end = pr.batch * (tid + 1) / nt;
    const int64_t chunk = chunk_images(pr, end - begin, sizeof(T));
    for (int64_t n = begin; n < end; n += chunk)
      body(n, std::min(chunk, end - n), tid);
  };
  if (threads > 1) {
    RegionErrors errors;
#pragma omp parallel num_threads(threads)
    errors.run([&] { run(omp_get_thread_num(), omp_get_num_threads()); });
    errors.rethrow();
  } else {
    run(0, 1);
  }
}

// Column matrices of `span` images from image `first` on, for one group: class q's is (k(q),
// span * size(q)) at span * column_start[q], image n's columns at (n - first) * size(q). A
// chunk's scratch spans the chunk; kept columns (see the top of the file) span the batch, so
// the forward and the weight gradient can walk the batch in different chunks.
template <typename T>
struct ColumnBlock {
  T* base = nullptr;
  int64_t span = 0, first = 0;

  int64_t ld(const Problem& pr, size_t q) const { return span * pr.size(q); }
  T* at(const Problem& pr, size_t q, int64_t n) const {
    return base + span * pr.column_start[q] + (n - first) * pr.size(q);
  }
};

// Unfolds group g of images [n0, n0 + m) into `block`, every class.
template <typename T>
void unfold_chunk(const T* x, const Problem& pr, int64_t g, int64_t n0, int64_t m,
                  const ColumnBlock<T>& block) {
  const T* xg = x + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in;
  const int64_t image_stride = pr.in_channels * pr.hw_in;
  if (!pr.by_class) {
    for (int64_t i = 0; i < m; ++i)
      im2col(xg + i * image_stride, pr.geo, block.at(pr, 0, n0 + i), block.ld(pr, 0));
    return;
  }
  T* xt = nullptr;
  if (pr.pixel_major) {
    xt = scratch<T>(Scratch::PixelMajor, static_cast<size_t>(m * pr.group_in * pr.hw_in));
    to_pixel_major(xg, image_stride, m, pr.group_in * pr.hw_in, xt);
  }
  for (size_t q = 0; q < pr.classes.size(); ++q) {
    im2col_class(xg, image_stride, xt, m, pr.geo, pr.classes[q], block.at(pr, q, n0),
                 block.ld(pr, q));
  }
}

// The column matrices group g of images [n0, n0 + m) multiplies: the kept columns (which the
// forward pass fills: fill_kept), the image itself (a single 1x1 image), or scratch unfolded now.
template <typename T>
ColumnBlock<T> columns_for(const T* x, const Problem& pr, int64_t g, int64_t n0, int64_t m, T* kept,
                           bool fill_kept) {
  if (kept != nullptr) {
    const ColumnBlock<T> block{kept + g * pr.batch * pr.image_columns, pr.batch, 0};
    if (fill_kept) unfold_chunk(x, pr, g, n0, m, block);
    return block;
  }
  if (pr.direct && m == 1) {  // read only: the GEMM multiplies the image in place
    return {const_cast<T*>(x) + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in, 1, n0};
  }
  const ColumnBlock<T> block{
      scratch<T>(Scratch::Columns, static_cast<size_t>(m * pr.image_columns)), m, n0};
  unfold_chunk(x, pr, g, n0, m, block);
  return block;
}

// Copies class q's pixels of group g of an NCHW output-shaped array, images [n0, n0 + m), into
// a (group_out, m * size(q)) matrix, image by image along the columns (the GEMM's layout).
template <typename T>
void gather_out(const T* y, const Problem& pr, int64_t g, int64_t n0, int64_t m, size_t q, T* mat) {
  const int64_t n = pr.size(q), ld = m * n;
  const int32_t* pixels = pr.classes[q].pixels.data();
  for (int64_t i = 0; i < m; ++i) {
    const T* src = y + ((n0 + i) * pr.out_channels + g * pr.group_out) * pr.hw_out;
    for (int64_t o = 0; o < pr.group_out; ++o) {
      const T* so = src + o * pr.hw_out;
      T* dst = mat + o * ld + i * n;
      if (pr.by_class) {
        for (int64_t p = 0; p < n; ++p)
          dst[p] = so[pixels[p]];
      } else {
        std::copy(so, so + n, dst);
      }
    }
  }
}

// Budget for kept columns per convolution. Every layer of ResNet9 on 32x32 images at batch 128
// fits (the largest, the 7x7 stem's, takes 4.8 MB), which is where unfolding costs most: small
// maps, gathered pixel by pixel. Large maps unfold in cheap row copies and their columns are
// big: keeping the 29 MB ones of the 14x14 layers of train_resnet's Fashion-MNIST model raised
// its peak memory from 430 to 640 MB for no measurable change in epoch time, and ResNet-18's
// wide layers (38-300 MB each at batch 128) would hold gigabytes.
constexpr size_t kKeptColumnsBudgetBytes = size_t(8) << 20;

// What do_conv2d_forward keeps for the backward pass (Conv2dSaved's state): the whole batch's
// column matrices, in memory of this backend, returned to it with the last reference.
struct KeptColumns {
  KeptColumns(Backend& backend, const Device& device, size_t nbytes, int64_t elements, DType dtype)
      : backend(backend),
        device(device),
        nbytes(nbytes),
        elements(elements),
        dtype(dtype),
        data(backend.allocate(nbytes, device)) {}
  ~KeptColumns() { backend.deallocate(data, nbytes, device); }
  KeptColumns(const KeptColumns&) = delete;
  KeptColumns& operator=(const KeptColumns&) = delete;

  Backend& backend;
  Device device;
  size_t nbytes;
  int64_t elements;
  DType dtype;
  void* data;
};

// The kept columns as T, or null when nothing was kept. A state made by a convolution of other
// shapes or dtype is a caller's bug (Conv2dSaved belongs to one forward call and its input).
template <typename T>
T* kept_columns(const KeptColumns* kept, const StridedView& input, const Problem& pr) {
  if (kept == nullptr) return nullptr;
  NEEDLE_CHECK(kept->elements == pr.batch_columns() && kept->dtype == input.dtype,
               "conv2d_backward: the saved state is from another convolution ({} {} columns, "
               "this one needs {} {})",
               kept->elements, dtype_name(kept->dtype), pr.batch_columns(),
               dtype_name(input.dtype));
  return static_cast<T*>(kept->data);
}

template <typename T>
void forward_typed(const StridedView& input, const StridedView& weight, const StridedView& bias,
                   const StridedView& out, const Problem& pr, T* kept) {
  const T* x = input.ptr<T>();
  std::vector<T> packed_weight;
  const T* w = pack_weight(weight.ptr<T>(), pr, packed_weight);
  const T* b = bias.data != nullptr ? bias.ptr<T>() : nullptr;
  T* y = out.ptr<T>();
  for_each_chunk<T>(pr, [&](int64_t n0, int64_t m, int) {
    for (int64_t g = 0; g < pr.geo.p.groups; ++g) {
      const ColumnBlock<T> block = columns_for(x, pr, g, n0, m, kept, true);
      T* yg = y + (n0 * pr.out_channels + g * pr.group_out) * pr.hw_out;
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        const int64_t n = pr.size(q), ld = m * n;
        const int32_t* pixels = pr.classes[q].pixels.data();
        // A single image's whole-map product (group_out, hw_out) is already its NCHW output, so
        // the GEMM writes it in place; otherwise it goes through scratch. A class with no live
        // tap reads padding only: its pixels are the bias.
        const bool in_place = !pr.by_class && m == 1;
        T* prod =
            in_place ? yg : scratch<T>(Scratch::Product, static_cast<size_t>(pr.group_out * ld));
        if (pr.k(q) > 0) {
          gemm(CblasNoTrans, CblasNoTrans, pr.group_out, ld, pr.k(q),
               w + pr.weight_start[q] + g * pr.group_out * pr.k(q), pr.k(q), block.at(pr, q, n0),
               block.ld(pr, q), T(0), prod, ld);
        } else {
          std::fill(prod, prod + pr.group_out * ld, T(0));
        }
        // Scatter (group_out, m * size) back to NCHW, adding the bias.
        for (int64_t i = 0; i < m; ++i) {
          T* yi = yg + i * pr.out_channels * pr.hw_out;
          for (int64_t o = 0; o < pr.group_out; ++o) {
            const T bo = b != nullptr ? b[g * pr.group_out + o] : T(0);
            const T* src = prod + o * ld + i * n;
            T* dst = yi + o * pr.hw_out;
            if (pr.by_class) {
              for (int64_t p = 0; p < n; ++p)
                dst[pixels[p]] = src[p] + bo;
            } else {
              for (int64_t p = 0; p < n; ++p)
                dst[p] = src[p] + bo;
            }
          }
        }
      }
    }
  });
}

// The gradients of one convolution, any subset of them, in one pass over grad_out: each class
// of each chunk of dy is gathered once and feeds the input gradient (dcol = W_q^T dy_q, folded
// back), the weight gradient (dW_q += dy_q cols_q^T) and the bias gradient (row sums of dy_q).
// Null pointers are gradients not asked for; `kept` is the forward's columns or null.
template <typename T>
struct Gradients {
  T* dx = nullptr;
  T* dw = nullptr;
  T* db = nullptr;
};

template <typename T>
void backward_typed(const Problem& pr, const T* dy, const T* x, const T* weight, const T* kept,
                    Gradients<T> out) {
  std::vector<T> packed_weight;
  const T* w = out.dx != nullptr ? pack_weight(weight, pr, packed_weight) : nullptr;
  // Per-thread accumulators: the packed weight gradient (one (out, k) block per class), then
  // the bias gradient. Thread 0 adds into `sums`, the others into their kept scratch, and the
  // partial sums are added up at the end.
  const int64_t wsize = out.dw != nullptr ? pr.packed_weight : 0;
  const int64_t asize = wsize + (out.db != nullptr ? pr.out_channels : 0);
  std::vector<T> sums;
  resize_scratch(sums, static_cast<size_t>(asize), "conv2d");
  const int threads = static_cast<int>(std::min<int64_t>(max_threads(), pr.batch));
  std::vector<T*> partial(static_cast<size_t>(std::max(threads, 1)), nullptr);
  partial[0] = sums.data();
  const int64_t image_stride = pr.in_channels * pr.hw_in, plane = pr.group_in * pr.hw_in;
  for_each_chunk<T>(pr, [&](int64_t n0, int64_t m, int tid) {
    T*& acc = partial[static_cast<size_t>(tid)];
    if (acc == nullptr) {
      acc = scratch<T>(Scratch::GradAccumulator, static_cast<size_t>(asize));
      std::fill(acc, acc + asize, T(0));
    }
    for (int64_t g = 0; g < pr.geo.p.groups; ++g) {
      // The columns the weight gradient multiplies (the forward's, when it kept them).
      const ColumnBlock<T> block = out.dw != nullptr
                                       ? columns_for(x, pr, g, n0, m, const_cast<T*>(kept), false)
                                       : ColumnBlock<T>{};
      // The input gradient: a single 1x1 image's GEMM writes dx itself; small classes fold
      // into a pixel-major copy of the chunk (im2col.h), which is written (or, when some class
      // folds straight into dx, added) into dx at the end.
      T* dxg =
          out.dx != nullptr ? out.dx + (n0 * pr.in_channels + g * pr.group_in) * pr.hw_in : nullptr;
      const bool dx_by_gemm = dxg != nullptr && pr.direct && m == 1;
      T* xt = dxg != nullptr && pr.pixel_major
                  ? scratch<T>(Scratch::PixelMajor, static_cast<size_t>(m * plane))
                  : nullptr;
      if (xt != nullptr) std::fill(xt, xt + m * plane, T(0));
      if (dxg != nullptr && !dx_by_gemm && !pr.all_pixel_major) {
        for (int64_t i = 0; i < m; ++i)
          std::fill(dxg + i * image_stride, dxg + i * image_stride + plane, T(0));
      }
      for (size_t q = 0; q < pr.classes.size(); ++q) {
        const int64_t n = pr.size(q), ld = m * n, k = pr.k(q);
        if (k == 0 && out.db == nullptr) continue;  // pixels that read padding only
        const T* dyq = dy + (n0 * pr.out_channels + g * pr.group_out) * pr.hw_out;
        if (pr.by_class || m > 1) {
          T* gathered = scratch<T>(Scratch::Product, static_cast<size_t>(pr.group_out * ld));
          gather_out(dy, pr, g, n0, m, q, gathered);
          dyq = gathered;
        }
        if (out.db != nullptr) {
          T* dbg = acc + wsize + g * pr.group_out;
          for (int64_t o = 0; o < pr.group_out; ++o) {
            const T* row = dyq + o * ld;
            T total = T(0);
            for (int64_t p = 0; p < ld; ++p)
              total += row[p];
            dbg[o] += total;
          }
        }
        if (k == 0) continue;
        if (out.dw != nullptr) {
          // dW_q (group_out, k) += dy_q (group_out, m * size) @ cols_q^T (m * size, k).
          gemm(CblasNoTrans, CblasTrans, pr.group_out, k, ld, dyq, ld, block.at(pr, q, n0),
               block.ld(pr, q), T(1), acc + pr.weight_start[q] + g * pr.group_out * k, k);
        }
        if (dxg == nullptr) continue;
        // dcol (k, m * size) = W_q^T (k, group_out) @ dy_q (group_out, m * size).
        const T* wq = w + pr.weight_start[q] + g * pr.group_out * k;
        if (dx_by_gemm) {
          gemm(CblasTrans, CblasNoTrans, k, ld, pr.group_out, wq, k, dyq, ld, T(0), dxg, ld);
          continue;
        }
        T* dcol = scratch<T>(Scratch::ColumnGradient, static_cast<size_t>(k * ld));
        gemm(CblasTrans, CblasNoTrans, k, ld, pr.group_out, wq, k, dyq, ld, T(0), dcol, ld);
        if (pr.by_class) {
          col2im_class(dcol, m, pr.geo, pr.classes[q], dxg, image_stride, xt, ld);
        } else {
          for (int64_t i = 0; i < m; ++i)
            col2im(dcol + i * n, pr.geo, dxg + i * image_stride, ld);
        }
      }
      if (xt != nullptr) {
        if (pr.all_pixel_major) {
          from_pixel_major(xt, m, plane, dxg, image_stride);
        } else {
          add_from_pixel_major(xt, m, plane, dxg, image_stride);
        }
      }
    }
  });
  for (size_t t = 1; t < partial.size(); ++t) {
    const T* part = partial[t];
    if (part == nullptr) continue;  // a thread that got no images
#pragma omp parallel for schedule(static) if (asize >= kParallelThreshold)
    for (int64_t i = 0; i < asize; ++i)
      sums[static_cast<size_t>(i)] += part[i];
  }
  if (out.dw != nullptr) {
    if (pr.packed) {
      unpack_weight_grad(sums.data(), pr, out.dw);
    } else {
      std::copy(sums.data(), sums.data() + wsize, out.dw);
    }
  }
  if (out.db != nullptr) std::copy(sums.data() + wsize, sums.data() + asize, out.db);
}

}  // namespace

Conv2dSaved CpuBackend::do_conv2d_forward(const StridedView& input, const StridedView& weight,
                                          const StridedView& bias, const StridedView& out,
                                          const Conv2dParams& params, bool save_for_backward) {
  const auto problem = problem_for(input.shape, weight.shape, out.shape, params);
  const Problem& pr = *problem;
  std::shared_ptr<KeptColumns> kept;
  // A direct problem's unfolding is a plain copy of the input: nothing worth keeping.
  const size_t kept_bytes = static_cast<size_t>(pr.batch_columns()) * dtype_size(input.dtype);
  if (save_for_backward && !pr.direct && kept_bytes <= kKeptColumnsBudgetBytes) {
    kept = std::make_shared<KeptColumns>(*this, input.device, kept_bytes, pr.batch_columns(),
                                         input.dtype);
  }
  dispatch_floating(input.dtype, "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    forward_typed<T>(input, weight, bias, out, pr, kept_columns<T>(kept.get(), input, pr));
  });
  return Conv2dSaved(std::move(kept));
}

void CpuBackend::do_conv2d_backward_input(const StridedView& grad_out, const StridedView& weight,
                                          const StridedView& grad_input,
                                          const Conv2dParams& params) {
  // Qualified: the fused pass itself, also for a subclass that replaces do_conv2d_backward.
  CpuBackend::do_conv2d_backward(grad_out, StridedView{}, weight, grad_input, StridedView{},
                                 StridedView{}, params, Conv2dSaved{});
}

void CpuBackend::do_conv2d_backward_weight(const StridedView& input, const StridedView& grad_out,
                                           const StridedView& grad_weight,
                                           const Conv2dParams& params) {
  CpuBackend::do_conv2d_backward(grad_out, input, StridedView{}, StridedView{}, grad_weight,
                                 StridedView{}, params, Conv2dSaved{});
}

void CpuBackend::do_conv2d_backward(const StridedView& grad_out, const StridedView& input,
                                    const StridedView& weight, const StridedView& grad_input,
                                    const StridedView& grad_weight, const StridedView& grad_bias,
                                    const Conv2dParams& params, const Conv2dSaved& saved) {
  const char* op = "conv2d_backward";
  // The input and weight shapes come from whichever of them the asked-for gradients need.
  const StridedView& in = input.data != nullptr ? input : grad_input;
  const StridedView& w = weight.data != nullptr ? weight : grad_weight;
  const auto problem = problem_for(in.shape, w.shape, grad_out.shape, params);
  const Problem& pr = *problem;
  const auto* kept_state = static_cast<const KeptColumns*>(saved.state());
  dispatch_floating(grad_out.dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto ptr = [](const StridedView& v) { return v.data != nullptr ? v.ptr<T>() : nullptr; };
    const T* kept = grad_weight.data != nullptr ? kept_columns<T>(kept_state, input, pr) : nullptr;
    backward_typed<T>(pr, grad_out.ptr<T>(), ptr(input), ptr(weight), kept,
                      Gradients<T>{ptr(grad_input), ptr(grad_weight), ptr(grad_bias)});
  });
}

}  // namespace needle::cpu_backend

// The differentiable ops on Tensors: free functions and operators, NumPy broadcasting for the
// elementwise ones. Every op here has a gradient (see op_table.h for the list the tests check);
// axes = {} means all axes and negative axes count from the end.
#pragma once

#include <cstdint>
#include <vector>

#include "needle/ndarray.h"
#include "needle/tensor.h"

namespace needle {

// --- elementwise -------------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor negate(const Tensor& a);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double s);
Tensor operator-(const Tensor& a, double s);
Tensor operator*(const Tensor& a, double s);
Tensor operator/(const Tensor& a, double s);
Tensor operator+(double s, const Tensor& a);
Tensor operator-(double s, const Tensor& a);
Tensor operator*(double s, const Tensor& a);
Tensor operator/(double s, const Tensor& a);
Tensor operator-(const Tensor& a);

// a ** exponent for a scalar exponent (any real: 2, 0.5, -1.5).
Tensor pow(const Tensor& a, double exponent);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
// max(a, 0); its derivative at 0 is 0.
Tensor relu(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
// 1 / a.
Tensor reciprocal(const Tensor& a);
// log(1 + a) and exp(a) - 1, accurate where a is tiny (where 1 + a rounds to 1).
Tensor log1p(const Tensor& a);
Tensor expm1(const Tensor& a);
// The error function, and the activations of Transformers: gelu(x) = x Phi(x), Phi the standard
// normal CDF (PyTorch's F.gelu; GeluApproximation::Tanh is its approximate="tanh"), and
// silu(x) = x sigmoid(x) (F.silu, "swish").
Tensor erf(const Tensor& a);
enum class GeluApproximation { None, Tanh };
Tensor gelu(const Tensor& a, GeluApproximation approximate = GeluApproximation::None);
Tensor silu(const Tensor& a);
// Elementwise maximum; where a == b each side gets half the gradient (as PyTorch).
Tensor maximum(const Tensor& a, const Tensor& b);

// --- masking ----------------------------------------------------------------------------------
// cond ? a : b elementwise with broadcasting (torch.where). cond is a Bool tensor and gets no
// gradient; a and b get g where cond holds (does not).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// a with `value` wherever mask (Bool, broadcast to a's shape) is true (Tensor.masked_fill).
Tensor masked_fill(const Tensor& a, const Tensor& mask, double value);
// The lower / upper triangle of the last two axes (torch.tril / torch.triu): element (i, j) is
// kept where j - i <= k (tril) or j - i >= k (triu), and is 0 elsewhere. tril(ones(T, T)) is the
// causal mask of attention.
Tensor tril(const Tensor& a, int64_t k = 0);
Tensor triu(const Tensor& a, int64_t k = 0);

// --- reductions --------------------------------------------------------------------------------
Tensor sum(const Tensor& a, const Axes& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& a, const Axes& axes = {}, bool keepdims = false);
// The gradient is split evenly between tied maxima (as torch.amax).
Tensor max(const Tensor& a, const Axes& axes = {}, bool keepdims = false);
// log(sum(exp(a))) over the axes, computed as m + log(sum(exp(a - m))) with m the maximum.
Tensor logsumexp(const Tensor& a, const Axes& axes = {}, bool keepdims = false);
// softmax(a) = exp(a - logsumexp(a)) and log_softmax(a) = a - logsumexp(a) along `axis`
// (negative counts from the end), each one fused kernel forward and backward (F.softmax,
// F.log_softmax). A row holding +inf, NaN or only -inf gives NaN, as in PyTorch.
Tensor softmax(const Tensor& a, int64_t axis = -1);
Tensor log_softmax(const Tensor& a, int64_t axis = -1);

// --- linear algebra ----------------------------------------------------------------------------
// 1-D and 2-D as NumPy; N-D batched with broadcasting of the batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);

// --- shape -------------------------------------------------------------------------------------
// One dimension may be -1. A view when the strides allow it.
Tensor reshape(const Tensor& a, const Shape& shape);
// Swaps the last two axes (or axis0 and axis1).
Tensor transpose(const Tensor& a);
Tensor transpose(const Tensor& a, int64_t axis0, int64_t axis1);
Tensor permute(const Tensor& a, const Axes& axes);
Tensor broadcast_to(const Tensor& a, const Shape& shape);
Tensor unsqueeze(const Tensor& a, int64_t axis);
// Removes the given size-1 axes (all size-1 axes when `axes` is empty).
Tensor squeeze(const Tensor& a, const Axes& axes = {});
// Joins equal-shaped tensors along a new axis.
Tensor stack(const std::vector<Tensor>& tensors, int64_t axis = 0);
// Joins tensors along an existing axis (the other dims must agree).
Tensor concatenate(const std::vector<Tensor>& tensors, int64_t axis = 0);
// needle's split: one tensor per position along `axis`, with that axis removed (the inverse of
// stack; torch.unbind).
std::vector<Tensor> split(const Tensor& a, int64_t axis = 0);
Tensor flip(const Tensor& a, const Axes& axes);
// Inserts `dilation` zeros after every element along each axis (size n -> n * (dilation + 1)).
Tensor dilate(const Tensor& a, const Axes& axes, int64_t dilation);
// Keeps every (dilation + 1)-th element along each axis.
Tensor undilate(const Tensor& a, const Axes& axes, int64_t dilation);

// --- indexing ----------------------------------------------------------------------------------
// a[slices...] with one Python-style Slice per leading axis, dimensions kept; the gradient is
// scattered into zeros.
Tensor slice(const Tensor& a, const std::vector<Slice>& slices);
// a[index] along `axis`, which is dropped.
Tensor select(const Tensor& a, int64_t axis, int64_t index);
// torch.gather: out[i][j][k] = a[i][index[i][j][k]][k] for axis 1. `index` is an integer tensor
// of a's rank whose other dims are at most a's; the gradient scatter-adds into a's shape. An
// index out of range is an IndexError, on a GPU thrown at the next host wait (as one_hot's).
Tensor gather(const Tensor& a, int64_t axis, const Tensor& index);
// A (labels.shape..., num_classes) tensor of 0/1 in `dtype`; labels are integers in
// [0, num_classes). Not differentiable (labels are integers). A label out of range is an
// IndexError naming it and its position: on the CPU thrown at once; on a GPU checked there and
// thrown at the next point where the host waits for it (nn::SoftmaxLoss, loss.h, explains why).
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::Float32);

}  // namespace needle

// Elementwise ops: arithmetic with broadcasting (tensor-tensor, tensor-scalar, scalar-tensor),
// negate, pow by a scalar, exp, log, sqrt, relu, tanh, sigmoid, sin, cos, reciprocal, log1p,
// expm1, erf, gelu (exact and tanh), silu, maximum. Each op's forward and
// gradient sit together; gradients of broadcast inputs are summed back to the input's shape.
#include <vector>

#include "needle/op.h"
#include "needle/ops.h"
#include "src/autograd/ops/cases.h"
#include "src/autograd/record.h"

namespace needle {
namespace {

using autograd::apply_op;
using autograd::constant;
using autograd::sum_to;
using Grads = std::vector<Tensor>;

const Tensor& input(const Tensor& out, size_t i) {
  return out.node()->inputs[i];
}

// --- tensor-tensor ----------------------------------------------------------------------------
struct AddOp final : Op {
  const char* name() const override { return "add"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return a + b; }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {sum_to(g, input(out, 0).shape()), sum_to(g, input(out, 1).shape())};
  }
};

struct SubOp final : Op {
  const char* name() const override { return "sub"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return a - b; }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {sum_to(g, input(out, 0).shape()), sum_to(-g, input(out, 1).shape())};
  }
};

struct MulOp final : Op {
  const char* name() const override { return "mul"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return a * b; }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = input(out, 0);
    const Tensor& b = input(out, 1);
    return {a.requires_grad() ? sum_to(g * b, a.shape()) : Tensor(),
            b.requires_grad() ? sum_to(g * a, b.shape()) : Tensor()};
  }
};

struct DivOp final : Op {
  const char* name() const override { return "div"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return a / b; }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = input(out, 0);
    const Tensor& b = input(out, 1);
    // d(a/b)/db = -a/b² = -out/b.
    return {a.requires_grad() ? sum_to(g / b, a.shape()) : Tensor(),
            b.requires_grad() ? sum_to(-(g * out) / b, b.shape()) : Tensor()};
  }
};

struct MaximumOp final : Op {
  const char* name() const override { return "maximum"; }
  NDArray compute(const NDArray& a, const NDArray& b) const { return needle::maximum(a, b); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const NDArray& a = input(out, 0).data();
    const NDArray& b = input(out, 1).data();
    // Ties split the gradient in half, as PyTorch does. The masks are constants: maximum is
    // piecewise linear, so its second derivative is zero almost everywhere.
    NDArray wa = gt(a, b).astype(a.dtype()) + eq(a, b).astype(a.dtype()) * 0.5;
    NDArray wb = 1.0 - wa;
    return {sum_to(g * constant(wa), input(out, 0).shape()),
            sum_to(g * constant(wb), input(out, 1).shape())};
  }
};

// --- tensor-scalar ----------------------------------------------------------------------------
struct AddScalarOp final : Op {
  double s;
  explicit AddScalarOp(double s_) : s(s_) {}
  const char* name() const override { return "add_scalar"; }
  NDArray compute(const NDArray& a) const { return a + s; }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {g}; }
};

struct MulScalarOp final : Op {
  double s;
  explicit MulScalarOp(double s_) : s(s_) {}
  const char* name() const override { return "mul_scalar"; }
  NDArray compute(const NDArray& a) const { return a * s; }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {g * s}; }
};

struct DivScalarOp final : Op {
  double s;
  explicit DivScalarOp(double s_) : s(s_) {}
  const char* name() const override { return "div_scalar"; }
  NDArray compute(const NDArray& a) const { return a / s; }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {g / s}; }
};

// s - a
struct RSubScalarOp final : Op {
  double s;
  explicit RSubScalarOp(double s_) : s(s_) {}
  const char* name() const override { return "rsub_scalar"; }
  NDArray compute(const NDArray& a) const { return s - a; }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {-g}; }
};

// s / a
struct RDivScalarOp final : Op {
  double s;
  explicit RDivScalarOp(double s_) : s(s_) {}
  const char* name() const override { return "rdiv_scalar"; }
  NDArray compute(const NDArray& a) const { return s / a; }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {-(g * out) / input(out, 0)};  // d(s/a)/da = -s/a² = -out/a
  }
};

struct PowScalarOp final : Op {
  double n;
  explicit PowScalarOp(double n_) : n(n_) {}
  const char* name() const override { return "pow"; }
  NDArray compute(const NDArray& a) const { return needle::pow(a, n); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    if (n == 0.0) return {g * 0.0};
    if (n == 1.0) return {g};
    return {g * (needle::pow(input(out, 0), n - 1.0) * n)};
  }
};

// --- unary ------------------------------------------------------------------------------------
struct NegOp final : Op {
  const char* name() const override { return "negate"; }
  NDArray compute(const NDArray& a) const { return -a; }
  Grads gradient(const Tensor& g, const Tensor&) const override { return {-g}; }
};

struct ExpOp final : Op {
  const char* name() const override { return "exp"; }
  NDArray compute(const NDArray& a) const { return needle::exp(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override { return {g * out}; }
};

struct LogOp final : Op {
  const char* name() const override { return "log"; }
  NDArray compute(const NDArray& a) const { return needle::log(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override { return {g / input(out, 0)}; }
};

struct SqrtOp final : Op {
  const char* name() const override { return "sqrt"; }
  NDArray compute(const NDArray& a) const { return needle::sqrt(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override { return {g / (out * 2.0)}; }
};

struct ReluOp final : Op {
  const char* name() const override { return "relu"; }
  NDArray compute(const NDArray& a) const { return needle::relu(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    // A constant mask: relu is not twice differentiable, and its derivative at 0 is 0. The mask
    // is sign(relu(a)) (1 where a > 0, else 0, NaN included), from the output in one pass.
    return {g * constant(sign(out.data()))};
  }
};

struct TanhOp final : Op {
  const char* name() const override { return "tanh"; }
  NDArray compute(const NDArray& a) const { return needle::tanh(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g * (1.0 - out * out)};
  }
};

struct SigmoidOp final : Op {
  const char* name() const override { return "sigmoid"; }
  NDArray compute(const NDArray& a) const { return needle::sigmoid(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g * (out * (1.0 - out))};
  }
};

struct SinOp final : Op {
  const char* name() const override { return "sin"; }
  NDArray compute(const NDArray& a) const { return needle::sin(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g * cos(input(out, 0))};
  }
};

struct CosOp final : Op {
  const char* name() const override { return "cos"; }
  NDArray compute(const NDArray& a) const { return needle::cos(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g * -sin(input(out, 0))};
  }
};

struct ReciprocalOp final : Op {
  const char* name() const override { return "reciprocal"; }
  NDArray compute(const NDArray& a) const { return needle::reciprocal(a); }
  // d(1/a)/da = -1/a² = -out².
  Grads gradient(const Tensor& g, const Tensor& out) const override { return {g * -(out * out)}; }
};

struct Log1pOp final : Op {
  const char* name() const override { return "log1p"; }
  NDArray compute(const NDArray& a) const { return needle::log1p(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    return {g / (input(out, 0) + 1.0)};
  }
};

struct Expm1Op final : Op {
  const char* name() const override { return "expm1"; }
  NDArray compute(const NDArray& a) const { return needle::expm1(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override { return {g * (out + 1.0)}; }
};

constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)
constexpr double kInvSqrt2 = 0.70710678118654752440;       // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;     // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;    // sqrt(2 / pi)
constexpr double kGeluTanhCubic = 0.044715;

struct ErfOp final : Op {
  const char* name() const override { return "erf"; }
  NDArray compute(const NDArray& a) const { return needle::erf(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& a = input(out, 0);
    return {g * (exp(-(a * a)) * kTwoOverSqrtPi)};
  }
};

// gelu(x) = x Phi(x); d/dx = Phi(x) + x phi(x), phi the standard normal density.
struct GeluOp final : Op {
  const char* name() const override { return "gelu"; }
  NDArray compute(const NDArray& a) const { return needle::gelu(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& x = input(out, 0);
    const Tensor cdf = (erf(x * kInvSqrt2) + 1.0) * 0.5;
    const Tensor pdf = exp(x * x * -0.5) * kInvSqrt2Pi;
    return {g * (cdf + x * pdf)};
  }
};

// gelu_tanh(x) = x (1 + t) / 2 with t = tanh(u), u = sqrt(2 / pi) (x + 0.044715 x^3);
// d/dx = (1 + t) / 2 + x (1 - t^2) u' / 2, u' = sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
struct GeluTanhOp final : Op {
  const char* name() const override { return "gelu_tanh"; }
  NDArray compute(const NDArray& a) const { return needle::gelu_tanh(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& x = input(out, 0);
    const Tensor x2 = x * x;
    const Tensor t = tanh((x + x2 * x * kGeluTanhCubic) * kSqrt2OverPi);
    const Tensor du = (x2 * (3.0 * kGeluTanhCubic) + 1.0) * kSqrt2OverPi;
    return {g * ((t + 1.0) * 0.5 + x * (1.0 - t * t) * du * 0.5)};
  }
};

// silu(x) = x sigmoid(x); d/dx = s (1 + x (1 - s)), s = sigmoid(x).
struct SiluOp final : Op {
  const char* name() const override { return "silu"; }
  NDArray compute(const NDArray& a) const { return needle::silu(a); }
  Grads gradient(const Tensor& g, const Tensor& out) const override {
    const Tensor& x = input(out, 0);
    const Tensor s = sigmoid(x);
    return {g * (s * (x * (1.0 - s) + 1.0))};
  }
};

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return apply_op(AddOp{}, a, b);
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return apply_op(SubOp{}, a, b);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return apply_op(MulOp{}, a, b);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return apply_op(DivOp{}, a, b);
}
Tensor negate(const Tensor& a) {
  return apply_op(NegOp{}, a);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return apply_op(MaximumOp{}, a, b);
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& a) {
  return negate(a);
}

Tensor operator+(const Tensor& a, double s) {
  return apply_op(AddScalarOp(s), a);
}
Tensor operator-(const Tensor& a, double s) {
  return apply_op(AddScalarOp(-s), a);
}
Tensor operator*(const Tensor& a, double s) {
  return apply_op(MulScalarOp(s), a);
}
Tensor operator/(const Tensor& a, double s) {
  return apply_op(DivScalarOp(s), a);
}
Tensor operator+(double s, const Tensor& a) {
  return apply_op(AddScalarOp(s), a);
}
Tensor operator-(double s, const Tensor& a) {
  return apply_op(RSubScalarOp(s), a);
}
Tensor operator*(double s, const Tensor& a) {
  return apply_op(MulScalarOp(s), a);
}
Tensor operator/(double s, const Tensor& a) {
  return apply_op(RDivScalarOp(s), a);
}

Tensor pow(const Tensor& a, double exponent) {
  return apply_op(PowScalarOp(exponent), a);
}
Tensor exp(const Tensor& a) {
  return apply_op(ExpOp{}, a);
}
Tensor log(const Tensor& a) {
  return apply_op(LogOp{}, a);
}
Tensor sqrt(const Tensor& a) {
  return apply_op(SqrtOp{}, a);
}
Tensor relu(const Tensor& a) {
  return apply_op(ReluOp{}, a);
}
Tensor tanh(const Tensor& a) {
  return apply_op(TanhOp{}, a);
}
Tensor sigmoid(const Tensor& a) {
  return apply_op(SigmoidOp{}, a);
}
Tensor sin(const Tensor& a) {
  return apply_op(SinOp{}, a);
}
Tensor cos(const Tensor& a) {
  return apply_op(CosOp{}, a);
}
Tensor reciprocal(const Tensor& a) {
  return apply_op(ReciprocalOp{}, a);
}
Tensor log1p(const Tensor& a) {
  return apply_op(Log1pOp{}, a);
}
Tensor expm1(const Tensor& a) {
  return apply_op(Expm1Op{}, a);
}
Tensor erf(const Tensor& a) {
  return apply_op(ErfOp{}, a);
}
Tensor gelu(const Tensor& a, GeluApproximation approximate) {
  if (approximate == GeluApproximation::Tanh) return apply_op(GeluTanhOp{}, a);
  return apply_op(GeluOp{}, a);
}
Tensor silu(const Tensor& a) {
  return apply_op(SiluOp{}, a);
}

namespace {
using autograd::cases::Inputs;
using autograd::cases::uniform;

const autograd::cases::Registrar registrar({
    {"add", 2, uniform({{3, 4}, {3, 4}}), [](const Inputs& x) { return x[0] + x[1]; }},
    {"add/broadcast", 2, uniform({{3, 4}, {4}}), [](const Inputs& x) { return x[0] + x[1]; }},
    {"add/broadcast_both", 2, uniform({{3, 1}, {2, 1, 4}}),
     [](const Inputs& x) { return x[0] + x[1]; }},
    {"sub", 2, uniform({{3, 4}, {3, 4}}), [](const Inputs& x) { return x[0] - x[1]; }},
    {"sub/broadcast", 2, uniform({{4}, {3, 4}}), [](const Inputs& x) { return x[0] - x[1]; }},
    {"mul", 2, uniform({{3, 4}, {3, 4}}), [](const Inputs& x) { return x[0] * x[1]; }},
    {"mul/broadcast", 2, uniform({{2, 3, 4}, {3, 1}}), [](const Inputs& x) { return x[0] * x[1]; }},
    {"div", 2,
     [](DType dt) {
       return Inputs{Tensor(NDArray::rand({3, 4}, -1, 1, dt)),
                     Tensor(NDArray::rand({3, 4}, 0.5, 2, dt))};
     },
     [](const Inputs& x) { return x[0] / x[1]; }},
    {"div/broadcast", 2,
     [](DType dt) {
       return Inputs{Tensor(NDArray::rand({3, 4}, -1, 1, dt)),
                     Tensor(NDArray::rand({3, 1}, 0.5, 2, dt))};
     },
     [](const Inputs& x) { return x[0] / x[1]; }},
    {"maximum", 2, uniform({{3, 4}, {3, 4}}), [](const Inputs& x) { return maximum(x[0], x[1]); },
     false},
    {"maximum/broadcast", 2, uniform({{3, 4}, {4}}),
     [](const Inputs& x) { return maximum(x[0], x[1]); }, false},
    {"add_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0] + 1.5; }},
    {"sub_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0] - 1.5; }},
    {"rsub_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return 2.0 - x[0]; }},
    {"mul_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0] * 3.0; }},
    {"rmul_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return -2.0 * x[0]; }},
    {"div_scalar", 1, uniform({{3, 4}}), [](const Inputs& x) { return x[0] / 3.0; }},
    {"rdiv_scalar", 1, uniform({{3, 4}}, 0.5, 2.0), [](const Inputs& x) { return 2.0 / x[0]; }},
    {"negate", 1, uniform({{3, 4}}), [](const Inputs& x) { return -x[0]; }},
    {"pow/3", 1, uniform({{3, 4}}), [](const Inputs& x) { return pow(x[0], 3.0); }},
    {"pow/0.5", 1, uniform({{3, 4}}, 0.5, 2.0), [](const Inputs& x) { return pow(x[0], 0.5); }},
    {"pow/-1.5", 1, uniform({{3, 4}}, 0.5, 2.0), [](const Inputs& x) { return pow(x[0], -1.5); }},
    {"exp", 1, uniform({{3, 4}}), [](const Inputs& x) { return exp(x[0]); }},
    {"log", 1, uniform({{3, 4}}, 0.5, 2.0), [](const Inputs& x) { return log(x[0]); }},
    {"sqrt", 1, uniform({{3, 4}}, 0.5, 2.0), [](const Inputs& x) { return sqrt(x[0]); }},
    {"relu", 1, uniform({{3, 4}}), [](const Inputs& x) { return relu(x[0]); }, false},
    {"tanh", 1, uniform({{3, 4}}), [](const Inputs& x) { return tanh(x[0]); }},
    {"sigmoid", 1, uniform({{3, 4}}), [](const Inputs& x) { return sigmoid(x[0]); }},
    {"sin", 1, uniform({{3, 4}}, -3.0, 3.0), [](const Inputs& x) { return sin(x[0]); }},
    {"cos", 1, uniform({{3, 4}}, -3.0, 3.0), [](const Inputs& x) { return cos(x[0]); }},
    {"reciprocal", 1, uniform({{3, 4}}, 0.5, 2.0),
     [](const Inputs& x) { return reciprocal(x[0]); }},
    {"log1p", 1, uniform({{3, 4}}, -0.5, 2.0), [](const Inputs& x) { return log1p(x[0]); }},
    {"expm1", 1, uniform({{3, 4}}), [](const Inputs& x) { return expm1(x[0]); }},
    {"erf", 1, uniform({{3, 4}}, -2.0, 2.0), [](const Inputs& x) { return erf(x[0]); }},
    {"gelu", 1, uniform({{3, 4}}, -3.0, 3.0), [](const Inputs& x) { return gelu(x[0]); }},
    {"gelu/tanh", 1, uniform({{3, 4}}, -3.0, 3.0),
     [](const Inputs& x) { return gelu(x[0], GeluApproximation::Tanh); }},
    {"silu", 1, uniform({{3, 4}}, -3.0, 3.0), [](const Inputs& x) { return silu(x[0]); }},
});

}  // namespace
}  // namespace needle

// The seam's vocabulary, written once: every element type and every kernel op code, as X-macro
// lists. The enums, names and dtype rules below, the CPU and CUDA dispatch (visit_op), the
// conformance suite's loops and the error messages are all generated from these lists, so adding
// an op is one line here plus its scalar formula (backends/common/scalar_ops.h).
//
// Dependency-free C++17 on purpose: device code (kernels/*.cu) includes it too, so no CUDA-side
// mirror of these enums exists to drift.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

// X(Enumerator, "name", C++ element type, bytes). bool is stored as one byte per element.
#define NEEDLE_DTYPES(X)           \
  X(Float32, "float32", float, 4)  \
  X(Float64, "float64", double, 8) \
  X(Int32, "int32", int32_t, 4)    \
  X(Int64, "int64", int64_t, 8)    \
  X(UInt8, "uint8", uint8_t, 1)    \
  X(Bool, "bool", bool, 1)

// X(Enumerator, "name", inputs it accepts, output dtype). Domain Floating: defined only on
// floating values (exp of an integer has no integer answer), refused for other dtypes by the
// dispatch front. Result Bool: a mask. The order is the enum's: append new ops anywhere, nothing
// depends on the numbers.
#define NEEDLE_UNARY_OPS(X)                          \
  X(Neg, "neg", Any, SameAsInput)                    \
  X(Exp, "exp", Floating, SameAsInput)               \
  X(Log, "log", Floating, SameAsInput)               \
  X(Sqrt, "sqrt", Floating, SameAsInput)             \
  X(Tanh, "tanh", Floating, SameAsInput)             \
  X(Sigmoid, "sigmoid", Floating, SameAsInput)       \
  X(Relu, "relu", Any, SameAsInput)                  \
  X(Abs, "abs", Any, SameAsInput)                    \
  X(Sign, "sign", Any, SameAsInput)                  \
  X(Sin, "sin", Floating, SameAsInput)               \
  X(Cos, "cos", Floating, SameAsInput)               \
  X(Square, "square", Any, SameAsInput)              \
  X(Reciprocal, "reciprocal", Floating, SameAsInput) \
  X(Log1p, "log1p", Floating, SameAsInput)           \
  X(Expm1, "expm1", Floating, SameAsInput)           \
  X(Erf, "erf", Floating, SameAsInput)               \
  X(Gelu, "gelu", Floating, SameAsInput)             \
  X(GeluTanh, "gelu_tanh", Floating, SameAsInput)    \
  X(Silu, "silu", Floating, SameAsInput)             \
  X(LogicalNot, "logical_not", Any, Bool)

// Binary ops take two operands of one dtype (or one operand and a scalar converted to it).
#define NEEDLE_BINARY_OPS(X)              \
  X(Add, "add", Any, SameAsInput)         \
  X(Sub, "sub", Any, SameAsInput)         \
  X(Mul, "mul", Any, SameAsInput)         \
  X(Div, "div", Any, SameAsInput)         \
  X(Pow, "pow", Any, SameAsInput)         \
  X(Maximum, "maximum", Any, SameAsInput) \
  X(Minimum, "minimum", Any, SameAsInput) \
  X(Eq, "eq", Any, Bool)                  \
  X(Ne, "ne", Any, Bool)                  \
  X(Lt, "lt", Any, Bool)                  \
  X(Le, "le", Any, Bool)                  \
  X(Gt, "gt", Any, Bool)                  \
  X(Ge, "ge", Any, Bool)

// Reductions over a set of axes; the arg- ones take one axis and give Int64 indices (the first
// extremum wins, as in NumPy).
#define NEEDLE_REDUCE_OPS(X)      \
  X(Sum, "sum", Any, SameAsInput) \
  X(Max, "max", Any, SameAsInput) \
  X(Min, "min", Any, SameAsInput) \
  X(Argmax, "argmax", Any, Int64) \
  X(Argmin, "argmin", Any, Int64)

namespace needle {

enum class DType : uint8_t {
#define NEEDLE_X(e, name, type, bytes) e,
  NEEDLE_DTYPES(NEEDLE_X)
#undef NEEDLE_X
};

// Which input dtypes an op accepts, and which dtype it writes.
enum class OpDomain : uint8_t { Any, Floating };
enum class OpResult : uint8_t { SameAsInput, Bool, Int64 };

#define NEEDLE_X(e, name, domain, result) e,
enum class UnaryOp : uint8_t { NEEDLE_UNARY_OPS(NEEDLE_X) };
enum class BinaryOp : uint8_t { NEEDLE_BINARY_OPS(NEEDLE_X) };
enum class ReduceOp : uint8_t { NEEDLE_REDUCE_OPS(NEEDLE_X) };
#undef NEEDLE_X

// Every op code of a family, in list order (the conformance suite and the op table loop over
// these).
#define NEEDLE_X(e, name, domain, result) UnaryOp::e,
inline constexpr UnaryOp kUnaryOps[] = {NEEDLE_UNARY_OPS(NEEDLE_X)};
#undef NEEDLE_X
#define NEEDLE_X(e, name, domain, result) BinaryOp::e,
inline constexpr BinaryOp kBinaryOps[] = {NEEDLE_BINARY_OPS(NEEDLE_X)};
#undef NEEDLE_X
#define NEEDLE_X(e, name, domain, result) ReduceOp::e,
inline constexpr ReduceOp kReduceOps[] = {NEEDLE_REDUCE_OPS(NEEDLE_X)};
#undef NEEDLE_X
#define NEEDLE_X(e, name, type, bytes) DType::e,
inline constexpr DType kDTypes[] = {NEEDLE_DTYPES(NEEDLE_X)};
#undef NEEDLE_X

// One generated switch per family and property: the case macros name the family through
// decltype(op), so one of each serves every list. An op code outside its list (a corrupted or
// drifted value) gives "unknown" / the fallback, never an out-of-bounds read.
#define NEEDLE_CASE_NAME(e, name, domain, result) \
  case decltype(op)::e:                           \
    return name;
#define NEEDLE_CASE_DOMAIN(e, name, domain, result) \
  case decltype(op)::e:                             \
    return OpDomain::domain;
#define NEEDLE_CASE_RESULT(e, name, domain, result) \
  case decltype(op)::e:                             \
    return OpResult::result;
#define NEEDLE_OP_PROPERTY(Family, LIST, ret, fn, field, fallback) \
  constexpr ret fn(Family op) {                                    \
    switch (op) { LIST(field) }                                    \
    return fallback;                                               \
  }
NEEDLE_OP_PROPERTY(UnaryOp, NEEDLE_UNARY_OPS, const char*, op_name, NEEDLE_CASE_NAME, "unknown")
NEEDLE_OP_PROPERTY(BinaryOp, NEEDLE_BINARY_OPS, const char*, op_name, NEEDLE_CASE_NAME, "unknown")
NEEDLE_OP_PROPERTY(ReduceOp, NEEDLE_REDUCE_OPS, const char*, op_name, NEEDLE_CASE_NAME, "unknown")
NEEDLE_OP_PROPERTY(UnaryOp, NEEDLE_UNARY_OPS, OpDomain, op_domain, NEEDLE_CASE_DOMAIN,
                   OpDomain::Any)
NEEDLE_OP_PROPERTY(UnaryOp, NEEDLE_UNARY_OPS, OpResult, op_result, NEEDLE_CASE_RESULT,
                   OpResult::SameAsInput)
NEEDLE_OP_PROPERTY(BinaryOp, NEEDLE_BINARY_OPS, OpResult, op_result, NEEDLE_CASE_RESULT,
                   OpResult::SameAsInput)
NEEDLE_OP_PROPERTY(ReduceOp, NEEDLE_REDUCE_OPS, OpResult, op_result, NEEDLE_CASE_RESULT,
                   OpResult::SameAsInput)
#undef NEEDLE_CASE_NAME
#undef NEEDLE_CASE_DOMAIN
#undef NEEDLE_CASE_RESULT
#undef NEEDLE_OP_PROPERTY

constexpr bool requires_floating(UnaryOp op) {
  return op_domain(op) == OpDomain::Floating;
}
// Comparisons write Bool masks.
constexpr bool is_comparison(BinaryOp op) {
  return op_result(op) == OpResult::Bool;
}

// The dtype an op writes for inputs of dtype `in`.
constexpr DType result_dtype(OpResult rule, DType in) {
  return rule == OpResult::Bool ? DType::Bool : rule == OpResult::Int64 ? DType::Int64 : in;
}

// Calls fn(std::integral_constant<Family, op>{}) for the op code's value, so that each op gets its
// own kernel instantiation; returns false (and calls nothing) for a code outside the list, which
// the caller turns into its error. The CPU and CUDA dispatch are both this one switch.
#define NEEDLE_CASE_VISIT(e, name, domain, result)               \
  case decltype(op)::e:                                          \
    fn(std::integral_constant<decltype(op), decltype(op)::e>{}); \
    return true;
#define NEEDLE_DEFINE_VISIT(Family, LIST)       \
  template <typename Fn>                        \
  constexpr bool visit_op(Family op, Fn&& fn) { \
    switch (op) { LIST(NEEDLE_CASE_VISIT) }     \
    return false;                               \
  }
NEEDLE_DEFINE_VISIT(UnaryOp, NEEDLE_UNARY_OPS)
NEEDLE_DEFINE_VISIT(BinaryOp, NEEDLE_BINARY_OPS)
NEEDLE_DEFINE_VISIT(ReduceOp, NEEDLE_REDUCE_OPS)
#undef NEEDLE_CASE_VISIT
#undef NEEDLE_DEFINE_VISIT

// The C++ element type of each dtype, for kernels templated on it: visit_dtype(dt, fn) calls
// fn(TypeTag<T>{}) and returns false for a value outside the list.
template <typename T>
struct TypeTag {
  using type = T;
};
#define NEEDLE_X(e, name, type, bytes) \
  case DType::e:                       \
    fn(TypeTag<type>{});               \
    return true;
template <typename Fn>
constexpr bool visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) { NEEDLE_DTYPES(NEEDLE_X) }
  return false;
}
#undef NEEDLE_X

}  // namespace needle

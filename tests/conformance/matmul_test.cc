// Matmul conformance, float32 and float64: plain, transposed operands (BLAS flags), dot and
// outer products, batched, broadcast batches (zero strides, also only along some batch axes),
// strides BLAS cannot take (steps, flips), padded rows, junk strides on size-1 axes, sizes for
// the CPU's parallel batch and large GEMM paths, and k == 0, which must write zeros.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tests/conformance/conformance_util.h"

namespace needle::conformance {
namespace {

class ConformanceMatmul : public ConformanceTest {};
NEEDLE_INSTANTIATE_CONFORMANCE(ConformanceMatmul);

Layout dense(const Shape& s) {
  return {"dense", s, compact_strides(s), 0, numel(s)};
}

// The (..., r, c) matrices of a dense (..., c, r) buffer, viewed transposed.
Layout transposed(const Shape& s) {
  Shape stored = s;
  const size_t n = s.size();
  std::swap(stored[n - 1], stored[n - 2]);
  Strides st = compact_strides(stored);
  std::swap(st[n - 1], st[n - 2]);
  return {"transposed", s, st, 0, numel(s)};
}

// float32 GEMMs accumulate in float32 (the reference in double): an absolute term for sums
// that cancel. Inputs are in [-1, 1).
Tolerance matmul_tolerance(DType dtype) {
  return dtype == DType::Float32 ? Tolerance{2e-5, 1e-4} : Tolerance{1e-12, 1e-12};
}

struct Case {
  std::string name;
  Layout a, b;
  Shape out;
};

std::vector<Case> cases() {
  return {
      {"plain", dense({33, 65}), dense({65, 17}), {33, 17}},
      {"a_transposed", transposed({33, 65}), dense({65, 17}), {33, 17}},
      {"b_transposed", dense({33, 65}), transposed({65, 17}), {33, 17}},
      {"both_transposed", transposed({33, 65}), transposed({65, 17}), {33, 17}},
      {"dot", dense({1, 5}), dense({5, 1}), {1, 1}},
      {"outer", dense({7, 1}), dense({1, 9}), {7, 9}},
      {"size1_junk_strides", {"", {1, 8}, {0, 1}, 0, 8}, {"", {8, 1}, {1, 0}, 0, 8}, {1, 1}},
      {"batched", dense({4, 3, 20, 30}), dense({4, 3, 30, 10}), {4, 3, 20, 10}},
      {"batched_transposed", transposed({6, 20, 30}), transposed({6, 30, 10}), {6, 20, 10}},
      {"batch_not_outermost",
       {"", {3, 4, 5}, {5, 15, 1}, 0, 60},
       {"", {3, 5, 2}, {10, 2, 1}, 0, 30},
       {3, 4, 2}},
      {"broadcast_b", dense({5, 20, 30}), {"", {5, 30, 10}, {0, 10, 1}, 0, 300}, {5, 20, 10}},
      {"broadcast_a",
       {"", {2, 3, 20, 30}, {0, 0, 30, 1}, 0, 600},
       dense({2, 3, 30, 10}),
       {2, 3, 20, 10}},
      {"broadcast_b_transposed", dense({6, 4, 5}), {"", {6, 5, 6}, {0, 1, 5}, 0, 30}, {6, 4, 6}},
      {"partly_broadcast_a",
       {"", {2, 3, 4, 5}, {0, 20, 5, 1}, 0, 60},
       dense({2, 3, 5, 6}),
       {2, 3, 4, 6}},
      {"stepped_slice", {"", {9, 11}, {40, 2}, 3, 400}, dense({11, 4}), {9, 4}},
      {"padded_rows", {"", {9, 11}, {16, 1}, 2, 160}, {"", {11, 4}, {1, 12}, 1, 60}, {9, 4}},
      {"flipped",
       {"", {6, 7}, {-14, -1}, 12 * 14 - 1, 12 * 14},
       {"", {7, 5}, {-10, 1}, 130, 140},
       {6, 5}},
      {"leading_dimension_slices",
       {"", {6, 5}, {12, 1}, 2, 120},
       {"", {5, 4}, {9, 1}, 1, 108},
       {6, 4}},
      {"transposed_leading_dimension",
       {"", {6, 5}, {1, 12}, 3, 120},
       {"", {5, 4}, {1, 9}, 0, 108},
       {6, 4}},
      {"stepped_both", {"", {6, 7}, {24, 2}, 0, 168}, {"", {7, 5}, {20, 2}, 0, 140}, {6, 5}},
      {"broadcast_a_batched_b", {"", {3, 4, 5}, {0, 5, 1}, 0, 20}, dense({3, 5, 6}), {3, 4, 6}},
      {"many_small", dense({64, 16, 16}), transposed({64, 16, 16}), {64, 16, 16}},
      {"large", dense({130, 70}), dense({70, 90}), {130, 90}},
  };
}

TEST_P(ConformanceMatmul, EveryLayoutBothDtypes) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases()) {
      const Twin a = twin(dt, random_values(dt, c.a.elems, 61, -1.0, 1.0));
      const Twin b = twin(dt, random_values(dt, c.b.elems, 67, -1.0, 1.0));
      const Twin out = output(dt, numel(c.out));
      on_both([&](const Side& s) {
        s->matmul(a.view(s, c.a.shape, c.a.strides, c.a.offset),
                  b.view(s, c.b.shape, c.b.strides, c.b.offset), out.dense(s, c.out));
      });
      expect_match(out, matmul_tolerance(dt), fmt::format("matmul {} {}", dtype_name(dt), c.name));
    }
  }
}

TEST_P(ConformanceMatmul, ZeroSizedDimensions) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Twin none = twin(dt, std::vector<double>{});
    // k == 0: the output is zeros, whatever it held.
    const Twin out = output(dt, 6), batched = output(dt, 12);
    on_both([&](const Side& s) {
      s->matmul(none.dense(s, {2, 0}), none.dense(s, {0, 3}), out.dense(s, {2, 3}));
      s->matmul(none.view(s, {2, 2, 0}, {0, 0, 1}), none.dense(s, {2, 0, 3}),
                batched.dense(s, {2, 2, 3}));
      // Empty outputs: nothing to do.
      s->matmul(none.dense(s, {0, 4}), out.dense(s, {4, 0}), none.dense(s, {0, 0}));
      s->matmul(none.dense(s, {0, 2, 3}), none.dense(s, {0, 3, 2}), none.dense(s, {0, 2, 2}));
    });
    expect_match(out, std::string("k == 0 ") + std::string(dtype_name(dt)));
    expect_match(batched, std::string("batched k == 0 ") + std::string(dtype_name(dt)));
    EXPECT_EQ(out.dut_host().values(), std::vector<double>(6, 0.0));
  }
}

// The answer known by hand.
TEST_P(ConformanceMatmul, KnownAnswer) {
  Buffer a = buffer(DType::Float64, 4), b = buffer(DType::Float64, 4),
         c = buffer(DType::Float64, 4);
  a.upload(Host::of(DType::Float64, {1, 2, 3, 4}));
  b.upload(Host::of(DType::Float64, {5, 6, 7, 8}));
  backend().matmul(a.dense({2, 2}), b.dense({2, 2}), c.dense({2, 2}));
  EXPECT_EQ(c.download().values(), (std::vector<double>{19, 22, 43, 50}));
  backend().matmul(a.view({2, 2}, {1, 2}), b.dense({2, 2}), c.dense({2, 2}));  // a^T @ b
  EXPECT_EQ(c.download().values(), (std::vector<double>{26, 30, 38, 44}));
}

}  // namespace
}  // namespace needle::conformance

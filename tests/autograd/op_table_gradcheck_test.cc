// Gradient checks generated from the op table: every registered op case is checked on its own
// inputs, on transposed (non-compact) views and on strided slices of larger arrays, and the
// smooth ones also to second order.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "needle/op_table.h"
#include "tests/autograd/gradcheck.h"

namespace needle {
namespace {

using testing::check_gradient;
using testing::check_second_order;
using testing::Fn;

std::vector<size_t> all_cases() {
  std::vector<size_t> ids(op_table().size());
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = i;
  return ids;
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = op_table()[info.param].name;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

class OpTableTest : public ::testing::TestWithParam<size_t> {
 protected:
  const OpCase& op() const { return op_table()[GetParam()]; }
  std::vector<Tensor> inputs() const {
    manual_seed(1234 + GetParam());
    std::vector<Tensor> xs = op().make_inputs(DType::Float64);
    EXPECT_EQ(static_cast<int>(xs.size()), op().arity) << op().name;
    return xs;
  }
};

TEST(OpTable, ListsEveryOpFamily) {
  const std::vector<std::string> expected = {
      "add",         "sub",          "mul",     "div",           "add_scalar",  "rsub_scalar",
      "rdiv_scalar", "negate",       "pow/3",   "exp",           "log",         "sqrt",
      "relu",        "tanh",         "sigmoid", "maximum",       "matmul",      "matmul/batched",
      "sum/all",     "mean/all",     "max/all", "logsumexp/all", "reshape",     "transpose",
      "permute",     "broadcast_to", "stack",   "split",         "flip",        "dilate",
      "undilate",    "slice",        "select",  "concatenate",   "gather/axis1"};
  for (const std::string& name : expected) {
    const bool found = std::any_of(op_table().begin(), op_table().end(),
                                   [&](const OpCase& c) { return c.name == name; });
    EXPECT_TRUE(found) << name;
  }
}

TEST_P(OpTableTest, Gradient) {
  check_gradient(op().apply, inputs(), op().name);
}

// Every input replaced by the transpose of a compact array, so the op sees strides it did not
// lay out itself.
TEST_P(OpTableTest, GradientOfTransposedInputs) {
  std::vector<Tensor> xs = inputs();
  std::vector<bool> flipped(xs.size(), false);
  for (size_t i = 0; i < xs.size(); ++i) {
    // Size-1 axes would make the transpose compact again.
    if (xs[i].ndim() < 2 || xs[i].shape(-1) < 2 || xs[i].shape(-2) < 2) continue;
    xs[i] = Tensor(transpose(xs[i]).data().compact());  // stored transposed
    flipped[i] = true;
  }
  if (std::none_of(flipped.begin(), flipped.end(), [](bool b) { return b; })) {
    GTEST_SKIP() << "no input has two trailing dimensions of size 2 or more";
  }
  const Fn& apply = op().apply;
  Fn f = [&apply, flipped](const std::vector<Tensor>& in) {
    std::vector<Tensor> views = in;
    for (size_t i = 0; i < in.size(); ++i) {
      if (flipped[i]) {
        views[i] = transpose(in[i]);
        EXPECT_FALSE(views[i].data().is_compact());
      }
    }
    return apply(views);
  };
  check_gradient(f, xs, op().name + " (transposed inputs)");
}

// Every input replaced by the even rows of an array twice as long (a step-2 slice).
TEST_P(OpTableTest, GradientOfStridedInputs) {
  std::vector<Tensor> xs = inputs();
  std::vector<bool> strided(xs.size(), false);
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].ndim() < 1 || xs[i].shape()[0] < 2) continue;
    Tensor noise(NDArray::randn(xs[i].shape(), 0, 1, DType::Float64));
    Shape big = xs[i].shape();
    big[0] *= 2;
    xs[i] = Tensor(reshape(stack({xs[i], noise}, 1), big).data().compact());
    strided[i] = true;
  }
  if (std::none_of(strided.begin(), strided.end(), [](bool b) { return b; })) {
    GTEST_SKIP() << "no input has a first axis of size 2 or more";
  }
  const Fn& apply = op().apply;
  Fn f = [&apply, strided](const std::vector<Tensor>& in) {
    std::vector<Tensor> views = in;
    for (size_t i = 0; i < in.size(); ++i) {
      if (strided[i]) views[i] = in[i].slice({Slice(std::nullopt, std::nullopt, 2)});
    }
    return apply(views);
  };
  check_gradient(f, xs, op().name + " (strided inputs)");
}

TEST_P(OpTableTest, SecondOrder) {
  if (!op().smooth) GTEST_SKIP() << op().name << " is not twice differentiable";
  check_second_order(op().apply, inputs(), op().name);
}

// float32 forward values agree with float64 ones: the ops are not float64-only.
TEST_P(OpTableTest, Float32MatchesFloat64) {
  manual_seed(99 + GetParam());
  std::vector<Tensor> x64 = op().make_inputs(DType::Float64);
  std::vector<Tensor> x32;
  for (const Tensor& x : x64)
    x32.emplace_back(x.data().astype(DType::Float32));
  std::vector<double> y64 = op().apply(x64).to_vector<double>();
  Tensor y32 = op().apply(x32);
  EXPECT_EQ(y32.dtype(), DType::Float32);
  std::vector<double> y = y32.to_vector<double>();
  ASSERT_EQ(y.size(), y64.size());
  for (size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], y64[i], 1e-4 * (1 + std::abs(y64[i])));
}

INSTANTIATE_TEST_SUITE_P(Ops, OpTableTest, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace needle

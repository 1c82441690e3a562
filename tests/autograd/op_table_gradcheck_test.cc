// Gradient checks generated from the op table: every registered op case is checked on its own
// inputs, on transposed (non-compact) views and on strided slices of larger arrays, and the
// smooth ones also to second order, in float64 on every device (the cuda instances skip with the
// reason where no GPU is present, and fail then under NEEDLE_REQUIRE_CUDA=1).
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "needle/op_table.h"
#include "tests/autograd/gradcheck.h"
#include "tests/require_cuda.h"

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

using CaseOnDevice = std::tuple<size_t, std::string>;

std::string case_name(const ::testing::TestParamInfo<CaseOnDevice>& info) {
  std::string name = op_table()[std::get<0>(info.param)].name + "/" + std::get<1>(info.param);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

class OpTableTest : public ::testing::TestWithParam<CaseOnDevice> {
 protected:
  void SetUp() override {
    if (std::get<1>(GetParam()) == "cuda" && !cuda_available()) {
      NEEDLE_SKIP_WITHOUT_CUDA("CUDA unavailable: " + cuda_status());
    }
  }
  size_t index() const { return std::get<0>(GetParam()); }
  Device device() const { return std::get<1>(GetParam()) == "cuda" ? cuda(0) : cpu(); }
  const OpCase& op() const { return op_table()[index()]; }
  // The case's inputs in `dtype` on the fixture's device, drawn from seed `seed`.
  std::vector<Tensor> inputs(uint64_t seed, DType dtype = DType::Float64) const {
    manual_seed(seed);
    std::vector<Tensor> xs = op().make_inputs(dtype);
    EXPECT_EQ(static_cast<int>(xs.size()), op().arity) << op().name;
    for (Tensor& x : xs)
      x = on_device(x);
    return xs;
  }
  std::vector<Tensor> inputs() const { return inputs(1234 + index()); }
  Tensor on_device(const Tensor& x) const { return Tensor(x.data().to(device())); }
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
    xs[i] = on_device(Tensor(transpose(xs[i]).data().compact()));  // stored transposed
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
    Tensor noise(NDArray::randn(xs[i].shape(), 0, 1, DType::Float64).to(device()));
    Shape big = xs[i].shape();
    big[0] *= 2;
    xs[i] = on_device(Tensor(reshape(stack({xs[i], noise}, 1), big).data().compact()));
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
  std::vector<Tensor> x64 = inputs(99 + index());
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

INSTANTIATE_TEST_SUITE_P(Ops, OpTableTest,
                         ::testing::Combine(::testing::ValuesIn(all_cases()),
                                            ::testing::Values("cpu", "cuda")),
                         case_name);

}  // namespace
}  // namespace needle

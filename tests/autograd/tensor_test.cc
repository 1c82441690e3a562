// Tensor basics: construction, factories, metadata, host access, printing, eager evaluation,
// leaves and requires_grad, NoGradGuard and detach.
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "require_cuda.h"

namespace needle {
namespace {

TEST(Tensor, FromInitializerList) {
  Tensor t({1.f, 2.f, 3.f});
  EXPECT_EQ(t.shape(), (Shape{3}));
  EXPECT_EQ(t.ndim(), 1);
  EXPECT_EQ(t.numel(), 3);
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_EQ(t.device(), cpu());
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_FALSE(t.requires_grad());
  EXPECT_TRUE(t.is_leaf());
}

TEST(Tensor, FromVector) {
  Tensor t = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, cpu(), true);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.shape(-1), 3);
  EXPECT_TRUE(t.requires_grad());
  EXPECT_EQ(t.to_vector<double>()[5], 6.0);
  Tensor d = Tensor::from_vector(std::vector<double>{1.5}, {1});
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_DOUBLE_EQ(d.item<double>(), 1.5);
  Tensor i = Tensor::from_vector(std::vector<int64_t>{3, 1}, {2});
  EXPECT_EQ(i.dtype(), DType::Int64);
}

TEST(Tensor, FromNDArraySharesStorage) {
  NDArray a = NDArray::ones({2, 2});
  Tensor t(a);
  EXPECT_TRUE(t.data().shares_storage(a));
}

TEST(Tensor, Factories) {
  EXPECT_EQ(zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.f));
  EXPECT_EQ(ones({4}).to_vector<float>(), std::vector<float>(4, 1.f));
  EXPECT_EQ(full({2}, 2.5, cpu(), DType::Float64).to_vector<double>(),
            (std::vector<double>{2.5, 2.5}));
  Tensor z = zeros({3}, cpu(), DType::Float32, true);
  EXPECT_TRUE(z.requires_grad());
  manual_seed(7);
  std::vector<float> r1 = rand({100}).to_vector<float>();
  manual_seed(7);
  std::vector<float> r2 = rand({100}).to_vector<float>();
  EXPECT_EQ(r1, r2);
  for (float v : r1) {
    EXPECT_GE(v, 0.f);
    EXPECT_LT(v, 1.f);
  }
  Tensor n = randn({1000}, cpu(), DType::Float64);
  EXPECT_NEAR(mean(n).item<double>(), 0.0, 0.15);
  EXPECT_EQ(arange(4).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(zeros_like(n).shape(), n.shape());
  EXPECT_EQ(ones_like(n).dtype(), DType::Float64);
}

TEST(Tensor, EagerValues) {
  Tensor x({1.f, 2.f, 3.f});
  Tensor y = x * 2 + 1;
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 5, 7}));
  EXPECT_EQ((1.0 - x).to_vector<float>(), (std::vector<float>{0, -1, -2}));
  EXPECT_EQ((6.0 / x).to_vector<float>(), (std::vector<float>{6, 3, 2}));
  EXPECT_EQ((x / 2.0).to_vector<float>(), (std::vector<float>{0.5, 1, 1.5}));
  EXPECT_EQ((-x).to_vector<float>(), (std::vector<float>{-1, -2, -3}));
  EXPECT_FLOAT_EQ(sum(x).item<float>(), 6.f);
}

TEST(Tensor, Printing) {
  std::ostringstream os;
  os << Tensor({1.f, 2.f}, true);
  EXPECT_EQ(os.str(), "tensor([1.0000, 2.0000], requires_grad=true)");
  EXPECT_EQ(Tensor({1.f, 2.f}).to_string(), "tensor([1.0000, 2.0000])");
  Tensor x({1.f}, true);
  EXPECT_EQ((x * x).to_string(), "tensor([1.0000], grad_fn=<mul>)");
  EXPECT_NE(Tensor::from_vector(std::vector<double>{1}, {1}).to_string().find("float64"),
            std::string::npos);
  EXPECT_EQ(Tensor().to_string(), "tensor(undefined)");
  EXPECT_EQ(fmt::format("{}", Tensor({3.f})), "tensor([3.0000])");
}

TEST(Tensor, RequiresGradPropagates) {
  Tensor a({1.f, 2.f}, true);
  Tensor b({3.f, 4.f});
  Tensor c = a * b;
  EXPECT_TRUE(c.requires_grad());
  EXPECT_FALSE(c.is_leaf());
  EXPECT_EQ(c.op_name(), "mul");
  Tensor d = b * b;
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());  // nothing recorded when no input requires grad
  EXPECT_TRUE(d.node()->inputs.empty());
  EXPECT_EQ(d.node()->op, nullptr);
}

TEST(Tensor, SetRequiresGradOnlyOnFloatLeaves) {
  Tensor a({1.f}, true);
  Tensor b = a * 2;
  EXPECT_THROW(b.set_requires_grad(false), Error);
  Tensor i = Tensor::from_vector(std::vector<int64_t>{1}, {1});
  EXPECT_THROW(i.set_requires_grad(true), DTypeError);
  Tensor x = ones({2}).set_requires_grad(true);
  EXPECT_TRUE(x.requires_grad());
}

TEST(Tensor, NoGradGuardRecordsNothing) {
  Tensor x({1.f, 2.f}, true);
  const int64_t before = Tensor::live_count();
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = exp(x * 2 + 1);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_TRUE(y.node()->inputs.empty());
    // Only y's own node is alive: the intermediates were never linked to it.
    EXPECT_EQ(Tensor::live_count(), before + 1);
    {
      EnableGradGuard enable;
      EXPECT_TRUE((x * 2).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST(Tensor, DetachCutsTheGraph) {
  Tensor x({1.f, 2.f}, true);
  Tensor y = x * 3;
  Tensor d = y.detach();
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.data().shares_storage(y.data()));
  Tensor z = sum(d * x);
  z.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 6}));  // d is a constant
}

TEST(Tensor, ToSameDeviceIsIdentity) {
  Tensor x({1.f}, true);
  Tensor y = x.to(cpu());
  EXPECT_EQ(y.node(), x.node());
}

TEST(Tensor, ToCudaWhenAvailable) {
  NEEDLE_REQUIRE_CUDA();
  Tensor x({1.f, 2.f}, true);
  Tensor y = x.to(cuda());
  EXPECT_EQ(y.device(), cuda());
  EXPECT_NE(y.to_string().find("device='cuda:0'"), std::string::npos);
  Tensor loss = sum(y * y);
  loss.backward();
  EXPECT_EQ(x.grad().device(), cpu());
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4}));
}

TEST(Tensor, SliceAndSelect) {
  Tensor x = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3}, cpu(), true);
  EXPECT_EQ(x.slice({Slice::all(), Slice(1, std::nullopt)}).to_vector<float>(),
            (std::vector<float>{1, 2, 4, 5}));
  Tensor row = x.select(0, 1);
  EXPECT_EQ(row.shape(), (Shape{3}));
  EXPECT_EQ(row.to_vector<float>(), (std::vector<float>{3, 4, 5}));
  sum(row * row).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 6, 8, 10}));
}

}  // namespace
}  // namespace needle

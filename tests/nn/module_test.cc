// nn::Module through the public API: registration order and dotted names, buffers, children,
// train/eval recursion, to(device) identity, zero_grad, holder semantics and printing.
#include <gtest/gtest.h>

#include <string>

#include "needle/needle.h"

namespace ndl = needle;
namespace nn = needle::nn;

namespace {

std::vector<std::string> names_of(const nn::NamedList<ndl::Tensor>& list) {
  std::vector<std::string> out;
  for (const auto& [name, t] : list)
    out.push_back(name);
  return out;
}

// A user-defined module: fields registered in the constructor, children through holders.
class TwoLayerImpl : public nn::Module {
 public:
  TwoLayerImpl() : Module("TwoLayer") {
    fc1 = register_module("fc1", nn::Linear(4, 3));
    act = register_module("act", nn::ReLU());
    fc2 = register_module("fc2", nn::Linear(3, 2));
    scale = register_parameter("scale", ndl::ones({2}));
  }
  ndl::Tensor forward(const ndl::Tensor& x) override { return fc2(act(fc1(x))) * scale; }
  nn::Linear fc1{nullptr};
  nn::ReLU act;
  nn::Linear fc2{nullptr};
  ndl::Tensor scale;
};
NEEDLE_MODULE(TwoLayer);

}  // namespace

TEST(Module, NamedParametersOrderAndNames) {
  TwoLayer model;
  EXPECT_EQ(
      names_of(model->named_parameters()),
      (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(names_of(model->named_parameters(/*recurse=*/false)),
            (std::vector<std::string>{"scale"}));
  EXPECT_EQ(model->parameters().size(), 5u);
  EXPECT_EQ(model->num_parameters(), 2 + 12 + 3 + 6 + 2);
  // The member handle and the registered tensor are the same node.
  EXPECT_EQ(model->named_parameters()[1].second.node(), model->fc1->weight.node());
  auto children = model->named_children();
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(children[0].first, "fc1");
  EXPECT_EQ(children[1].second->type_name(), "ReLU");
}

TEST(Module, SequentialNamesByIndex) {
  nn::Sequential seq(nn::Linear(2, 3), nn::ReLU(), nn::Linear(3, 1));
  EXPECT_EQ(seq->size(), 3u);
  EXPECT_EQ(names_of(seq->named_parameters()),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(seq->at<nn::LinearImpl>(2)->in_features, 3);
  EXPECT_THROW(seq->at<nn::LinearImpl>(1), ndl::Error);
  EXPECT_THROW((*seq)[3], ndl::IndexError);
  int count = 0;
  for (const auto& m : *seq)
    count += m->type_name() == "Linear";
  EXPECT_EQ(count, 2);
  seq->push_back(nn::Sigmoid());
  EXPECT_EQ(seq(ndl::zeros({5, 2})).shape(), (ndl::Shape{5, 1}));
}

TEST(Module, MLPResNetStructure) {
  ndl::manual_seed(0);
  nn::MLPResNet model(784, 100, 3, 10);
  // needle's parameter-count check: ResidualBlock(15, 2, BatchNorm1d) has 111 parameters.
  EXPECT_EQ(nn::ResidualBlock(15, 2)->num_parameters(), 111);
  // 784*100+100 + 3 * (100*50+50 + 2*50 + 50*100+100 + 2*100) + 100*10+10
  EXPECT_EQ(model->num_parameters(), 78500 + 3 * 10450 + 1010);
  auto names = names_of(model->named_parameters());
  ASSERT_EQ(names.size(), 2u + 3u * 8u + 2u);
  EXPECT_EQ(names[0], "0.weight");
  EXPECT_EQ(names[2], "2.0.fn.0.weight");
  EXPECT_EQ(names[4], "2.0.fn.1.weight");  // BatchNorm1d
  EXPECT_EQ(names.back(), "5.bias");
  auto buffers = names_of(model->named_buffers());
  EXPECT_EQ(buffers[0], "2.0.fn.1.running_mean");
  EXPECT_EQ(buffers.size(), 3u * 2u * 3u);
  EXPECT_EQ(model(ndl::randn({4, 784})).shape(), (ndl::Shape{4, 10}));
  nn::MLPResNet ln_model(20, 8, 1, 3, nn::NormLayer::LayerNorm1d, 0.0);
  EXPECT_TRUE(ln_model->named_buffers().empty());
  EXPECT_EQ(ln_model->at<nn::SequentialImpl>(2)->type_name(), "Sequential");
}

TEST(Module, TrainEvalRecursive) {
  nn::MLPResNet model(8, 6, 2, 3);
  EXPECT_TRUE(model->is_training());
  model->eval();
  for (auto& [name, m] : model->named_modules())
    EXPECT_FALSE(m->is_training()) << name;
  model->train();
  for (auto& [name, m] : model->named_modules())
    EXPECT_TRUE(m->is_training()) << name;
}

TEST(Module, ZeroGradAndToKeepIdentity) {
  nn::Linear fc(3, 2);
  ndl::Tensor w = fc->weight;
  ndl::sum(fc(ndl::ones({4, 3}))).backward();
  EXPECT_TRUE(w.grad().defined());
  fc->zero_grad();
  EXPECT_FALSE(w.grad().defined());
  fc->to(ndl::cpu());
  EXPECT_EQ(fc->weight.node(), w.node());
  EXPECT_EQ(fc->parameters()[0].node(), w.node());
}

TEST(Module, HolderSharesTheModule) {
  nn::Linear a(2, 2);
  nn::Linear b = a;  // a copy of the handle
  EXPECT_EQ(a.get(), b.get());
  std::shared_ptr<nn::Module> as_module = a;
  EXPECT_EQ(as_module.get(), a.get());
  nn::Linear c(std::make_shared<nn::LinearImpl>(2, 5));
  EXPECT_EQ(c->out_features, 5);
  EXPECT_EQ((*c).type_name(), "Linear");
}

TEST(Module, PrintAndSummary) {
  nn::Sequential seq(nn::Linear(4, 3), nn::ReLU(), nn::Dropout(0.1));
  EXPECT_EQ(seq->to_string(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=3, bias=true)\n"
            "  (1): ReLU()\n"
            "  (2): Dropout(p=0.1)\n"
            ")");
  nn::MLPResNet model(16, 8, 1, 4);
  const std::string s = model->summary({2, 16});
  EXPECT_NE(s.find("MLPResNet"), std::string::npos) << s;
  EXPECT_NE(s.find("2.0.fn.0 (Linear)"), std::string::npos) << s;
  EXPECT_NE(s.find("(2, 4)"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: " + std::to_string(model->num_parameters())), std::string::npos)
      << s;
  EXPECT_TRUE(model->is_training());  // summary restores the mode
}

TEST(Module, RegistrationErrors) {
  class BadImpl : public nn::Module {
   public:
    void add(const std::string& name) { register_parameter(name, ndl::zeros({1})); }
  };
  BadImpl bad;
  bad.add("w");
  EXPECT_THROW(bad.add("w"), ndl::Error);
  EXPECT_THROW(bad.add("a.b"), ndl::Error);
  EXPECT_THROW(bad.add(""), ndl::Error);
  EXPECT_THROW(bad.forward(ndl::zeros({1})), ndl::Error);
}

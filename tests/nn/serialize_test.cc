// Checkpoints: save -> load round trips, a file PyTorch wrote, every load error leaving the
// module unchanged, atomic writes, and optimizer state.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "needle/needle.h"
#include "nn/nn_test_util.h"
#include "nn/reference/reference_values.h"

namespace ndl = needle;
namespace nn = needle::nn;
namespace fs = std::filesystem;

namespace {

class Checkpoint : public nn_test::TempDirTest {};

std::vector<std::vector<float>> snapshot(const nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (auto& [name, t] : m.state_dict())
    out.push_back(t.to_vector<float>());
  return out;
}

std::string reference_file() {
  return (fs::path(NEEDLE_NN_TEST_DIR) / "reference" / "mlp_resnet_torch.safetensors").string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_F(Checkpoint, SaveLoadGivesBitIdenticalOutputs) {
  ndl::manual_seed(1);
  nn::MLPResNet a(12, 10, 2, 4);
  // Train one step so that running statistics and num_batches_tracked are not the defaults.
  ndl::optim::Adam opt(a->parameters(), 0.01);
  nn::SoftmaxLoss()(a(ndl::randn({8, 12})),
                    ndl::Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3}, {8}))
      .backward();
  opt.step();
  ndl::save(a, path("model.safetensors"));

  ndl::manual_seed(2);
  nn::MLPResNet b(12, 10, 2, 4);
  ndl::Tensor weight_handle = b->parameters()[0];
  ndl::load(b, path("model.safetensors"));
  EXPECT_EQ(b->parameters()[0].node(), weight_handle.node());  // loaded in place
  a->eval();
  b->eval();
  auto x = ndl::randn({5, 12});
  EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
  EXPECT_EQ(snapshot(*a), snapshot(*b));
  // Only the checkpoint is left in the directory: the temporary file was renamed.
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(Checkpoint, FileWrittenByPyTorchLoadsAndMatches) {
  nn::MLPResNet model(6, 8, 2, 3, nn::NormLayer::BatchNorm1d, /*drop_prob=*/0.0);
  ndl::load(model, reference_file());
  auto file = ndl::load_safetensors(reference_file());
  EXPECT_EQ(file.metadata.at("format"), "pt");
  auto x = nn_test::tensor(nn_ref::mlp_x, nn_ref::mlp_x_shape);
  model->eval();
  nn_test::expect_tensor(model(x), nn_ref::mlp_eval_y, nn_ref::mlp_eval_y_shape, 1e-5, "eval");
  model->train();
  nn_test::expect_tensor(model(x), nn_ref::mlp_train_y, nn_ref::mlp_train_y_shape, 1e-4, "train");
  // Our own save of it has the same keys, shapes and dtypes as PyTorch's file.
  ndl::save(model, path("again.safetensors"));
  auto again = ndl::load_safetensors(path("again.safetensors"));
  ASSERT_EQ(again.tensors.size(), file.tensors.size());
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    EXPECT_EQ(again.tensors[i].first, file.tensors[i].first);
    EXPECT_EQ(again.tensors[i].second.shape(), file.tensors[i].second.shape());
    EXPECT_EQ(again.tensors[i].second.dtype(), file.tensors[i].second.dtype());
  }
}

TEST_F(Checkpoint, LoadErrorsNameTheProblemAndLeaveModelUnchanged) {
  nn::Sequential src(nn::Linear(3, 4), nn::BatchNorm1d(4));
  ndl::save(src, path("good.safetensors"));
  auto good = ndl::load_safetensors(path("good.safetensors"));

  nn::Sequential dst(nn::Linear(3, 4), nn::BatchNorm1d(4));
  const auto before = snapshot(*dst);
  auto expect_fails = [&](const ndl::NamedArrays& tensors, const std::string& needle_text) {
    ndl::save_safetensors(path("bad.safetensors"), tensors);
    try {
      ndl::load(dst, path("bad.safetensors"));
      ADD_FAILURE() << "expected an error mentioning " << needle_text;
    } catch (const ndl::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle_text), std::string::npos) << e.what();
    }
    EXPECT_EQ(snapshot(*dst), before);
  };
  // Missing key (the last one, so everything before it would have been written).
  ndl::NamedArrays missing(good.tensors.begin(), good.tensors.end() - 1);
  expect_fails(missing, "missing key '1.num_batches_tracked'");
  // Unexpected key.
  ndl::NamedArrays extra = good.tensors;
  extra.emplace_back("1.extra", ndl::NDArray::zeros({1}));
  expect_fails(extra, "unexpected key '1.extra'");
  // Wrong shape and wrong dtype.
  ndl::NamedArrays shape = good.tensors;
  shape[1].second = ndl::NDArray::zeros({5});
  expect_fails(shape, "'0.bias' has shape (5,)");
  ndl::NamedArrays dtype = good.tensors;
  dtype[2].second = dtype[2].second.astype(ndl::DType::Float64);
  expect_fails(dtype, "'1.weight' has dtype float64");

  // File-level corruption: IOError.
  const std::string bytes = read_bytes(path("good.safetensors"));
  auto expect_io = [&](const std::string& content, const std::string& needle_text) {
    write_bytes(path("corrupt.safetensors"), content);
    try {
      ndl::load(dst, path("corrupt.safetensors"));
      ADD_FAILURE() << "expected IOError mentioning " << needle_text;
    } catch (const ndl::IOError& e) {
      EXPECT_NE(std::string(e.what()).find(needle_text), std::string::npos) << e.what();
    }
    EXPECT_EQ(snapshot(*dst), before);
  };
  expect_io(bytes.substr(0, 5), "truncated");
  expect_io(bytes.substr(0, 40), "truncated");
  expect_io(bytes.substr(0, bytes.size() - 4), "truncated or corrupt");
  std::string bad_json = bytes;
  bad_json[8] = '[';
  expect_io(bad_json, "corrupt JSON header");
  std::string huge = bytes;
  huge[7] = '\x7f';
  expect_io(huge, "corrupt header length");
  EXPECT_THROW(ndl::load(dst, path("does_not_exist.safetensors")), ndl::IOError);
}

TEST_F(Checkpoint, OptimizerStateRoundTripResumesIdentically) {
  auto run = [&](bool via_checkpoint) {
    ndl::manual_seed(5);
    nn::Linear fc(4, 3);
    ndl::optim::Adam opt(fc->parameters(), 0.05, 0.9, 0.99, 1e-8, 0.01);
    auto x = ndl::randn({6, 4});
    auto step = [&] {
      opt.zero_grad();
      ndl::sum(fc(x) * fc(x)).backward();
      opt.step();
    };
    step();
    step();
    if (via_checkpoint) {
      ndl::save(fc, path("m.safetensors"));
      ndl::save(opt, path("o.safetensors"));
      nn::Linear fc2(4, 3);
      ndl::optim::Adam opt2(fc2->parameters(), 0.5);
      ndl::load(fc2, path("m.safetensors"));
      ndl::load(opt2, path("o.safetensors"));
      EXPECT_EQ(opt2.step_count(), 2);
      EXPECT_DOUBLE_EQ(opt2.lr(), 0.05);
      opt2.zero_grad();
      ndl::sum(fc2(x) * fc2(x)).backward();
      opt2.step();
      return fc2->weight.to_vector<float>();
    }
    step();
    return fc->weight.to_vector<float>();
  };
  EXPECT_EQ(run(false), run(true));
}

TEST_F(Checkpoint, OptimizerStateMismatchIsRejected) {
  nn::Linear fc(4, 3);
  ndl::optim::SGD sgd(fc->parameters(), 0.1, 0.9);
  ndl::sum(fc(ndl::ones({2, 4}))).backward();
  sgd.step();
  ndl::save(sgd, path("sgd.safetensors"));
  ndl::optim::Adam adam(fc->parameters());
  EXPECT_THROW(ndl::load(adam, path("sgd.safetensors")), ndl::Error);
  nn::Linear other(5, 3);
  ndl::optim::SGD sgd_other(other->parameters(), 0.1, 0.9);
  EXPECT_THROW(ndl::load(sgd_other, path("sgd.safetensors")), ndl::ShapeError);
  EXPECT_EQ(sgd_other.step_count(), 0);
  ndl::optim::SGD sgd_same(fc->parameters(), 0.1, 0.9);
  ndl::load(sgd_same, path("sgd.safetensors"));
  EXPECT_EQ(sgd_same.state_tensors().size(), 2u);
}

TEST_F(Checkpoint, LoadingWhatIsNotAFileIsAnIOErrorNamingThePath) {
  // A directory used to escape as std::ios_base::failure without the path, and /dev/zero was
  // read until bad_alloc; both must be the documented IOError, raised before reading.
  nn::Linear fc(2, 2);
  ndl::optim::SGD sgd(fc->parameters(), 0.1, 0.9);
  const std::string dir = dir_.string();
  auto expect_io = [](auto&& fn, const std::string& path, const std::string& what) {
    try {
      fn();
      ADD_FAILURE() << "expected IOError for " << path;
    } catch (const ndl::IOError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("'" + path + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
  };
  expect_io([&] { ndl::load(fc, dir); }, dir, "is a directory");
  expect_io([&] { ndl::load(sgd, dir); }, dir, "is a directory");
  expect_io([&] { ndl::load_safetensors(dir); }, dir, "is a directory");
  if (fs::exists("/dev/zero")) {
    expect_io([&] { ndl::load_safetensors("/dev/zero"); }, "/dev/zero", "not a regular file");
  }
  // A FIFO with no writer: refused at once rather than waiting for one.
  const std::string fifo = path("fifo.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_io([&] { ndl::load(fc, fifo); }, fifo, "not a regular file");
  expect_io([&] { ndl::load(fc, path("missing.safetensors")); }, path("missing.safetensors"),
            "No such file");
}

TEST_F(Checkpoint, SavedFileHonoursTheUmaskAndKeepsAnExistingMode) {
  nn::Linear fc(2, 2);
  auto mode_of = [](const std::string& p) { return fs::status(p).permissions() & fs::perms::mask; };
  using P = fs::perms;
  const mode_t old_umask = ::umask(022);
  ndl::save(fc, path("a.safetensors"));  // a new file: 0666 less the umask, as a plain write
  EXPECT_EQ(mode_of(path("a.safetensors")),
            P::owner_read | P::owner_write | P::group_read | P::others_read);
  fs::permissions(path("a.safetensors"), P::owner_read | P::owner_write | P::group_read);
  ndl::save(fc, path("a.safetensors"));  // a re-save keeps the file's mode, here 0640
  EXPECT_EQ(mode_of(path("a.safetensors")), P::owner_read | P::owner_write | P::group_read);
  ::umask(077);
  ndl::save(fc, path("b.safetensors"));
  EXPECT_EQ(mode_of(path("b.safetensors")), P::owner_read | P::owner_write);
  ::umask(old_umask);
  nn::Linear back(2, 2);
  ndl::load(back, path("a.safetensors"));
  EXPECT_EQ(back->weight.to_vector<float>(), fc->weight.to_vector<float>());
}

TEST_F(Checkpoint, SaveRemovesTemporariesLeftByInterruptedSaves) {
  // pid_max is above every pid the kernel hands out: a writer that cannot be alive.
  int64_t pid_max = 32768;
  std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
  const std::string dead = ".model.safetensors.tmp-" + std::to_string(pid_max) + "-aB3dE9";
  const std::string live = ".model.safetensors.tmp-" + std::to_string(::getpid()) + "-aB3dE9";
  const std::string live_but_old =
      ".model.safetensors.tmp-" + std::to_string(::getpid()) + "-xY7zW1";
  const std::string pidless_old = ".model.safetensors.tmp-Qw3rTy";  // mkstemp's, before pids
  const std::string pidless_new = ".model.safetensors.tmp-Zx9cVb";
  const std::string other_target = ".other.safetensors.tmp-" + std::to_string(pid_max) + "-aB3dE9";
  const std::string not_ours = ".model.safetensors.tmp-notes.txt";
  for (const std::string& name :
       {dead, live, live_but_old, pidless_old, pidless_new, other_target, not_ours}) {
    write_bytes(path(name), "partial");
  }
  const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  fs::last_write_time(path(live_but_old), two_days_ago);
  fs::last_write_time(path(pidless_old), two_days_ago);

  nn::Linear fc(2, 2);
  ndl::save(fc, path("model.safetensors"));
  EXPECT_FALSE(fs::exists(path(dead))) << "its writer is gone";
  EXPECT_FALSE(fs::exists(path(live_but_old))) << "not written for two days";
  EXPECT_FALSE(fs::exists(path(pidless_old))) << "not written for two days";
  EXPECT_TRUE(fs::exists(path(live))) << "its writer may still be writing it";
  EXPECT_TRUE(fs::exists(path(pidless_new))) << "recent, and its writer is unknown";
  EXPECT_TRUE(fs::exists(path(other_target))) << "another target's";
  EXPECT_TRUE(fs::exists(path(not_ours))) << "not a name save() writes";
  EXPECT_TRUE(fs::exists(path("model.safetensors")));
}

// Label and index range checks (Backend::check_index_range) on every device: SoftmaxLoss,
// one_hot and gather report an out-of-range value with its position. On the CPU they throw at
// the call; on a GPU the call only queues a device-side check, and the IndexError comes from
// the next point where the host waits for the GPU (a read of any array of that device, or
// cuda_synchronize), once, after which the device is usable again. The cpu instances run the
// same checks here; the cuda ones skip with the reason when no GPU is present.
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/device_test_util.h"

namespace {

using needle::DType;
using needle::IndexError;
using needle::NDArray;
using needle::Tensor;

class IndexCheckTest : public device_test::DeviceTest {
 protected:
  Tensor labels(const std::vector<int64_t>& v, DType dtype = DType::Int64) const {
    return Tensor(
        NDArray::from_vector(v, {static_cast<int64_t>(v.size())}).astype(dtype).to(device()));
  }

  // `queue` makes the checked call and returns something of the device to read; `read` reads
  // it. On the CPU `queue` must throw the IndexError; on a GPU `queue` must not throw nor wait
  // (so it must not upload either: make its inputs beforehand), and `read` must throw it.
  // Either way the message must contain every one of `parts`.
  void expect_index_error(const std::function<Tensor()>& queue,
                          const std::function<void(const Tensor&)>& read,
                          const std::vector<std::string>& parts) const {
    std::string msg;
    try {
      if (device().is_cpu()) {
        queue();
      } else {
        const uint64_t waits = needle::cuda_host_sync_count();
        Tensor t = queue();
        EXPECT_EQ(needle::cuda_host_sync_count(), waits) << "the check waited for the GPU";
        read(t);
      }
      ADD_FAILURE() << "expected an IndexError";
      return;
    } catch (const IndexError& e) {
      msg = e.what();
    }
    for (const std::string& part : parts)
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
  }
};
NEEDLE_INSTANTIATE_DEVICE_TESTS(IndexCheckTest);

void read_item(const Tensor& t) {
  (void)t.item<double>();
}

TEST_P(IndexCheckTest, SoftmaxLossNamesTheLabelItsPositionAndTheClassCount) {
  needle::nn::SoftmaxLoss loss_fn;
  const Tensor logits =
      device_test::make(device_test::values(4 * 5, 1), {4, 5}, device(), DType::Float32, true);
  for (DType dt : {DType::Int64, DType::Int32, DType::UInt8}) {
    SCOPED_TRACE(std::string(needle::dtype_name(dt)));
    const Tensor bad = labels({1, 4, 7, 9}, dt);
    expect_index_error([&] { return loss_fn(logits, bad); }, read_item,
                       {"SoftmaxLoss: label 7 at position 2", "for 5 classes"});
  }
  const Tensor negative = labels({-1, 0, 0, 0});
  expect_index_error([&] { return loss_fn(logits, negative); }, read_item,
                     {"label -1 at position 0", "5 classes"});
  // Good labels after a failure: the failure was reported once and is not reported again.
  const Tensor loss = loss_fn(logits, labels({0, 1, 2, 4}));
  loss.backward();
  EXPECT_GT(loss.item<double>(), 0.0);
  EXPECT_EQ(logits.grad().shape(), (needle::Shape{4, 5}));
}

TEST_P(IndexCheckTest, OneHotAndGatherNameTheOffendingValue) {
  const Tensor bad = labels({0, 3, 4, 5});
  expect_index_error([&] { return needle::one_hot(bad, 4); },
                     [](const Tensor& t) { (void)t.to_vector<float>(); },
                     {"one_hot: label 4 at position 2", "[0, 4)"});
  // A strided view: positions count the view's elements in row-major order.
  const Tensor every_other = Tensor(labels({0, 9, 1, 9, 2, 7}).data().slice(0, 1, 6, 2));
  expect_index_error([&] { return needle::one_hot(every_other, 8); }, read_item,
                     {"label 9 at position 0"});
  const Tensor a =
      device_test::make(device_test::values(2 * 3, 2), {2, 3}, device(), DType::Float32);
  const Tensor index =
      Tensor(NDArray::from_vector(std::vector<int64_t>{2, 0, 3, 1}, {2, 2}).to(device()));
  expect_index_error([&] { return needle::gather(a, 1, index); },
                     [](const Tensor& t) { (void)t.to_vector<float>(); },
                     {"gather: index 3 at position 2", "axis 1 of shape (2, 3)"});
  // In range: the same calls succeed.
  EXPECT_EQ(needle::one_hot(labels({1, 0}), 2).to_vector<float>(),
            (std::vector<float>{0, 1, 1, 0}));
}

TEST_P(IndexCheckTest, TheFirstFailureQueuedIsTheOneReported) {
  // Two bad batches before the host waits: the error names the first; the device then works.
  needle::nn::SoftmaxLoss loss_fn;
  const Tensor logits = needle::zeros({2, 3}, device());
  const Tensor bad_first = labels({0, 3});
  const Tensor bad_second = labels({5, 0});
  expect_index_error(
      [&] {
        const Tensor first = loss_fn(logits, bad_first);  // in this order (not one expression)
        const Tensor second = loss_fn(logits, bad_second);
        return first + second;
      },
      read_item, {"label 3 at position 1"});
  if (!device().is_cpu()) needle::cuda_synchronize();  // nothing left to report
  EXPECT_NEAR(loss_fn(logits, labels({0, 2})).item<double>(), std::log(3.0), 1e-6);
}

TEST_P(IndexCheckTest, SynchronizeIsAlsoAWaitThatReports) {
  const Tensor bad = labels({0, 6});
  // Nothing is read here: on a GPU, cuda_synchronize() is the wait that reports.
  expect_index_error([&] { return needle::one_hot(bad, 3); },
                     [](const Tensor&) { needle::cuda_synchronize(); }, {"label 6 at position 1"});
}

}  // namespace

// User mistakes throw needle::Error subclasses whose messages name the op and the shapes
// (dtypes, devices) involved.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "needle/needle.h"
#include "require_cuda.h"

namespace needle {
namespace {

// Runs `f`, expects ErrorT, and checks that every fragment appears in the message.
template <typename ErrorT, typename F>
void expect_error(F&& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const ErrorT& e) {
    const std::string what = e.what();
    for (const std::string& s : fragments) {
      EXPECT_NE(what.find(s), std::string::npos) << "'" << s << "' not in: " << what;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

TEST(Errors, MatmulShapes) {
  Tensor a = zeros({2, 3}, cpu(), DType::Float32, true);
  Tensor b = zeros({4, 5});
  expect_error<ShapeError>([&] { matmul(a, b); }, {"matmul", "(2, 3)", "(4, 5)"});
  expect_error<ShapeError>(
      [&] {
        matmul(zeros({2, 3, 4}), zeros({5, 4, 2}));
      },
      {"matmul", "(2, 3, 4)", "(5, 4, 2)"});
}

TEST(Errors, Broadcasting) {
  Tensor a = zeros({2, 3}, cpu(), DType::Float32, true);
  expect_error<ShapeError>([&] { a + zeros({4}); }, {"add", "(2, 3)", "(4,)"});
  expect_error<ShapeError>([&] { a* zeros({3, 2}); }, {"mul", "(2, 3)", "(3, 2)"});
  expect_error<ShapeError>([&] { maximum(a, zeros({5})); }, {"maximum", "(2, 3)", "(5,)"});
  expect_error<ShapeError>([&] { broadcast_to(a, {4, 3}); }, {"broadcast_to", "(2, 3)"});
}

TEST(Errors, Axes) {
  Tensor a = zeros({2, 3});
  expect_error<ShapeError>([&] { sum(a, {2}); }, {"sum", "axis 2"});
  expect_error<ShapeError>([&] { max(a, {-3}); }, {"max"});
  expect_error<ShapeError>([&] { logsumexp(a, {0, 0}); }, {"logsumexp"});
  expect_error<ShapeError>([&] { permute(a, {0, 0}); }, {"permute", "(2, 3)"});
  expect_error<ShapeError>([&] { permute(a, {0}); }, {"permute", "(2, 3)"});
  expect_error<ShapeError>([&] { transpose(zeros({3})); }, {"transpose", "(3,)"});
  expect_error<ShapeError>([&] { reshape(a, {4, 2}); }, {"reshape", "(2, 3)"});
  expect_error<ShapeError>([&] { stack({a, zeros({3, 2})}); }, {"stack", "(2, 3)", "(3, 2)"});
  expect_error<ShapeError>([&] { concatenate({a, zeros({2, 4})}, 0); }, {"concatenate"});
  expect_error<IndexError>([&] { a.select(1, 3); }, {"select", "(2, 3)"});
  expect_error<ShapeError>([&] { squeeze(a, {0}); }, {"squeeze", "(2, 3)"});
}

TEST(Errors, MixedDtypes) {
  Tensor a = zeros({2, 3});
  Tensor b = zeros({2, 3}, cpu(), DType::Float64);
  expect_error<DTypeError>([&] { a + b; }, {"add", "float32", "float64", "(2, 3)"});
  expect_error<DTypeError>(
      [&] {
        matmul(a, zeros({3, 2}, cpu(), DType::Float64));
      },
      {"matmul", "float32", "float64"});
}

TEST(Errors, MixedDevices) {
  NEEDLE_REQUIRE_CUDA();
  Tensor a = zeros({2, 3});
  Tensor b = zeros({2, 3}, cuda());
  expect_error<DeviceError>([&] { a* b; }, {"mul", "cpu", "cuda:0", "(2, 3)"});
}

TEST(Errors, MissingGpu) {
  if (cuda_available()) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(zeros({2}).to(cuda()), Error);
}

TEST(Errors, NDArrayErrorsNameTheTensorOp) {
  // An error raised inside NDArray code still names the Tensor op.
  Tensor a = zeros({2, 3});
  expect_error<IndexError>([&] { a.slice({Slice(), Slice(), Slice()}); }, {"slice", "(2, 3)"});
  expect_error<ShapeError>([&] { reshape(a, {5, -1}); }, {"reshape"});
}

}  // namespace
}  // namespace needle

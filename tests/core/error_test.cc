// The error hierarchy: every failure a user can cause is a needle::Error, itself a
// std::runtime_error, so one catch clause covers the library.
#include "needle/error.h"

#include <stdexcept>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

namespace needle {
namespace {

TEST(Error, Hierarchy) {
  static_assert(std::is_base_of_v<std::runtime_error, Error>);
  static_assert(std::is_base_of_v<Error, ShapeError>);
  static_assert(std::is_base_of_v<Error, DTypeError>);
  static_assert(std::is_base_of_v<Error, DeviceError>);
  static_assert(std::is_base_of_v<Error, IndexError>);
  static_assert(std::is_base_of_v<Error, IOError>);
  // Siblings stay distinct, so a caller can tell a shape mistake from a missing file.
  static_assert(!std::is_base_of_v<ShapeError, DTypeError>);
  static_assert(!std::is_base_of_v<IOError, IndexError>);
}

TEST(Error, SubclassesAreCaughtAsError) {
  try {
    throw IOError("read: truncated file");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "read: truncated file");
  }
  try {
    throw ShapeError("matmul: inner dimensions differ");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "matmul: inner dimensions differ");
  }
}

TEST(Error, CheckMacroFormatsTheMessage) {
  try {
    NEEDLE_CHECK(2 < 1, "op: {} and {} differ", 2, "three");
    FAIL() << "NEEDLE_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "op: 2 and three differ");
  }
}

TEST(Error, CheckAsThrowsTheNamedType) {
  EXPECT_THROW(NEEDLE_CHECK_AS(IndexError, false, "index {} out of range", 7), IndexError);
  try {
    NEEDLE_CHECK_AS(DeviceError, false, "mixed devices: {} and {}", "cpu", "cuda:0");
    FAIL() << "NEEDLE_CHECK_AS did not throw";
  } catch (const DeviceError& e) {
    EXPECT_STREQ(e.what(), "mixed devices: cpu and cuda:0");
  }
}

TEST(Error, CheckEvaluatesConditionOnceAndMessageOnlyOnFailure) {
  // Checks sit on hot paths: a passing one must not format its message, and neither half may
  // evaluate the condition twice (it can have side effects or be expensive).
  int conditions = 0, formatted = 0;
  auto condition = [&](bool value) {
    ++conditions;
    return value;
  };
  auto count = [&] { return ++formatted; };
  NEEDLE_CHECK(condition(true), "{}", count());
  EXPECT_EQ(conditions, 1);
  EXPECT_EQ(formatted, 0);
  try {
    NEEDLE_CHECK(condition(false), "failure {}", count());
    FAIL() << "NEEDLE_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "failure 1");
  }
  EXPECT_EQ(conditions, 2);
  EXPECT_EQ(formatted, 1);
}

}  // namespace
}  // namespace needle

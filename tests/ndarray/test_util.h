// Helpers shared by the NDArray tests: quick array builders and an assertion that a call throws
// a given needle::Error subclass whose message contains every expected fragment.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "needle/ndarray.h"

namespace needle::testing {

// 0, 1, ..., numel-1 as `dtype`, in `shape`.
inline NDArray iota(const Shape& shape, DType dtype = DType::Float32) {
  return NDArray::arange(numel(shape), DType::Int64).astype(dtype).reshape(shape);
}

template <typename T = float>
std::vector<T> values(const NDArray& a) {
  return a.to_vector<T>();
}

// Runs `fn`, expects it to throw exactly `E` (or a subclass), and checks the message contains
// every string in `parts`.
template <typename E>
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos)
          << "message \"" << msg << "\" lacks \"" << p << "\"";
    }
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong exception type: " << e.what();
    return;
  }
  ADD_FAILURE() << "did not throw";
}

}  // namespace needle::testing

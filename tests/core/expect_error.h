// A test helper: runs `fn`, expects it to throw exactly an `E` (or a subclass) whose message
// contains `expected`. Error messages are part of the API (ARCHITECTURE.md, "Errors"), so the
// tests check their words, not only their types.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace needle::testing {

template <typename E, typename Fn>
void expect_error(Fn&& fn, std::string_view expected) {
  try {
    fn();
  } catch (const E& e) {
    EXPECT_NE(std::string_view(e.what()).find(expected), std::string_view::npos)
        << "message \"" << e.what() << "\" lacks \"" << expected << "\"";
    return;
  }
  ADD_FAILURE() << "expected an exception containing \"" << expected << "\"";
}

}  // namespace needle::testing

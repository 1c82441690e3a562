// Uses the installed libneedle through its public umbrella header and checks a few results, so
// that a broken package (missing header, unexported symbol, wrong RPATH, missing dependency)
// fails loudly: the exit code is non-zero on any mismatch or error.
#include <needle/needle.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

namespace ndl = needle;

namespace {

int failures = 0;

void check(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); ++i)
    ok = std::fabs(got[i] - want[i]) < 1e-5f;
  if (!ok) {
    ++failures;
    std::cerr << "consumer: " << what << " mismatch: got " << fmt::format("{}", got) << ", want "
              << fmt::format("{}", want) << "\n";
  }
}

}  // namespace

int main() {
  try {
    // a = [[1, 2, 3], [4, 5, 6]]
    ndl::NDArray a = ndl::NDArray::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
    ndl::NDArray row = ndl::NDArray::from_vector(std::vector<float>{10, 20, 30}, {3});

    ndl::NDArray b = a + row;  // broadcasts the row over both rows of a
    ndl::NDArray s = ndl::sum(a, {1});
    ndl::NDArray m = ndl::matmul(a, a.transpose());  // a @ a^T, the transpose is a view

    // fmt is a public dependency: its formatter for NDArray must work in consumer code.
    fmt::print("a + row =\n{}\n", b);
    std::cout << "sum(a, axis=1) = " << s << "\n";
    std::cout << "a @ a^T =\n" << m << "\n";

    check("shape of a + row", {float(b.shape(0)), float(b.shape(1))}, {2, 3});
    check("a + row", b.to_vector<float>(), {11, 22, 33, 14, 25, 36});
    check("sum(a, axis=1)", s.to_vector<float>(), {6, 15});
    check("a @ a^T", m.to_vector<float>(), {14, 32, 32, 77});
    check("a.transpose() is a view", {float(a.transpose().shares_storage(a))}, {1});

    // Errors reach the consumer as needle::Error with the shapes named.
    try {
      (void)ndl::matmul(a, a);
      ++failures;
      std::cerr << "consumer: matmul of (2, 3) @ (2, 3) did not throw\n";
    } catch (const ndl::Error& e) {
      std::cout << "expected error: " << e.what() << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "consumer: unexpected error: " << e.what() << "\n";
    return 1;
  }
  if (failures > 0) {
    std::cerr << "consumer: " << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "consumer: all checks passed\n";
  return 0;
}

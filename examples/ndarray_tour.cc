// A short tour of needle's NDArray: creation, views that share memory, broadcasting
// arithmetic, reductions and a matrix product, each printed as it goes. It runs on the CPU, or
// on the first GPU when one is present (pass "cpu" or "cuda:0" to choose).
//
//   build/examples/ndarray_tour [cpu|cuda|cuda:N]
#include <needle/needle.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace ndl = needle;

namespace {

void show(const std::string& title, const ndl::NDArray& a) {
  fmt::print("{} {} {}:\n{}\n\n", title, ndl::shape_str(a.shape()), a.dtype(), a);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const ndl::Device device = argc > 1 ? ndl::parse_device(argv[1]) : ndl::default_device();
    fmt::print("needle NDArray tour on {}\nCUDA: {}\n\n", device, ndl::cuda_status());

    // --- creation ---------------------------------------------------------------------------
    ndl::NDArray a =
        ndl::NDArray::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, device);
    show("a = from_vector", a);
    show("arange(12).reshape({3, 4})",
         ndl::NDArray::arange(12, ndl::DType::Float32, device).reshape({3, 4}));
    ndl::manual_seed(0);  // the same numbers on every run and on every device
    show("rand({2, 2}) after manual_seed(0)",
         ndl::NDArray::rand({2, 2}, 0.0, 1.0, ndl::DType::Float32, device));

    // --- views: no copies, the same storage seen through other strides ---------------------
    ndl::NDArray t = a.transpose();
    show("a.transpose()", t);
    fmt::print("a.transpose() shares a's storage: {}, strides ({}), compact: {}\n\n",
               t.shares_storage(a), fmt::join(t.strides(), ", "), t.is_compact());
    show("a.slice(1, 0, 3, 2)  (every other column)", a.slice(1, 0, 3, 2));
    show("a.flip({1})", a.flip({1}));

    // --- broadcasting arithmetic ------------------------------------------------------------
    ndl::NDArray row = ndl::NDArray::from_vector(std::vector<float>{10, 20, 30}, {3}, device);
    ndl::NDArray col = ndl::NDArray::from_vector(std::vector<float>{100, 200}, {2, 1}, device);
    show("a + row  ((2, 3) + (3,))", a + row);
    show("a * col  ((2, 3) * (2, 1))", a * col);
    show("relu(a - 3.5) * 2", ndl::relu(a - 3.5) * 2.0);
    show("a > 2.5  (comparisons give bool)", ndl::gt(a, 2.5));

    // --- reductions -------------------------------------------------------------------------
    show("sum(a)", ndl::sum(a));
    show("sum(a, {0})", ndl::sum(a, {0}));
    show("mean(a, {1}, keepdims)", ndl::mean(a, {1}, /*keepdims=*/true));
    show("argmax(a, 1)", ndl::argmax(a, 1));

    // --- matrix product: the transpose goes to BLAS as a flag, not a copy ------------------
    show("matmul(a, a.transpose())", ndl::matmul(a, t));

    // --- mistakes are needle::Error with the shapes named ----------------------------------
    try {
      ndl::matmul(a, a);
    } catch (const ndl::Error& e) {
      fmt::print("matmul(a, a) throws needle::Error: {}\n", e.what());
    }
    return EXIT_SUCCESS;
  } catch (const ndl::Error& e) {
    std::cerr << "ndarray_tour: " << e.what() << "\n";
    return EXIT_FAILURE;
  }
}

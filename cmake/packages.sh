# shellcheck shell=bash
# The Debian 12 packages libneedle needs, in one place. Sourced by cmake/install-deps.sh (which
# installs them all here and in CI) and by tests/gpu/fetch-debs.sh (which downloads the library
# packages, with their dependencies, for the GPU machine, whose image has a compiler, CMake, the
# CUDA toolkit and PyTorch but none of these). A library added to the build goes into one of
# the first two lists and so reaches both places; tests/gpu/rehearse.sh proves that the GPU
# build needs nothing else.

# Libraries the library, its examples and its installed package are built against.
NEEDLE_BUILD_LIBRARIES=(
  libopenblas-openmp-dev  # the OpenMP build: one thread pool shared with needle's kernels
  libfmt-dev zlib1g-dev nlohmann-json3-dev
  libcli11-dev  # the examples' command lines
)
# Libraries of the test suites and benchmarks.
NEEDLE_TEST_LIBRARIES=(libgtest-dev libgmock-dev googletest libbenchmark-dev)
# Tools of the development machine and CI (the GPU machine brings its own compiler and CMake).
# The sanitizer build and the fuzz targets (cmake/NeedleSanitize.cmake, tests/fuzz) need clang,
# its sanitizer and libFuzzer runtimes, its OpenMP runtime, and llvm-symbolizer (in `llvm`) for
# readable reports.
NEEDLE_TOOLS=(cmake g++ pkg-config ccache clang-format
  clang libclang-rt-14-dev libomp-14-dev llvm)
# Data the training examples read: /usr/share/datasets/fashion-mnist.
NEEDLE_DATA=(dataset-fashion-mnist)

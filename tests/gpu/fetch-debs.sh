#!/usr/bin/env bash
# Downloads (never installs) the Debian packages that tests/gpu/run.sh unpacks on the GPU
# machine, which has nvcc, CMake and PyTorch but no internet and none of needle's -dev
# dependencies. Run it here, in the repository, before a GPU session; the .deb files land in
# the git-ignored .gpu-debs/ and travel with the session (carry: [".gpu-debs"]).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
mkdir -p .gpu-debs
cd .gpu-debs
# Build dependencies of CMakeLists.txt (fmt, OpenBLAS with OpenMP, zlib, nlohmann-json), of the
# tests (GoogleTest) and of the benchmarks (Google Benchmark), with the runtime libraries they
# pull in that a CUDA image may lack (gfortran/quadmath for OpenBLAS, gomp).
packages=(
  libfmt-dev libfmt9
  libopenblas-openmp-dev libopenblas0-openmp libgfortran5 libquadmath0 libgomp1
  zlib1g-dev zlib1g
  nlohmann-json3-dev
  libgtest-dev
  libbenchmark-dev libbenchmark1debian
)
rm -f ./*.deb
apt-get download "${packages[@]}"
ls -la
du -sh .

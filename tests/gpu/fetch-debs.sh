#!/usr/bin/env bash
# Prepares what tests/gpu/run.sh needs on the GPU machine and cannot get there (its image has a
# compiler, CMake, ninja, the CUDA toolkit and PyTorch, but no package registry and none of
# needle's -dev libraries). Run it here, on a machine with apt, from the repository; everything
# lands in the git-ignored .gpu-debs/, which travels with the run (device tool: carry
# [".gpu-debs"]):
#
#   .gpu-debs/*.deb            the library packages of cmake/packages.sh (NEEDLE_BUILD_LIBRARIES
#                              and NEEDLE_TEST_LIBRARIES) with every package they pull in that a
#                              C++ toolchain does not already bring (downloaded, never installed)
#   .gpu-debs/fashion-mnist/   a Fashion-MNIST subset (the first 10,000 training and 2,000 test
#                              images, gzipped IDX) for run.sh's one-epoch train_resnet line: the
#                              whole set would not fit the 64 MiB that may travel
#
# About 20 MB in all. Re-run it after a library is added to cmake/packages.sh.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
# shellcheck source=cmake/packages.sh
source cmake/packages.sh

# apt-cache and apt-get download need the package lists (a machine that installed everything
# long ago may have none).
if ! apt-cache show "${NEEDLE_BUILD_LIBRARIES[0]}" >/dev/null 2>&1; then apt-get update -q; fi

# Recursive Depends/Pre-Depends of the given packages (virtual packages, in <>, dropped).
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u
}
# What any machine with a C++ compiler has (the GPU image's g++ brings the same: libc, libstdc++,
# libgcc, libgomp, libquadmath ...): not carried.
mapfile -t toolchain < <(closure g++)
mapfile -t packages < <(comm -23 <(closure "${NEEDLE_BUILD_LIBRARIES[@]}" \
  "${NEEDLE_TEST_LIBRARIES[@]}") <(printf '%s\n' "${toolchain[@]}"))
echo "fetch-debs: ${#packages[@]} packages: ${packages[*]}"

rm -rf .gpu-debs
mkdir -p .gpu-debs/fashion-mnist
(cd .gpu-debs && apt-get download "${packages[@]}")

# The Fashion-MNIST subset, cut from Debian's dataset-fashion-mnist files by examples/cut_idx.py
# (the IDX header's count is rewritten and the records after it kept, so MNISTDataset validates
# it like the full files).
data=/usr/share/datasets/fashion-mnist
if [[ -f "$data/train-images-idx3-ubyte.gz" ]]; then
  python3 examples/cut_idx.py "$data" .gpu-debs/fashion-mnist 10000 2000
else
  echo "fetch-debs: $data not found (apt-get install dataset-fashion-mnist): run.sh will skip" \
       "its train_resnet line"
  rmdir .gpu-debs/fashion-mnist
fi
ls -la .gpu-debs .gpu-debs/fashion-mnist 2>/dev/null || true
du -sh .gpu-debs

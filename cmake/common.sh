# shellcheck shell=bash
# Sourced by cmake/run-main.sh and cmake/run-tests.sh (and so by .ci/run): where the checkout
# and the build live, section headers, and the one configure step, so that the README's two
# commands and CI build the same way and never drift apart.
#
# Environment knobs (all optional):
#   NEEDLE_BUILD_DIR  build folder (default: <checkout>/build, so programs land in build/examples)
#   NEEDLE_JOBS       parallel compile jobs (default: nproc)
#   NEEDLE_CUDA       AUTO | ON | OFF (default AUTO: the CUDA backend builds when nvcc and cuBLAS
#                     are found)
#   CUDAARCHS         CUDA architectures to compile for, e.g. 90 or "80;90"; CI (CI=true) uses 90
#                     so that CUDA code compiles once, for one architecture
#   NEEDLE_SKIP_DEPS  1 to skip apt-get (for a machine where you are not root)

NEEDLE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NEEDLE_BUILD_DIR=${NEEDLE_BUILD_DIR:-$NEEDLE_ROOT/build}
NEEDLE_JOBS=${NEEDLE_JOBS:-$(nproc)}
# ccache keys on the absolute paths of the command line unless it knows where the checkout is:
# with base_dir a clone in another folder (CI clones afresh) reuses what this one compiled. The
# sanitizer build's debug info (-g1) would still put the build folder into the key; hash_dir off
# leaves it out, at the price of that debug info naming the folder that first compiled it.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$NEEDLE_ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

section() {
  printf '\n======== %s ========\n' "$*"
}

# Configures $NEEDLE_BUILD_DIR; extra arguments are passed to cmake. Safe to run again: an
# existing build folder is reconfigured and rebuilt incrementally.
needle_configure() {
  # Debian's CUDA toolkit layout puts nvcc in /usr/local/cuda/bin, which a fresh root shell
  # may not have on PATH; without it NEEDLE_CUDA=AUTO would silently build CPU-only.
  if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
  fi
  local args=(-S "$NEEDLE_ROOT" -B "$NEEDLE_BUILD_DIR" --no-warn-unused-cli
    -DNEEDLE_CUDA="${NEEDLE_CUDA:-AUTO}" -DNEEDLE_WARNINGS_AS_ERRORS=ON)
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  local archs=${CUDAARCHS:-}
  if [ -z "$archs" ] && [ "${CI:-}" = true ]; then
    archs=90
  fi
  if [ -n "$archs" ]; then
    args+=(-DCMAKE_CUDA_ARCHITECTURES="$archs")
  fi
  cmake "${args[@]}" "$@"
}

# The sanitizer build: CPU only (the CUDA backend cannot be sanitized), clang, ASan + UBSan, with
# the libFuzzer targets of tests/fuzz. The sanitizer stage of run-tests.sh and tests/fuzz/run.sh
# configure it alike, so that one build serves both.
needle_configure_sanitized() {
  NEEDLE_CUDA=OFF needle_configure -DCMAKE_CXX_COMPILER=clang++ -DNEEDLE_SANITIZE=address,undefined \
    -DNEEDLE_FUZZ=ON -DNEEDLE_BUILD_EXAMPLES=OFF "$@"
}

needle_build() {
  cmake --build "$NEEDLE_BUILD_DIR" -j "$NEEDLE_JOBS" "$@"
}

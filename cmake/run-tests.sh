#!/usr/bin/env bash
# The README's test command, and exactly what CI runs (.ci/run): installs what is missing,
# checks formatting, builds everything with warnings as errors, runs every test with ctest,
# then installs libneedle into a temporary prefix and builds and runs tests/consumer against
# it, through find_package and through pkg-config, rehearses the GPU script's configure in an
# environment stripped like the GPU image (tests/gpu/rehearse.sh), builds the CPU library and
# its CPU test suites with AddressSanitizer + UBSan (LeakSanitizer on) and runs them, and runs
# each fuzz target of tests/fuzz for a short while in that same build. Exits non-zero if any
# step fails; a failing test, format, consumer, sanitizer or fuzz check lets the remaining steps
# run first so one run shows them all.
#
# NEEDLE_SANITIZE_BUILD_DIR (default build-sanitize) is the sanitizer build's folder and
# NEEDLE_FUZZ_SECONDS (default 30) how long each fuzz target runs.
set -euo pipefail

# shellcheck source=cmake/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$NEEDLE_ROOT"

failed=()  # names of the checks that failed, for the summary

section "1/9 dependencies"
bash cmake/install-deps.sh

section "2/9 formatting (clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -n 1))"
# Every C++/CUDA source in the checkout; git knows which files belong to it (build folders
# excluded), and a plain copy without .git falls back to find.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t sources < <(git ls-files --cached --others --exclude-standard -- \
    '*.h' '*.hpp' '*.cc' '*.cpp' '*.cu' '*.cuh' | sort -u)
else
  mapfile -t sources < <(find . \( -path './build*' -o -path './.git' \) -prune -o -type f \
    \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' -o -name '*.cu' \
    -o -name '*.cuh' \) -print | sed 's|^\./||' | sort)
fi
unformatted=()
for f in "${sources[@]}"; do
  [ -f "$f" ] || continue  # deleted in the work tree but still in the index
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -eq 0 ]; then
  echo "all ${#sources[@]} files formatted"
else
  printf 'not formatted (fix with: clang-format -i FILE):\n'
  printf '  %s\n' "${unformatted[@]}"
  failed+=("formatting")
fi

section "3/9 configure"
needle_configure -DNEEDLE_BUILD_TESTS=ON -DNEEDLE_BUILD_EXAMPLES=ON

section "4/9 build (-j$NEEDLE_JOBS)"
# shellcheck disable=SC2119  # needle_build takes cmake arguments, not the script's
needle_build

section "5/9 tests (ctest)"
ctest_log="$NEEDLE_BUILD_DIR/ctest.log"
ctest --test-dir "$NEEDLE_BUILD_DIR" --output-on-failure -j2 --timeout 900 2>&1 \
  | tee "$ctest_log" || failed+=("ctest")

section "6/9 install and consumer (tests/consumer)"
prefix=$(mktemp -d "${TMPDIR:-/tmp}/needle-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
consumer_check() {
  cmake --install "$NEEDLE_BUILD_DIR" --prefix "$prefix" | tail -n 3
  # The installed package must name nothing from this checkout or its build folder (a
  # build-only target such as needle_warnings, or an absolute source path).
  if grep -n -e needle_warnings -e "$NEEDLE_ROOT" "$prefix"/lib*/cmake/needle/*.cmake; then
    echo "the installed CMake package refers to the build tree (lines above)" >&2
    return 1
  fi
  echo "-- find_package(needle) consumer"
  cmake -S tests/consumer -B "$prefix/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$prefix/consumer-build" -j "$NEEDLE_JOBS" >/dev/null
  # No LD_LIBRARY_PATH: the consumer must find libneedle through its RPATH alone.
  env -u LD_LIBRARY_PATH "$prefix/consumer-build/consumer"
}
pkgconfig_check() {
  echo "-- pkg-config consumer"
  local pc
  pc=$(find "$prefix" -name needle.pc -print -quit)
  [ -n "$pc" ] || { echo "needle.pc was not installed" >&2; return 1; }
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc")
  echo "pkg-config --cflags --libs needle: $(pkg-config --cflags --libs needle)"
  # shellcheck disable=SC2046  # the flags are meant to split into words
  c++ -O1 tests/consumer/main.cc $(pkg-config --cflags --libs needle) \
    -Wl,-rpath,"$(pkg-config --variable=libdir needle)" -o "$prefix/consumer-pkgconfig"
  env -u LD_LIBRARY_PATH "$prefix/consumer-pkgconfig" >/dev/null
  echo "pkg-config consumer passed"
}
consumer_check || failed+=("find_package consumer")
pkgconfig_check || failed+=("pkg-config consumer")

section "7/9 GPU script rehearsal (tests/gpu/rehearse.sh --configure-only)"
# The GPU machine's image lacks every Debian library: the GPU script must find each one in the
# packages it carries. Configuring in a namespace where /usr is stripped like that image proves
# it here, so a library added without being carried fails CI, not a rare GPU lease.
rehearsal_check() {
  if ! unshare -m true 2>/dev/null; then
    echo "skipped: this machine cannot make mount namespaces (needs root and unshare)"
    return 0
  fi
  bash tests/gpu/fetch-debs.sh >/dev/null && bash tests/gpu/rehearse.sh --configure-only | tail -n 4
}
rehearsal_check || failed+=("GPU script rehearsal")

san_dir=${NEEDLE_SANITIZE_BUILD_DIR:-$NEEDLE_ROOT/build-sanitize}
section "8/9 sanitizers (clang, address,undefined, CPU only: $san_dir)"
# Every CPU suite: the readers of untrusted files (data, nn's checkpoints) and the threads
# (DataLoader) most of all. soak_tests is left out: ASan's quarantine grows resident memory by
# design, which is what that suite measures.
san_suites=(core_tests ndarray_tests cpu_backend_tests conformance_tests data_tests autograd_tests
  nn_tests optim_tests conv_tests)
san_targets=("${san_suites[@]}" save_for_pytorch)  # nn_tests' PyTorch check runs this program
san_log="$san_dir/ctest.log"
sanitizer_check() {
  NEEDLE_BUILD_DIR=$san_dir needle_configure_sanitized | tail -n 1 || return 1
  local build_log="$san_dir/build.log"
  echo "building ${san_targets[*]} (log: $build_log)"
  if ! NEEDLE_BUILD_DIR=$san_dir needle_build --target "${san_targets[@]}" >"$build_log" 2>&1; then
    grep -E -B 2 -A 6 'error|Error' "$build_log" | head -n 60
    return 1
  fi
  local labels
  labels="^($(IFS='|' && echo "${san_suites[*]}"))\$"
  # A finding aborts the test that made it (UBSan does not recover; see NeedleSanitize.cmake).
  local rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$san_dir" -L "$labels" --output-on-failure -j2 --timeout 900 \
    >"$san_log" 2>&1 || rc=$?
  # The findings (with a few frames each), ctest's line and the failed tests; the log has all.
  grep -E -A 4 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$san_log" | head -n 80 || true
  grep -E '[0-9]+% tests passed|\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)' "$san_log" || true
  echo "(log: $san_log)"
  return $rc
}
sanitizer_check || failed+=("sanitizer tests")

fuzz_seconds=${NEEDLE_FUZZ_SECONDS:-30}
section "9/9 fuzz (tests/fuzz/run.sh $fuzz_seconds: each target $fuzz_seconds s)"
# The build is the sanitizer stage's: only the fuzz targets are left to compile.
NEEDLE_SANITIZE_BUILD_DIR=$san_dir bash tests/fuzz/run.sh "$fuzz_seconds" 2>&1 \
  | { grep -v -E '^\[ *[0-9]+%\]|^-- ' || true; } || failed+=("fuzz")

section "summary"
# ctest's own line, then one plain line counting every check: the ctest tests plus the six
# checks above (formatting, the two consumers, the GPU script rehearsal, the sanitizer suites
# and the fuzz targets).
ctest_line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log" || true)
ctest_total=0
ctest_failed=0
if [ -n "$ctest_line" ]; then
  echo "ctest: $ctest_line"
  ctest_total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$ctest_line")
  ctest_failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$ctest_line")
else
  echo "ctest: no summary line (did it run?)"
  [[ " ${failed[*]} " == *" ctest "* ]] || failed+=("ctest")
fi
extra_failed=0
for f in "${failed[@]}"; do
  [ "$f" = ctest ] || extra_failed=$((extra_failed + 1))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
fi
echo "checks: $((ctest_total - ctest_failed + 6 - extra_failed)) passed, $((ctest_failed + extra_failed)) failed"
[ ${#failed[@]} -eq 0 ]

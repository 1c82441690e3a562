#!/usr/bin/env bash
# Builds the fuzz targets of tests/fuzz into the sanitizer build, build-sanitize/ (clang, ASan +
# UBSan, the readers with coverage for libFuzzer; cmake/common.sh's needle_configure_sanitized,
# which cmake/run-tests.sh tests too), and runs each for SECONDS (default 60):
#   bash tests/fuzz/run.sh [SECONDS]
# One line per target gives its executions, crashes and corpus size; it exits non-zero when a
# target crashed (a sanitizer report, an exception other than needle::Error, a timeout or a
# leak). The crashing input is kept under build-sanitize/fuzz/artifacts/TARGET/; rerun one with
#   build-sanitize/tests/fuzz/TARGET FILE
# Inputs libFuzzer finds interesting stay in build-sanitize/fuzz/corpus/TARGET, so later runs go
# on from there; the seeds (tests/fuzz/make_seeds.cc) are written afresh each run.
# Environment: NEEDLE_SANITIZE_BUILD_DIR (default build-sanitize), NEEDLE_JOBS, and
# NEEDLE_FUZZ_TARGETS (names, e.g. "mnist_fuzz"; default every tests/fuzz/*_fuzz.cc).
set -euo pipefail

# shellcheck source=cmake/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../cmake/common.sh"
cd "$NEEDLE_ROOT"

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tests/fuzz/run.sh [SECONDS]  (seconds per target, default 60)" >&2
  exit 2
fi
NEEDLE_BUILD_DIR=${NEEDLE_SANITIZE_BUILD_DIR:-$NEEDLE_ROOT/build-sanitize}
if [ -n "${NEEDLE_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$NEEDLE_FUZZ_TARGETS"
else
  mapfile -t targets < <(find tests/fuzz -maxdepth 1 -name '*_fuzz.cc' -printf '%f\n' \
    | sed 's/\.cc$//' | sort)
fi

section "fuzz: build ${targets[*]} ($NEEDLE_BUILD_DIR: clang, address,undefined, libFuzzer)"
# shellcheck disable=SC2119
needle_configure_sanitized | tail -n 1
needle_build --target "${targets[@]}" make_seeds

work=$NEEDLE_BUILD_DIR/fuzz
# The targets write every input to a file (fuzz_util.h): on a tmpfs that costs no disk.
scratch_root=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch_root=/dev/shm; fi
scratch=$(mktemp -d "$scratch_root/needle-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
rm -rf "$work/seeds"
"$NEEDLE_BUILD_DIR/tests/fuzz/make_seeds" "$work/seeds"

section "fuzz: ${#targets[@]} targets, ${seconds} s each"
# One thread: libFuzzer runs one input at a time, and the library's OpenMP runtime (clang's
# libomp) then never meets OpenBLAS's libgomp in a parallel region.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
bad=()
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t artifacts=$work/artifacts/$t log=$work/$t.log
  mkdir -p "$corpus" "$artifacts" "$work/seeds/$t"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/")
  dict=tests/fuzz/${t%_fuzz}.dict
  [ -f "$dict" ] && args+=(-dict="$dict")
  marker=$work/.started-$t
  touch "$marker"
  rc=0
  TMPDIR=$scratch "$NEEDLE_BUILD_DIR/tests/fuzz/$t" "${args[@]}" "$corpus" "$work/seeds/$t" \
    >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' \
    || echo "?")
  mapfile -t found < <(find "$artifacts" -type f -newer "$marker")
  crashes=${#found[@]}
  echo "$t: $execs executions in ${seconds} s, $crashes crashes, corpus $(find "$corpus" -type f | wc -l) inputs (log: $log)"
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    bad+=("$t")
    grep -m 1 -E 'ERROR: |runtime error|uncaught|deadly signal|Test unit written' "$log" || true
    tail -n 30 "$log" | grep -E '^(    #|SUMMARY|artifact_prefix|Test unit)' || true
    for f in "${found[@]}"; do echo "  reproduce: $NEEDLE_BUILD_DIR/tests/fuzz/$t $f"; done
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${bad[*]}"
  exit 1
fi
echo "fuzz: no crashes in ${#targets[@]} targets"

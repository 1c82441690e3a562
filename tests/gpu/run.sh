#!/usr/bin/env bash
# One command for a GPU machine: builds libneedle with its CUDA backend against the packages
# carried in .gpu-debs/ (tests/gpu/fetch-debs.sh), proves that CUDA initialises, runs every test
# suite with NEEDLE_REQUIRE_CUDA=1 (a CUDA test that would skip fails instead), the GPU
# benchmarks and their PyTorch twins on the same GPU, and one epoch of train_resnet, and prints
# one summary table. Built to use a short lease well: it stops at the first configure or build
# error with the error shown, fits one 10-minute command on 16 cores (README, "On a GPU
# machine", gives the phases and their durations), and streams every log into the output
# folder as it goes, so a run that is killed still brings back what it did.
#
#   tests/gpu/run.sh [--out DIR] [--no-cudnn]    on the GPU machine
#   tests/gpu/run.sh --dry [--out DIR]           anywhere: every step but those that need a GPU
#                                                (build, probe, the CUDA suite, skipping)
#   tests/gpu/run.sh --dry --configure-only      up to and including configure
#   tests/gpu/rehearse.sh                        --dry in an environment stripped like the GPU
#                                                image (see there)
#
# Output folder (--out, else $OUT, else <build>/gpu-logs), at most 8 files: run.log (all of this
# script's output), build.log, tests.log (ctest), tests.xml (ctest's JUnit), needle_bench.json,
# torch_bench.json, summary.txt.
#
# Environment: NEEDLE_GPU_DEBS (the carried packages, default <repo>/.gpu-debs),
# NEEDLE_DEPS_PREFIX (default /tmp/needle-deps), NEEDLE_GPU_BUILD (default
# <repo>/build-gpu), NEEDLE_GPU_JOBS (default nproc), CMAKE_CUDA_ARCHITECTURES (default: the
# GPU's compute capability), CUDNN_ROOT / NCCL_ROOT (searched first).
#
# Exit status: 0 when everything ran and passed; 1 otherwise (the summary says what).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DRY=0
CONFIGURE_ONLY=0
CUDNN=1
OUT_DIR="${OUT:-}"
while (($#)); do
  case "$1" in
    --dry) DRY=1 ;;
    --no-cudnn) CUDNN=0 ;;
    --configure-only) CONFIGURE_ONLY=1 ;;
    --out) OUT_DIR="$2"; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;/^set -euo/d'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
DEBS="${NEEDLE_GPU_DEBS:-$ROOT/.gpu-debs}"
PREFIX="${NEEDLE_DEPS_PREFIX:-/tmp/needle-deps}"
BUILD="${NEEDLE_GPU_BUILD:-$ROOT/build-gpu}"
JOBS="${NEEDLE_GPU_JOBS:-$(nproc)}"
LOGS="${OUT_DIR:-$BUILD/gpu-logs}"
MA=x86_64-linux-gnu
mkdir -p "$LOGS"
rm -f "$LOGS"/{run.log,build.log,tests.log,tests.xml,needle_bench.json,torch_bench.json,summary.txt}
# Everything below also goes to run.log, line by line as it is printed.
exec > >(tee -a "$LOGS/run.log") 2>&1

phase() {  # phase NAME EXPECTED: a header with the elapsed time and the expected duration
  printf '\n=== [%3ds] %s (expected on 16 cores: %s)\n' "$SECONDS" "$1" "$2"
}
die() {
  printf '\nrun.sh: FAILED after %ds: %s\n' "$SECONDS" "$*"
  exit 1
}
status=0  # becomes 1 when a later phase fails; the summary still runs

# --- 1. carried packages ----------------------------------------------------------------------
phase "unpacking .gpu-debs into $PREFIX" "2 s"
shopt -s nullglob
debs=("$DEBS"/*.deb)
((${#debs[@]} > 0)) || die "no .deb files in $DEBS: run tests/gpu/fetch-debs.sh on a" \
  "machine with apt and carry .gpu-debs (device tool: carry [\".gpu-debs\"])"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
for deb in "${debs[@]}"; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$PREFIX" || die "unpacking $deb failed"
  else  # a .deb is an ar archive holding data.tar.*
    member="$(ar t "$deb" | grep '^data\.tar')" || die "$deb has no data.tar"
    (cd "$PREFIX" && ar p "$deb" "$member" | tar -x -a -f - 2>/dev/null ||
      ar p "$deb" "$member" | tar -xJ) || die "unpacking $deb failed"
  fi
done
# Absolute links (zlib1g-dev's libz.so -> /lib/...) must point into the prefix.
while IFS= read -r link; do
  target="$(readlink "$link")"
  if [[ "$target" == /* && -e "$PREFIX$target" ]]; then ln -sfn "$PREFIX$target" "$link"; fi
done < <(find "$PREFIX" -type l)
# A runtime library the machine already has stays the machine's: its compiler's libgomp or
# libgfortran is at least as new as Debian's, and shadowing it could break that compiler's code.
# (ld.so's cache can name files that are gone: the one it names must exist.)
system_libs="$(ldconfig -p 2>/dev/null || true)"
for lib in libgomp.so.1 libgfortran.so.5 libquadmath.so.0 libz.so.1; do
  path="$(awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}' <<<"$system_libs")"
  if [[ -n "$path" && -e "$path" ]]; then
    find "$PREFIX" -name "$lib*" ! -name '*.a' -exec rm -f {} +
    echo "using the machine's $path"
  fi
done
echo "unpacked ${#debs[@]} packages: $(basename -a "${debs[@]}" | sed 's/_.*//' | tr '\n' ' ')"

command -v readelf >/dev/null || die "readelf not found (binutils): cannot check the carried libraries"
# The carried libraries were built on Debian 12: they need its glibc and libstdc++ or newer.
# Every symbol version they require must be defined by this machine's libraries.
system_lib() { gcc -print-file-name="$1" 2>/dev/null || true; }
defined_versions() {  # the version names a shared library defines
  readelf -V --wide "$1" 2>/dev/null | sed -n '/Version definition section/,/Version needs section/p' |
    grep -oE 'Name: [A-Z_]+[0-9][0-9.]*' | sed 's/Name: //' || true
}
provided="$(for l in libc.so.6 libm.so.6 libstdc++.so.6 libgcc_s.so.1; do
  f="$(system_lib "$l")"; [[ -e "$f" ]] && defined_versions "$(readlink -f "$f")"; done | sort -u)"
missing_versions=()
while IFS= read -r so; do
  while IFS= read -r v; do
    grep -qxF "$v" <<<"$provided" || missing_versions+=("$(basename "$so") needs $v")
  done < <(readelf -V --wide "$so" 2>/dev/null | sed -n '/Version needs section/,$p' |
    grep -oE 'Name: (GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+' | sed 's/Name: //' | sort -u)
done < <(find "$PREFIX" -type f -name '*.so*' -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print)
newest() { grep -E "^$1_[0-9]" | sort -V | tail -1; }
echo "ABI: this machine's libc defines up to $(newest GLIBC <<<"$provided"), libstdc++ up to" \
  "$(newest GLIBCXX <<<"$provided")"
((${#missing_versions[@]} == 0)) || die "the carried libraries need newer system libraries:" \
  "${missing_versions[*]}"
echo "ABI: every symbol version the carried libraries need is defined here"
export LD_LIBRARY_PATH="$PREFIX/usr/lib/$MA:$PREFIX/usr/lib/$MA/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- 2. toolchain, CUDA libraries, GPU -------------------------------------------------------
phase "toolchain and CUDA libraries" "2 s"
NVCC="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
[[ -x "$NVCC" ]] || die "nvcc not found (PATH, /usr/local/cuda/bin)"
# The toolkit is where nvcc itself says it lives: `nvcc` on PATH may be a wrapper script (as
# /usr/local/bin/nvcc is on our CI machines), whose own folder holds no libraries.
CUDA_HOME="$("$NVCC" -dryrun -E -x cu /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -1)"
CUDA_HOME="$(readlink -f "${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$NVCC")")")}")"
[[ -x "$CUDA_HOME/bin/nvcc" ]] && NVCC="$CUDA_HOME/bin/nvcc"
echo "nvcc:   $NVCC ($("$NVCC" --version | grep -oE 'release [0-9.]+' | head -1))"
echo "c++:    $(c++ --version | head -1)"
echo "cmake:  $(cmake --version | head -1); generator: $(command -v ninja >/dev/null && echo "ninja $(ninja --version)" || echo make)"
cublas="$(find "$CUDA_HOME"/lib* "$CUDA_HOME"/targets/*/lib -maxdepth 1 -name 'libcublas.so*' 2>/dev/null | sort | tail -1)"
[[ -n "$cublas" ]] || die "cuBLAS not found in the CUDA toolkit at $CUDA_HOME"
echo "cuBLAS: $cublas"
command -v python3 >/dev/null || die "python3 not found (it locates cuDNN and NCCL)"
eval "$(env -u LD_LIBRARY_PATH python3 "$ROOT/tests/gpu/find_cuda_libs.py" "$CUDA_HOME")"
for lib in CUDNN NCCL; do
  v="${lib}_VERSION"; s="${lib}_SOURCE"; l="${lib}_LIBRARY"
  if [[ -n "${!l}" ]]; then echo "${lib}: ${!v:-version unknown} (${!s}): ${!l}"; else echo "${lib}: not found"; fi
done
cudnn_args=(-DNEEDLE_CUDNN=OFF)
if ((CUDNN == 1)); then
  [[ -n "$CUDNN_LIBRARY" ]] || die "cuDNN not found (toolkit, system, or a nvidia-cudnn-cu* wheel" \
    "of this python3); set CUDNN_ROOT, or pass --no-cudnn to run without convolutions on CUDA"
  cudnn_args=(-DNEEDLE_CUDNN=ON -DCUDNN_INCLUDE_DIR="$CUDNN_INCLUDE_DIR" -DCUDNN_LIBRARY="$CUDNN_LIBRARY")
  # cuDNN loads its engine libraries (libcudnn_ops.so.9 ...) by name at run time.
  export LD_LIBRARY_PATH="$CUDNN_LIB_DIR:$LD_LIBRARY_PATH"
fi
ARCH="${CMAKE_CUDA_ARCHITECTURES:-}"
if ((DRY == 0)); then
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no GPU driver here (use --dry)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader ||
    die "nvidia-smi cannot read the GPU"
  cc="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
  [[ -n "$cc" ]] || die "could not read the GPU's compute capability"
  ARCH="${ARCH:-$cc}"
fi
ARCH="${ARCH:-90}"
echo "building for sm_$ARCH"

# --- 3. configure --------------------------------------------------------------------------------
phase "configure $BUILD" "15 s"
generator=()
# A cache made with another CUDA compiler path makes CMake delete it and re-run without the -D
# settings below (fmt is then not found): start that cache afresh instead.
if [[ -f "$BUILD/CMakeCache.txt" ]] &&
  ! grep -qE "^CMAKE_CUDA_COMPILER:[A-Z]+=$NVCC\$" "$BUILD/CMakeCache.txt"; then
  echo "configure: $BUILD was configured with another nvcc; starting its cache afresh"
  rm -f "$BUILD/CMakeCache.txt"
fi
[[ ! -f "$BUILD/CMakeCache.txt" ]] && command -v ninja >/dev/null && generator=(-G Ninja)
# The image's compiler may warn where Debian's does not: warnings stay warnings here.
cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" --no-warn-unused-cli \
  -DCMAKE_BUILD_TYPE=Release -DNEEDLE_WARNINGS_AS_ERRORS=OFF \
  -DNEEDLE_CUDA=ON -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$ARCH" \
  -DNEEDLE_BUILD_TESTS=ON -DNEEDLE_BUILD_EXAMPLES=ON -DNEEDLE_BUILD_BENCHMARKS=ON \
  -DCMAKE_PREFIX_PATH="$PREFIX/usr" -DOpenBLAS_ROOT="$PREFIX/usr" -DZLIB_ROOT="$PREFIX/usr" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
  "${cudnn_args[@]}" >"$LOGS/build.log" 2>&1 || {
  grep -E -A8 'CMake Error' "$LOGS/build.log" | head -60
  die "configure failed (whole log: build.log)"
}
grep -E '^-- (needle|Found)' "$LOGS/build.log" || true
# Every library must come from the carried prefix (or the toolkit / cuDNN found above): one the
# build found elsewhere on this machine would be missing on the GPU image.
outside=()
while IFS='=' read -r key value; do
  [[ -z "$value" || "$value" == *NOTFOUND* ]] && continue
  [[ "$value" == "$PREFIX"* ]] || outside+=("${key%%:*}=$value")
done < <(grep -E '^(OpenBLAS_INCLUDE_DIR|OpenBLAS_LIBRARY|ZLIB_INCLUDE_DIR|ZLIB_LIBRARY_RELEASE|fmt_DIR|GTest_DIR|benchmark_DIR|CLI11_DIR|nlohmann_json_DIR):' \
  "$BUILD/CMakeCache.txt")
((${#outside[@]} == 0)) || die "found outside the carried prefix $PREFIX: ${outside[*]}"
echo "every carried dependency was found in $PREFIX"
if ((CONFIGURE_ONLY == 1)); then
  echo "run.sh: configured (--configure-only) in ${SECONDS}s"
  exit 0
fi

# --- 4. build ------------------------------------------------------------------------------------
targets=(needle cuda_probe cuda_tests conformance_tests cuda_bench train_resnet)
if ((DRY == 0)); then
  # Every suite, and what the ctest entries outside them run: the examples' checks (train_mlp) and
  # the checkpoint check in PyTorch (save_for_pytorch; the image's python3 has torch).
  targets+=(core_tests ndarray_tests cpu_backend_tests data_tests autograd_tests nn_tests
    optim_tests conv_tests train_mlp save_for_pytorch)
fi
phase "build ${targets[*]} with $JOBS jobs" "3-4 min (--dry on 2 cores: 15-25 min)"
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" >>"$LOGS/build.log" 2>&1 || {
  grep -nE 'error|Error [0-9]|undefined reference' "$LOGS/build.log" | head -40
  echo "--- last lines of build.log:"
  tail -n 25 "$LOGS/build.log"
  die "build failed (whole log: build.log)"
}
echo "built in ${SECONDS}s so far"
# At run time too, nothing may come from outside the prefix, the toolkit, cuDNN's folder and
# the machine's own base libraries.
ldd_out="$(ldd "$BUILD/libneedle.so" "$BUILD/tests/cuda_tests" "$BUILD/examples/train_resnet")"
if grep -q 'not found' <<<"$ldd_out"; then
  grep 'not found' <<<"$ldd_out" | sort -u
  die "libraries missing at run time"
fi
echo "run-time libraries from the carried prefix:"
grep -F "$PREFIX" <<<"$ldd_out" | awk '{print "  " $1 " => " $3}' | sort -u

# --- 5. does CUDA work at all? ---------------------------------------------------------------------
phase "cuda_probe: CUDA initialises; kernels, cuBLAS and cuDNN agree with the CPU" "5 s"
probe_args=()
((CUDNN == 0)) && probe_args=(--no-cudnn)
probe_rc=0
timeout 120 "$BUILD/tests/cuda_probe" "${probe_args[@]}" || probe_rc=$?
if ((DRY == 1)); then
  ((probe_rc == 2)) || die "cuda_probe exited $probe_rc on a machine without a GPU (expected 2)"
  echo "(dry run: no GPU, as expected)"
elif ((probe_rc != 0)); then
  die "CUDA does not work here (cuda_probe exited $probe_rc; see above): not running tests"
fi

# --- 6. tests --------------------------------------------------------------------------------------
# One test per process (ctest), so a sticky CUDA error in one test cannot fail the rest; a
# per-test timeout; each process with a share of the cores for its OpenMP pool.
test_jobs=$((JOBS >= 8 ? JOBS / 2 : JOBS))
omp=$((JOBS / test_jobs > 0 ? JOBS / test_jobs : 1))
select=()
if ((DRY == 1)); then
  select=(-L '^(cuda_tests|conformance_tests)$')
  phase "tests: the cuda_tests and conformance_tests suites (cuda instances skipping: no GPU)" "-"
else
  export NEEDLE_REQUIRE_CUDA=1
  phase "tests: every suite, $test_jobs at a time, OMP_NUM_THREADS=$omp, NEEDLE_REQUIRE_CUDA=1" \
    "2 min"
fi
ctest --test-dir "$BUILD" "${select[@]}" --show-only=json-v1 >"$BUILD/ctest-tests.json" \
  2>/dev/null || die "ctest cannot list the tests"
tests_rc=0
OMP_NUM_THREADS=$omp ctest --test-dir "$BUILD" "${select[@]}" -j "$test_jobs" --timeout 180 \
  --output-on-failure --output-junit "$LOGS/tests.xml" >"$LOGS/tests.log" 2>&1 || tests_rc=$?
grep -E 'tests passed|\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception|Not Run' "$LOGS/tests.log" |
  head -40 || true
((tests_rc == 0)) || status=1

# --- 7. benchmarks and train_resnet -------------------------------------------------------------------
bench_args=()
train_args=()
train_images=0
if ((DRY == 0)); then
  phase "needle GPU benchmarks (cuda_bench)" "60 s"
  timeout 240 "$BUILD/tests/bench/cuda_bench" --benchmark_min_time=0.5 \
    --benchmark_out="$LOGS/needle_bench.json" --benchmark_out_format=json || status=1
  phase "PyTorch on the same GPU (torch_bench.py)" "60 s"
  (unset LD_LIBRARY_PATH; PYTHONUNBUFFERED=1 timeout 240 python3 "$ROOT/tests/gpu/torch_bench.py" \
    "$LOGS/torch_bench.json") || status=1
  bench_args=(--bench "$LOGS/needle_bench.json" "$LOGS/torch_bench.json")
  data="$DEBS/fashion-mnist"
  if [[ -f "$data/train-images-idx3-ubyte.gz" ]]; then
    phase "train_resnet: ResNet9, one epoch on the carried Fashion-MNIST subset, cuda" "30 s"
    train_images="$(python3 -c "import gzip,struct,sys; print(struct.unpack('>I', gzip.open(sys.argv[1]).read(8)[4:])[0])" "$data/train-images-idx3-ubyte.gz")"
    timeout 180 "$BUILD/examples/train_resnet" --device cuda --epochs 1 --data "$data" --json \
      >"$BUILD/train_resnet.out" || status=1
    cat "$BUILD/train_resnet.out"
    train_args=(--train "$BUILD/train_resnet.out" --train-images "$train_images")
  else
    echo "no Fashion-MNIST subset in .gpu-debs (fetch-debs.sh makes one): no train_resnet line"
  fi
  nvidia-smi --query-gpu=name,compute_cap,clocks.max.sm,clocks.max.memory --format=csv || true
else
  phase "train_resnet starts (--help; no GPU for a real run)" "-"
  "$BUILD/examples/train_resnet" --help | head -3
fi

# --- 8. summary ------------------------------------------------------------------------------------
phase "summary" "1 s"
{
  echo "GPU run of $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') on" \
    "$(if ((DRY == 1)); then echo "no GPU (dry run)"; else nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1; fi)," \
    "sm_$ARCH, cuDNN ${CUDNN_VERSION:-off}, nvcc $("$NVCC" --version | grep -oE 'release [0-9.]+' | head -1 | cut -d' ' -f2)"
  python3 "$ROOT/tests/gpu/summary.py" --tests "$LOGS/tests.xml" --ctest-json "$BUILD/ctest-tests.json" \
    "${bench_args[@]}" "${train_args[@]}" || status=1
  echo "total ${SECONDS}s; exit status $status"
} >"$LOGS/summary.txt" 2>&1
cat "$LOGS/summary.txt"
exit "$status"

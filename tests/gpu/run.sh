#!/usr/bin/env bash
# One command for a GPU machine: unpacks the Debian packages carried in .gpu-debs/ (see
# fetch-debs.sh) into a prefix, configures a CUDA build for the GPU it finds, builds everything
# with tests and benchmarks, runs the whole ctest suite, the GPU benchmarks and the PyTorch
# comparison, and prints a summary.
#
#   tests/gpu/run.sh           # on the GPU machine
#   tests/gpu/run.sh --dry     # anywhere: unpack, configure and build (needle, cuda_tests,
#                              # cuda_bench), run cuda_tests; skips everything that needs a GPU
#
# Environment: NEEDLE_DEPS_PREFIX (default /tmp/needle-deps), NEEDLE_GPU_BUILD (default
# <repo>/build-gpu), NEEDLE_GPU_JOBS (default nproc), CMAKE_CUDA_ARCHITECTURES (overrides the
# detected one), OUT (if set, logs and JSON results are also copied there).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DRY=0
[[ "${1:-}" == "--dry" ]] && DRY=1
PREFIX="${NEEDLE_DEPS_PREFIX:-/tmp/needle-deps}"
BUILD="${NEEDLE_GPU_BUILD:-$ROOT/build-gpu}"
JOBS="${NEEDLE_GPU_JOBS:-$(nproc)}"
LOGS="$BUILD/gpu-logs"
MA=x86_64-linux-gnu
step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- 1. dependencies from .gpu-debs ----------------------------------------------------------
step "unpacking .gpu-debs into $PREFIX"
mkdir -p "$PREFIX"
shopt -s nullglob
debs=("$ROOT"/.gpu-debs/*.deb)
if ((${#debs[@]} == 0)); then
  echo "no .deb files in $ROOT/.gpu-debs: relying on system packages (run tests/gpu/fetch-debs.sh" \
       "on a machine with apt and carry .gpu-debs)"
else
  for deb in "${debs[@]}"; do
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$PREFIX" || fail "dpkg -x $deb failed"
    else  # a .deb is an ar archive holding data.tar.*
      (cd "$PREFIX" && ar p "$deb" "$(ar t "$deb" | grep '^data.tar')" | tar -x -a -f - 2>/dev/null ||
        ar p "$deb" "$(ar t "$deb" | grep '^data.tar')" | tar -xJ) || fail "unpacking $deb failed"
    fi
  done
  # Absolute links (zlib1g-dev's libz.so -> /lib/...) must point into the prefix.
  while IFS= read -r link; do
    target="$(readlink "$link")"
    if [[ "$target" == /* && -e "$PREFIX$target" ]]; then ln -sfn "$PREFIX$target" "$link"; fi
  done < <(find "$PREFIX" -type l)
  # Runtime libraries the system already has stay the system's (a newer libgomp or zlib must
  # not be shadowed by Debian's); only the missing ones are taken from the prefix.
  # (The cache is read once: `ldconfig -p | grep -q` under pipefail fails when grep's early exit
  # cuts ldconfig off with SIGPIPE.)
  system_libs="$(ldconfig -p 2>/dev/null || true)"
  for lib in libgomp.so.1 libgfortran.so.5 libquadmath.so.0 libz.so.1; do
    if grep -qE "^[[:space:]]+$lib[[:space:]]" <<<"$system_libs"; then
      find "$PREFIX" -name "$lib" -exec rm -f {} +
    fi
  done
  echo "unpacked ${#debs[@]} packages"
fi
export LD_LIBRARY_PATH="$PREFIX/usr/lib/$MA:$PREFIX/usr/lib/$MA/openblas-openmp:$PREFIX/lib/$MA${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- 2. the GPU --------------------------------------------------------------------------------
ARCH="${CMAKE_CUDA_ARCHITECTURES:-}"
GPU="none (dry run)"
if ((DRY == 0)); then
  command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no GPU here (use --dry)"
  GPU="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
  cc="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
  [[ -n "$cc" ]] || fail "could not read the GPU's compute capability"
  ARCH="${ARCH:-$cc}"
fi
ARCH="${ARCH:-90}"
NVCC="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
[[ -x "$NVCC" ]] || fail "nvcc not found"
step "GPU: $GPU; building for sm_$ARCH with $NVCC"

# --- 2b. cuDNN ----------------------------------------------------------------------------------
# conv2d on CUDA needs cuDNN (optional: without it the build says so and those tests skip). The
# toolkit or the system usually has it and cmake/FindCUDNN.cmake finds it unaided; a CUDNN_ROOT
# in the environment wins. Some GPU machines have it only inside PyTorch's pip wheel
# (nvidia-cudnn-cu*: nvidia/cudnn/{include,lib}, with libcudnn.so.<major> but no libcudnn.so):
# then CUDNN_ROOT points at the wheel itself. FindCUDNN accepts the versioned file name, so no
# libcudnn.so link has to be written into site-packages, and libneedle's RUNPATH names the
# wheel's real lib folder: a folder of links elsewhere would break cuDNN's own $ORIGIN-relative
# lookups of its sub-libraries and of the cuBLAS/NVRTC wheels beside it. The folder also goes
# on LD_LIBRARY_PATH for anything that loads cuDNN by name. Nothing here fails the run: without
# cuDNN the configure step reports "cuDNN OFF" and the summary shows it.
cudnn_args=()
cuda_home="$(dirname "$(dirname "$(readlink -f "$NVCC")")")"
system_cudnn=""
for header in "$cuda_home/include/cudnn.h" /usr/local/cuda/include/cudnn.h /usr/include/cudnn.h \
              "/usr/include/$MA/cudnn.h"; do
  if [[ -e "$header" ]]; then system_cudnn="$header"; break; fi
done
if [[ -n "${CUDNN_ROOT:-}" ]]; then
  cudnn_args=(-DCUDNN_ROOT="$CUDNN_ROOT")
  echo "cuDNN: CUDNN_ROOT=$CUDNN_ROOT from the environment"
elif [[ -n "$system_cudnn" ]]; then
  echo "cuDNN: $system_cudnn"
else
  wheel=""
  if command -v python3 >/dev/null; then
    wheel="$(env -u LD_LIBRARY_PATH python3 -c \
      'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
    if [[ -z "$wheel" ]]; then  # not importable by this python: look in its site-packages
      lib="$(env -u LD_LIBRARY_PATH python3 -c \
        'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' \
        2>/dev/null | while IFS= read -r sp; do
          [[ -d "$sp" ]] && find "$sp" -maxdepth 4 -name 'libcudnn.so.[0-9]*' -path '*cudnn/lib/*' \
            2>/dev/null
        done | head -1)"
      [[ -n "$lib" ]] && wheel="$(dirname "$(dirname "$lib")")"
    fi
  fi
  if [[ -n "$wheel" && -f "$wheel/include/cudnn.h" ]] &&
     compgen -G "$wheel/lib/libcudnn.so*" >/dev/null; then
    cudnn_args=(-DCUDNN_ROOT="$wheel")
    export LD_LIBRARY_PATH="$wheel/lib:$LD_LIBRARY_PATH"
    echo "cuDNN: from the pip wheel in $wheel"
  elif [[ -n "$wheel" ]]; then
    echo "cuDNN: the pip wheel in $wheel lacks include/cudnn.h or lib/libcudnn.so*: none used"
  else
    echo "cuDNN: not found (conv2d on CUDA will be unavailable; set CUDNN_ROOT to point at one)"
  fi
fi

# --- 3. configure and build ---------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[[ -f "$BUILD/CMakeCache.txt" ]] && generator=()  # keep whatever generator the cache has
mkdir -p "$LOGS"
step "configuring $BUILD"
cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DNEEDLE_CUDA=ON \
  -DCMAKE_CUDA_COMPILER="$NVCC" \
  -DCMAKE_CUDA_ARCHITECTURES="$ARCH" \
  -DNEEDLE_BUILD_TESTS=ON \
  -DNEEDLE_BUILD_BENCHMARKS=ON \
  -DCMAKE_PREFIX_PATH="$PREFIX/usr;$PREFIX/usr/lib/$MA/cmake;$PREFIX/usr/share/cmake" \
  -DOpenBLAS_ROOT="$PREFIX/usr" \
  -DZLIB_ROOT="$PREFIX/usr" \
  -Dfmt_DIR="$PREFIX/usr/lib/$MA/cmake/fmt" \
  -DGTest_DIR="$PREFIX/usr/lib/$MA/cmake/GTest" \
  -Dbenchmark_DIR="$PREFIX/usr/lib/$MA/cmake/benchmark" \
  -Dnlohmann_json_DIR="$PREFIX/usr/share/cmake/nlohmann_json" \
  "${cudnn_args[@]}" \
  2>&1 | tee "$LOGS/configure.log"
((PIPESTATUS[0] == 0)) || fail "configure failed (log: $LOGS/configure.log)"
grep -E "^(OpenBLAS_LIBRARY|fmt_DIR|GTest_DIR|benchmark_DIR|ZLIB_LIBRARY_RELEASE|nlohmann_json_DIR):" \
  "$BUILD/CMakeCache.txt" || true

targets=()
((DRY == 1)) && targets=(--target needle cuda_tests cuda_bench)
step "building ${targets[*]:-everything} with $JOBS jobs"
cmake --build "$BUILD" -j "$JOBS" "${targets[@]}" 2>&1 | tee "$LOGS/build.log" | grep -E "error|warning:|^\[[ 0-9]+%\] Linking" || true
((PIPESTATUS[0] == 0)) || fail "build failed (log: $LOGS/build.log)"

# --- 4. tests ------------------------------------------------------------------------------------
step "tests"
if ((DRY == 1)); then
  "$BUILD/tests/cuda_tests" 2>&1 | tee "$LOGS/ctest.log" | tail -n 30
  test_rc=${PIPESTATUS[0]}
  test_line="$(grep -E '^\[  PASSED  \]|^\[  FAILED  \]|^\[  SKIPPED \] [0-9]' "$LOGS/ctest.log" | tr '\n' ' ')"
else
  (cd "$BUILD" && ctest --output-on-failure -j 4 --timeout 1200) 2>&1 | tee "$LOGS/ctest.log" | tail -n 60
  test_rc=${PIPESTATUS[0]}
  test_line="$(grep -E 'tests passed' "$LOGS/ctest.log" | tail -1)"
  skipped="$(grep -cE '\(Skipped\)|\*\*\*Skipped' "$LOGS/ctest.log" || true)"
  test_line="$test_line; $skipped skipped"
fi

# --- 5. benchmarks -------------------------------------------------------------------------------
bench_json="$LOGS/cuda_bench.json"
torch_json="$LOGS/torch_bench.json"
if ((DRY == 0)); then
  step "needle GPU benchmarks"
  "$BUILD/tests/bench/cuda_bench" --benchmark_out="$bench_json" --benchmark_out_format=json \
    --benchmark_min_time=1 2>&1 | tee "$LOGS/cuda_bench.log"
  step "PyTorch on the same GPU"
  (unset LD_LIBRARY_PATH; python3 "$ROOT/tests/gpu/torch_bench.py" "$torch_json") 2>&1 |
    tee "$LOGS/torch_bench.log"
  nvidia-smi --query-gpu=name,compute_cap,clocks.max.sm,clocks.max.memory --format=csv \
    > "$LOGS/nvidia-smi.csv" 2>&1 || true
fi

# --- 6. summary ----------------------------------------------------------------------------------
step "summary"
echo "GPU:    $GPU (sm_$ARCH)"
echo "cuDNN:  $(grep -oE 'needle: cuDNN .*' "$LOGS/configure.log" | tail -1 | sed 's/^needle: //')"
echo "tests:  ${test_line:-no result} (exit $test_rc; log $LOGS/ctest.log)"
if ((DRY == 0)); then
  python3 - "$bench_json" "$torch_json" <<'PY'
import json, sys
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:  # a missing or broken file shows up as "n/a"
        return {"error": str(e)}
bench, torch = load(sys.argv[1]), load(sys.argv[2])
ours = {}
for b in bench.get("benchmarks", []):
    name = b["name"]
    if "error_message" in b:
        ours[name] = None
    elif "TFLOP/s" in b:
        ours[name] = b["TFLOP/s"]
    elif "GB/s" in b:
        ours[name] = b["GB/s"]
    elif "img/s" in b:
        ours[name] = b["img/s"]
    elif name.startswith("BM_CudaMLPResNetStep"):
        ours[name] = b["real_time"]  # ms per step (the benchmark's unit)
rows = [
    ("matmul 4096^3 fp32", "TFLOP/s", "BM_CudaMatmul/4096/0/real_time", "matmul_fp32_tflops", "within 5%"),
    ("matmul 4096^3 tf32", "TFLOP/s", "BM_CudaMatmul/4096/1/real_time", "matmul_tf32_tflops", "within 5%"),
    ("add 64M float32", "GB/s", "BM_CudaAdd/67108864/real_time", "add_gbs", ">= 90%"),
    ("sum 64M float32", "GB/s", "BM_CudaSum/67108864/real_time", "sum_gbs", ""),
    ("row sum 8192^2", "GB/s", "BM_CudaRowSum/8192/real_time", "rowsum_gbs", ""),
    ("MLPResNet step b128", "ms", "BM_CudaMLPResNetStep/128/real_time", "mlp_step_128_ms",
     "<= 1.00 (time)"),
    ("MLPResNet step b1024", "ms", "BM_CudaMLPResNetStep/1024/real_time", "mlp_step_1024_ms",
     "<= 1.00 (time)"),
    ("ResNet9 train b128", "img/s", "BM_CudaResNetStep/9/real_time", "resnet9_img_s", ">= 1.00"),
    ("ResNet-18 train b128", "img/s", "BM_CudaResNetStep/18/real_time", "resnet18_img_s", ""),
]
print("ratio = needle / torch: higher is better for TFLOP/s, GB/s and img/s, lower for ms")
print(f"{'benchmark':<22}{'unit':<9}{'needle':>10}{'torch':>10}{'ratio':>8}  target")
for label, unit, key, tkey, target in rows:
    a, b = ours.get(key), torch.get(tkey)
    digits = 3 if unit == "ms" else 1
    fa = f"{a:10.{digits}f}" if a else f"{'n/a':>10}"
    fb = f"{b:10.{digits}f}" if b else f"{'n/a':>10}"
    ratio = f"{a / b:8.2f}" if a and b else f"{'':>8}"
    print(f"{label:<22}{unit:<9}{fa}{fb}{ratio}  {target}")
if torch.get("copy_gbs"):
    print(f"torch device-to-device copy: {torch['copy_gbs']:.0f} GB/s (practical bandwidth ceiling)")
if "error" in torch:
    print("torch:", torch["error"])
PY
fi
if [[ -n "${OUT:-}" && -d "${OUT:-}" ]]; then
  cp "$LOGS"/*.json "$LOGS"/*.log "$OUT"/ 2>/dev/null || true
fi
exit "$test_rc"

#!/usr/bin/env bash
# A rehearsal of the GPU run on this machine: tests/gpu/run.sh --dry in an environment stripped
# like the GPU image, so that a dependency the image lacks fails here and not in the few
# minutes a GPU is lent. In a private mount namespace (unshare -m, as root) an overlay over /usr
# hides (tests/gpu/strip_like_image.py):
#   - every file of the packages fetch-debs.sh carries: they must come from .gpu-debs;
#   - every header, linker name and CMake/pkg-config package file that the C++ toolchain does
#     not bring (so a library used without being listed in cmake/packages.sh fails too);
#   - the CUDA toolkit's cuDNN and NCCL, which the image has only as pip wheels: the rehearsal
#     gives them back as a stand-in wheel (hard links, in the nvidia/cu13/{include,lib} layout
#     of the CUDA 13 wheels, with a dist-info RECORD), found the way run.sh finds the real one.
#
#   tests/gpu/rehearse.sh                     the whole dry run (2 cores: 15-25 min to build)
#   tests/gpu/rehearse.sh --configure-only    up to and including configure (about 1 min)
#   tests/gpu/rehearse.sh --without PKG ...   with PKG's .deb withheld from the carry: must fail
#
# Needs root, unshare and overlayfs (Linux). Builds in <repo>/build-rehearsal (with --without:
# a fresh <repo>/build-rehearsal-without); run.sh's logs go to <build>/gpu-logs (or --out DIR).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
without=()
run_args=(--dry)
while (($#)); do
  case "$1" in
    --without) without+=("$2"); shift ;;
    --configure-only | --no-cudnn) run_args+=("$1") ;;
    --out) run_args+=(--out "$2"); shift ;;
    *) echo "rehearse.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "$(id -u)" == 0 ]] || { echo "rehearse.sh: needs root (mount namespaces)" >&2; exit 2; }
compgen -G "$ROOT/.gpu-debs/*.deb" >/dev/null ||
  { echo "rehearse.sh: no .gpu-debs: run tests/gpu/fetch-debs.sh first" >&2; exit 2; }
# shellcheck source=cmake/packages.sh
source "$ROOT/cmake/packages.sh"

# On the same file system as /usr, so that the stand-in wheel can hard-link cuDNN's files; at a
# fixed place, so that the paths the build records stay the same and a second rehearsal
# rebuilds only what changed.
work=/var/tmp/needle-rehearse
rm -rf "$work"
mkdir -p "$work/upper" "$work/overlay-work" "$work/debs" "$work/site"

closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u
}
closure g++ >"$work/toolchain-packages"
comm -23 <(closure "${NEEDLE_BUILD_LIBRARIES[@]}" "${NEEDLE_TEST_LIBRARIES[@]}") \
  "$work/toolchain-packages" >"$work/carried-packages"
python3 "$ROOT/tests/gpu/strip_like_image.py" "$work/upper" \
  --toolchain-packages "$work/toolchain-packages" <"$work/carried-packages"

# The carry, less what --without withholds.
for deb in "$ROOT"/.gpu-debs/*.deb; do
  name="$(basename "$deb")"
  for w in "${without[@]}"; do
    if [[ "${name%%_*}" == "$w" ]]; then
      echo "rehearse.sh: withholding $name"
      continue 2
    fi
  done
  ln -s "$deb" "$work/debs/$name"
done
[[ -d "$ROOT/.gpu-debs/fashion-mnist" ]] && ln -s "$ROOT/.gpu-debs/fashion-mnist" "$work/debs/"

# The stand-in cuDNN/NCCL wheels, made from the toolkit's files before they are hidden.
eval "$(python3 "$ROOT/tests/gpu/find_cuda_libs.py" /usr/local/cuda)"
make_wheel() {  # make_wheel DIST-NAME VERSION INCLUDE_DIR LIB_DIR PATTERN...
  local dist="$1" version="$2" inc="$3" lib="$4"
  shift 4
  local base="$work/site/nvidia/cu13" info="$work/site/${dist//-/_}-$version.dist-info"
  mkdir -p "$base/include" "$base/lib" "$info"
  for pattern in "$@"; do
    for f in "$inc/$pattern"*.h; do [[ -e "$f" ]] && ln "$(readlink -f "$f")" "$base/include/$(basename "$f")"; done
    for f in "$lib/lib$pattern"*.so.*; do [[ -e "$f" ]] && ln "$(readlink -f "$f")" "$base/lib/$(basename "$f")"; done
  done
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$dist" "$version" >"$info/METADATA"
  (cd "$work/site" && find nvidia "${info#"$work/site/"}" -type f | sed 's/$/,,/') >"$info/RECORD"
}
[[ -n "$CUDNN_LIBRARY" ]] && make_wheel nvidia-cudnn-cu13 "$CUDNN_VERSION" "$CUDNN_INCLUDE_DIR" "$CUDNN_LIB_DIR" cudnn
[[ -n "$NCCL_LIBRARY" ]] && make_wheel nvidia-nccl-cu13 "$NCCL_VERSION" "$NCCL_INCLUDE_DIR" "$NCCL_LIB_DIR" nccl

build="${NEEDLE_GPU_BUILD:-$ROOT/build-rehearsal}"
if ((${#without[@]} > 0)); then
  # A build folder of its own, configured from scratch: a cache that remembers where the
  # withheld package's files were would hide their absence.
  build="$ROOT/build-rehearsal-without"
  rm -rf "$build"
fi
echo "rehearse.sh: running tests/gpu/run.sh ${run_args[*]} with /usr stripped, in $build"
unshare -m bash -c '
  set -e
  mount -t overlay overlay -o "lowerdir=/usr,upperdir=$1/upper,workdir=$1/overlay-work" /usr
  shift
  exec "$@"' _ "$work" \
  env PYTHONPATH="$work/site" NEEDLE_GPU_DEBS="$work/debs" NEEDLE_DEPS_PREFIX="$work/prefix" \
  NEEDLE_GPU_BUILD="$build" \
  bash "$ROOT/tests/gpu/run.sh" "${run_args[@]}"

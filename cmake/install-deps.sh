#!/usr/bin/env bash
# Installs the Debian 12 packages libneedle needs to build, test, benchmark and run its
# examples (the lists are in cmake/packages.sh), and only those that are missing: on a machine
# that has them all it changes nothing and needs no network. Run as root (or with sudo
# available). NEEDLE_SKIP_DEPS=1 skips it.
set -euo pipefail

# shellcheck source=cmake/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
packages=("${NEEDLE_TOOLS[@]}" "${NEEDLE_BUILD_LIBRARIES[@]}" "${NEEDLE_TEST_LIBRARIES[@]}"
  "${NEEDLE_DATA[@]}")

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if [ "${NEEDLE_SKIP_DEPS:-0}" = 1 ]; then
  echo "install-deps: NEEDLE_SKIP_DEPS=1, not installing them"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: run as root (or install: ${missing[*]})" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# The README's first command: installs what is missing, builds libneedle and runs the main
# job. Extra arguments go to the program: `bash cmake/run-main.sh cpu`.
set -euo pipefail

# The main job: train_mlp trains MLPResNet on the Fashion-MNIST files that Debian's
# dataset-fashion-mnist installs under /usr/share/datasets/fashion-mnist (its default --data).
main_target=train_mlp
main_args=()

# shellcheck source=cmake/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$NEEDLE_ROOT"

section "dependencies"
bash cmake/install-deps.sh

section "configure ($NEEDLE_BUILD_DIR)"
# shellcheck disable=SC2119  # needle_configure takes cmake arguments, not the script's
needle_configure

section "build $main_target"
needle_build --target "$main_target"

section "run $main_target"
exec "$NEEDLE_BUILD_DIR/examples/$main_target" "${main_args[@]}" "$@"

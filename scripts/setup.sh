#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages, as root) and builds gnnscale into $BUILD_DIR.
# Used by scripts/run.sh and scripts/test.sh; safe to run again (installs nothing twice).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(gcc libc6-dev pkg-config meson ninja-build libgraphblas-dev libopenblas-dev
          libmetis-dev check zlib1g-dev)
# Extra packages for the benchmarks (PyTorch peer) only when asked: they are large.
if [ "${GS_WITH_BENCH:-0}" = 1 ]; then PACKAGES+=(python3 python3-torch); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

options=(--buildtype=release)
if [ "${CI:-}" = true ]; then options+=(-Dwerror_ci=true); fi
if [ -f "$BUILD_DIR/build.ninja" ]; then
  meson configure "$BUILD_DIR" "${options[@]}" >/dev/null
else
  meson setup "$BUILD_DIR" "${options[@]}" >/dev/null
fi
ninja -C "$BUILD_DIR" >&2

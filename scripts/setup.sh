#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages, as root) and builds gnnscale into $BUILD_DIR.
# Used by scripts/run.sh and scripts/test.sh; safe to run again (installs nothing twice).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(gcc libc6-dev pkg-config meson ninja-build libgraphblas-dev libopenblas-dev
          libmetis-dev check zlib1g-dev gnuplot-nox)
# Extra packages for the benchmarks (PyTorch peers; gpmetis for the Cluster-GCN peer) only when
# asked: they are large.
if [ "${GS_WITH_BENCH:-0}" = 1 ]; then PACKAGES+=(python3 python3-torch metis); fi
# clang and its libFuzzer runtime for the fuzz targets that .ci/run runs (GS_WITH_FUZZ=1).
if [ "${GS_WITH_FUZZ:-0}" = 1 ]; then PACKAGES+=(clang libclang-rt-14-dev); fi

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
# The sanitizer build of .ci/run: ASan and UBSan, with symbols for their reports.
if [ "${GS_SANITIZE:-0}" = 1 ]; then
  options=(--buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false)
  if [ "${CI:-}" = true ]; then options+=(-Dwerror_ci=true); fi
fi
if [ -f "$BUILD_DIR/build.ninja" ]; then
  meson configure "$BUILD_DIR" "${options[@]}" >/dev/null
else
  meson setup "$BUILD_DIR" "${options[@]}" >/dev/null
fi
ninja -C "$BUILD_DIR" >&2

#!/usr/bin/env bash
# Set up, build, and run the whole Check test suite (output shown, with Check's summary lines).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
start=$(date +%s)
meson test -C "${BUILD_DIR:-build}" --print-errorlogs -v --num-processes 1 "$@"
echo "test suite finished in $(( $(date +%s) - start )) s"

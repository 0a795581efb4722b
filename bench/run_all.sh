#!/usr/bin/env bash
# Runs every benchmark of bench/ with the same thread count and writes the raw JSON lines to
# bench/out/ (then summarise them in bench/RESULTS.md). Installs python3-torch for the peer.
#   bash bench/run_all.sh [THREADS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
runs=${2:-5}
GS_WITH_BENCH=1 scripts/setup.sh
mkdir -p bench/out
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB" | tee bench/out/machine.txt
build/bench/bench_kernels --threads "$threads" > bench/out/kernels.jsonl
/usr/bin/python3 bench/compare.py --threads "$threads" --runs "$runs" --workdir bench/out \
  > bench/out/compare.txt
cat bench/out/compare.txt

#!/usr/bin/env bash
# Cluster-GCN against full-batch at the same model (issue 8): Coauthor CS (10 parts x 2 per
# batch) and the arxiv shape (generated, 50 x 5). One JSON line per run in bench/out/cluster/.
# Usage: [OUT=DIR] bash bench/cluster_compare.sh [BIN] [SEEDS] [ARXIV_EPOCHS]
set -eu
bin=${1:-build/cli/gnnscale}
seeds=${2:-3}
arxiv_epochs=${3:-100}
out=${OUT:-bench/out/cluster}
mkdir -p "$out"
tmp=${TMPDIR:-/tmp}/gnnscale-cluster-compare
mkdir -p "$tmp"
run() { # name, then the command's arguments
  local name=$1
  shift
  /usr/bin/time -v "$bin" "$@" --json > "$out/$name.json" 2> "$out/$name.time"
  grep -h "Maximum resident" "$out/$name.time" | sed "s/^/$name: /"
}
cs=datasets/data/coauthor-cs
run cs-full train --data "$cs" --depth 2 --width 16 --seeds "$seeds"
run cs-cluster train --data "$cs" --depth 2 --width 16 --seeds "$seeds" --batching cluster \
  --parts 10 --clusters-per-batch 2
arxiv="$tmp/arxiv"
[ -d "$arxiv" ] || "$bin" generate --preset arxiv --out "$arxiv" > /dev/null
run arxiv-full train --data "$arxiv" --depth 2 --width 128 --epochs "$arxiv_epochs" --seeds 1
run arxiv-cluster train --data "$arxiv" --depth 2 --width 128 --epochs "$arxiv_epochs" --seeds 1 \
  --batching cluster --parts 50 --clusters-per-batch 5

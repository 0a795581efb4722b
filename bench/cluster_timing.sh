#!/usr/bin/env bash
# Epoch times for bench/RESULTS.md §7.1, meant for a quiet machine: full-batch, Cluster-GCN and
# the PyTorch Cluster-GCN peer on Coauthor CS (2 x 16, 10 x 2) and the arxiv shape (2 x 128,
# 50 x 5), each EPOCHS epochs (no early stop) at THREADS threads, medians over the epochs; the
# predicted epoch times from a profile calibrated first at the same thread count (Cluster-GCN's
# with its batch building and binding apart: build_ms, and its kernels: kernel_ms); and the
# induced-subgraph benchmark (row kernel against GrB_Matrix_extract). Features: gnnscale's
# --features auto, and the peer is given the preparation auto chose (from gnnscale's JSON).
# Expects the data and parts that bench/cluster_compare.sh left in DATA. One JSON line per run
# in OUT.
# Each Cluster-GCN run (gnnscale's and the peer's) once per evaluation in EVALS (batches: Q
# parts at a time; full: the whole graph, --eval full); the peer runs PEER_EPOCHS epochs.
# Usage: [OUT=DIR] [DATA=DIR] [THREADS=2] [EPOCHS=30] [SETS="cs arxiv"] [PEER=1]
#        [EVALS="batches full"] [PEER_EPOCHS=EPOCHS] [PROFILE=FILE: skip calibrating]
#        bash bench/cluster_timing.sh BIN [SUBGRAPH_BIN]
set -eu
bin=${1:?usage: bash bench/cluster_timing.sh BIN [SUBGRAPH_BIN]}
sub=${2:-$(dirname "$bin")/../bench/bench_subgraph}
threads=${THREADS:-2}
epochs=${EPOCHS:-30}
out=${OUT:-bench/out/cluster-timing}
data=${DATA:-${TMPDIR:-/tmp}/gnnscale-cluster-compare}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export OMP_NUM_THREADS=$threads
echo "start $(date -u +%H:%M:%S) UTC; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/conditions.txt"
if [ -n "${PROFILE:-}" ]; then # a profile given (a dry run of this script): no calibration
  cp "$PROFILE" "$out/profile.txt"
else
  "$bin" calibrate --threads "$threads" --seconds 5 --out "$out/profile.txt" --json > "$out/calibrate.json"
fi
run() { # name, then the command and its arguments (JSON on stdout)
  local name=$1
  shift
  /usr/bin/time -v "$@" > "$out/$name.json" 2> "$out/$name.time"
  echo "$name: $(grep -h 'Maximum resident' "$out/$name.time" | sed 's/.*: //') KiB peak RSS"
}
timing() { # name, folder, width, parts, per batch
  local name=$1 dir=$2 width=$3 parts=$4 q=$5
  local common=(--data "$dir" --depth 2 --width "$width" --features auto --epochs "$epochs"
                --patience 0 --threads "$threads" --profile "$out/profile.txt" --json --quiet)
  run "$name-full" "$bin" train "${common[@]}" --no-probe
  local ev feats
  for ev in ${EVALS:-batches full}; do
    run "$name-cluster-$ev" "$bin" train "${common[@]}" --batching cluster --parts "$parts" \
      --clusters-per-batch "$q" --eval "$ev"
    [ "${PEER:-1}" = 1 ] || continue
    feats=$(sed 's/.*"features_prep":"\([a-z0-9]*\)".*/\1/' "$out/$name-cluster-$ev.json")
    run "$name-peer-cluster-$ev" /usr/bin/python3 "$here/peer_cluster_torch.py" "$dir" \
      --parts "$parts" --clusters-per-batch "$q" --features "$feats" --depth 2 \
      --width "$width" --epochs "${PEER_EPOCHS:-$epochs}" --patience 0 --threads "$threads" \
      --eval "$ev" --json
  done
}
for set in ${SETS:-cs arxiv}; do
  case $set in
    cs) timing cs "$data/coauthor-cs" 16 10 2 ;;
    arxiv) timing arxiv "$data/arxiv" 128 50 5 ;;
  esac
done
if [ -f "$data/arxiv/gnnscale-P50-s0.store" ]; then
  for t in 1 "$threads"; do
    "$sub" --store "$data/arxiv/gnnscale-P50-s0.store" --clusters-per-batch 5 --threads "$t" \
      --repeats 7 >> "$out/subgraph.jsonl"
  done
fi
echo "end $(date -u +%H:%M:%S) UTC; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/conditions.txt"

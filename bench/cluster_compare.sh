#!/usr/bin/env bash
# Cluster-GCN against full-batch at the same model, and against the PyTorch Cluster-GCN peer
# (bench/peer_cluster_torch.py) on the same METIS parts (issue 8): Coauthor CS (2 x 16, 10 parts
# x 2 per batch) and the arxiv shape (generated, 2 x 128, 50 x 5). One JSON line per run in
# $OUT, peak RSS from /usr/bin/time -v beside it. The parts are made (and stored) first, so no
# training run includes partitioning. gnnscale prepares features by --features auto and the
# peer is given the preparation auto chose. Every run uses 1 thread unless THREADS says
# otherwise; RUNS picks the runs (default "full cluster peer"); EVAL=full makes both
# Cluster-GCNs evaluate over the whole graph (--eval full) instead of Q parts at a time;
# PEER_SEEDS and PEER_EPOCHS give the peer fewer seeds or epochs than gnnscale (it is slower).
# Usage: [OUT=DIR] [THREADS=N] [DATA=DIR] [RUNS="full cluster peer"] [EVAL=batches|full]
#        [PEER_SEEDS=K] [PEER_EPOCHS=N] bash bench/cluster_compare.sh BIN WHAT [SEEDS] [EPOCHS]
#   WHAT: cs | arxiv | all; EPOCHS: arxiv's epoch cap (patience 100 stops earlier; default 600);
#   Coauthor CS trains 200 epochs (patience 100), as the other Coauthor CS results.
set -eu
bin=${1:?usage: bash bench/cluster_compare.sh BIN cs|arxiv|all [SEEDS] [ARXIV_EPOCHS]}
what=${2:-all}
seeds=${3:-3}
arxiv_epochs=${4:-600}
threads=${THREADS:-1}
runs=${RUNS:-full cluster peer}
eval=${EVAL:-batches}
out=${OUT:-bench/out/cluster}
data=${DATA:-${TMPDIR:-/tmp}/gnnscale-cluster-compare}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" "$data"
export OMP_NUM_THREADS=$threads
run() { # name, then the command and its arguments (JSON on stdout)
  local name=$1
  shift
  /usr/bin/time -v "$@" > "$out/$name.json" 2> "$out/$name.time"
  echo "$name: $(grep -h 'Maximum resident' "$out/$name.time" | sed 's/.*: //') KiB peak RSS"
}
# name, dataset folder, depth x width, parts, per batch, epochs
compare() {
  local name=$1 dir=$2 width=$3 parts=$4 q=$5 epochs=$6
  "$bin" partition --data "$dir" --parts "$parts" --seed 0 > "$out/$name-partition.txt"
  local common=(--data "$dir" --depth 2 --width "$width" --features auto --epochs "$epochs"
                --seeds "$seeds" --threads "$threads" --json --quiet)
  case " $runs " in *" full "*) run "$name-full" "$bin" train "${common[@]}" ;; esac
  case " $runs " in *" cluster "*)
    run "$name-cluster-$eval" "$bin" train "${common[@]}" --batching cluster --parts "$parts" \
      --clusters-per-batch "$q" --eval "$eval" ;;
  esac
  case " $runs " in *" peer "*)
    # auto's choice, from a one-epoch gnnscale run when no Cluster-GCN run left it
    local feats
    [ -s "$out/$name-cluster-$eval.json" ] ||
      "$bin" train "${common[@]}" --epochs 1 --seeds 1 --batching cluster --parts "$parts" \
        --clusters-per-batch "$q" > "$out/$name-cluster-$eval.json"
    feats=$(sed 's/.*"features_prep":"\([a-z0-9]*\)".*/\1/' "$out/$name-cluster-$eval.json")
    run "$name-peer-cluster-$eval" /usr/bin/python3 \
      "$here/peer_cluster_torch.py" "$dir" --parts "$parts" --clusters-per-batch "$q" \
      --features "$feats" --depth 2 --width "$width" --epochs "${PEER_EPOCHS:-$epochs}" \
      --seeds "${PEER_SEEDS:-$seeds}" --threads "$threads" --eval "$eval" --json ;;
  esac
}
if [ "$what" = cs ] || [ "$what" = all ]; then
  cs="$data/coauthor-cs"
  if [ ! -d "$cs" ]; then cp -r "$here/../datasets/data/coauthor-cs" "$cs"; rm -f "$cs"/gnnscale*; fi
  compare cs "$cs" 16 10 2 200
fi
if [ "$what" = arxiv ] || [ "$what" = all ]; then
  arxiv="$data/arxiv"
  [ -d "$arxiv" ] || "$bin" generate --preset arxiv --out "$arxiv" > /dev/null
  compare arxiv "$arxiv" 128 50 5 "$arxiv_epochs"
fi

#!/usr/bin/env bash
# Issue 3's measurements, in order, on a quiet machine (each step times or trains models):
#   1. calibrate this machine (rates, gather curve, kernel fit);
#   2. the cost-model validation grid (bench/validate_cost.py, 13 configurations);
#   3. Coauthor CS: plan under a memory budget between two phi steps, then train phi* and the
#      next phi and compare their counted peaks with the budget;
#   4. the utility form on the search results; 5. the same under an epoch-time budget.
# The searches themselves take long (Coauthor CS: about 30 minutes) and are run separately:
#   build/cli/gnnscale search --data datasets/data/coauthor-cs --base 2,16,0.5 --epochs 200 \
#     --seeds 3 --max-candidates 0 --out bench/out/coauthor-cs.search.txt
#   build/cli/gnnscale search --data datasets/data/cora --base 2,16,0.5 --epochs 200 \
#     --seeds 3 --max-candidates 0 --out bench/out/cora.search.txt
# Usage: bash bench/scaling_demo.sh [MEM_BUDGET (default 100MiB)]   (OUT=DIR: where to write,
# default bench/out; the machine profile goes to $GNNSCALE_CACHE or ~/.cache/gnnscale)
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-100MiB}
bin=build/cli/gnnscale
out=${OUT:-bench/out}
mkdir -p "$out"

"$bin" calibrate --json > "$out/calibrate.json"
/usr/bin/python3 bench/validate_cost.py --repeat 3 --categories --json "$out/validate.jsonl" |
  tee "$out/validate.txt"

search=$out/coauthor-cs.search.txt

# plan_and_train NAME LABEL PLAN-OPTIONS...: plans Coauthor CS with the searched constants
# under the given budgets (table to $out/plan-NAME.txt), then trains phi* and the next grid
# step over 3 seeds ($out/train-NAME-phiX.txt).
plan_and_train() {
  local name=$1 label=$2
  shift 2
  local plan=("$bin" plan --data datasets/data/coauthor-cs --strategy dwr --from-search "$search" "$@")
  "${plan[@]}" --lambda 0.01 | tee "$out/plan-$name.txt"
  local phis phi_star next
  phis=$("${plan[@]}" --json | /usr/bin/python3 -c \
    'import json,sys; j=json.load(sys.stdin); b=j["best"]["row"]; print(j["best"]["phi"], j["rows"][b + 1]["phi"])')
  read -r phi_star next <<<"$phis"
  for p in "$phi_star" "$next"; do
    echo "== train at phi $p ($label)"
    "$bin" train --data datasets/data/coauthor-cs --strategy dwr --phi "$p" \
      --from-search "$search" --seeds 3 | tee "$out/train-$name-phi$p.txt"
  done
}

plan_and_train coauthor "memory budget $budget" --mem "$budget"
# The same graph under an epoch-time budget.
plan_and_train coauthor-time "epoch-time budget 100 ms" --mem 1GiB --epoch-time 100ms

#!/usr/bin/env bash
# End-to-end tests of `gnnscale sweep` and `gnnscale report`: the dry-run count, file:line
# errors, the smoke sweep (examples/smoke.sweep, 15 short runs on Cora) with its report,
# resuming after a cut-short last line (exactly the cut run is done again), a second start that
# runs nothing, and skipped lines named by number. Prints "N passed, N failed".
set -u
bin=$(realpath "$1")
root=$2
source "$(dirname "$0")/expect.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GNNSCALE_CACHE="$tmp/cache" # the user's machine profile plays no part
cd "$root"
check() { # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

smoke=examples/smoke.sweep
expect 0 '"runs":15' -- "$bin" sweep "$smoke" --dry-run --json --out "$tmp/none.jsonl"
expect 0 "15 runs (24 combinations of the axes), 0 done, 15 to run" -- \
  "$bin" sweep "$smoke" --dry-run --out "$tmp/none.jsonl"
expect 1 "would not fit --mem 1.0 MiB" -- "$bin" sweep "$smoke" --dry-run --mem 1MiB --out "$tmp/none.jsonl"
expect 2 "a sweep FILE is required" -- "$bin" sweep
expect 2 "option --dry-run: 'maybe' is not true or false" -- "$bin" sweep "$smoke" --dry-run=maybe
printf 'dataset cora\nstrategy w\nphi 1 two\n' > "$tmp/bad.sweep"
expect 1 "bad.sweep:3: phi: 'two' is not a number" -- "$bin" sweep "$tmp/bad.sweep" --dry-run
printf 'dataset cora\nflag.nosuch-option true\nepochs 1\n' > "$tmp/unsupported.sweep"
expect 1 "unsupported.sweep:2: flag.nosuch-option true: this gnnscale's train has no --nosuch-option option" -- \
  "$bin" sweep "$tmp/unsupported.sweep" --out "$tmp/u.jsonl"
printf 'dataset nosuchgraph\nepochs 1\n' > "$tmp/missing.sweep"
expect 1 "cannot load their dataset" -- "$bin" sweep "$tmp/missing.sweep" --dry-run
expect 1 "nosuchgraph" -- "$bin" sweep "$tmp/missing.sweep" --out "$tmp/m.jsonl"

# The smoke sweep, then its report.
out="$tmp/smoke.jsonl"
expect 0 "ran 15 (0 failed)" -- "$bin" sweep "$smoke" --out "$out"
check "15 result lines" [ "$(wc -l < "$out")" -eq 15 ]
check "15 distinct run_ids" [ "$(grep -o '"run_id":"[0-9a-f]*"' "$out" | sort -u | wc -l)" -eq 15 ]
# The dry run prices each run as its train does, through the probe of the data it trains on (the
# same cache entry): the epoch time it lists is the one each run recorded.
"$bin" sweep "$smoke" --dry-run --json --out "$tmp/none.jsonl" > "$tmp/dry.json"
same_prediction='
import json, sys
dry = {r["run_id"]: r for r in json.load(open(sys.argv[1]))["list"]}
runs = [json.loads(l) for l in open(sys.argv[2])]
bad = [(r["run_id"], dry[r["run_id"]]["epoch_ms"], r["predicted"]["epoch_ms"]) for r in runs
       if dry[r["run_id"]]["source"] != "probe" or r["predicted"]["source"] != "probe"
       or abs(dry[r["run_id"]]["epoch_ms"] - r["predicted"]["epoch_ms"]) > 1e-3]
print("dry run against recorded predictions:", bad or "all equal")
sys.exit(1 if bad or len(runs) != int(sys.argv[3]) else 0)'
if command -v python3 > /dev/null; then
  check "dry-run epoch times = the runs' recorded ones" python3 -c "$same_prediction" "$tmp/dry.json" "$out" 15
fi
# A `reorder rcm` run is probed on the reordered graph, and a deep one (depth 6: the deep stack)
# with the stack its train resolves (residual, ReZero, identity map), as its train probes it.
printf 'dataset cora\nreorder rcm\nstrategy d\nphi 2\nepochs 3\n' > "$tmp/rcm.sweep"
expect 0 "ran 1 (0 failed)" -- "$bin" sweep "$tmp/rcm.sweep" --out "$tmp/rcm.jsonl"
"$bin" sweep "$tmp/rcm.sweep" --dry-run --json --out "$tmp/none.jsonl" > "$tmp/rcm-dry.json"
if command -v python3 > /dev/null; then
  check "deep reorder rcm run: dry-run epoch time = the recorded one" python3 -c "$same_prediction" \
    "$tmp/rcm-dry.json" "$tmp/rcm.jsonl" 1
fi
# flag.NAME settings go to train unpriced, and the dry run says so.
printf 'dataset cora\nflag.lr 0.02\nepochs 1\n' > "$tmp/flag.sweep"
expect 0 "1 run priced without their flag.NAME settings" -- \
  "$bin" sweep "$tmp/flag.sweep" --dry-run --no-probe --out "$tmp/none.jsonl"
expect 0 '"priced_without_flags":1' -- \
  "$bin" sweep "$tmp/flag.sweep" --dry-run --no-probe --json --out "$tmp/none.jsonl"
expect 0 "15 results in 5 groups" -- "$bin" report "$out" --out "$tmp/report"
for f in results.md results.csv acc_vs_flops.svg acc_vs_flops.png acc_vs_memory.png \
         acc_vs_time.png predicted_vs_measured_memory.png predicted_vs_measured_time.svg \
         acc_vs_flops.gp panel1.dat predicted.dat; do
  check "report wrote $f" [ -s "$tmp/report/$f" ]
done
check "PNG signature" [ "$(head -c 4 "$tmp/report/acc_vs_flops.png" | tail -c 3)" = PNG ]
check "table row of width scaling" grep -q '^| w | 1 |' "$tmp/report/results.md"

# Resume: cut the last line short, as a kill in the middle of a write would leave it.
last_id=$(tail -n 1 "$out" | grep -o '"run_id":"[0-9a-f]*"')
size=$(stat -c %s "$out")
truncate -s $((size - 40)) "$out"
expect 0 "ran 1 (0 failed)" -- "$bin" sweep "$smoke" --out "$out"
check "15 lines after resuming" [ "$(wc -l < "$out")" -eq 15 ]
check "the cut run done again, once" [ "$(grep -c "$last_id" "$out")" -eq 1 ]
expect 0 "15 already in" -- "$bin" sweep "$smoke" --out "$out"
expect 0 '"done":15' -- "$bin" sweep "$smoke" --dry-run --json --out "$out"

# Lines that are not results are named by number and left out.
cp "$out" "$tmp/mixed.jsonl"
printf 'garbage\n{"run_id":"x","status":"failed","config":{},"error":"boom"}\n' >> "$tmp/mixed.jsonl"
head -n 1 "$out" >> "$tmp/mixed.jsonl"
expect 0 "mixed.jsonl:16: not JSON" -- "$bin" report "$tmp/mixed.jsonl" --out "$tmp/r2" --no-render
expect 0 "mixed.jsonl:17: run x failed (boom): left out" -- "$bin" report "$tmp/mixed.jsonl" --out "$tmp/r2" --no-render
expect 0 "mixed.jsonl:18: run" -- "$bin" report "$tmp/mixed.jsonl" --out "$tmp/r2" --no-render
expect 1 "no usable result" -- "$bin" report "$tmp/bad.sweep" --out "$tmp/r3"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

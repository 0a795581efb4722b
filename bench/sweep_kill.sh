#!/usr/bin/env bash
# Kill-safety of `gnnscale sweep` (issue 11): runs examples/kill.sweep (48 runs), kills the
# sweep with SIGKILL at two random moments, checks that no training child outlives it, starts
# it again each time, and checks that the final results file holds exactly one line per run
# and that each run_id appears once. Usage: bench/sweep_kill.sh [BIN] [OUT.jsonl]
set -u
cd "$(dirname "$0")/.."
bin=${1:-build/cli/gnnscale}
out=${2:-$(mktemp -d)/kill.jsonl}
sweep=examples/kill.sweep
rm -f "$out"
runs=$("$bin" sweep "$sweep" --dry-run --json --out "$out" | grep -o '"runs":[0-9]*' | cut -d: -f2)
echo "sweep $sweep: $runs runs, results $out"
for k in 1 2; do
  "$bin" sweep "$sweep" --out "$out" --quiet > /dev/null 2>&1 &
  pid=$!
  # a random moment: 3 to 15 s after the start
  wait_s=$(( 3 + RANDOM % 13 ))
  sleep "$wait_s"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  sleep 1
  left=$(pgrep -f "gnnscale train --data datasets/data/cora" | wc -l)
  lines=$(wc -l < "$out")
  partial=$(tail -c 1 "$out" | od -An -c | tr -d ' ')
  echo "kill $k: SIGKILL after ${wait_s} s; $lines whole lines; last byte '${partial}'; training children left: $left"
done
"$bin" sweep "$sweep" --out "$out" 2>&1 | tail -n 3
lines=$(wc -l < "$out")
unique=$(grep -o '"run_id":"[0-9a-f]*"' "$out" | sort -u | wc -l)
ok=$(grep -c '"status":"ok"' "$out")
echo "final: $lines lines, $unique distinct run_ids, $ok ok, for $runs runs"
[ "$lines" -eq "$runs" ] && [ "$unique" -eq "$runs" ]

#!/usr/bin/env bash
# Kill-safety of `gnnscale sweep` (issue 11): runs examples/kill.sweep (48 runs), kills the
# sweep with SIGKILL at two random moments, checks that no training child outlives it, starts
# it again each time, and checks that the final results file holds exactly one line per run
# and that each run_id appears once. Usage: bench/sweep_kill.sh [BIN] [OUT.jsonl]
# (JOBS=J runs J at a time, default 2; KILL_MIN/KILL_MAX bound the random moment, s.)
set -u
cd "$(dirname "$0")/.."
bin=${1:-build/cli/gnnscale}
out=${2:-$(mktemp -d)/kill.jsonl}
sweep=examples/kill.sweep
jobs=${JOBS:-2}
kmin=${KILL_MIN:-3}
kmax=${KILL_MAX:-15}
rm -f "$out"
runs=$("$bin" sweep "$sweep" --dry-run --json --out "$out" | grep -o '"runs":[0-9]*' | cut -d: -f2)
echo "sweep $sweep: $runs runs, results $out"
for k in 1 2; do
  "$bin" sweep "$sweep" --out "$out" --jobs "$jobs" --quiet > /dev/null 2>&1 &
  pid=$!
  # a random moment between kmin and kmax seconds after the start
  wait_s=$(( kmin + RANDOM % (kmax - kmin + 1) ))
  sleep "$wait_s"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  sleep 1
  left=$(pgrep -f "$bin train" | wc -l)
  lines=$(wc -l < "$out")
  partial=$(tail -c 1 "$out" | od -An -c | tr -d ' ')
  echo "kill $k: SIGKILL after ${wait_s} s; $lines whole lines; last byte '${partial}'; training children left: $left"
done
"$bin" sweep "$sweep" --out "$out" --jobs "$jobs" 2>&1 | tail -n 3
lines=$(wc -l < "$out")
unique=$(grep -o '"run_id":"[0-9a-f]*"' "$out" | sort -u | wc -l)
ok=$(grep -c '"status":"ok"' "$out")
echo "final: $lines lines, $unique distinct run_ids, $ok ok, for $runs runs"
[ "$lines" -eq "$runs" ] && [ "$unique" -eq "$runs" ]

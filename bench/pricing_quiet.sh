#!/usr/bin/env bash
# `gnnscale sweep --dry-run` against the measured totals of the same sweep (issue 11), for a
# quiet machine: a fresh probe cache (the probes measure this machine as it is now), the dry
# run with the probe and with the profile alone, then the sweep itself, then the comparison.
# Usage: bench/pricing_quiet.sh [BIN] [SWEEP] [OUTDIR]   (from the repository root)
set -eu
bin=${1:-build/cli/gnnscale}
sweep=${2:-examples/pricing.sweep}
out=${3:-bench/out/pricing-quiet}
mkdir -p "$out"
export GNNSCALE_CACHE=$(mktemp -d)
trap 'rm -rf "$GNNSCALE_CACHE"' EXIT
results="$out/results.jsonl"
rm -f "$results"
{
  echo "start $(date -u +%T); $(uptime)"
  echo "binary $bin; sweep $sweep; threads 2, 1 job"
  echo "busiest processes:"; ps -eo pcpu,ni,etime,comm --sort=-pcpu | head -6
} | tee "$out/log.txt"
t0=$(date +%s.%N)
"$bin" sweep "$sweep" --dry-run --json --no-probe --out "$results" > "$out/dry-noprobe.json"
"$bin" sweep "$sweep" --dry-run --json --out "$results" > "$out/dry-probe.json"
t1=$(date +%s.%N)
"$bin" sweep "$sweep" --out "$results" --json > "$out/sweep.json"
t2=$(date +%s.%N)
{
  echo "end $(date -u +%T); $(uptime)"
  echo "busiest processes:"; ps -eo pcpu,ni,etime,comm --sort=-pcpu | head -6
  echo "dry run with probes took $(echo "$t1 - $t0" | bc) s; the sweep $(echo "$t2 - $t1" | bc) s"
} | tee -a "$out/log.txt"
/usr/bin/python3 - "$out" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys
d = sys.argv[1]
noprobe = json.load(open(f"{d}/dry-noprobe.json"))
probe = json.load(open(f"{d}/dry-probe.json"))
sweep = json.load(open(f"{d}/sweep.json"))
runs = [json.loads(l) for l in open(f"{d}/results.jsonl")]
byid = {r["run_id"]: r for r in probe["list"]}
ok = [r for r in runs if r.get("status") == "ok"]
train = sum(r["epoch_ms"] * r["curve"]["epochs_run"] / 1e3 for r in ok)
wall = sum(r["wall_seconds"] for r in ok)
load = sum(r["load_seconds"] for r in ok)
print(f"runs {len(runs)} ({len(ok)} ok), {probe['priced_by']}")
print(f"dry run, profile alone (--no-probe): {noprobe['predicted_seconds']:.1f} s")
print(f"dry run, through the probe: {probe['predicted_seconds']:.1f} s "
      f"(training {probe['predicted_seconds'] - probe['predicted_load_seconds']:.1f} s, "
      f"loading {probe['predicted_load_seconds']:.1f} s)")
print(f"measured: sweep wall {sweep['wall_seconds']:.1f} s; children's wall {wall:.1f} s; "
      f"training {train:.1f} s (epochs run x median epoch); loading {load:.1f} s")
print(f"the runs' own predictions of their epochs: {sweep['recorded_predicted_seconds']:.1f} s")
same = sum(1 for r in ok if abs(byid[r['run_id']]['epoch_ms'] - r['predicted']['epoch_ms']) < 1e-3)
print(f"dry-run epoch time equal to the run's recorded prediction: {same} of {len(ok)}")
ratios = sorted(r["epoch_ms"] / byid[r["run_id"]]["epoch_ms"] for r in ok)
print("measured / predicted epoch time per run: median %.2f, min %.2f, max %.2f"
      % (statistics.median(ratios), ratios[0], ratios[-1]))
for r in ok:
    p = byid[r["run_id"]]
    print("  %-18s %-4s d%-2d w%-4d f%-5d predicted %7.2f ms measured %7.2f ms; run %.2f s "
          "predicted, %.2f s wall" % (r["dataset"], r["config"].get("strategy", ""), r["depth"],
          r["width"], r["features"], p["epoch_ms"], r["epoch_ms"], p["run_seconds"],
          r["wall_seconds"]))
PY

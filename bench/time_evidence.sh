#!/usr/bin/env bash
# Issue 10 evidence, in one run (meant for a quiet machine): `calibrate --seconds 5` wall time
# with the cache size as reported and with GNNSCALE_LLC_BYTES=480M (a VM that reports a 480 MiB
# L3); the 13-configuration validation grid through the probe, median of three runs, with each
# profile; the probes' own cost; the extrapolation to 10x costlier models; and the whole Check
# suite on a clean clone with the huge cache report set. Outputs in $OUT (bench/out/time).
#
# Usage: BIN=build/cli/gnnscale OUT=bench/out/time bash bench/time_evidence.sh [steps...]
#   steps: calibrate grid extrapolate suite (default: all, in that order)
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-build/cli/gnnscale}
OUT=${OUT:-bench/out/time}
HUGE=${HUGE:-480M}
mkdir -p "$OUT"
# A fresh probe cache, so that the first grid runs (and times) every probe.
export GNNSCALE_CACHE=${GNNSCALE_CACHE_DIR:-$(mktemp -d /tmp/gs-time-cache.XXXXXX)}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(calibrate grid extrapolate suite)
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/log.txt"; }

{
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores online"
  echo "L3 reported by getconf: $(getconf LEVEL3_CACHE_SIZE) bytes; /sys cache dir: $(ls /sys/devices/system/cpu/cpu0/cache 2>/dev/null | wc -l) entries"
  echo "memory: $(grep MemTotal /proc/meminfo)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git rev-parse --short HEAD)"
} > "$OUT/machine.txt"

for step in "${steps[@]}"; do
  case $step in
    calibrate)
      for tag in reported huge; do
        llc=""
        [ $tag = huge ] && llc=$HUGE
        log "calibrate --seconds 5 ($tag cache size)"
        s=$(date +%s.%N)
        GNNSCALE_LLC_BYTES=$llc "$BIN" calibrate --seconds 5 --out "$OUT/profile-$tag.txt" \
          --json > "$OUT/calibrate-$tag.json"
        e=$(date +%s.%N)
        echo "calibrate --seconds 5 ($tag): $(echo "$e - $s" | bc) s wall" | tee -a "$OUT/log.txt"
      done
      ;;
    grid)
      for tag in huge reported; do
        log "grid, profile $tag, 3 runs"
        GNNSCALE_LLC_BYTES=$([ $tag = huge ] && echo $HUGE) /usr/bin/python3 bench/validate_cost.py \
          --bin "$BIN" --repeat 3 --categories --profile "$OUT/profile-$tag.txt" \
          --json "$OUT/grid-$tag.jsonl" > "$OUT/grid-$tag.txt" 2>&1
        tail -4 "$OUT/grid-$tag.txt" | tee -a "$OUT/log.txt"
      done
      ;;
    extrapolate)
      log "extrapolation, profile huge, 3 runs"
      GNNSCALE_LLC_BYTES=$HUGE /usr/bin/python3 bench/validate_cost.py --bin "$BIN" --extrapolate \
        --repeat 3 --categories --profile "$OUT/profile-huge.txt" \
        --json "$OUT/extrapolate.jsonl" > "$OUT/extrapolate.txt" 2>&1
      tail -3 "$OUT/extrapolate.txt" | tee -a "$OUT/log.txt"
      ;;
    suite)
      log "whole suite on a clean clone (GNNSCALE_LLC_BYTES=$HUGE CI=true bash scripts/test.sh)"
      rm -rf /tmp/cc
      git clone -q /work/main /tmp/cc
      s=$(date +%s.%N)
      (cd /tmp/cc && GNNSCALE_LLC_BYTES=$HUGE CI=true bash scripts/test.sh) > "$OUT/suite.txt" 2>&1
      rc=$?
      e=$(date +%s.%N)
      echo "suite: exit $rc, $(echo "$e - $s" | bc) s wall (build included)" | tee -a "$OUT/log.txt"
      grep -E "^ *[0-9]+/[0-9]+ |Ok:|Fail:" "$OUT/suite.txt" | tail -40 >> "$OUT/log.txt"
      ;;
  esac
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

#!/usr/bin/python3
"""Carries results written under an older deep-stack default over to a sweep's current run_ids,
for the runs whose trained model no default changed.

A scaled run that leaves the stack to the program ends its canonical text with the default it
gets: no suffix before 189d2ac (plain at every depth), `;stack=auto` (residual + ReZero +
LayerNorm from depth 4), `;stack=auto2` since 70bc443 (gates scaled by 1/R; GCN: identity map
instead of LayerNorm). So its run_id changed with each, and a resumed sweep trains it again. For
a model of depth < 4 every default gives the same plain stack (gnn/model.h,
GS_MODEL_DEEP_DEPTH), so an old line of that run is a result of the same configuration. This script prints those lines
with the current run_id (and the old one in "adopted_from"); deeper runs and failed runs are left
out (the sweep trains them). Check first, by rerunning a few, that the current binary reproduces
them (docs/RESULTS.md did: equal test and validation accuracy and curve).

  gnnscale sweep S.sweep --dry-run --json > dry.json
  bench/sweep_adopt.py dry.json OLD.jsonl >> NEW.jsonl
"""
import json
import sys

DEEP_DEPTH = 4  # GS_MODEL_DEEP_DEPTH in gnn/model.h
SUFFIXES = ("", ";stack=auto", ";stack=auto2")  # every default so far, oldest first


def fnv1a64(text):
    # experiments/sweep.c gs_sweep_hash: FNV-1a, 64 bits, over the canonical text.
    h = 14695981039346656037
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sweep_adopt.py DRY_RUN.json OLD_RESULTS.jsonl")
    plan = json.load(open(sys.argv[1]))
    old_to_new = {}
    for run in plan["list"]:
        canon = run["config"]
        cut = canon.rfind(";stack=auto")
        if cut < 0:
            continue
        for suffix in SUFFIXES:
            if canon[:cut] + suffix != canon:
                old_to_new[fnv1a64(canon[:cut] + suffix)] = run["run_id"]
    adopted = skipped = 0
    with open(sys.argv[2]) as f:
        for number, line in enumerate(f, 1):
            rec = json.loads(line)
            new_id = old_to_new.get(rec.get("run_id"))
            if new_id is None:
                continue
            if rec.get("status") != "ok" or rec.get("depth", DEEP_DEPTH) >= DEEP_DEPTH:
                skipped += 1
                continue
            out = {"run_id": new_id, "adopted_from": rec["run_id"]}
            out.update((k, v) for k, v in rec.items() if k != "run_id")
            sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
            adopted += 1
    print("sweep_adopt: %d lines adopted, %d left to train again (depth >= %d or not ok)"
          % (adopted, skipped, DEEP_DEPTH), file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Checks the cost model against measurement: runs `gnnscale train --json` over a grid of
configurations on the bundled datasets and prints, per configuration, the predicted vs counted
peak bytes (the counting allocator's high-water mark over the whole run), the predicted vs
measured peak RSS (predicted = the RSS the train command measures after its pricing pass,
before the dataset is loaded, + the cost model's peak: no fitted constant), and the predicted vs
measured median epoch time. Bars (issue 3): peak within 2%, RSS within 15%, time within 25%.

The epoch time is predicted the way `train` predicts it by default: the machine profile
corrected by a probe of the graph (three small models of the configuration's family on its
features, cached per machine and data under $GNNSCALE_CACHE), and each row says where its
prediction came from; --no-probe predicts from the profile alone. The cost of every probe that
ran (not read from the cache) is summed at the end. --extrapolate instead checks the probe's
extrapolation (issue 10): models at least 10x the FLOPs of the largest probed model, scaled in
depth or in width, predicted within 30% of the measured median.

Usage: /usr/bin/python3 bench/validate_cost.py [--bin build/cli/gnnscale] [--epochs 30]
       [--threads 0] [--profile FILE] [--json OUT.jsonl] [--only cora,citeseer]
       [--categories] [--repeat N] [--no-probe] [--extrapolate]
Standard library only. Runs one configuration at a time (the machine is shared)."""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (dataset, depth, width, resolution, extra options)
GRID = [
    ("cora", 2, 16, 1.0, []),
    ("cora", 3, 64, 0.5, []),
    ("cora", 4, 256, 0.25, []),
    ("citeseer", 2, 16, 1.0, []),
    ("citeseer", 3, 128, 0.5, []),
    ("citeseer", 4, 64, 1.0, ["--residual", "--layernorm"]),
    ("amazon-photo", 2, 64, 1.0, []),
    ("amazon-photo", 3, 128, 0.5, []),
    ("amazon-photo", 4, 32, 0.25, []),
    ("coauthor-cs", 2, 16, 1.0, []),
    ("coauthor-cs", 3, 64, 0.5, []),
    ("coauthor-cs", 2, 256, 0.25, []),
    ("coauthor-cs", 4, 128, 1.0, ["--residual", "--layernorm"]),
]

# (dataset, depth, width, resolution, extra): 10x and more the FLOPs of the probe's largest
# model (2 x 32 or 3 x 16 on all features), by width and by depth.
EXTRAPOLATION = [
    ("coauthor-cs", 2, 512, 1.0, []),
    ("coauthor-cs", 24, 32, 1.0, []),
    ("amazon-photo", 2, 512, 1.0, []),
    ("amazon-photo", 100, 32, 1.0, []),
]

PEAK_BAR, RSS_BAR, TIME_BAR, EXTRAPOLATION_BAR = 2.0, 15.0, 25.0, 30.0


def pct(pred, meas):
    return 100.0 * (pred / meas - 1.0) if meas else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "cli", "gnnscale"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--profile", default=None)
    ap.add_argument("--json", default=None, help="also write one JSON line per configuration")
    ap.add_argument("--only", default=None, help="comma-separated dataset names")
    ap.add_argument("--categories", action="store_true",
                    help="also print predicted vs measured ms per kernel category")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each configuration, round-robin over the grid (the machine's "
                         "noise moves one run's times by 15-30%%); the measured epoch time is "
                         "the median over the runs, the RSS the largest")
    ap.add_argument("--no-probe", action="store_true",
                    help="predict from the machine profile alone (no probe of the graph)")
    ap.add_argument("--extrapolate", action="store_true",
                    help="check the probe's extrapolation to 10x costlier models instead")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    rows = []
    out = open(args.json, "w") if args.json else None
    hdr = ("%-13s %5s %5s %5s %-6s  %10s %10s %7s  %9s %9s %7s  %8s %8s %7s" %
           ("dataset", "depth", "width", "r", "extra", "pred peak", "counted", "err%",
            "pred RSS", "RSS", "err%", "pred ms", "med ms", "err%"))
    print(hdr)
    print("-" * len(hdr))
    grid = [g for g in (EXTRAPOLATION if args.extrapolate else GRID) if not only or g[0] in only]
    probes = {}  # cache file -> seconds of the probe that wrote it
    results = [[] for _ in grid]
    for rep in range(args.repeat):
        for gi, (ds, d, w, r, extra) in enumerate(grid):
            cmd = [args.bin, "train", "--data", os.path.join(ROOT, "datasets", "data", ds),
                   "--strategy", "explicit", "--depth", str(d), "--width", str(w),
                   "--resolution", str(r), "--epochs", str(args.epochs), "--patience", "0",
                   "--threads", str(args.threads), "--json"] + extra
            if args.profile:
                cmd += ["--profile", args.profile]
            if args.no_probe:
                cmd += ["--no-probe"]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if p.returncode != 0:
                print("%-13s %5d %5d %5g  FAILED: %s" % (ds, d, w, r, p.stderr.strip()))
                return 1
            j = json.loads(p.stdout)
            pb = j.get("predicted", {}).get("probe")
            if pb and not pb["cached"]:
                probes[pb["file"] or "run %d" % len(probes)] = pb["seconds"]
            results[gi].append(j)
    for gi, (ds, d, w, r, extra) in enumerate(grid):
        runs = results[gi]
        times = sorted(x["epoch_ms_median"] for x in runs)
        mid = len(times) // 2
        measured_ms = times[mid] if len(times) % 2 else 0.5 * (times[mid - 1] + times[mid])
        j = max(runs, key=lambda x: x["peak_rss_bytes"])
        # The prediction of the last run (from the cached probe when one ran before).
        j = dict(j, epoch_ms_median=measured_ms, runs_ms=[x["epoch_ms_median"] for x in runs],
                 predicted=runs[-1]["predicted"])
        pr = j["predicted"]
        row = {
            "dataset": ds, "depth": d, "width": w, "resolution": r, "extra": " ".join(extra),
            "features": j["scaling"]["features"],
            "pred_peak": pr["peak_bytes"], "counted_peak": j["counted_peak_bytes"],
            "pred_rss": pr["peak_rss_bytes"], "rss": j["peak_rss_bytes"],
            "rss_after_pricing": j["rss_after_pricing_bytes"],
            "rss_after_runtime": j.get("rss_after_runtime_bytes"),
            "pricing_peak": j.get("pricing_peak_bytes"),
            "pred_ms": pr["epoch_ms"], "ms": j["epoch_ms_median"], "runs_ms": j["runs_ms"],
            "profile": pr["profile"], "source": pr.get("source", "profile"),
            "flops": pr["flops_per_epoch"],
        }
        pb = pr.get("probe")
        if pb:
            row["probe_flops_max"] = max(m["flops_per_epoch"] for m in pb["models"])
            row["flops_ratio"] = row["flops"] / row["probe_flops_max"]
            row["probe_epoch_ms"] = [m["epoch_ms"] for m in pb["models"]]
        row["pred_kernel_ms"] = pr.get("kernel_ms")
        row["kernel_ms"] = j["runs"][0].get("kernel_ms")
        row["peak_err"] = pct(row["pred_peak"], row["counted_peak"])
        row["rss_err"] = pct(row["pred_rss"], row["rss"])
        row["time_err"] = pct(row["pred_ms"], row["ms"])
        rows.append(row)
        if out:
            out.write(json.dumps(row) + "\n")
        tag = ("res+ln" if extra else "") + ("" if row["source"] == "probe" else "*")
        print("%-13s %5d %5d %5g %-6s  %9.2fM %9.2fM %+6.2f%%  %8.1fM %8.1fM %+6.1f%%  %8.2f %8.2f %+6.1f%%" %
              (ds, d, w, r, tag, row["pred_peak"] / 2**20, row["counted_peak"] / 2**20,
               row["peak_err"], row["pred_rss"] / 2**20, row["rss"] / 2**20, row["rss_err"],
               row["pred_ms"], row["ms"], row["time_err"]))
        if args.repeat > 1:
            print("    epoch ms of each run: %s" % ", ".join("%.2f" % t for t in row["runs_ms"]))
        if "flops_ratio" in row:
            print("    from %s: %.1fx the FLOPs of the largest probed model; probed epochs %s ms" %
                  (row["source"], row["flops_ratio"],
                   ", ".join("%.2f" % t for t in row["probe_epoch_ms"])))
        if args.categories and row["pred_kernel_ms"] and row["kernel_ms"]:
            parts = ["%s %.2f/%.2f" % (k, row["pred_kernel_ms"][k], row["kernel_ms"][k])
                     for k in row["kernel_ms"]]
            other = row["ms"] - sum(row["kernel_ms"].values())
            print("    kernels pred/measured ms: %s; outside kernels %.2f" % (", ".join(parts), other))
        sys.stdout.flush()
    if out:
        out.close()
    if not rows:
        return 1
    n = len(rows)
    print("\nprobes run: %d, %.2f s in all (%s); predictions from: %s" %
          (len(probes), sum(probes.values()),
           ", ".join("%.2f" % v for v in probes.values()) or "all read from the cache",
           ", ".join(sorted(set(x["source"] for x in rows)))))
    if args.extrapolate:
        ok = sum(abs(x["time_err"]) <= EXTRAPOLATION_BAR and x.get("flops_ratio", 0) >= 10
                 for x in rows)
        print("extrapolation: %d/%d models at >= 10x the probed FLOPs predicted within %.0f%% "
              "(worst |err| %.1f%%, FLOPs ratios %s)" %
              (ok, n, EXTRAPOLATION_BAR, max(abs(x["time_err"]) for x in rows),
               ", ".join("%.1f" % x.get("flops_ratio", 0) for x in rows)))
        return 0 if ok == n else 1
    ok_peak = sum(abs(x["peak_err"]) <= PEAK_BAR for x in rows)
    ok_rss = sum(abs(x["rss_err"]) <= RSS_BAR for x in rows)
    ok_time = sum(abs(x["time_err"]) <= TIME_BAR for x in rows)
    print("\n%d configurations (%d epochs each, %d run%s each); within the bars: peak (2%%) %d/%d, "
          "RSS (15%%) %d/%d, epoch time (25%%) %d/%d; worst |err|: peak %.2f%%, RSS %.1f%%, "
          "time %.1f%%" % (n, args.epochs, args.repeat, "s" if args.repeat > 1 else "", ok_peak, n, ok_rss, n, ok_time, n,
                           max(abs(x["peak_err"]) for x in rows),
                           max(abs(x["rss_err"]) for x in rows),
                           max(abs(x["time_err"]) for x in rows)))
    print("profile: %s" % rows[0]["profile"])
    return 0 if ok_peak == n and ok_rss == n and ok_time == n else 1


if __name__ == "__main__":
    sys.exit(main())

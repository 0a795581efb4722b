#!/usr/bin/python3
"""Same-run comparison of gnnscale against the PyTorch 1.13 peer (bench/peer_torch.py).

For each configuration both programs train the same model on the same graph with the same
thread count, each run --runs times as a separate process; medians over runs are printed
with the ratios PyTorch / gnnscale. Epoch time = training step (forward, backward, Adam)
+ evaluation forward; both parts are also reported separately. Peak RSS is each process's
own (getrusage). Prints one JSON line per configuration and program, then a table.

    /usr/bin/python3 bench/compare.py --runs 5 --threads 2            # all configurations
    /usr/bin/python3 bench/compare.py --only cora --runs 5
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    # name: (dataset folder or generator, gnnscale options, peer options, epochs)
    "cora": ("datasets/data/cora", ["--features", "rownorm"], ["--rownorm"], 200, 2, 16),
    "coauthor-cs": ("datasets/data/coauthor-cs", ["--features", "rownorm"], ["--rownorm"], 200, 2, 64),
    "arxiv-shaped": ("generate:arxiv", ["--features", "raw"], [], 10, 3, 256),
}


def run_json(cmd, env=None):
    started = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    result = json.loads(line)
    result["wall_s"] = time.time() - started
    return result


def gnnscale_run(binary, data, opts, epochs, depth, width, threads, seed):
    cmd = [binary, "train", "--data", data, "--depth", str(depth), "--width", str(width),
           "--epochs", str(epochs), "--patience", "0", "--threads", str(threads),
           "--seed", str(seed), "--json", "--quiet"] + opts
    r = run_json(cmd)
    run = r["runs"][0]
    return {"epoch_ms": run["epoch_ms"], "train_ms": run["train_ms"], "eval_ms": run["eval_ms"],
            "peak_rss_mb": r["peak_rss_bytes"] / 2**20, "test_acc": run["test_acc"],
            "peak_counted_mb": r["peak_bytes"] / 2**20, "wall_s": r["wall_s"]}


def torch_run(data, opts, epochs, depth, width, threads, seed):
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "peer_torch.py"), data,
           "--depth", str(depth), "--width", str(width), "--epochs", str(epochs),
           "--threads", str(threads), "--seed", str(seed), "--json"] + opts
    r = run_json(cmd)
    return {"epoch_ms": r["epoch_ms_median"], "train_ms": r["train_ms_median"],
            "eval_ms": r["eval_ms_median"], "peak_rss_mb": r["peak_rss_mb"],
            "test_acc": r["test_acc"], "wall_s": r["wall_s"]}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="runs per program and configuration (default 5)")
    p.add_argument("--threads", type=int, default=2, help="threads for both programs (default 2)")
    p.add_argument("--only", action="append", choices=sorted(CONFIGS), help="configurations to run")
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "cli", "gnnscale"))
    p.add_argument("--workdir", default=None, help="where to generate the arxiv-shaped graph")
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")
    names = args.only or list(CONFIGS)
    workdir = args.workdir or tempfile.mkdtemp(prefix="gnnscale-bench-")
    print(json.dumps({"bench": "compare", "machine": platform.processor() or platform.machine(),
                      "cores": os.cpu_count(), "threads": args.threads, "runs": args.runs}))
    table = []
    for name in names:
        data, gopts, popts, epochs, depth, width = CONFIGS[name]
        if data.startswith("generate:"):
            folder = os.path.join(workdir, "arxiv-shaped")
            if not os.path.exists(os.path.join(folder, "META.txt")):
                subprocess.run([args.binary, "generate", "--preset", "arxiv", "--out", folder,
                                "--seed", "1"], check=True, stdout=sys.stderr)
            data = folder
        else:
            data = os.path.join(ROOT, data)
        results = {"gnnscale": [], "pytorch": []}
        for r in range(args.runs):
            # Alternate the programs so that drifts in machine load hit both alike.
            results["gnnscale"].append(gnnscale_run(args.binary, data, gopts, epochs, depth, width,
                                                    args.threads, r))
            results["pytorch"].append(torch_run(data, popts, epochs, depth, width, args.threads, r))
            print(f"{name}: run {r + 1}/{args.runs} done", file=sys.stderr)
        summary = {}
        for prog, runs in results.items():
            s = {k: median_of(runs, k) for k in ("epoch_ms", "train_ms", "eval_ms", "peak_rss_mb", "test_acc")}
            s["epoch_ms_min"] = min(r["epoch_ms"] for r in runs)
            s["test_acc_mean"] = statistics.mean(r["test_acc"] for r in runs)
            summary[prog] = s
            print(json.dumps({"bench": "epoch", "config": name, "program": prog, "depth": depth,
                              "width": width, "epochs": epochs, "threads": args.threads,
                              "runs": args.runs, **s}))
        g, t = summary["gnnscale"], summary["pytorch"]
        table.append((name, depth, width, g, t))
    print("\n| graph | model | gnnscale epoch ms (train + eval) | PyTorch epoch ms | speed-up | "
          "gnnscale RSS MB | PyTorch RSS MB | RSS ratio | gnnscale acc | PyTorch acc |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, depth, width, g, t in table:
        print(f"| {name} | {depth}x{width} | {g['epoch_ms']:.2f} ({g['train_ms']:.2f} + {g['eval_ms']:.2f}) "
              f"| {t['epoch_ms']:.2f} ({t['train_ms']:.2f} + {t['eval_ms']:.2f}) "
              f"| {t['epoch_ms'] / g['epoch_ms']:.1f}x | {g['peak_rss_mb']:.0f} | {t['peak_rss_mb']:.0f} "
              f"| {g['peak_rss_mb'] / t['peak_rss_mb']:.2f} | {100 * g['test_acc_mean']:.1f} "
              f"| {100 * t['test_acc_mean']:.1f} |")


if __name__ == "__main__":
    main()

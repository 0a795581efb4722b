#!/usr/bin/python3
"""Accuracy parity of gnnscale against the PyTorch 1.13 peer (bench/peer_torch.py), per layer
family and bundled dataset, in the same run and with identical settings.

Each row trains one model family on one dataset with both programs over the same seeds
(0..K-1; gnnscale's counter RNG and torch's generator draw different weights and masks, so
the comparison is of the distributions): 200 epochs, no early stopping on either side, Adam
lr 0.01, L2 5e-4 on the first layer's weights, dropout 0.5, best-validation epoch. The bar
(issue 9): |mean test accuracy difference| <= 1.0 point, and gnnscale's sample std at most
1.5x the peer's or at most 1.0 point. One JSON line per (dataset, model, program) goes to
--out (rewritten atomically after each), then a table is printed.

    /usr/bin/python3 bench/parity.py --model sage,gin,sgc,appnp --seeds 10 --out bench/out/parity.jsonl
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS = ["cora", "citeseer", "amazon-photo", "coauthor-cs", "facebook-page-page"]
# Feature preprocessing per dataset (README's table): row-normalised for the citation and
# co-author graphs, raw 0/1 for the co-purchase and page graphs; the peer's sparse input where
# gnnscale holds the features as CSR.
PREP = {
    "cora": (["--features", "rownorm"], ["--rownorm", "--sparse-features"]),
    "citeseer": (["--features", "rownorm"], ["--rownorm", "--sparse-features"]),
    "coauthor-cs": (["--features", "rownorm"], ["--rownorm", "--sparse-features"]),
    "amazon-photo": (["--features", "raw"], []),
    "facebook-page-page": (["--features", "raw"], []),
}
# Depth and width per family: two layers of 16 (Kipf & Welling); SGC K = 2 (Wu et al.);
# APPNP K = 10 over a 64-wide MLP (Gasteiger et al.).
SHAPE = {"gcn": (2, 16), "sage": (2, 16), "gin": (2, 16), "sgc": (2, 16), "appnp": (10, 64)}
MEAN_BAR, STD_RATIO, STD_FLOOR = 1.0, 1.5, 1.0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="sage,gin,sgc,appnp", help="comma list of families")
    p.add_argument("--datasets", default=",".join(DATASETS), help="comma list of bundled datasets")
    p.add_argument("--seeds", type=int, default=10, help="seeds per row (default 10)")
    p.add_argument("--seeds-large", type=int, default=0,
                   help="seeds on amazon-photo, coauthor-cs, facebook-page-page (default: --seeds)")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--threads", type=int, default=1, help="threads of each program (default 1)")
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "cli", "gnnscale"))
    p.add_argument("--peer", default=os.path.join(ROOT, "bench", "peer_torch.py"),
                   help="the PyTorch peer script (a copy keeps a long run independent of edits)")
    p.add_argument("--only", choices=["gnnscale", "pytorch"], default=None,
                   help="run one side only (to complete a row another run began)")
    p.add_argument("--out", default=None, help="JSON lines file (rewritten after each run)")
    return p.parse_args(argv)


def run_json(cmd):
    started = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line), time.time() - started


def mean_std(values):
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def gnnscale_row(args, data, model, seeds):
    depth, width = SHAPE[model]
    cmd = [args.binary, "train", "--data", data, "--model", model, "--depth", str(depth),
           "--width", str(width), "--epochs", str(args.epochs), "--patience", "0",
           "--seeds", str(seeds), "--threads", str(args.threads), "--json", "--quiet"]
    cmd += PREP[os.path.basename(data)][0]
    r, wall = run_json(cmd)
    tests = [run["test_acc"] for run in r["runs"]]
    return tests, [run["epoch_ms"] for run in r["runs"]], wall, cmd


def peer_row(args, data, model, seeds):
    depth, width = SHAPE[model]
    cmd = ["/usr/bin/python3", args.peer, data, "--model", model,
           "--depth", str(depth), "--width", str(width), "--epochs", str(args.epochs),
           "--seeds", str(seeds), "--threads", str(args.threads), "--dropout-impl", "rand", "--json"]
    cmd += PREP[os.path.basename(data)][1]
    r, wall = run_json(cmd)
    tests = r["test_acc_per_seed"] if seeds > 1 else [r["test_acc"]]
    return tests, [r["epoch_ms_median"]], wall, cmd


def write_atomic(path, lines):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".parity.")
    with os.fdopen(fd, "w") as f:
        f.write("".join(json.dumps(l) + "\n" for l in lines))
    os.replace(tmp, path)


def main(args):
    models = [m for m in args.model.split(",") if m]
    for m in models:
        if m not in SHAPE:
            sys.exit(f"parity.py: unknown model '{m}' (expected {', '.join(SHAPE)})")
    lines, rows = [], []
    for name in [d for d in args.datasets.split(",") if d]:
        data = os.path.join(ROOT, "datasets", "data", name)
        large = name in ("amazon-photo", "coauthor-cs", "facebook-page-page")
        seeds = args.seeds_large if large and args.seeds_large > 0 else args.seeds
        for model in models:
            result = {}
            for program, fn in (("gnnscale", gnnscale_row), ("pytorch", peer_row)):
                if args.only and program != args.only:
                    continue
                tests, epoch_ms, wall, cmd = fn(args, data, model, seeds)
                mean, std = mean_std([100 * t for t in tests])
                result[program] = (mean, std)
                lines.append({"dataset": name, "model": model, "program": program, "seeds": seeds,
                              "test_mean": round(mean, 3), "test_std": round(std, 3),
                              "test_per_seed": [round(100 * t, 2) for t in tests],
                              "epoch_ms_median": round(statistics.median(epoch_ms), 3),
                              "wall_s": round(wall, 1), "command": " ".join(cmd[1:] if program == "pytorch" else cmd)})
                if args.out:
                    write_atomic(args.out, lines)
                print(json.dumps(lines[-1]), flush=True)
            if args.only:
                continue
            (gm, gs), (pm, ps) = result["gnnscale"], result["pytorch"]
            ok_mean = abs(gm - pm) <= MEAN_BAR
            ok_std = gs <= max(STD_RATIO * ps, STD_FLOOR)
            rows.append((name, model, seeds, gm, gs, pm, ps, ok_mean, ok_std))
    print("\n| dataset | model | seeds | gnnscale | PyTorch | mean diff | std bar | parity |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model, seeds, gm, gs, pm, ps, ok_mean, ok_std in rows:
        print(f"| {name} | {model} | {seeds} | {gm:.2f} ± {gs:.2f} | {pm:.2f} ± {ps:.2f} | "
              f"{gm - pm:+.2f} | {'ok' if ok_std else 'over'} (≤ {max(STD_RATIO * ps, STD_FLOOR):.2f}) | "
              f"{'yes' if ok_mean and ok_std else 'no'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args(sys.argv[1:])))

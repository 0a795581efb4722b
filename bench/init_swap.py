#!/usr/bin/python3
"""gnnscale's GIN or SGC trained from the PyTorch peer's own initial weights (issue 9, Facebook).

For each seed s: the peer's model is built as peer_torch.py builds it (torch.manual_seed(s), then
its constructor: GIN's Glorot-uniform W1 and W2, zero biases and eps, BatchNorm scale 1; SGC's
Glorot-uniform W and zero b), its
parameters are written in gnnscale's layout, and build/bench/step_dump trains gnnscale from them
(--params-in) for --epochs steps, evaluating after each as `gnnscale train` does; the test
accuracy at train's best epoch is printed, one JSON line per seed, then mean and sample std.
Everything but the initial weights is gnnscale's (its dropout masks, its arithmetic), so
comparing with `gnnscale train --seeds` separates the initial weights' random draw from the
rest of the program.

    /usr/bin/python3 bench/init_swap.py datasets/data/facebook-page-page --seeds 0-39
    /usr/bin/python3 bench/init_swap.py datasets/data/facebook-page-page --model sgc --seeds 0-9
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import peer_torch  # noqa: E402
import step_compare  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset")
    p.add_argument("--seeds", default="0-9", help="first-last (default 0-9)")
    p.add_argument("--model", choices=["gin", "sgc"], default="gin")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--features", default="auto", help="as gnnscale train")
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "bench", "step_dump"))
    args = p.parse_args(argv)
    first, _, last = args.seeds.partition("-")
    tests = []
    for seed in range(int(first), int(last or first) + 1):
        with tempfile.TemporaryDirectory() as out:
            cmd = [args.binary, "--data", args.dataset, "--out", out, "--features", args.features,
                   "--model", args.model, "--seed", str(seed), "--threads", "1", "--steps"]
            subprocess.run(cmd + ["1"], check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "layout.json")) as f:
                layout = json.load(f)
            flat = step_compare.read_f32(out, "params0.f32", layout["params"]).copy()
            torch.manual_seed(seed)
            np.random.seed(seed)
            dims = [layout["layers"][0]["in"]] + [d["out"] for d in layout["layers"]]
            if args.model == "gin":
                peer = peer_torch.GIN(dims, layout["width"])
            else:
                peer = peer_torch.SGC(dims[0], dims[-1])
            named = dict(peer.named_parameters())
            for name, off, shape in step_compare.blocks(layout):
                flat[off:off + int(np.prod(shape))] = named[name].detach().numpy().ravel()
            init = os.path.join(out, "init.f32")
            flat.astype(np.float32).tofile(init)
            subprocess.run(cmd + [str(args.epochs), "--params-in", init], check=True,
                           stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "evals.json")) as f:
                evals = json.load(f)
        best = step_compare.best_epoch(evals)
        tests.append(100 * evals[best - 1][2])
        print(json.dumps({"seed": seed, "best_epoch": best, "test_acc": round(tests[-1], 2)}),
              flush=True)
    std = statistics.stdev(tests) if len(tests) > 1 else 0.0
    print(f"gnnscale from the peer's initial weights, {len(tests)} seeds: "
          f"{statistics.mean(tests):.2f} +- {std:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

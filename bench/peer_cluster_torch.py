#!/usr/bin/python3
"""PyTorch peer of gnnscale's Cluster-GCN (Chiang et al., KDD 2019), for the benchmarks.

The same parts as gnnscale: by default the partition `gnnscale partition` (or `train
--batching cluster`) stored beside the data (DIR/gnnscale-P<P>-s<seed>.parts), else, with
--gpmetis, METIS's own program (Debian's `metis` package) run on the same symmetrised graph.
Nodes are renumbered by part (stable) as gnnscale's partition-ordered store does. Each
training step takes Q parts of a per-epoch random order, builds the subgraph they induce
(links between the chosen parts kept, one self loop per node), normalises it with the
batch's degrees, D^-1/2 (A + I) D^-1/2 (optionally with the diagonal enhancement
A_hat + lambda diag(A_hat)), and takes one Adam step on the mean loss of the batch's training
nodes; batches without a training node are skipped. Evaluation runs over the parts in order,
Q at a time, as gnnscale's does (or, with --eval full, over the whole graph at once). The GCN,
its initialisation, dropout, weight decay, model selection (best validation accuracy, ties by
lower loss) and patience are those of bench/peer_torch.py and gnnscale. No torch_geometric:
numpy and torch only.
Run with Debian's interpreter: /usr/bin/python3 bench/peer_cluster_torch.py --help.
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", help="dataset folder (datasets/data/<name>, or a generated one)")
    p.add_argument("--split", default=None, help='split name (default "public" if present, else the first)')
    p.add_argument("--parts", type=int, required=True, help="METIS parts P (>= 2)")
    p.add_argument("--clusters-per-batch", type=int, default=1, help="parts per batch Q (default 1)")
    p.add_argument("--diag-lambda", type=float, default=0.0,
                   help="diagonal enhancement: A_hat + X diag(A_hat) (default 0)")
    p.add_argument("--partition-seed", type=int, default=0,
                   help="seed of the stored gnnscale partition to read (default 0, as "
                        "gnnscale's --seed)")
    p.add_argument("--gpmetis", action="store_true",
                   help="partition with gpmetis (seeded by --partition-seed) instead of reading "
                        "gnnscale's stored partition")
    p.add_argument("--eval", choices=["batches", "full"], default="batches",
                   help="evaluation over the parts Q at a time, as gnnscale's (default), or over "
                        "the whole graph at once (every link, the graph's own degrees), as the "
                        "Cluster-GCN paper evaluates")
    p.add_argument("--features", choices=["raw", "rownorm", "l2"], default="raw",
                   help="feature preparation, as gnnscale's --features (default raw)")
    p.add_argument("--depth", type=int, default=2, help="GCN layers (default 2)")
    p.add_argument("--width", type=int, default=16, help="hidden width (default 16)")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout before each layer (default 0.5)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    p.add_argument("--weight-decay", type=float, default=5e-4,
                   help="L2 on the first layer's weight (default 5e-4)")
    p.add_argument("--epochs", type=int, default=200, help="epochs (default 200)")
    p.add_argument("--patience", type=int, default=100,
                   help="stop after this many epochs without a better validation accuracy or "
                        "loss; 0: never (default 100, as gnnscale)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--seeds", type=int, default=1, help="seeds S..S+K-1 (default 1)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON line instead of a summary")
    args = p.parse_args(argv)
    if args.parts < 2 or not 1 <= args.clusters_per_batch <= args.parts:
        p.error("--parts must be >= 2 and --clusters-per-batch in [1, parts]")
    if args.depth < 1 or args.width < 1 or args.epochs < 1 or args.seeds < 1 or args.threads < 1:
        p.error("--depth, --width, --epochs, --seeds and --threads must be positive")
    if not 0.0 <= args.dropout < 1.0 or args.diag_lambda < 0 or args.patience < 0:
        p.error("--dropout in [0, 1), --diag-lambda and --patience >= 0")
    return args


ARGS = parse_args(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before torch loads OpenMP and BLAS
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_torch import GCN, read_graph, read_numbers, scale_rows  # noqa: E402

# The loader's density threshold below which gnnscale keeps features as CSR (GS_COST_SPARSE_BELOW).
SPARSE_BELOW = 0.25


# ------------------------------------------------------------------------------------------
# Graph, features and parts
# ------------------------------------------------------------------------------------------

def load(folder, split):
    """The dataset layout of datasets/data/README.md: n, edge ends, labels, classes, the split's
    node ids and the features, streamed row by row from a dense file so that a sparse matrix
    (Coauthor CS: 0.9% dense) is never held dense: ("sparse", (rows, cols, vals, f)) when its
    density is below SPARSE_BELOW, as gnnscale's loader decides, else ("dense", x)."""
    raw, meta, n, edges, labels = read_graph(folder)
    dense_path = os.path.join(raw, "node-feat.csv.gz")
    if os.path.exists(dense_path):
        cols, vals, f_dim = [], [], None
        with gzip.open(dense_path, "rb") as f:
            for line_no, line in enumerate(f, 1):
                v = np.array(line.split(b","), dtype=np.float32)
                if f_dim is None:
                    f_dim = v.size
                elif v.size != f_dim:
                    raise ValueError(f"{dense_path}:{line_no}: {v.size} values, expected {f_dim}")
                nz = np.flatnonzero(v)
                cols.append(nz)
                vals.append(v[nz])
        if len(cols) != n:
            raise ValueError(f"{dense_path}: {len(cols)} rows for {n} nodes")
        rows = np.repeat(np.arange(n), [c.size for c in cols])
        cols, vals = np.concatenate(cols), np.concatenate(vals)
        if cols.size < SPARSE_BELOW * n * f_dim:
            features = ("sparse", (rows, cols, vals, f_dim))
        else:
            x = np.zeros((n, f_dim), dtype=np.float32)
            x[rows, cols] = vals
            features = ("dense", x)
    else:
        f_dim = int(meta["num_features"])
        t = read_numbers(os.path.join(raw, "node-feat-sparse.csv.gz"), np.float64, 3)
        features = ("sparse", (t[:, 0].astype(np.int64), t[:, 1].astype(np.int64),
                               t[:, 2].astype(np.float32), f_dim))
    names = sorted(os.listdir(os.path.join(folder, "split")))
    split = split or ("public" if "public" in names else names[0])
    ids = {k: read_numbers(os.path.join(folder, "split", split, k + ".csv.gz"), np.int64, 1).ravel()
           for k in ("train", "valid", "test")}
    return dict(n=n, src=edges[:, 0], dst=edges[:, 1], labels=labels, features=features,
                classes=int(meta.get("num_classes", labels.max() + 1)), split=split, **ids)


def symmetric_csr(n, src, dst):
    """The symmetrised, de-duplicated adjacency without self loops, as gnnscale's store holds
    it: rowptr [n + 1] and ascending columns per row."""
    s = np.concatenate([src, dst])
    d = np.concatenate([dst, src])
    keep = s != d
    key = np.unique(s[keep] * n + d[keep])
    rows, cols = key // n, key % n
    rowptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=rowptr[1:])
    return rowptr, cols


class Features:
    """The features after gnnscale's preparation (peer_torch.scale_rows), renumbered by `order`
    (new id -> old id): a dense array, or CSR arrays kept sparse (as gnnscale keeps sparse
    features), whose batch rows become a COO tensor."""

    def __init__(self, features, n, how, order):
        kind, data = features
        if kind == "dense":
            self.dense = np.ascontiguousarray(scale_rows(data, None, n, how)[order])
            self.cols = data.shape[1]
            return
        rows, cols, vals, self.cols = data
        vals = scale_rows(vals, rows, n, how)
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[order] = np.arange(n)
        o = np.lexsort((cols, new_of_old[rows]))
        self.dense = None
        self.col = cols[o]
        self.val = np.asarray(vals, dtype=np.float32)[o]
        self.rowptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(new_of_old[rows], minlength=n), out=self.rowptr[1:])

    def batch(self, ranges, nodes):
        """The rows of `nodes` (the concatenated [lo, hi) ranges) as a tensor."""
        if self.dense is not None:
            return torch.from_numpy(self.dense[nodes])
        pieces = [(self.rowptr[lo], self.rowptr[hi]) for lo, hi in ranges]
        idx = np.concatenate([np.arange(a, b) for a, b in pieces])
        per_row = self.rowptr[nodes + 1] - self.rowptr[nodes]
        rows = np.repeat(np.arange(nodes.size), per_row)
        index = torch.from_numpy(np.stack([rows, self.col[idx]]))
        return torch.sparse_coo_tensor(index, torch.from_numpy(self.val[idx]),
                                       (nodes.size, self.cols))._coalesced_(True)


def read_gnnscale_parts(folder, parts, seed, n):
    """The part of each node from gnnscale's partition file: a header that opens with
    "GNNPARTS" and closes with the CRC-32 of the ids and its own, then n little-endian int32
    part ids (by the text's node ids)."""
    path = os.path.join(folder, f"gnnscale-P{parts}-s{seed}.parts")
    with open(path, "rb") as f:
        blob = f.read()
    header = len(blob) - 4 * n
    if header < 16 or blob[:8] != b"GNNPARTS":
        raise ValueError(f"{path}: not a gnnscale partition of {n} nodes")
    data_crc = int.from_bytes(blob[header - 8:header - 4], "little")
    if zlib.crc32(blob[header:]) != data_crc:
        raise ValueError(f"{path}: part ids do not match their checksum")
    part = np.frombuffer(blob, dtype="<i4", offset=header, count=n).astype(np.int64)
    if part.min() < 0 or part.max() >= parts:
        raise ValueError(f"{path}: part ids outside [0, {parts})")
    return part, path


def gpmetis_parts(rowptr, cols, n, parts, seed):
    """METIS k-way parts from Debian's gpmetis on the same symmetric graph (1-based lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        graph = os.path.join(tmp, "graph.metis")
        with open(graph, "w") as f:
            f.write(f"{n} {cols.size // 2}\n")
            for i in range(n):
                f.write(" ".join(map(str, (cols[rowptr[i]:rowptr[i + 1]] + 1).tolist())) + "\n")
        t0 = time.perf_counter()
        subprocess.run(["gpmetis", f"-seed={seed}", graph, str(parts)], check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        part = np.loadtxt(f"{graph}.part.{parts}", dtype=np.int64)
    if part.size != n:
        raise ValueError(f"gpmetis gave {part.size} parts for {n} nodes")
    return part, seconds


def edge_cut(rowptr, cols, part):
    rows = np.repeat(np.arange(rowptr.size - 1), np.diff(rowptr))
    return int((part[rows] != part[cols]).sum()) // 2


class Batches:
    """The partition-ordered graph and the induced subgraphs of chosen parts."""

    def __init__(self, rowptr, cols, part, parts):
        n = rowptr.size - 1
        order = np.argsort(part, kind="stable")           # new id -> old id
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[order] = np.arange(n)
        counts = np.diff(rowptr)[order]
        self.rowptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.rowptr[1:])
        starts = rowptr[order]
        gather = np.repeat(starts - self.rowptr[:-1], counts) + np.arange(self.rowptr[-1])
        self.cols = new_of_old[cols[gather]]
        self.part_start = np.zeros(parts + 1, dtype=np.int64)
        np.cumsum(np.bincount(part, minlength=parts), out=self.part_start[1:])
        self.part_of = np.repeat(np.arange(parts), np.diff(self.part_start))
        self.order = order
        self.parts = parts

    def induce(self, chosen, diag_lambda):
        """The chosen parts' node ranges, their nodes (new ids, in order) and the batch's A_hat
        as a torch COO tensor."""
        chosen = np.sort(chosen)
        ps = self.part_start
        sizes = ps[chosen + 1] - ps[chosen]
        base = np.full(self.parts, -1, dtype=np.int64)
        base[chosen] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        ranges = [(ps[p], ps[p + 1]) for p in chosen]
        nodes = np.concatenate([np.arange(lo, hi) for lo, hi in ranges])
        nb = nodes.size
        lo, hi = self.rowptr[nodes], self.rowptr[nodes + 1]
        per_row = hi - lo
        idx = np.repeat(lo - np.concatenate([[0], np.cumsum(per_row)[:-1]]), per_row) + \
            np.arange(per_row.sum())
        cols = self.cols[idx]
        rows = np.repeat(np.arange(nb), per_row)
        cpart = self.part_of[cols]
        keep = base[cpart] >= 0
        rows, cols = rows[keep], base[cpart[keep]] + cols[keep] - ps[cpart[keep]]
        loops = np.arange(nb)
        rows = np.concatenate([rows, loops])
        cols = np.concatenate([cols, loops])
        deg = np.bincount(rows, minlength=nb).astype(np.float64)
        dinv = 1.0 / np.sqrt(deg)
        vals = dinv[rows] * dinv[cols]
        if diag_lambda > 0:
            vals[-nb:] *= 1.0 + diag_lambda
        o = np.lexsort((cols, rows))
        # COO, sorted and without duplicates, so marked coalesced: torch 1.13's backward of a
        # CSR product sorts a transpose every step (peer_torch.py's --adj).
        index = torch.from_numpy(np.stack([rows[o], cols[o]]))
        a = torch.sparse_coo_tensor(index, torch.from_numpy(vals[o].astype(np.float32)),
                                    (nb, nb))._coalesced_(True)
        return ranges, nodes, a


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------

def run(args, g, x, labels, split_new, classes, seed):
    """One seed: the per-epoch times, the best epoch and its accuracies."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    P, Q = g.parts, args.clusters_per_batch
    n = labels.size
    role = np.zeros(n, dtype=np.int8)  # 1 train, 2 valid, 3 test (new ids)
    for k, name in enumerate(("train", "valid", "test")):
        role[split_new[name]] = k + 1
    model = GCN([x.cols] + [args.width] * (args.depth - 1) + [classes])
    decayed = [model.weights[0]]
    rest = [p for p in model.parameters() if all(p is not d for d in decayed)]
    optimizer = torch.optim.Adam([{"params": decayed, "weight_decay": args.weight_decay},
                                  {"params": rest, "weight_decay": 0.0}], lr=args.lr)
    yt = torch.from_numpy(labels)
    train_ms, eval_ms = [], []
    best = (-1.0, float("inf"))
    best_epoch, best_val, best_test = 0, 0.0, 0.0
    best_acc_seen, best_loss_seen, since = -1.0, float("inf"), 0
    whole = None
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = rng.permutation(P)
        for b in range(0, P, Q):
            ranges, nodes, a = g.induce(order[b:b + Q], args.diag_lambda)
            r = role[nodes]
            train = torch.from_numpy(np.flatnonzero(r == 1))
            if train.numel() == 0:
                continue
            idx = torch.from_numpy(nodes)
            optimizer.zero_grad()
            out = model(a, x.batch(ranges, nodes), args.dropout, True)
            loss = F.cross_entropy(out[train], yt[idx][train])
            loss.backward()
            optimizer.step()
        t1 = time.perf_counter()
        model.eval()
        correct, total, val_loss = np.zeros(3), np.zeros(3), 0.0
        step = P if args.eval == "full" else Q
        with torch.no_grad():
            for b in range(0, P, step):
                if args.eval == "full":  # the whole graph does not change: built once
                    if whole is None:
                        whole = g.induce(np.arange(P), args.diag_lambda)
                    ranges, nodes, a = whole
                else:
                    ranges, nodes, a = g.induce(np.arange(b, min(b + step, P)), args.diag_lambda)
                idx = torch.from_numpy(nodes)
                out = model(a, x.batch(ranges, nodes), args.dropout, False)
                y = yt[idx]
                pred = out.argmax(dim=1)
                r = role[nodes]
                for k in range(3):
                    sel = torch.from_numpy(np.flatnonzero(r == k + 1))
                    if sel.numel() == 0:
                        continue
                    correct[k] += (pred[sel] == y[sel]).sum().item()
                    total[k] += sel.numel()
                    if k == 1:
                        val_loss += F.cross_entropy(out[sel], y[sel], reduction="sum").item()
        t2 = time.perf_counter()
        train_ms.append(1e3 * (t1 - t0))
        eval_ms.append(1e3 * (t2 - t1))
        acc = correct / np.maximum(total, 1)
        val_acc, val_loss = acc[1], val_loss / max(total[1], 1)
        if val_acc > best[0] or (val_acc == best[0] and val_loss < best[1]):
            best = (val_acc, val_loss)
            best_epoch, best_val, best_test = epoch, val_acc, acc[2]
        if val_acc > best_acc_seen or val_loss < best_loss_seen:  # gnnscale's patience rule
            since = 0
            best_acc_seen = max(best_acc_seen, val_acc)
            best_loss_seen = min(best_loss_seen, val_loss)
        else:
            since += 1
        if args.patience > 0 and since >= args.patience:
            break
    return dict(train_ms=train_ms, eval_ms=eval_ms, best_epoch=best_epoch, epochs=len(train_ms),
                val_acc=float(best_val), test_acc=float(best_test))


def main(args):
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = load(args.dataset, args.split)
    n = data["n"]
    rowptr, cols = symmetric_csr(n, data["src"], data["dst"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    metis_s = None
    if args.gpmetis:
        part, metis_s = gpmetis_parts(rowptr, cols, n, args.parts, args.partition_seed)
        source = "gpmetis"
    else:
        part, source = read_gnnscale_parts(args.dataset, args.parts, args.partition_seed, n)
    g = Batches(rowptr, cols, part, args.parts)
    partition_s = time.perf_counter() - t0
    new_of_old = np.empty(n, dtype=np.int64)
    new_of_old[g.order] = np.arange(n)
    t0 = time.perf_counter()
    x = Features(data["features"], n, args.features, g.order)
    del data["features"]
    load_s += time.perf_counter() - t0
    labels = data["labels"][g.order]
    split_new = {k: new_of_old[data[k]] for k in ("train", "valid", "test")}
    sizes = np.diff(g.part_start)
    runs = [run(args, g, x, labels, split_new, data["classes"], args.seed + s)
            for s in range(args.seeds)]
    epoch_ms = [a + b for r in runs for a, b in zip(r["train_ms"], r["eval_ms"])]
    tests = [r["test_acc"] for r in runs]
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "batching": "cluster",
        "dataset": os.path.basename(os.path.normpath(args.dataset)),
        "split": data["split"],
        "parts": args.parts,
        "clusters_per_batch": args.clusters_per_batch,
        "diag_lambda": args.diag_lambda,
        "eval": args.eval,
        "partition": source,
        "edge_cut": edge_cut(rowptr, cols, part),
        "edges": int(cols.size // 2),
        "balance": float(sizes.max() / (n / args.parts)),
        "depth": args.depth,
        "width": args.width,
        "features": args.features,
        "threads": args.threads,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "test_acc_mean": statistics.fmean(tests),
        "test_acc_std": statistics.stdev(tests) if len(tests) > 1 else 0.0,
        "test_acc_per_seed": tests,
        "val_acc_per_seed": [r["val_acc"] for r in runs],
        "best_epoch_per_seed": [r["best_epoch"] for r in runs],
        "epochs_run_per_seed": [r["epochs"] for r in runs],
        "epoch_ms_median": statistics.median(epoch_ms),
        "train_ms_median": statistics.median(t for r in runs for t in r["train_ms"]),
        "eval_ms_median": statistics.median(t for r in runs for t in r["eval_ms"]),
        "load_s": load_s,
        "partition_s": partition_s,
        "gpmetis_s": metis_s,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['dataset']}: Cluster-GCN {args.parts} x {args.clusters_per_batch} ({source}; "
              f"edge cut {result['edge_cut']} of {result['edges']}), GCN {args.depth} x {args.width}, "
              f"{args.threads} thread(s), torch {torch.__version__}")
        print(f"  test accuracy {100 * result['test_acc_mean']:.2f} +- {100 * result['test_acc_std']:.2f} % "
              f"over {args.seeds} seed(s), best epochs {result['best_epoch_per_seed']}")
        print(f"  epoch {result['epoch_ms_median']:.1f} ms median (train {result['train_ms_median']:.1f}, "
              f"eval {result['eval_ms_median']:.1f}); load {load_s:.2f} s; "
              f"peak RSS {result['peak_rss_bytes'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))

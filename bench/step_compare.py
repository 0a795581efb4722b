#!/usr/bin/python3
"""gnnscale's training step against PyTorch autograd on the same weights and dropout masks.

Runs build/bench/step_dump (gnnscale's gs_train_step for --steps epochs), loads its initial
parameters into a PyTorch GCN that computes what gnnscale's model computes (the layers of
gnn/model.c: Z = A_hat H W + b, LayerNorm, ReLU, residual, ReZero's gates, the identity map
(1-b_l) I + b_l W_l, inverted dropout with gnnscale's
own masks regenerated from its counter RNG), and repeats the same steps with autograd and
torch.optim.Adam. Prints, for step 1, the loss and the largest relative difference of every
parameter block's gradient and of its Adam update, then the training loss of both over all
steps and the final parameters' difference. Agreement to float rounding over many steps
means the two steps are the same function; the first block that disagrees names the cause.

    /usr/bin/python3 bench/step_compare.py datasets/data/amazon-photo --features raw --steps 200
    /usr/bin/python3 bench/step_compare.py datasets/data/cora --depth 4 --residual --layernorm
    /usr/bin/python3 bench/step_compare.py datasets/data/cora --depth 16 --residual --rezero \
        --identity-map --steps 100
    /usr/bin/python3 bench/step_compare.py datasets/data/amazon-photo --model gin --steps 200

With --model gin the PyTorch side is the peer's own GIN module (bench/peer_torch.py, plain
stack), loaded with gnnscale's initial parameters, its dropout replaced by gnnscale's masks.

With --model sgc the PyTorch side is the peer's own program: its A_hat^K X
(peer_torch.propagate, sparse when the features are and it has under 25% non-zeros, in the
layouts parity.py gives the peer) and its SGC module with gnnscale's initial parameters and
masks (over the stored values when A_hat^K X is sparse). The two programs' A_hat^K X are
compared first (pattern and values):

    /usr/bin/python3 bench/step_compare.py datasets/data/facebook-page-page --model sgc \
        --seed 3 --steps 200
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import peer_torch  # noqa: E402

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
STREAM_DROPOUT = 2
LAYERNORM_EPS = 1e-5


# --- gnnscale's counter RNG and dropout masks (core/rng.h, gnn/dense.h), in numpy ---------

def mix64(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def rng_key(seed, stream):
    h = int(mix64(np.uint64((seed + GOLDEN) & MASK64)))
    return int(mix64(np.uint64(h ^ ((stream + 2 * GOLDEN) & MASK64))))


def dropout_stream(epoch, layer):
    return ((STREAM_DROPOUT << 56) ^ (epoch << 20) ^ layer) & MASK64


def dropout_threshold(rate):
    t = np.floor(rate * 65536.0 + 0.5) if rate > 0 else 0.0
    return int(min(t, 65535.0))


def dropout_mask(seed, epoch, layer, count, rate):
    """gnnscale's inverted-dropout multiplier (0 or 1/(1-rate)) of elements 0..count-1."""
    t = dropout_threshold(rate)
    scale = np.float32(65536.0 / (65536.0 - t))
    if t == 0:
        return np.ones(count, dtype=np.float32)
    key = np.uint64(rng_key(seed, dropout_stream(epoch, layer)))
    idx = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = mix64(key ^ ((idx >> np.uint64(2)) + np.uint64((3 * GOLDEN) & MASK64)))
    lane = (h >> (np.uint64(16) * (idx & np.uint64(3)))) & np.uint64(0xFFFF)
    return (lane >= np.uint64(t)).astype(np.float32) * scale


# --- the model of gnn/model.c in PyTorch ---------------------------------------------------

def forward(layout, params, a_hat, x, epoch, training):
    """Logits of gnnscale's model for flat parameter tensors `params` (name -> tensor)."""
    seed, rate = layout["seed"], layout["dropout"] if training else 0.0
    n = layout["nodes"]
    layers = layout["layers"]
    h = x
    if rate > 0:
        if x.layout == torch.strided:
            h = x * torch.from_numpy(dropout_mask(seed, epoch, 0, x.numel(), rate)).view_as(x)
        else:
            vals = x.values() * torch.from_numpy(dropout_mask(seed, epoch, 0, x._nnz(), rate))
            h = torch.sparse_coo_tensor(x.indices(), vals, x.shape)
    H = None  # undropped hidden state (residual mode)
    for l, d in enumerate(layers):
        w, b = params[f"w{l}"], params[f"b{l}"]
        if d.get("identity_beta", 0.0) > 0:
            beta = torch.tensor(d["identity_beta"], dtype=torch.float32)
            w = beta * w + (1 - beta) * torch.eye(d["in"], d["out"])
        t = torch.sparse.mm(h, w) if h.layout != torch.strided else h @ w
        z = torch.sparse.mm(a_hat, t) + b
        if not d["hidden"]:
            return z
        if d["norm"]:
            z = F.layer_norm(z, (d["out"],), params[f"gamma{l}"], params[f"beta{l}"], LAYERNORM_EPS)
        y = F.relu(z)
        if d["residual"]:
            if d.get("rezero", -1) >= 0:
                y = y * (d["rezero_scale"] * params[f"alpha{l}"])
            y = H + y
        H = y
        if rate > 0:
            m = dropout_mask(seed, epoch, l + 1, n * d["out"], rate)
            y = y * torch.from_numpy(m).view(n, d["out"])
        h = y
    raise AssertionError("no output layer")


def blocks(layout):
    """(name, offset, shape) of every parameter block, in gnnscale's order; GIN's named as
    the parameters of peer_torch.GIN."""
    out = []
    if layout.get("model") == "sgc":
        d = layout["layers"][0]
        return [("w", d["w"], (d["in"], d["out"])), ("b", d["b"], (d["out"],))]
    if layout.get("model") == "gin":
        for l, d in enumerate(layout["layers"]):
            out += [(f"w1.{l}", d["w"], (d["in"], d["mid"])),
                    (f"w2.{l}", d["w2"], (d["mid"], d["out"])),
                    (f"b1.{l}", d["b"], (d["mid"],)), (f"b2.{l}", d["b2"], (d["out"],)),
                    (f"eps.{l}", d["eps"], ()), (f"gamma.{l}", d["bn_gamma"], (d["mid"],))]
        return out
    for l, d in enumerate(layout["layers"]):
        out.append((f"w{l}", d["w"], (d["in"], d["out"])))
        out.append((f"b{l}", d["b"], (d["out"],)))
        if d["norm"]:
            out.append((f"gamma{l}", d["gamma"], (d["out"],)))
            out.append((f"beta{l}", d["beta"], (d["out"],)))
        if d.get("rezero", -1) >= 0:
            out.append((f"alpha{l}", d["rezero"], (1,)))
    return out


def unflatten(layout, flat):
    return {name: torch.tensor(flat[off:off + int(np.prod(shape))].reshape(shape))
            for name, off, shape in blocks(layout)}


def peer_module(layout, flat, model):
    """A peer_torch module (GIN, SGC) with gnnscale's parameters, and a forward that drops out
    with gnnscale's masks: the peer's dropout functions are replaced, call k of a forward
    being layer k; a sparse input's mask is over its stored values."""
    with torch.no_grad():
        named = dict(model.named_parameters())
        for name, value in unflatten(layout, flat).items():
            named[name].copy_(value)
    calls = {"epoch": 0, "layer": 0}

    def masked(x, rate, training, impl="torch"):
        layer = calls["layer"]
        calls["layer"] += 1
        if not training or rate == 0:
            return x
        if x.layout == torch.strided:
            m = dropout_mask(layout["seed"], calls["epoch"], layer, x.numel(), rate)
            return x * torch.from_numpy(m).view_as(x)
        m = torch.from_numpy(dropout_mask(layout["seed"], calls["epoch"], layer, x._nnz(), rate))
        if isinstance(x, peer_torch.PatternMatrix):
            return x.with_values(x.values() * m)
        return torch.sparse_coo_tensor(x.indices(), x.values() * m, x.shape)

    peer_torch.dense_dropout = peer_torch.sparse_dropout = masked

    def forward(a_hat, x, epoch, training=True):
        calls["epoch"], calls["layer"] = epoch, 0
        return model(a_hat, x, layout["dropout"], training)
    return named, forward


def peer_gin(layout, flat):
    """peer_torch.GIN with gnnscale's parameters and masks (peer_module)."""
    layers = layout["layers"]
    dims = [layers[0]["in"]] + [d["out"] for d in layers]
    return peer_module(layout, flat, peer_torch.GIN(dims, layout["width"]))


def read_smoothed(folder, layout):
    """gnnscale's A_hat^K X as step_dump wrote it: ("csr", rowptr, col, val) or ("dense", X)."""
    n, f = layout["nodes"], layout["feature_cols"]
    if os.path.exists(os.path.join(folder, "smoothed_rowptr.i64")):
        rowptr = np.fromfile(os.path.join(folder, "smoothed_rowptr.i64"), dtype=np.int64)
        col = np.fromfile(os.path.join(folder, "smoothed_col.i64"), dtype=np.int64)
        return ("csr", rowptr, col, read_f32(folder, "smoothed_val.f32", col.size))
    return ("dense", read_f32(folder, "smoothed.f32", n * f).reshape(n, f))


def compare_smoothed(gs, s):
    """Figures of gnnscale's A_hat^K X against the peer's s (a PatternMatrix or dense)."""
    if isinstance(s, peer_torch.PatternMatrix):
        crow, col = s.pattern[0].numpy(), s.pattern[1].numpy()
        vals = s.values().numpy()
        peer = {"storage": "csr", "nnz": int(vals.size)}
    else:
        dense = s.to_dense() if s.layout != torch.strided else s
        peer = {"storage": "dense", "nnz": int((dense != 0).sum().item())}
    out = {"gnnscale_storage": gs[0], "peer_storage": peer["storage"],
           "gnnscale_nnz": int(gs[2].size) if gs[0] == "csr" else int((gs[1] != 0).sum()),
           "peer_nnz": peer["nnz"]}
    if gs[0] == "csr" and peer["storage"] == "csr":
        same = gs[1].size == crow.size and np.array_equal(gs[1], crow) and np.array_equal(gs[2], col)
        out["same_pattern"] = bool(same)
        if same:
            out["values_rel_diff"] = rel_diff(vals, gs[3])
            out["values_bit_identical"] = int(np.sum(vals.view(np.uint32) == gs[3].view(np.uint32)))
    else:
        b = (s.to_dense() if s.layout != torch.strided else s).numpy()
        a = gs[1] if gs[0] == "dense" else np.zeros(b.shape, dtype=np.float32)
        if gs[0] == "csr":
            a[np.repeat(np.arange(b.shape[0]), np.diff(gs[1])), gs[2]] = gs[3]
        out["same_pattern"] = bool(np.array_equal(a != 0, b != 0))
        out["values_rel_diff"] = rel_diff(a, b)
    return out


def rel_diff(a, b):
    """max |a - b| / max(|a|, |b|) over a block (scale-free)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-30)
    return float(np.abs(a - b).max(initial=0.0) / scale)


def best_epoch(evals):
    """train's selection (gnn/train.c): the first step of highest validation accuracy, ties
    to the lower validation loss; 1-based."""
    best = 0
    for i, (loss, acc, _) in enumerate(evals):
        if acc > evals[best][1] or (acc == evals[best][1] and loss < evals[best][0]):
            best = i
    return best + 1


def read_f32(folder, name, count):
    v = np.fromfile(os.path.join(folder, name), dtype=np.float32)
    if v.size != count:
        raise ValueError(f"{name}: {v.size} floats, expected {count}")
    return v


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset")
    p.add_argument("--features", default="auto", help="auto|rownorm|raw|binary (as gnnscale train)")
    p.add_argument("--split", default=None)
    p.add_argument("--model", choices=["gcn", "gin", "sgc"], default="gcn")
    p.add_argument("--sgc-input", choices=["auto", "dense", "csr"], default="auto",
                   help="storage of gnnscale's A_hat^K X (as gnnscale train)")
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--residual", action="store_true")
    p.add_argument("--layernorm", action="store_true")
    p.add_argument("--rezero", action="store_true")
    p.add_argument("--identity-map", action="store_true")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--decay", choices=["first", "all"], default="first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "bench", "step_dump"))
    p.add_argument("--json", action="store_true", help="one JSON line of the figures")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as out:
        cmd = [args.binary, "--data", args.dataset, "--out", out, "--features", args.features,
               "--depth", str(args.depth), "--width", str(args.width), "--dropout",
               str(args.dropout), "--lr", str(args.lr), "--weight-decay", str(args.weight_decay),
               "--decay", args.decay, "--seed", str(args.seed), "--steps", str(args.steps),
               "--model", args.model, "--sgc-input", args.sgc_input]
        if args.split:
            cmd += ["--split", args.split]
        if args.residual:
            cmd.append("--residual")
        if args.layernorm:
            cmd.append("--layernorm")
        if args.rezero:
            cmd.append("--rezero")
        if args.identity_map:
            cmd.append("--identity-map")
        subprocess.run(cmd, check=True)
        with open(os.path.join(out, "layout.json")) as f:
            layout = json.load(f)
        P = layout["params"]
        p0 = read_f32(out, "params0.f32", P)
        g1 = read_f32(out, "grads1.f32", P)
        p1 = read_f32(out, "params1.f32", P)
        pN = read_f32(out, "paramsN.f32", P)
        with open(os.path.join(out, "losses.json")) as f:
            gs_losses = json.load(f)
        with open(os.path.join(out, "evals.json")) as f:
            gs_evals = json.load(f)
        gs_smoothed = read_smoothed(out, layout) if args.model == "sgc" else None

    prep = layout["features"]
    data = peer_torch.load_dataset(args.dataset, layout["split"] or None, prep)
    gin, sgc = args.model == "gin", args.model == "sgc"
    fmt = "pattern" if sgc else "coo"  # SGC: the layouts parity.py gives the peer
    a_hat = peer_torch.normalized_adjacency(data["n"], data["src"], data["dst"], fmt,
                                            "none" if gin else "sym")
    x = peer_torch.features_tensor(data["features"], data["n"], layout["sparse_features"], fmt)
    labels = torch.from_numpy(data["labels"])
    train = torch.from_numpy(data["train"])
    valid, test = torch.from_numpy(data["valid"]), torch.from_numpy(data["test"])

    smoothed = None
    if sgc:
        if args.residual or args.layernorm or args.rezero or args.identity_map:
            p.error("--model sgc has no hidden stack")
        x = peer_torch.propagate(a_hat, x, args.depth, fmt)
        smoothed = compare_smoothed(gs_smoothed, x)
        d = layout["layers"][0]
        params, peer_forward = peer_module(layout, p0, peer_torch.SGC(d["in"], d["out"]))
        decayed = ["w"]
    elif gin:
        if args.residual or args.layernorm or args.rezero or args.identity_map:
            p.error("--model gin compares the plain stack (the peer's GIN)")
        params, peer_forward = peer_gin(layout, p0)
        decayed = ["w1.0", "w2.0"] if layout["decay"] == "first" else \
            [f"w{k}.{l}" for l in range(layout["depth"]) for k in (1, 2)]
    else:
        params = {k: torch.nn.Parameter(v) for k, v in unflatten(layout, p0).items()}
        decayed = ["w0"] if layout["decay"] == "first" else [f"w{l}" for l in range(layout["depth"])]
    wd = layout["weight_decay"]
    opt = torch.optim.Adam([{"params": [params[k] for k in params if k in decayed], "weight_decay": wd},
                            {"params": [params[k] for k in params if k not in decayed], "weight_decay": 0.0}],
                           lr=layout["lr"])
    torch_losses, torch_evals = [], []
    report = {"dataset": os.path.basename(os.path.normpath(args.dataset)), "features": prep,
              "model": args.model,
              "depth": args.depth, "residual": args.residual, "layernorm": args.layernorm,
              "rezero": args.rezero, "identity_map": args.identity_map,
              "steps": args.steps}
    for epoch in range(1, args.steps + 1):
        opt.zero_grad()
        if gin or sgc:
            logits = peer_forward(a_hat, x, epoch)
        else:
            logits = forward(layout, params, a_hat, x, epoch, True)
        loss = F.cross_entropy(logits[train], labels[train])
        loss.backward()
        torch_losses.append(loss.item())
        if epoch == 1:
            grad_rows = []
            for name, off, shape in blocks(layout):
                size = int(np.prod(shape))
                g = params[name].grad.detach().numpy().astype(np.float64).ravel()
                if name in decayed:
                    g = g + wd * params[name].detach().numpy().astype(np.float64).ravel()
                grad_rows.append((name, rel_diff(g, g1[off:off + size])))
        opt.step()
        with torch.no_grad():  # the evaluation forward train runs after each step
            logits = peer_forward(a_hat, x, epoch, False) if gin or sgc else \
                forward(layout, params, a_hat, x, epoch, False)
            pred = logits.argmax(dim=1)
            torch_evals.append([F.cross_entropy(logits[valid], labels[valid]).item(),
                                (pred[valid] == labels[valid]).double().mean().item(),
                                (pred[test] == labels[test]).double().mean().item()
                                if len(test) else 0.0])
        if epoch == 1:
            step_rows = []
            for name, off, shape in blocks(layout):
                size = int(np.prod(shape))
                upd_t = params[name].detach().numpy().ravel().astype(np.float64) - p0[off:off + size]
                upd_g = p1[off:off + size].astype(np.float64) - p0[off:off + size]
                step_rows.append((name, rel_diff(upd_t, upd_g)))
    final = np.concatenate([params[name].detach().numpy().ravel() for name, _, _ in blocks(layout)])
    order = np.concatenate([np.arange(off, off + int(np.prod(shape))) for _, off, shape in blocks(layout)])
    loss_diff = [abs(a - b) / max(abs(a), 1e-30) for a, b in zip(gs_losses, torch_losses)]
    val_loss_diff = [abs(a[0] - b[0]) / max(abs(a[0]), 1e-30)
                     for a, b in zip(gs_evals, torch_evals)]
    gs_best, torch_best = best_epoch(gs_evals), best_epoch(torch_evals)
    report.update({
        "val_loss1_gnnscale": gs_evals[0][0], "val_loss1_torch": torch_evals[0][0],
        "val_loss_rel_diff_max": max(val_loss_diff),
        "val_acc_steps_differing": sum(a[1] != b[1] for a, b in zip(gs_evals, torch_evals)),
        "best_epoch_gnnscale": gs_best, "best_epoch_torch": torch_best,
        "test_at_best_gnnscale": gs_evals[gs_best - 1][2],
        "test_at_best_torch": torch_evals[torch_best - 1][2],
        "loss1_gnnscale": gs_losses[0], "loss1_torch": torch_losses[0],
        "grad_rel_diff": dict(grad_rows), "adam_update_rel_diff": dict(step_rows),
        "loss_rel_diff_max": max(loss_diff), "final_params_rel_diff": rel_diff(final, pN[order]),
        "loss_last_gnnscale": gs_losses[-1], "loss_last_torch": torch_losses[-1],
        "test_acc_steps_differing": sum(a[2] != b[2] for a, b in zip(gs_evals, torch_evals)),
    })
    if smoothed is not None:
        report["smoothed"] = smoothed
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['dataset']} {args.model} features {prep}, depth {args.depth}, width {args.width}, "
          f"dropout {args.dropout}, residual {args.residual}, layernorm {args.layernorm}, "
          f"rezero {args.rezero}, identity map {args.identity_map}, seed {args.seed}")
    print(f"step 1 loss: gnnscale {gs_losses[0]:.9f}  torch {torch_losses[0]:.9f}")
    print("step 1, largest relative difference per block (max|a-b| / max|a|):")
    print("  block       gradient    Adam update")
    for (name, gd), (_, sd) in zip(grad_rows, step_rows):
        print(f"  {name:<10}  {gd:.2e}    {sd:.2e}")
    every = max(1, args.steps // 10)
    print(f"training loss over {args.steps} steps (same weights, same dropout masks):")
    for s in list(range(0, args.steps, every)) + ([args.steps - 1] if (args.steps - 1) % every else []):
        print(f"  step {s + 1:4d}  gnnscale {gs_losses[s]:.6f}  torch {torch_losses[s]:.6f}")
    print(f"largest relative loss difference {report['loss_rel_diff_max']:.2e}; final parameters "
          f"{report['final_params_rel_diff']:.2e}")
    if smoothed is not None:
        print("A_hat^K X: " + ", ".join(f"{k} {v}" for k, v in smoothed.items()))
    print(f"evaluation after each step (dropout off): at step 1 validation loss, validation and "
          f"test accuracy gnnscale {gs_evals[0][0]:.6f} {gs_evals[0][1]:.4f} {gs_evals[0][2]:.4f}, "
          f"torch {torch_evals[0][0]:.6f} {torch_evals[0][1]:.4f} {torch_evals[0][2]:.4f}; "
          f"largest relative difference of the validation loss "
          f"{report['val_loss_rel_diff_max']:.2e}; validation accuracy differs at "
          f"{report['val_acc_steps_differing']} of {args.steps} steps")
    print(f"best epoch (validation accuracy, then loss): gnnscale {gs_best} (test "
          f"{100 * report['test_at_best_gnnscale']:.2f}%), torch {torch_best} (test "
          f"{100 * report['test_at_best_torch']:.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""PyTorch peer of gnnscale's full-batch GCN (Kipf & Welling, ICLR 2017), for the benchmarks.

Same data, same math: A_hat = D^-1/2 (A + I) D^-1/2 over the symmetrised, de-duplicated graph
with exactly one self loop per node; each layer Z = A_hat (H W) + b (transform first);
dropout before every layer (the input too), ReLU between layers; Glorot-uniform weights and
zero biases; cross-entropy over the training nodes; Adam with L2 on the first layer's weight
only. Test accuracy is read at the epoch of best validation accuracy (ties: lower validation
loss). Reads the gzip-CSV layout of datasets/data/README.md with the standard library and
numpy only. Run with Debian's interpreter: /usr/bin/python3 bench/peer_torch.py --help.
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time
import warnings


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", help="dataset folder (datasets/data/<name>)")
    p.add_argument("--split", default=None, help='split name (default "public" if present, else the first)')
    p.add_argument("--model", choices=["gcn", "sage", "gin", "sgc", "appnp"], default="gcn",
                   help="layer family, as gnnscale's --model (default gcn); sgc and appnp: "
                        "--depth is the propagation steps K")
    p.add_argument("--gin-norm", choices=["auto", "batch", "none"], default="auto",
                   help="GIN: BatchNorm in each MLP, or none (the plain sum); default auto: batch "
                        "when nnz(A + I) / n is above 12, as gnnscale's --gin-norm")
    p.add_argument("--depth", type=int, default=2, help="GCN layers L >= 1 (default 2)")
    p.add_argument("--width", type=int, default=16, help="hidden width H (default 16)")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout rate before each layer (default 0.5)")
    p.add_argument("--dropout-impl", choices=["torch", "rand"], default="torch",
                   help="torch: F.dropout (default; its bernoulli_ is slow in builds without MKL); "
                        "rand: the same inverted dropout with a mask from torch.rand_like")
    p.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="L2 on the first layer's weight (default 5e-4)")
    p.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--seeds", type=int, default=0, help="run seeds 0..K-1 and report mean/std (overrides --seed)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--adj", choices=["csr", "coo", "pattern"], default="csr",
                   help="sparse format of A_hat (default csr); pattern: CSR with its transpose's "
                        "pattern built once, for a backward that sorts nothing (PatternMatrix)")
    p.add_argument("--features", choices=["raw", "rownorm", "l2", "binary"], default="raw",
                   help="feature preparation, as gnnscale's --features (default raw): rownorm rows "
                        "to sum 1, l2 rows to unit Euclidean norm, binary x != 0 becomes 1; pass "
                        "the choice gnnscale's --features auto printed")
    p.add_argument("--rownorm", action="store_true", help="same as --features rownorm")
    p.add_argument("--binarize", action="store_true", help="same as --features binary")
    p.add_argument("--sparse-features", action="store_true", help="keep the features as a sparse tensor")
    p.add_argument("--feat-layout", choices=["coo", "csr", "pattern"], default="coo",
                   help="layout of sparse features (default coo: in torch 1.13 the backward of a "
                        "CSR product sorts a transpose every step; pattern: as --adj pattern)")
    p.add_argument("--json", action="store_true", help="print one JSON line instead of a summary")
    p.add_argument("--curves", action="store_true",
                   help="with --json: each seed's [val_acc, val_loss, test_acc] after every epoch "
                        "(the evaluation the model selection reads)")
    args = p.parse_args(argv)
    if args.depth < 1:
        p.error("--depth must be at least 1")
    if args.width < 1 or args.epochs < 1 or args.threads < 1 or args.seeds < 0:
        p.error("--width, --epochs and --threads must be positive, --seeds non-negative")
    if not 0.0 <= args.dropout < 1.0:
        p.error("--dropout must be in [0, 1)")
    if args.rownorm or args.binarize:
        if args.features != "raw" or (args.rownorm and args.binarize):
            p.error("give one feature preparation: --features, --rownorm or --binarize")
        args.features = "rownorm" if args.rownorm else "binary"
    return args


# The thread count must reach OpenMP and any BLAS before torch loads them.
ARGS = parse_args(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


# ------------------------------------------------------------------------------------------
# Loading the dataset layout of datasets/data/README.md
# ------------------------------------------------------------------------------------------

def read_numbers(path, dtype, columns):
    """All comma/newline-separated numbers of a gzip CSV as an array of `columns` columns."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if not data:
        return np.zeros((0, columns), dtype=dtype)
    values = np.fromstring(data.replace(b"\n", b","), dtype=dtype, sep=",")  # text mode
    if values.size % columns:
        raise ValueError(f"{path}: {values.size} numbers are not rows of {columns}")
    return values.reshape(-1, columns)


def read_count(path):
    with open(path) as f:
        return int(f.read().strip())


def read_meta(folder):
    meta = {}
    try:
        with open(os.path.join(folder, "META.txt")) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition(": ")
                if sep and key not in meta:
                    meta[key] = value
    except FileNotFoundError:
        pass
    return meta


def scale_rows(values, rows, n, prep):
    """gnnscale's gs_dataset_prepare_features on the stored values: rownorm divides each row by
    its sum, l2 by its Euclidean norm (in double, rows of zeros left), binary sets non-zeros to 1.
    `rows` gives each value's row (None: values is a dense [n, f] array)."""
    if prep == "raw":
        return values
    if prep == "binary":
        return (values != 0).astype(np.float32)
    v = values.astype(np.float64)
    w = v * v if prep == "l2" else v
    by = w.sum(axis=1, keepdims=True) if rows is None else np.bincount(rows, weights=w, minlength=n)
    if prep == "l2":
        by = np.sqrt(by)
    by = np.where(by != 0, by, 1.0)
    return (v / (by if rows is None else by[rows])).astype(np.float32)


def read_graph(folder):
    """The parts of the dataset layout every peer reads alike: the raw folder, META, the node
    count, the edge ends (ids checked against n) and the labels (one per node)."""
    raw = os.path.join(folder, "raw")
    meta = read_meta(folder)
    n = read_count(os.path.join(raw, "num-node-list.csv"))
    edges = read_numbers(os.path.join(raw, "edge.csv.gz"), np.int64, 2)
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"{raw}/edge.csv.gz: node id out of range [0, {n})")
    labels = read_numbers(os.path.join(raw, "node-label.csv.gz"), np.int64, 1).ravel()
    if labels.size != n:
        raise ValueError(f"{raw}/node-label.csv.gz: {labels.size} labels for {n} nodes")
    return raw, meta, n, edges, labels


def load_dataset(folder, split, prep):
    """Returns a dict of numpy arrays: n, src, dst, x (dense, or (rows, cols, vals, f)),
    labels, classes, split name, train/valid/test ids; features prepared by scale_rows."""
    raw, meta, n, edges, labels = read_graph(folder)
    classes = int(meta.get("num_classes", labels.max() + 1))

    dense_path = os.path.join(raw, "node-feat.csv.gz")
    sparse_path = os.path.join(raw, "node-feat-sparse.csv.gz")
    if os.path.exists(dense_path):
        with gzip.open(dense_path, "rb") as f:
            first = f.readline()
        f_dim = first.count(b",") + 1
        x = read_numbers(dense_path, np.float32, f_dim)
        if x.shape[0] != n:
            raise ValueError(f"{dense_path}: {x.shape[0]} rows for {n} nodes")
        features = ("dense", scale_rows(x, None, n, prep))
    else:
        f_dim = int(meta["num_features"])
        t = read_numbers(sparse_path, np.float64, 3)
        rows, cols, vals = t[:, 0].astype(np.int64), t[:, 1].astype(np.int64), t[:, 2].astype(np.float32)
        vals = scale_rows(vals, rows, n, prep)
        features = ("sparse", (rows, cols, vals, f_dim))

    split_root = os.path.join(folder, "split")
    names = sorted(os.listdir(split_root))
    if split is None:
        split = "public" if "public" in names else names[0]
    ids = {}
    for part in ("train", "valid", "test"):
        ids[part] = read_numbers(os.path.join(split_root, split, part + ".csv.gz"), np.int64, 1).ravel()
        if ids[part].size and (labels[ids[part]] < 0).any():
            raise ValueError(f"{split_root}/{split}/{part}.csv.gz: a node without a label")
    return dict(n=n, src=edges[:, 0], dst=edges[:, 1], features=features, labels=labels,
                classes=classes, split=split, **ids)


def normalized_adjacency(n, src, dst, fmt, norm="sym"):
    """A_hat = D^-1/2 (A + I) D^-1/2 after symmetrising, de-duplicating and dropping the
    stored self loops, so each node has exactly one; as torch CSR or COO (coalesced).
    norm "row": D^-1 (A + I) (GraphSAGE's mean); "none": A + I (GIN's sum)."""
    s = np.concatenate([src, dst])
    d = np.concatenate([dst, src])
    keep = s != d
    key = np.unique(s[keep] * n + d[keep])
    loops = np.arange(n, dtype=np.int64)
    rows = np.concatenate([key // n, loops])
    cols = np.concatenate([key % n, loops])
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    deg = np.bincount(rows, minlength=n).astype(np.float64)
    if norm == "row":
        vals = (1.0 / deg[rows]).astype(np.float32)
    elif norm == "none":
        vals = np.ones(rows.size, dtype=np.float32)
    else:
        dinv = 1.0 / np.sqrt(deg)
        vals = (dinv[rows] * dinv[cols]).astype(np.float32)
    index = torch.from_numpy(np.stack([rows, cols]))
    a = torch.sparse_coo_tensor(index, torch.from_numpy(vals), (n, n)).coalesce()
    return to_layout(a, fmt)


# ------------------------------------------------------------------------------------------
# Sparse products whose pattern is fixed for the whole run
# ------------------------------------------------------------------------------------------

class PatternMatrix:
    """A sparse matrix whose pattern is fixed for the run (A_hat, sparse features, SGC's
    A_hat^K X) and whose values may change (dropout): CSR, plus its transpose's CSR pattern and
    the permutation that carries values into it, both built once. torch 1.13's own backward of
    a COO or CSR product transposes and sorts the matrix at every step (Coauthor CS's 1.1M
    feature non-zeros: ~50 ms of a ~70 ms product). Same products, same values, summed in the
    same row order: only float rounding can differ from torch.sparse.mm.
    Has .layout (sparse_csr), .shape, .values() and ._nnz() as the torch tensors it replaces."""

    layout = torch.sparse_csr

    def __init__(self, coo, pattern=None, values=None):
        if pattern is None:
            coo = coo.coalesce()
            rows, cols = coo.indices()
            n, f = coo.shape
            crow = torch.zeros(n + 1, dtype=torch.int64)
            crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n), 0)
            perm = torch.from_numpy(np.lexsort((rows.numpy(), cols.numpy())))
            crow_t = torch.zeros(f + 1, dtype=torch.int64)
            crow_t[1:] = torch.cumsum(torch.bincount(cols, minlength=f), 0)
            pattern = (crow, cols.clone(), crow_t, rows[perm].clone(), perm, (n, f))
            values = coo.values()
            torch.sparse_csr_tensor(crow, pattern[1], values, (n, f))       # checked, once
            torch.sparse_csr_tensor(crow_t, pattern[3], values[perm], (f, n))
        self.pattern, self._values = pattern, values
        self.shape = torch.Size(pattern[5])

    def values(self):
        return self._values

    def _nnz(self):
        return self._values.numel()

    def with_values(self, values):
        return PatternMatrix(None, self.pattern, values)

    def csr(self, transposed=False):
        crow, col, crow_t, col_t, perm, (n, f) = self.pattern
        # Unchecked: the pattern was built (and is valid) once; torch's check of the indices at
        # every construction costs a pass over them.
        if transposed:
            return _csr_unchecked(crow_t, col_t, self._values[perm], (f, n))
        return _csr_unchecked(crow, col, self._values, (n, f))

    def to_dense(self):
        return self.csr().to_dense()


_csr_unchecked = getattr(torch, "_sparse_csr_tensor_unsafe", torch.sparse_csr_tensor)


class _PatternProduct(torch.autograd.Function):
    """M D for a PatternMatrix M (a constant: no gradient to its values) and a dense D; the
    backward is M^T G with M^T's pattern from the PatternMatrix."""

    @staticmethod
    def forward(ctx, dense, matrix):
        ctx.matrix = matrix
        return matrix.csr() @ dense

    @staticmethod
    def backward(ctx, grad):
        return ctx.matrix.csr(transposed=True) @ grad, None


def spmm(matrix, dense):
    """torch.sparse.mm(matrix, dense), through _PatternProduct for a PatternMatrix."""
    if isinstance(matrix, PatternMatrix):
        return _PatternProduct.apply(dense, matrix)
    return torch.sparse.mm(matrix, dense)


# ------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------

class GCN(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            w = torch.empty(fan_in, fan_out)
            torch.nn.init.xavier_uniform_(w)  # Glorot & Bengio: U(+-sqrt(6 / (in + out)))
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(torch.zeros(fan_out)))

    def forward(self, a_hat, x, dropout, training, impl="torch"):
        h = x
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            if h.layout != torch.strided:                 # only the input can be sparse
                h = sparse_dropout(h, dropout, training, impl)
                t = spmm(h, w)                             # H W, sparse features
            else:
                h = dense_dropout(h, dropout, training, impl)
                t = h @ w                                  # H W
            h = spmm(a_hat, t) + b                         # A_hat (H W) + b
            if layer < last:
                h = F.relu(h)
        return h


def glorot(fan_in, fan_out):
    w = torch.empty(fan_in, fan_out)
    torch.nn.init.xavier_uniform_(w)
    return torch.nn.Parameter(w)


def first_product(h, w, dropout, training, impl):
    """dropout(H) W for dense or sparse H (as GCN.forward's first step)."""
    if h.layout != torch.strided:
        return spmm(sparse_dropout(h, dropout, training, impl), w)
    return dense_dropout(h, dropout, training, impl) @ w


class SAGE(torch.nn.Module):
    """GraphSAGE-mean, full batch: Z = H W_self + A_hat (H W_neigh) + b with A_hat = D^-1 (A + I)
    (the mean over the closed neighbourhood, as gnnscale's sage); ReLU between layers."""

    def __init__(self, dims):
        super().__init__()
        self.w_self = torch.nn.ParameterList([glorot(i, o) for i, o in zip(dims[:-1], dims[1:])])
        self.w_neigh = torch.nn.ParameterList([glorot(i, o) for i, o in zip(dims[:-1], dims[1:])])
        self.biases = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(o)) for o in dims[1:]])

    def decayed(self):
        return [self.w_self[0], self.w_neigh[0]]

    def forward(self, a_hat, x, dropout, training, impl="torch"):
        h = x
        last = len(self.biases) - 1
        for layer in range(last + 1):
            if h.layout != torch.strided:
                hd = sparse_dropout(h, dropout, training, impl)  # one mask for both products
                own, neigh = spmm(hd, self.w_self[layer]), spmm(hd, self.w_neigh[layer])
            else:
                hd = dense_dropout(h, dropout, training, impl)
                own, neigh = hd @ self.w_self[layer], hd @ self.w_neigh[layer]
            h = own + spmm(a_hat, neigh) + self.biases[layer]
            if layer < last:
                h = F.relu(h)
        return h


BATCHNORM_EPS = 1e-5  # gnn/dense.h GS_BATCHNORM_EPS
# --gin-norm auto: BatchNorm when the mean closed degree nnz(A + I) / n is above this
# (gnn/model.h GS_GIN_BATCHNORM_ABOVE; README "Layer families").
GIN_BATCHNORM_ABOVE = 12.0


def gin_norm_choose(n, closed_nnz):
    """gnnscale's gs_gin_norm_choose: "batch" above GIN_BATCHNORM_ABOVE, else "none"."""
    return "batch" if closed_nnz / n > GIN_BATCHNORM_ABOVE else "none"


class GIN(torch.nn.Module):
    """GIN: Z = relu(BN(((A + I) H + eps H) W1)) W2 + b2 per layer (MLP hidden = width), eps
    learnable from 0; ReLU between layers. BN is BatchNorm inside the MLP (Xu et al. 2019, PyG's
    GIN) with scale gamma (from 1) and shift b1, normalising each column with the mean and
    biased variance over all nodes, in training and evaluation alike (no running averages:
    the batch is the whole graph), as gnnscale's gin (gnn/family.c). batchnorm=False: the
    plain sum, Z = relu(((A + I) H + eps H) W1 + b1) W2 + b2 (--gin-norm none)."""

    def __init__(self, dims, hidden, batchnorm=True):
        super().__init__()
        pairs = list(zip(dims[:-1], dims[1:]))
        self.w1 = torch.nn.ParameterList([glorot(i, hidden) for i, _ in pairs])
        self.b1 = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(hidden)) for _ in pairs])
        self.w2 = torch.nn.ParameterList([glorot(hidden, o) for _, o in pairs])
        self.b2 = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(o)) for _, o in pairs])
        self.eps = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(())) for _ in pairs])
        self.batchnorm = batchnorm
        if batchnorm:
            self.gamma = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.ones(hidden)) for _ in pairs])

    def decayed(self):
        return [self.w1[0], self.w2[0]]

    def forward(self, a_hat, x, dropout, training, impl="torch"):
        h = x
        last = len(self.w1) - 1
        for layer in range(last + 1):
            t = first_product(h, self.w1[layer], dropout, training, impl)  # linear: aggregate after
            s = spmm(a_hat, t) + self.eps[layer] * t
            if self.batchnorm:
                v = F.batch_norm(s, None, None, self.gamma[layer], self.b1[layer],
                                 training=True, eps=BATCHNORM_EPS)  # batch statistics, always
            else:
                v = s + self.b1[layer]
            h = F.relu(v) @ self.w2[layer] + self.b2[layer]
            if layer < last:
                h = F.relu(h)
        return h


class SGC(torch.nn.Module):
    """SGC: one linear layer on S = A_hat^K X (computed once, passed as x)."""

    def __init__(self, f, c):
        super().__init__()
        self.w = glorot(f, c)
        self.b = torch.nn.Parameter(torch.zeros(c))

    def decayed(self):
        return [self.w]

    def forward(self, a_hat, x, dropout, training, impl="torch"):
        return first_product(x, self.w, dropout, training, impl) + self.b


class APPNP(torch.nn.Module):
    """APPNP: H = relu(X W1 + b1) W2 + b2 (dropout before both), then K steps of
    P = (1 - alpha) A_hat P + alpha H from P = H."""

    def __init__(self, f, hidden, c, steps, alpha=0.1):
        super().__init__()
        self.w1, self.w2 = glorot(f, hidden), glorot(hidden, c)
        self.b1 = torch.nn.Parameter(torch.zeros(hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(c))
        self.steps, self.alpha = steps, alpha

    def decayed(self):
        return [self.w1]

    def forward(self, a_hat, x, dropout, training, impl="torch"):
        h = F.relu(first_product(x, self.w1, dropout, training, impl) + self.b1)
        h = dense_dropout(h, dropout, training, impl) @ self.w2 + self.b2
        p = h
        for _ in range(self.steps):
            p = (1.0 - self.alpha) * spmm(a_hat, p) + self.alpha * h
        return p


def make_model(args, f, classes):
    """The model of args.model and its weights under L2 (the first layer's, as gnnscale)."""
    dims = [f] + [args.width] * (args.depth - 1) + [classes]
    if args.model == "gcn":
        model = GCN(dims)
        return model, [model.weights[0]]
    if args.model == "sage":
        model = SAGE(dims)
    elif args.model == "gin":
        model = GIN(dims, args.width, args.gin_norm == "batch")
    elif args.model == "sgc":
        model = SGC(f, classes)
    else:
        model = APPNP(f, args.width, classes, args.depth)
    return model, model.decayed()


# Below this share of non-zeros SGC's A_hat^K X is kept sparse (gnnscale's threshold for
# sparse features).
SPARSE_BELOW = 0.25


def propagate(a_hat, x, steps, fmt="coo"):
    """A_hat^K X (SGC's input), computed once as sparse x dense products. Kept as a sparse COO
    tensor when the features were given sparse and A_hat^K X is mostly zeros (CiteSeer's is 6.5%
    non-zeros): dropout of its stored values is the same distribution as dense dropout (zeros
    stay zero, as sparse_dropout), and the dense 3327 x 3703 copy of each dropout step cost
    ~0.4 s of CPU per epoch."""
    sparse = x.layout != torch.strided
    s = x.to_dense() if sparse else x
    for _ in range(steps):
        s = spmm(a_hat, s)
    if sparse and s.numel() and (s != 0).sum().item() < SPARSE_BELOW * s.numel():
        return to_layout(s.to_sparse().coalesce(), fmt)
    return s


def dense_dropout(x, rate, training, impl):
    """Inverted dropout: each element kept with probability 1 - rate and scaled by 1/(1 - rate)."""
    if not training or rate == 0.0:
        return x
    if impl == "torch":
        return F.dropout(x, rate, True)
    # The same mask and scale as x * (rand >= rate) / (1 - rate), bit for bit, built as a float
    # tensor in place: multiplying by torch's bool tensor costs 9x more (Amazon Photo's
    # features, one thread: 176 against 19 ms).
    if x.requires_grad:
        return x * torch.rand_like(x).ge_(rate).mul_(1.0 / (1.0 - rate))
    # An input (features, a sparse matrix's values): the mask and the product go to buffers
    # kept for the next step, whose dropout comes after this step's backward. Fresh allocations
    # of this size come back from the kernel page by page: Amazon Photo's 7650 x 745 features
    # took 170 ms of CPU per dropout that way, 21 ms in reused buffers. Same draws as rand_like.
    key = (x.data_ptr(), tuple(x.shape), x.dtype)
    if key not in _INPUT_BUFFERS:
        if len(_INPUT_BUFFERS) >= 4:  # inputs of changing shape (Cluster-GCN's batches)
            _INPUT_BUFFERS.clear()
        _INPUT_BUFFERS[key] = (torch.empty_like(x), torch.empty_like(x))
    mask, out = _INPUT_BUFFERS[key]
    mask.uniform_().ge_(rate).mul_(1.0 / (1.0 - rate))
    return torch.mul(x, mask, out=out)


_INPUT_BUFFERS = {}  # dense_dropout's (mask, product) per input tensor


def sparse_dropout(x, rate, training, impl):
    """Inverted dropout of the stored values of a sparse COO or CSR tensor (as Kipf & Welling's
    sparse_dropout: zeros stay zero, which is the same distribution as dense dropout)."""
    if not training or rate == 0.0:
        return x
    values = dense_dropout(x.values(), rate, True, impl)
    if isinstance(x, PatternMatrix):
        return x.with_values(values)
    if x.layout == torch.sparse_csr:
        return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), values, x.shape)
    return torch.sparse_coo_tensor(x.indices(), values, x.shape)


def features_tensor(features, n, sparse, fmt):
    """The features as a dense tensor, or sparse in layout `fmt` ("coo", "csr" or "pattern")."""
    kind, data = features
    if kind == "dense":
        x = torch.from_numpy(np.ascontiguousarray(data))
        if not sparse:
            return x
        x = x.to_sparse().coalesce()
    else:
        rows, cols, vals, f_dim = data
        x = torch.sparse_coo_tensor(torch.from_numpy(np.stack([rows, cols])),
                                    torch.from_numpy(vals), (n, f_dim)).coalesce()
        if not sparse:
            return x.to_dense()
    return to_layout(x, fmt)


def to_layout(coo, fmt):
    """A sparse COO tensor as `fmt`: coo, csr or pattern (a PatternMatrix)."""
    if fmt == "pattern":
        return PatternMatrix(coo)
    return coo.to_sparse_csr() if fmt == "csr" else coo


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------

def run(args, data, a_hat, x, seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    labels = torch.from_numpy(data["labels"])
    train = torch.from_numpy(data["train"])
    valid = torch.from_numpy(data["valid"])
    test = torch.from_numpy(data["test"])
    model, decayed = make_model(args, x.shape[1], data["classes"])
    rest = [p for p in model.parameters() if all(p is not d for d in decayed)]
    optimizer = torch.optim.Adam([{"params": decayed, "weight_decay": args.weight_decay},
                                  {"params": rest, "weight_decay": 0.0}], lr=args.lr)

    train_ms, eval_ms = [], []
    best = (-1.0, float("inf"))  # (val_acc, -) ordered by acc, then lower loss
    best_epoch, best_val, best_test = -1, 0.0, 0.0
    curve = []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        optimizer.zero_grad()
        out = model(a_hat, x, args.dropout, True, args.dropout_impl)
        loss = F.cross_entropy(out[train], labels[train])
        loss.backward()
        optimizer.step()
        t1 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            out = model(a_hat, x, args.dropout, False)
            val_loss = F.cross_entropy(out[valid], labels[valid]).item()
            pred = out.argmax(dim=1)
            val_acc = (pred[valid] == labels[valid]).float().mean().item()
            test_acc = (pred[test] == labels[test]).float().mean().item()
        t2 = time.perf_counter()
        train_ms.append(1e3 * (t1 - t0))
        eval_ms.append(1e3 * (t2 - t1))
        curve.append([val_acc, val_loss, test_acc])
        if val_acc > best[0] or (val_acc == best[0] and val_loss < best[1]):
            best = (val_acc, val_loss)
            best_epoch, best_val, best_test = epoch, val_acc, test_acc
    return dict(train_ms=train_ms, eval_ms=eval_ms, best_epoch=best_epoch,
                val_acc=best_val, test_acc=best_test, curve=curve)


def main(args):
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = load_dataset(args.dataset, args.split, args.features)
    norm = {"sage": "row", "gin": "none"}.get(args.model, "sym")
    a_hat = normalized_adjacency(data["n"], data["src"], data["dst"], args.adj, norm)
    x = features_tensor(data["features"], data["n"], args.sparse_features, args.feat_layout)
    if args.model == "sgc":
        x = propagate(a_hat, x, args.depth, args.feat_layout)
    if args.gin_norm == "auto":  # GIN's a_hat is A + I
        args.gin_norm = gin_norm_choose(data["n"], int(a_hat._nnz()))
    load_s = time.perf_counter() - t0

    seeds = list(range(args.seeds)) if args.seeds > 0 else [args.seed]
    runs = [run(args, data, a_hat, x, s) for s in seeds]
    train_ms = [t for r in runs for t in r["train_ms"]]
    eval_ms = [t for r in runs for t in r["eval_ms"]]
    epoch_ms = [a + b for r in runs for a, b in zip(r["train_ms"], r["eval_ms"])]
    tests = [r["test_acc"] for r in runs]
    vals = [r["val_acc"] for r in runs]
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "dataset": os.path.basename(os.path.normpath(args.dataset)),
        "split": data["split"],
        "model": args.model,
        "depth": args.depth,
        "width": args.width,
        "threads": args.threads,
        "epochs": args.epochs,
        "adj": args.adj,
        "dropout_impl": args.dropout_impl,
        "features": args.feat_layout if args.sparse_features else "dense",
        "features_prep": args.features,
        "gin_norm": args.gin_norm if args.model == "gin" else None,
        "nnz_adj": int(a_hat._nnz()),
        "train_ms_median": statistics.median(train_ms),
        "eval_ms_median": statistics.median(eval_ms),
        "epoch_ms_median": statistics.median(epoch_ms),
        "train_ms_min": min(train_ms),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "load_s": load_s,
        "best_epoch": runs[0]["best_epoch"] if len(runs) == 1 else int(statistics.median(r["best_epoch"] for r in runs)),
        "val_acc": statistics.fmean(vals),
        "test_acc": statistics.fmean(tests),
    }
    if len(runs) > 1:
        result.update({
            "seeds": len(runs),
            "test_acc_std": statistics.stdev(tests),
            "test_acc_per_seed": tests,
            "val_acc_per_seed": vals,
            "best_epoch_per_seed": [r["best_epoch"] for r in runs],
        })
    if args.curves:
        result["curves"] = [[[float(f"{v:.6g}") for v in row] for row in r["curve"]] for r in runs]
    for key, value in result.items():  # readable JSON: floats to 6 significant digits
        if isinstance(value, float):
            result[key] = float(f"{value:.6g}")
        elif isinstance(value, list):
            result[key] = [float(f"{v:.6g}") if isinstance(v, float) else v for v in value]
    if args.json:
        print(json.dumps(result))
    else:
        acc = f"{100 * result['test_acc']:.1f}%"
        if len(runs) > 1:
            acc += f" +- {100 * result['test_acc_std']:.1f} over {len(runs)} seeds (sample std)"
        print(f"{result['dataset']} ({result['split']}): {args.model.upper()} depth {args.depth} width {args.width}, "
              f"{args.threads} thread(s), torch {torch.__version__}, A_hat {args.adj} nnz {result['nnz_adj']}")
        print(f"  test accuracy {acc} at best validation epoch {result['best_epoch']} "
              f"(val {100 * result['val_acc']:.1f}%)")
        print(f"  epoch {result['epoch_ms_median']:.2f} ms median (train {result['train_ms_median']:.2f}, "
              f"eval {result['eval_ms_median']:.2f}, train min {result['train_ms_min']:.2f}); "
              f"load {load_s:.2f} s; peak RSS {result['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))

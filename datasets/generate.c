/* Synthetic graphs (generate.h): a degree-corrected block model with power-law weights drawn
 * through alias tables, candidate edges radix-sorted and deduplicated, features from class
 * centroids plus Gaussian noise (Box-Muller), a per-class random split. Every random number is
 * gs_rng_at(seed, stream, index) with an index fixed by what it decides, so the parallel loops
 * give the same graph for any thread count. */
#include "datasets/generate.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/stats.h"
#include "datasets/dataset_impl.h"
#include "sparse/graph.h"

#define MAX_GEN_NODES (((int64_t)1 << 31) - 1)
#define MAX_GEN_EDGES ((int64_t)1 << 34)
#define MAX_GEN_FEATURE_BYTES ((int64_t)1 << 35)
/* Rounds of weighted draws before falling back to uniform pairs (reached only when heavy
 * hubs have used up most of their possible pairs). */
#define WEIGHTED_ROUNDS 16
#define UNIFORM_ROUNDS 64

/* Sub-streams of GS_RNG_STREAM_GENERATE, one per decision. */
enum { S_CLASS = 1, S_WEIGHT, S_EDGE, S_CENTROID, S_FEATURE, S_SPLIT, S_SHUFFLE };

static uint64_t stream(int purpose) {
  return gs_rng_stream(GS_RNG_STREAM_GENERATE, (uint64_t)purpose, 0);
}

gs_generate_options gs_generate_options_default(void) {
  gs_generate_options o;
  memset(&o, 0, sizeof o);
  o.nodes = 10000;
  o.edges = 50000;
  o.features = 64;
  o.classes = 8;
  o.seed = 1;
  o.train_per_class = 20;
  o.valid_per_class = 30;
  o.split = "random-20-30";
  o.name = "synthetic";
  o.p_in = 0.8;
  o.degree_exponent = 2.5;
  o.centroid_scale = 0.15;
  o.noise = 1.0;
  return o;
}

/* A double uniform on [0, 1) with 53 random bits. */
static inline double uniform53(uint64_t r) {
  return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

/* An integer uniform on [0, m) (m < 2^32) from the top 32 bits (Lemire's multiply). */
static inline int64_t below(uint64_t r, int64_t m) {
  return (int64_t)(((r >> 32) * (uint64_t)m) >> 32);
}

/* A standard normal from one 64-bit draw (Box-Muller with two 32-bit uniforms). */
static inline double normal(uint64_t r) {
  double u1 = ((double)(r >> 32) + 0.5) * (1.0 / 4294967296.0);
  double u2 = (double)(r & 0xffffffffu) * (1.0 / 4294967296.0);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Two independent standard normals from one 64-bit draw (both outputs of Box-Muller: half
 * the logarithms and draws of two calls to normal, which dominated the features' time). */
static inline void normal_pair(uint64_t r, double *z0, double *z1) {
  const double u1 = ((double)(r >> 32) + 0.5) * (1.0 / 4294967296.0);
  const double u2 = (double)(r & 0xffffffffu) * (1.0 / 4294967296.0);
  const double radius = sqrt(-2.0 * log(u1)), angle = 6.283185307179586 * u2;
  *z0 = radius * cos(angle);
  *z1 = radius * sin(angle);
}

static gs_status check_options(const gs_generate_options *o, gs_error *err) {
  if (o->nodes <= 0 || o->edges < 0 || o->features < 0 || o->classes <= 0)
    return gs_error_set(err, GS_ERR_INVALID,
                        "generate: nodes and classes must be positive, edges and features "
                        "non-negative (got nodes %lld, edges %lld, features %lld, classes %d)",
                        (long long)o->nodes, (long long)o->edges, (long long)o->features,
                        (int)o->classes);
  if (o->nodes > MAX_GEN_NODES)
    return gs_error_set(err, GS_ERR_RANGE, "generate: %lld nodes exceed the limit of %lld",
                        (long long)o->nodes, (long long)MAX_GEN_NODES);
  int64_t pairs = o->nodes * (o->nodes - 1) / 2;
  if (o->edges > pairs)
    return gs_error_set(err, GS_ERR_RANGE,
                        "generate: %lld edges asked, but %lld nodes have only %lld pairs",
                        (long long)o->edges, (long long)o->nodes, (long long)pairs);
  if (o->edges > MAX_GEN_EDGES)
    return gs_error_set(err, GS_ERR_RANGE, "generate: %lld edges exceed the limit of %lld",
                        (long long)o->edges, (long long)MAX_GEN_EDGES);
  if (o->classes > o->nodes)
    return gs_error_set(err, GS_ERR_RANGE, "generate: %d classes for only %lld nodes",
                        (int)o->classes, (long long)o->nodes);
  if (o->features > GS__MAX_FEATURES ||
      (o->features > 0 && o->nodes > MAX_GEN_FEATURE_BYTES / 4 / o->features))
    return gs_error_set(
        err, GS_ERR_RANGE, "generate: %lld x %lld features exceed the limit of %lld bytes",
        (long long)o->nodes, (long long)o->features, (long long)MAX_GEN_FEATURE_BYTES);
  if (o->train_per_class < 0 || o->valid_per_class < 0)
    return gs_error_set(err, GS_ERR_INVALID, "generate: split sizes per class must be >= 0");
  if (!(o->p_in >= 0.0 && o->p_in <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "generate: p_in must be in [0, 1]");
  if (!(o->degree_exponent > 2.0) || isinf(o->degree_exponent))
    return gs_error_set(err, GS_ERR_INVALID, "generate: degree_exponent must be finite and > 2");
  if (!(o->noise >= 0.0) || !(o->centroid_scale >= 0.0) || isinf(o->noise) ||
      isinf(o->centroid_scale))
    return gs_error_set(err, GS_ERR_INVALID,
                        "generate: noise and centroid_scale must be finite and >= 0");
  if (!o->split || !o->split[0] || strlen(o->split) >= 128 || strchr(o->split, '/') ||
      o->split[0] == '.')
    return gs_error_set(err, GS_ERR_INVALID, "generate: bad split name");
  if (!o->name || !o->name[0] || strlen(o->name) >= 256)
    return gs_error_set(err, GS_ERR_INVALID, "generate: bad name");
  return GS_OK;
}

typedef struct {
  uint64_t key, node;
} node_key;

static int cmp_node_key(const void *a, const void *b) {
  const node_key *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->node > y->node) - (x->node < y->node);
}

/* Edges when more than half of all pairs are wanted: a seeded Fisher-Yates shuffle of all
 * pairs (as keys u * N + v, u < v), the first E kept. Memory is bounded by 2E keys. */
static gs_status keys_from_all_pairs(uint64_t *keys, const gs_generate_options *o,
                                     gs_error *err) {
  const int64_t n = o->nodes, E = o->edges;
  const int64_t pairs = n * (n - 1) / 2;
  uint64_t *all = gs_mem_alloc((size_t)pairs * sizeof(uint64_t), "dataset-tmp");
  if (!all)
    return gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory for %lld pairs",
                        (long long)pairs);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++) all[k++] = (uint64_t)i * (uint64_t)n + (uint64_t)j;
  for (int64_t i = 0; i < E; i++) {
    int64_t j = i + (int64_t)(uniform53(gs_rng_at(o->seed, stream(S_SHUFFLE), (uint64_t)i)) *
                              (double)(pairs - i));
    if (j >= pairs) j = pairs - 1;
    uint64_t t = all[i];
    all[i] = all[j];
    all[j] = t;
    keys[i] = all[i];
  }
  gs_mem_free(all);
  return GS_OK;
}

/* One entry of an alias table (Walker 1977, Vose 1991): slot i is drawn uniformly, then kept
 * when the low 32 random bits fall below `keep`, else replaced by `alias`. What a draw needs
 * next about slot i and about its alias (their classes, or their node ids) rides in the same
 * 16 bytes: one cache miss per draw instead of three on a graph of millions of nodes (the
 * draws were 38% of the time at 1M nodes). */
typedef struct {
  uint32_t keep, alias;
  uint32_t of_slot, of_alias;
} alias_slot;

/* Fills t[0..m) so that slot i comes out with probability w[i] / sum(w) (Vose's method;
 * deterministic for given weights). p [m] holds the scaled weights, work [2m] the two work
 * lists. */
static void alias_build(alias_slot *t, const double *w, int64_t m, double *p, uint32_t *work) {
  double sum = 0.0;
  for (int64_t i = 0; i < m; i++) sum += w[i];
  uint32_t *small = work, *large = work + m;
  int64_t ns = 0, nl = 0;
  for (int64_t i = 0; i < m; i++) {
    p[i] = sum > 0.0 ? w[i] * (double)m / sum : 1.0;
    if (p[i] < 1.0)
      small[ns++] = (uint32_t)i;
    else
      large[nl++] = (uint32_t)i;
  }
  while (ns > 0 && nl > 0) {
    const uint32_t s = small[--ns], l = large[nl - 1];
    const double keep = p[s] * 4294967296.0;
    t[s].keep = keep < 4294967295.0 ? (uint32_t)keep : UINT32_MAX;
    t[s].alias = l;
    p[l] -= 1.0 - p[s];
    if (p[l] < 1.0) {
      nl--;
      small[ns++] = l;
    }
  }
  /* What is left has probability 1 up to rounding. */
  while (nl > 0) {
    nl--;
    t[large[nl]] = (alias_slot){UINT32_MAX, large[nl], 0, 0};
  }
  while (ns > 0) {
    ns--;
    t[small[ns]] = (alias_slot){UINT32_MAX, small[ns], 0, 0};
  }
}

/* A draw from an alias table of m slots with one 64-bit random number: the slot drawn, and
 * what it carries (*carried). */
static inline int64_t alias_draw(const alias_slot *t, int64_t m, uint64_t r, uint32_t *carried) {
  const int64_t i = below(r, m);
  const alias_slot s = t[i];
  const bool kept = (uint32_t)r < s.keep;
  *carried = kept ? s.of_slot : s.of_alias;
  return kept ? i : (int64_t)s.alias;
}

/* The degree weights and class grouping that the edge draws sample from. */
typedef struct {
  alias_slot *all;      /* [n] alias table of the power-law weights over all nodes, carrying
                           the classes */
  alias_slot *within;   /* [n] per class, over its stretch of `order`, carrying node ids */
  int64_t *order;       /* [n] nodes grouped by class, ascending ids within a class */
  int64_t *class_start; /* [C + 1] where each class begins in `order` */
} sampler;

static void sampler_release(sampler *w) {
  gs_mem_free(w->all);
  gs_mem_free(w->within);
  gs_mem_free(w->order);
  gs_mem_free(w->class_start);
  memset(w, 0, sizeof *w);
}

/* Draws each node's class and power-law weight (labels into `labels`), groups the nodes by
 * class and builds the alias tables. Transient: 24n bytes of weights and work lists. */
static gs_status draw_classes(sampler *w, int32_t *labels, const gs_generate_options *o,
                              gs_error *err) {
  gs_status st = GS_OK;
  const int64_t n = o->nodes;
  const int32_t C = o->classes;
  const uint64_t seed = o->seed;
  double *wt = gs_mem_alloc((size_t)n * sizeof(double), "dataset-tmp");
  double *cw = gs_mem_alloc((size_t)n * sizeof(double), "dataset-tmp");
  double *p = gs_mem_alloc((size_t)n * sizeof(double), "dataset-tmp");
  uint32_t *work = gs_mem_alloc((size_t)n * 2 * sizeof(uint32_t), "dataset-tmp");
  int64_t *fill = gs_mem_alloc((size_t)C * sizeof(int64_t), "dataset-tmp");
  w->all = gs_mem_alloc((size_t)n * sizeof(alias_slot), "dataset-tmp");
  w->within = gs_mem_alloc((size_t)n * sizeof(alias_slot), "dataset-tmp");
  w->order = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-tmp");
  w->class_start = gs_mem_calloc((size_t)C + 1, sizeof(int64_t), "dataset-tmp");
  if (!wt || !cw || !p || !work || !fill || !w->all || !w->within || !w->order ||
      !w->class_start) {
    st = gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
    goto fail;
  }
  int64_t *order = w->order, *class_start = w->class_start;
  const double inv = -1.0 / (o->degree_exponent - 1.0);
  const uint64_t kc = gs_rng_key(seed, stream(S_CLASS)), kw = gs_rng_key(seed, stream(S_WEIGHT));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    labels[i] = (int32_t)below(gs_rng_at_key(kc, (uint64_t)i), C);
    const double x = pow(1.0 - uniform53(gs_rng_at_key(kw, (uint64_t)i)), inv);
    wt[i] = x < (double)n ? x : (double)n;
  }
  /* Nodes grouped by class (ascending ids within a class). */
  for (int64_t i = 0; i < n; i++) class_start[labels[i] + 1]++;
  for (int32_t c = 0; c < C; c++) class_start[c + 1] += class_start[c];
  memcpy(fill, class_start, (size_t)C * sizeof(int64_t));
  for (int64_t i = 0; i < n; i++) order[fill[labels[i]]++] = i;
  for (int64_t k = 0; k < n; k++) cw[k] = wt[order[k]];
  alias_build(w->all, wt, n, p, work);
  for (int32_t c = 0; c < C; c++)
    alias_build(w->within + class_start[c], cw + class_start[c],
                class_start[c + 1] - class_start[c], p, work);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    w->all[i].of_slot = (uint32_t)labels[i];
    w->all[i].of_alias = (uint32_t)labels[w->all[i].alias];
  }
  for (int32_t c = 0; c < C; c++)
    for (int64_t k = class_start[c]; k < class_start[c + 1]; k++) {
      w->within[k].of_slot = (uint32_t)order[k];
      w->within[k].of_alias = (uint32_t)order[class_start[c] + w->within[k].alias];
    }
fail:
  gs_mem_free(wt);
  gs_mem_free(cw);
  gs_mem_free(p);
  gs_mem_free(work);
  gs_mem_free(fill);
  return st;
}

/* Candidate k as the key min * N + max of its two ends (UINT64_MAX for a self-loop): its first
 * end by weight, its second by weight inside the first's class with probability p_in, else
 * by weight over all nodes (uniform pairs when `uniform`). */
static inline uint64_t draw_candidate(const gs_generate_options *o, const sampler *w,
                                      uint64_t key, bool uniform, int64_t k) {
  const int64_t n = o->nodes;
  const uint64_t r1 = gs_rng_at_key(key, 3 * (uint64_t)k);
  const uint64_t r2 = gs_rng_at_key(key, 3 * (uint64_t)k + 1);
  const uint64_t r3 = gs_rng_at_key(key, 3 * (uint64_t)k + 2);
  int64_t u, v;
  if (uniform) {
    u = below(r1, n);
    v = below(r3, n);
  } else {
    uint32_t cu, carried;
    u = alias_draw(w->all, n, r1, &cu);
    if (uniform53(r2) < o->p_in) {
      const int64_t lo = w->class_start[cu], hi = w->class_start[cu + 1];
      alias_draw(w->within + lo, hi - lo, r3, &carried);
      v = carried;
    } else {
      v = alias_draw(w->all, n, r3, &carried);
    }
  }
  if (u == v) return UINT64_MAX;
  const uint64_t a = (uint64_t)(u < v ? u : v), b = (uint64_t)(u < v ? v : u);
  return a * (uint64_t)n + b;
}

/* Sorts keys[0..m) (each below 2^bits) ascending: least-significant-digit radix sort through
 * tmp [m], digits of at most 12 bits, each pass a per-thread histogram then a stable scatter
 * (so the result is the sorted array whatever the thread count). hist holds threads * 4096. */
static void radix_sort(uint64_t *keys, uint64_t *tmp, int64_t m, int bits, int64_t *hist,
                       int threads) {
  const int passes = bits <= 12 ? 1 : (bits + 11) / 12;
  const int dbits = (bits + passes - 1) / passes;
  const int64_t B = (int64_t)1 << dbits;
  const uint64_t mask = (uint64_t)B - 1;
  uint64_t *src = keys, *dst = tmp;
  for (int pass = 0; pass < passes; pass++) {
    const int shift = pass * dbits;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t lo = m * t / T, hi = m * (t + 1) / T;
      int64_t *h = hist + (int64_t)t * B;
      memset(h, 0, (size_t)B * sizeof *h);
      for (int64_t i = lo; i < hi; i++) h[(src[i] >> shift) & mask]++;
#pragma omp barrier
#pragma omp single
      {
        int64_t sum = 0;
        for (int64_t d = 0; d < B; d++)
          for (int u = 0; u < T; u++) {
            const int64_t c = hist[(int64_t)u * B + d];
            hist[(int64_t)u * B + d] = sum;
            sum += c;
          }
      }
      for (int64_t i = lo; i < hi; i++) dst[h[(src[i] >> shift) & mask]++] = src[i];
    }
    uint64_t *x = src;
    src = dst;
    dst = x;
  }
  if (src != keys) memcpy(keys, src, (size_t)m * sizeof *keys);
}

/* Draws E distinct undirected edges without self-loops as ascending keys u * N + v (u < v)
 * into *keys_out [E]: rounds of candidates (weighted first, uniform at the end), sorted and
 * deduplicated; when a round leaves more than E distinct pairs, the surplus is dropped at
 * evenly spaced ranks (so every edge is equally likely to go, whatever its ends). Memory:
 * 16 bytes per candidate at the peak (keys and the sort's buffer), 1.125 E + 64 candidates
 * in the first round. */
static gs_status draw_edge_keys(uint64_t **keys_out, const sampler *w,
                                const gs_generate_options *o, gs_error *err) {
  gs_status st = GS_OK;
  const int64_t n = o->nodes, E = o->edges;
  uint64_t *keys = NULL, *tmp = NULL;
  int64_t *hist = NULL;
  int64_t cap_k = 0, cap_t = 0, unique = 0;
  const int threads = gs_runtime_threads() > 0 ? gs_runtime_threads() : 1;
  int bits = 1;
  while (bits < 63 && ((uint64_t)1 << bits) < (uint64_t)n * (uint64_t)n) bits++;
  hist = gs_mem_alloc((size_t)threads * 4096 * sizeof *hist, "dataset-tmp");
  if (!hist) {
    st = gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
    goto fail;
  }
  if (E > 0 && 2 * E > n * (n - 1) / 2) {
    GS_TRY(gs__grow((void **)&keys, &cap_k, E, INT64_MAX / 64, sizeof *keys, "dataset-tmp", err));
    GS_TRY(keys_from_all_pairs(keys, o, err));
    GS_TRY(gs__grow((void **)&tmp, &cap_t, E, INT64_MAX / 64, sizeof *tmp, "dataset-tmp", err));
    radix_sort(keys, tmp, E, bits, hist, threads);
    unique = E;
  }
  const uint64_t key = gs_rng_key(o->seed, stream(S_EDGE));
  int64_t drawn = 0; /* candidates drawn so far: the next one's index */
  for (int round = 0; unique < E; round++) {
    if (round >= WEIGHTED_ROUNDS + UNIFORM_ROUNDS) {
      st = gs_error_set(err, GS_ERR_INTERNAL, "generate: could not draw %lld distinct edges",
                        (long long)E);
      goto fail;
    }
    const bool uniform = round >= WEIGHTED_ROUNDS;
    /* The first round over-draws by 12.5% (duplicates are a few percent with hubs). */
    const int64_t batch = round == 0 ? E + E / 8 + 64 : 2 * (E - unique) + 64;
    const int64_t need = unique + batch;
    GS_TRY(gs__grow((void **)&keys, &cap_k, need, INT64_MAX / 64, sizeof *keys, "dataset-tmp",
                    err));
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < batch; k++)
      keys[unique + k] = draw_candidate(o, w, key, uniform, drawn + k);
    drawn += batch;
    int64_t m = unique; /* self-loops out */
    for (int64_t k = unique; k < need; k++)
      if (keys[k] != UINT64_MAX) keys[m++] = keys[k];
    GS_TRY(gs__grow((void **)&tmp, &cap_t, m, INT64_MAX / 64, sizeof *tmp, "dataset-tmp", err));
    radix_sort(keys, tmp, m, bits, hist, threads);
    unique = 0;
    for (int64_t k = 0; k < m; k++)
      if (k == 0 || keys[k] != keys[k - 1]) keys[unique++] = keys[k];
  }
  if (unique > E) { /* drop unique - E at evenly spaced ranks */
    const int64_t drop = unique - E;
    int64_t kept = 0;
    for (int64_t k = 0; k < unique; k++)
      if ((k + 1) * drop / unique == k * drop / unique) keys[kept++] = keys[k];
    unique = kept;
  }
  if (unique != E) {
    st = gs_error_set(err, GS_ERR_INTERNAL, "generate: %lld edges kept of %lld", (long long)unique,
                      (long long)E);
    goto fail;
  }
  *keys_out = keys;
  keys = NULL;
fail:
  gs_mem_free(keys);
  gs_mem_free(tmp);
  gs_mem_free(hist);
  return st;
}

/* The symmetric adjacency of the edges (keys ascending, u < v) into ds: rows ascending
 * without self-loops, as a store holds them, with the degree statistics. Filled in key order,
 * each row gets its lower neighbours (from earlier keys) before its higher ones, so every row
 * comes out sorted without a sort. */
static gs_status adjacency_of_keys(gs_dataset *ds, const uint64_t *keys, int64_t E,
                                   gs_error *err) {
  const int64_t n = ds->num_nodes;
  ds->adj_rowptr = gs_mem_calloc((size_t)n + 1, sizeof(int64_t), "dataset-edges");
  ds->adj_col = gs_mem_alloc((size_t)(E > 0 ? 2 * E : 1) * sizeof(uint32_t), "dataset-edges");
  int64_t *fill = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-tmp");
  if (!ds->adj_rowptr || !ds->adj_col || !fill) {
    gs_mem_free(fill);
    return gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory for the adjacency");
  }
  int64_t *rowptr = ds->adj_rowptr;
  const uint64_t N = (uint64_t)n;
  /* The keys ascend, so u = key / N ascends: found by stepping, not by division. */
  uint64_t u = 0, base = 0;
  for (int64_t e = 0; e < E; e++) {
    while (keys[e] >= base + N) {
      u++;
      base += N;
    }
    rowptr[u + 1]++;
    rowptr[keys[e] - base + 1]++;
  }
  for (int64_t i = 0; i < n; i++) rowptr[i + 1] += rowptr[i];
  memcpy(fill, rowptr, (size_t)n * sizeof *fill);
  u = 0;
  base = 0;
  for (int64_t e = 0; e < E; e++) {
    while (keys[e] >= base + N) {
      u++;
      base += N;
    }
    const uint64_t v = keys[e] - base;
    ds->adj_col[fill[u]++] = (uint32_t)v;
    ds->adj_col[fill[v]++] = (uint32_t)u;
  }
  gs_mem_free(fill);
  gs_graph_stats *s = &ds->store_stats;
  memset(s, 0, sizeof *s);
  s->edge_lines = E;
  return gs_graph_degree_stats(s, n, rowptr, 0, err);
}

/* Features: centroid of the node's class plus noise, rounded to 4 decimals. */
static gs_status make_features(gs_dataset *ds, const gs_generate_options *o, gs_error *err) {
  const int64_t n = o->nodes, F = o->features;
  const int32_t C = o->classes;
  const uint64_t seed = o->seed;
  float *centroids = gs_mem_alloc((size_t)C * (size_t)F * sizeof(float), "dataset-tmp");
  ds->x.dense = gs_mem_alloc((size_t)n * (size_t)F * sizeof(float), "features");
  if (!centroids || !ds->x.dense) {
    gs_mem_free(centroids);
    return gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory for %lld x %lld features",
                        (long long)n, (long long)F);
  }
  for (int64_t k = 0; k < (int64_t)C * F; k++)
    centroids[k] =
        (float)(o->centroid_scale * normal(gs_rng_at(seed, stream(S_CENTROID), (uint64_t)k)));
  int64_t nnz = 0;
  const uint64_t key = gs_rng_key(seed, stream(S_FEATURE));
#pragma omp parallel for schedule(static) reduction(+ : nnz)
  for (int64_t i = 0; i < n; i++) {
    const float *cen = centroids + (int64_t)ds->labels[i] * F;
    float *row = ds->x.dense + i * F;
    for (int64_t f = 0; f < F; f += 2) { /* entries 2j and 2j + 1 from draw i * F + 2j */
      double z[2];
      normal_pair(gs_rng_at_key(key, (uint64_t)(i * F + f)), &z[0], &z[1]);
      for (int64_t q = 0; q < 2 && f + q < F; q++) {
        const float v = (float)llrint((cen[f + q] + o->noise * z[q]) * 1e4) / 1e4f;
        row[f + q] = v;
        nnz += v != 0.0f;
      }
    }
  }
  gs_mem_free(centroids);
  ds->x.kind = GS_FEATURES_DENSE;
  ds->x.rows = n;
  ds->x.cols = F;
  ds->x.nnz = nnz;
  ds->file_features = F;
  return GS_OK;
}

/* Split: per class, nodes in a random order; the first train_per_class train, the next
 * valid_per_class valid, the rest test. */
static gs_status make_split(gs_dataset *ds, const sampler *w, const gs_generate_options *o,
                            gs_error *err) {
  const int64_t n = o->nodes;
  node_key *nk = gs_mem_alloc((size_t)n * sizeof *nk, "dataset-tmp");
  ds->train = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-split");
  ds->valid = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-split");
  ds->test = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-split");
  if (!nk || !ds->train || !ds->valid || !ds->test) {
    gs_mem_free(nk);
    return gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
  }
  for (int32_t c = 0; c < o->classes; c++) {
    int64_t lo = w->class_start[c], hi = w->class_start[c + 1];
    node_key *seg = nk + lo;
    for (int64_t k = lo; k < hi; k++) {
      nk[k].node = (uint64_t)w->order[k];
      nk[k].key = gs_rng_at(o->seed, stream(S_SPLIT), (uint64_t)w->order[k]);
    }
    qsort(seg, (size_t)(hi - lo), sizeof *seg, cmp_node_key);
    for (int64_t k = 0; k < hi - lo; k++) {
      int64_t v = (int64_t)seg[k].node;
      if (k < o->train_per_class)
        ds->train[ds->num_train++] = v;
      else if (k < o->train_per_class + o->valid_per_class)
        ds->valid[ds->num_valid++] = v;
      else
        ds->test[ds->num_test++] = v;
    }
  }
  gs_mem_free(nk);
  qsort(ds->train, (size_t)ds->num_train, sizeof(int64_t), gs_compare_int64);
  qsort(ds->valid, (size_t)ds->num_valid, sizeof(int64_t), gs_compare_int64);
  qsort(ds->test, (size_t)ds->num_test, sizeof(int64_t), gs_compare_int64);
  snprintf(ds->split_name, sizeof ds->split_name, "%s", o->split);
  return GS_OK;
}

gs_status gs_dataset_generate(gs_dataset **out, const gs_generate_options *opts, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  uint64_t *keys = NULL;
  sampler w;
  memset(&w, 0, sizeof w);
  gs_error_clear(err);
  if (!out || !opts) return gs_error_set(err, GS_ERR_INVALID, "generate: NULL argument");
  const gs_generate_options o = *opts;
  GS_TRY(check_options(&o, err));
  const int64_t n = o.nodes, E = o.edges;
  GS_TRY(gs__dataset_new(&ds, err));
  snprintf(ds->name, sizeof ds->name, "%s", o.name);
  ds->num_nodes = n;
  ds->num_classes = o.classes;
  ds->labels = gs_mem_alloc((size_t)n * sizeof(int32_t), "dataset-labels");
  if (!ds->labels) {
    st = gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
    goto fail;
  }
  GS_TRY(draw_classes(&w, ds->labels, &o, err));
  GS_TRY(draw_edge_keys(&keys, &w, &o, err));
  gs_mem_free(w.all); /* the draws are done: only the class grouping is still needed */
  gs_mem_free(w.within);
  w.all = w.within = NULL;
  if (o.adjacency) {
    GS_TRY(adjacency_of_keys(ds, keys, E, err));
  } else {
    ds->src = gs_mem_alloc((size_t)(E > 0 ? E : 1) * sizeof(int64_t), "dataset-edges");
    ds->dst = gs_mem_alloc((size_t)(E > 0 ? E : 1) * sizeof(int64_t), "dataset-edges");
    if (!ds->src || !ds->dst) {
      st = gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory for %lld edges",
                        (long long)E);
      goto fail;
    }
    for (int64_t e = 0; e < E; e++) {
      ds->src[e] = (int64_t)(keys[e] / (uint64_t)n);
      ds->dst[e] = (int64_t)(keys[e] % (uint64_t)n);
    }
    ds->num_edge_lines = E;
  }
  gs_mem_free(keys);
  keys = NULL;
  if (o.features > 0) GS_TRY(make_features(ds, &o, err));
  GS_TRY(make_split(ds, &w, &o, err));
  sampler_release(&w);
  *out = ds;
  return GS_OK;
fail:
  gs_mem_free(keys);
  sampler_release(&w);
  gs_dataset_free(&ds);
  return st;
}

/* Synthetic graphs: Chung-Lu edges with power-law weights and planted classes, features from
 * class centroids plus Gaussian noise (Box-Muller), a per-class random split. Every random
 * number is gs_rng_at(seed, stream, index) with an index fixed by what it decides, so the
 * parallel loops give the same graph for any thread count. */
#include "datasets/generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/stats.h"
#include "datasets/dataset_impl.h"

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

/* Smallest index in [lo, hi) whose running weight sum exceeds t (t < cdf[hi - 1]). */
static inline int64_t search_cdf(const double *cdf, int64_t lo, int64_t hi, double t) {
  int64_t a = lo, b = hi - 1;
  while (a < b) {
    int64_t mid = a + (b - a) / 2;
    if (cdf[mid] > t)
      b = mid;
    else
      a = mid + 1;
  }
  return a;
}

typedef struct {
  uint64_t key; /* min(u,v) * N + max(u,v); UINT64_MAX for a self-loop */
  int64_t index;
} cand_key;

static int cmp_cand(const void *a, const void *b) {
  const cand_key *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

typedef struct {
  uint64_t key, node;
} node_key;

static int cmp_node_key(const void *a, const void *b) {
  const node_key *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->node > y->node) - (x->node < y->node);
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

/* Edges when more than half of all pairs are wanted: a seeded Fisher-Yates shuffle of all
 * pairs, first E kept. Memory is bounded by 2E pairs. */
static gs_status edges_from_all_pairs(gs_dataset *ds, const gs_generate_options *o, gs_error *err) {
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
    ds->src[i] = (int64_t)(all[i] / (uint64_t)n);
    ds->dst[i] = (int64_t)(all[i] % (uint64_t)n);
  }
  gs_mem_free(all);
  return GS_OK;
}

/* Draws candidate k: its first end by weight, its second by weight inside the first's class
 * with probability p_in, else by weight over all nodes (uniform pairs when `uniform`). */
static void draw_candidate(const gs_generate_options *o, const double *cdf, const double *ccdf,
                           const int64_t *order, const int64_t *class_start, const int32_t *labels,
                           bool uniform, int64_t k, int64_t *u_out, int64_t *v_out) {
  const int64_t n = o->nodes;
  const uint64_t s = stream(S_EDGE);
  uint64_t r1 = gs_rng_at(o->seed, s, 3 * (uint64_t)k);
  uint64_t r2 = gs_rng_at(o->seed, s, 3 * (uint64_t)k + 1);
  uint64_t r3 = gs_rng_at(o->seed, s, 3 * (uint64_t)k + 2);
  int64_t u, v;
  if (uniform) {
    u = below(r1, n);
    v = below(r3, n);
  } else {
    const double W = cdf[n - 1];
    u = search_cdf(cdf, 0, n, uniform53(r1) * W);
    if (uniform53(r2) < o->p_in) {
      int32_t c = labels[u];
      int64_t lo = class_start[c], hi = class_start[c + 1];
      double Wc = ccdf[hi - 1];
      v = order[search_cdf(ccdf + lo, 0, hi - lo, uniform53(r3) * Wc) + lo];
    } else {
      v = search_cdf(cdf, 0, n, uniform53(r3) * W);
    }
  }
  *u_out = u;
  *v_out = v;
}

/* The degree weights and class grouping that the edge draws sample from. */
typedef struct {
  double *cdf;          /* [n] running sum of the power-law weights in node order */
  double *ccdf;         /* [n] running sums of the weights within each class, in `order` */
  int64_t *order;       /* [n] nodes grouped by class, ascending ids within a class */
  int64_t *class_start; /* [C + 1] where each class begins in `order` */
} sampler;

static void sampler_release(sampler *w) {
  gs_mem_free(w->cdf);
  gs_mem_free(w->ccdf);
  gs_mem_free(w->order);
  gs_mem_free(w->class_start);
}

/* Draws each node's class and power-law weight (labels into ds), and groups the nodes by
 * class with their running sums. */
static gs_status draw_classes(sampler *w, gs_dataset *ds, const gs_generate_options *o,
                              gs_error *err) {
  const int64_t n = o->nodes;
  const int32_t C = o->classes;
  const uint64_t seed = o->seed;
  w->cdf = gs_mem_alloc((size_t)n * sizeof(double), "dataset-tmp");
  w->ccdf = gs_mem_alloc((size_t)n * sizeof(double), "dataset-tmp");
  w->order = gs_mem_alloc((size_t)n * sizeof(int64_t), "dataset-tmp");
  w->class_start = gs_mem_calloc((size_t)C + 1, sizeof(int64_t), "dataset-tmp");
  int64_t *fill = gs_mem_alloc((size_t)C * sizeof(int64_t), "dataset-tmp");
  if (!w->cdf || !w->ccdf || !w->order || !w->class_start || !fill) {
    gs_mem_free(fill);
    return gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
  }
  double *cdf = w->cdf, *ccdf = w->ccdf;
  int64_t *order = w->order, *class_start = w->class_start;
  /* Classes and power-law weights; cdf = running sum of weights in node order. */
  const double inv = -1.0 / (o->degree_exponent - 1.0);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    ds->labels[i] = (int32_t)below(gs_rng_at(seed, stream(S_CLASS), (uint64_t)i), C);
    double wt = pow(1.0 - uniform53(gs_rng_at(seed, stream(S_WEIGHT), (uint64_t)i)), inv);
    cdf[i] = wt < (double)n ? wt : (double)n;
  }
  /* Nodes grouped by class (ascending ids within a class), with per-class running sums. */
  for (int64_t i = 0; i < n; i++) class_start[ds->labels[i] + 1]++;
  for (int32_t c = 0; c < C; c++) class_start[c + 1] += class_start[c];
  memcpy(fill, class_start, (size_t)C * sizeof(int64_t));
  for (int64_t i = 0; i < n; i++) order[fill[ds->labels[i]]++] = i;
  gs_mem_free(fill);
  for (int32_t c = 0; c < C; c++) {
    double acc = 0.0;
    for (int64_t k = class_start[c]; k < class_start[c + 1]; k++) {
      acc += cdf[order[k]];
      ccdf[k] = acc;
    }
  }
  for (int64_t i = 1; i < n; i++) cdf[i] += cdf[i - 1];
  return GS_OK;
}

/* Draws E distinct undirected edges into ds->src/dst: rounds of candidate pairs (weighted
 * first, uniform at the end), keeping the first draw of every pair and never a self-loop. */
static gs_status draw_edges(gs_dataset *ds, const sampler *w, const gs_generate_options *o,
                            gs_error *err) {
  gs_status st = GS_OK;
  const int64_t n = o->nodes, E = o->edges;
  int64_t *cu = NULL, *cv = NULL;
  cand_key *keys = NULL;
  uint8_t *keep = NULL;
  int64_t total = 0, cap_u = 0, cap_v = 0, cap_k = 0, cap_keep = 0, unique = 0;
  for (int round = 0; unique < E; round++) {
    if (round >= WEIGHTED_ROUNDS + UNIFORM_ROUNDS) {
      st = gs_error_set(err, GS_ERR_INTERNAL, "generate: could not draw %lld distinct edges",
                        (long long)E);
      goto fail;
    }
    bool uniform = round >= WEIGHTED_ROUNDS;
    /* The first round over-draws by 15% (duplicates are a few percent with hubs). */
    int64_t batch = round == 0 ? E + E / 8 + 64 : 2 * (E - unique) + 64;
    int64_t need = total + batch;
    GS_TRY(gs__grow((void **)&cu, &cap_u, need, INT64_MAX / 64, sizeof(int64_t), "dataset-tmp",
                    err));
    GS_TRY(gs__grow((void **)&cv, &cap_v, need, INT64_MAX / 64, sizeof(int64_t), "dataset-tmp",
                    err));
    GS_TRY(gs__grow((void **)&keys, &cap_k, need, INT64_MAX / 64, sizeof(cand_key), "dataset-tmp",
                    err));
    GS_TRY(gs__grow((void **)&keep, &cap_keep, need, INT64_MAX / 64, 1, "dataset-tmp", err));
#pragma omp parallel for schedule(static)
    for (int64_t k = total; k < need; k++)
      draw_candidate(o, w->cdf, w->ccdf, w->order, w->class_start, ds->labels, uniform, k,
                     &cu[k], &cv[k]);
    total = need;
    /* Keep the first draw of every pair (in draw order), never a self-loop. */
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < total; k++) {
      int64_t a = cu[k] < cv[k] ? cu[k] : cv[k], b = cu[k] < cv[k] ? cv[k] : cu[k];
      keys[k].key = a == b ? UINT64_MAX : (uint64_t)a * (uint64_t)n + (uint64_t)b;
      keys[k].index = k;
    }
    qsort(keys, (size_t)total, sizeof *keys, cmp_cand);
    memset(keep, 0, (size_t)total);
    unique = 0;
    for (int64_t k = 0; k < total; k++)
      if (keys[k].key != UINT64_MAX && (k == 0 || keys[k].key != keys[k - 1].key)) {
        keep[keys[k].index] = 1;
        unique++;
      }
  }
  int64_t e = 0;
  for (int64_t k = 0; k < total && e < E; k++)
    if (keep[k]) {
      ds->src[e] = cu[k];
      ds->dst[e] = cv[k];
      e++;
    }
fail:
  gs_mem_free(cu);
  gs_mem_free(cv);
  gs_mem_free(keys);
  gs_mem_free(keep);
  return st;
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
#pragma omp parallel for schedule(static) reduction(+ : nnz)
  for (int64_t i = 0; i < n; i++) {
    const float *cen = centroids + (int64_t)ds->labels[i] * F;
    float *row = ds->x.dense + i * F;
    for (int64_t f = 0; f < F; f++) {
      double x =
          cen[f] + o->noise * normal(gs_rng_at(seed, stream(S_FEATURE), (uint64_t)(i * F + f)));
      float v = (float)llrint(x * 1e4) / 1e4f;
      row[f] = v;
      nnz += v != 0.0f;
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
  ds->src = gs_mem_alloc((size_t)(E > 0 ? E : 1) * sizeof(int64_t), "dataset-edges");
  ds->dst = gs_mem_alloc((size_t)(E > 0 ? E : 1) * sizeof(int64_t), "dataset-edges");
  if (!ds->labels || !ds->src || !ds->dst) {
    st = gs_error_set(err, GS_ERR_NOMEM, "generate: out of memory");
    goto fail;
  }
  GS_TRY(draw_classes(&w, ds, &o, err));
  if (E > 0 && 2 * E > n * (n - 1) / 2) GS_TRY(edges_from_all_pairs(ds, &o, err));
  else if (E > 0) GS_TRY(draw_edges(ds, &w, &o, err));
  ds->num_edge_lines = E;
  if (o.features > 0) GS_TRY(make_features(ds, &o, err));
  GS_TRY(make_split(ds, &w, &o, err));
  sampler_release(&w);
  *out = ds;
  return GS_OK;
fail:
  sampler_release(&w);
  gs_dataset_free(&ds);
  return st;
}

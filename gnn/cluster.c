/* Cluster-GCN batches and their training loop (cluster.h). */
#include "gnn/cluster.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "gnn/adam.h"
#include "gnn/dense.h"
#include "gnn/input.h"
#include "gnn/loss.h"
#include "gnn/train_impl.h"
#include "sparse/subgraph.h"

gs_cluster_options gs_cluster_options_default(void) {
  gs_cluster_options o = {.clusters_per_batch = 1, .diag_lambda = 0.0, .norm = GS_NORM_SYM,
                          .eval_full = false, .eval_spill = false};
  return o;
}

struct gs_cluster {
  const gs_dataset *ds;  /* in memory: the partition-ordered store loaded whole; or NULL */
  const gs_store_reader *src; /* store-backed: parts read per batch; or NULL */
  const int64_t *part_start;  /* [parts + 1] */
  const uint8_t *marker;      /* [n] 1 + split set of each node, 0 for none */
  int64_t num_train, num_valid, features;
  const char *split_name;
  gs_featprep prep;      /* store-backed: applied to each batch's rows */
  gs_feature_stats stats; /* store-backed: of the stored features (what AUTO decides from) */
  gs_cluster_capacity cap;
  gs_cluster_options opts;
  gs_graph *g;           /* the batch graph */
  gs_features x;         /* the batch's features */
  int32_t *labels;       /* [cap.nodes] local labels */
  int64_t *idx[3];       /* [cap.nodes] local ids of the batch's train, valid, test nodes */
  int64_t count[3];
  uint8_t *own_marker;   /* in memory: the marker, built from the split lists */
  int32_t *order;        /* [parts] part order of the epoch */
  int32_t *chosen;       /* [Q] the batch's parts, ascending */
  int64_t *rowbuf;       /* store-backed: [cap.nodes + Q] the chosen parts' row pointers */
  uint32_t *colbuf;      /* store-backed: [cap.entries] their adjacency entries */
  const int64_t **rows;  /* store-backed: [Q] each chosen part's row pointers in rowbuf */
  const uint32_t **cols; /* store-backed: [Q] its entries in colbuf */
  gs_cluster_work work;  /* what has been read, built and bound (gs_cluster_work_done) */
};

gs_cluster_work gs_cluster_work_done(const gs_cluster *c) { return c->work; }

/* Counts a part read from the store: its rows always, labels and features when read. */
static void count_read(gs_cluster *c, int64_t len, int64_t entries, bool labels, bool features,
                       int64_t feature_nnz) {
  c->work.parts++;
  c->work.rows += len;
  c->work.row_entries += entries;
  if (labels) c->work.label_rows += len;
  if (features) {
    c->work.feature_rows += len;
    c->work.feature_nnz += feature_nnz;
  }
}

/* Binds the batch to m, counting the rebuild of Xᵀ that sparse features take. */
static gs_status bind_batch(gs_cluster *c, gs_model *m, gs_error *err) {
  gs_status st = gs_model_bind(m, c->g, &c->x, err);
  if (st == GS_OK && c->x.kind == GS_FEATURES_SPARSE) {
    c->work.bound++;
    c->work.bound_rows += c->x.rows;
    c->work.bound_nnz += c->x.sparse.nnz;
  }
  return st;
}

/* Sum of the q largest of v[0..n) (v is reordered). */
static int64_t sum_largest(int64_t *v, int32_t n, int32_t q) {
  int64_t sum = 0;
  for (int32_t k = 0; k < q; k++) { /* q partial selection passes: q and n are small */
    int32_t best = k;
    for (int32_t i = k + 1; i < n; i++)
      if (v[i] > v[best]) best = i;
    int64_t t = v[k];
    v[k] = v[best];
    v[best] = t;
    sum += v[k];
  }
  return sum;
}

/* The capacity of q of P parts from the parts' sizes (v [3P]: nodes, entries of A_hat, feature
 * entries; reordered). */
static gs_cluster_capacity capacity_from(int64_t *v, int32_t P, int32_t q) {
  gs_cluster_capacity c = {.parts = P, .clusters_per_batch = q};
  c.nodes = sum_largest(v, P, q);
  c.entries = sum_largest(v + P, P, q);
  c.feature_nnz = sum_largest(v + 2 * P, P, q);
  return c;
}

gs_status gs_cluster_capacity_of(gs_cluster_capacity *out, const gs_dataset *ds, int32_t q,
                                 gs_error *err) {
  if (!ds || ds->parts < 1 || !ds->part_start || !ds->adj_rowptr)
    return gs_error_set(err, GS_ERR_INVALID,
                        "Cluster-GCN needs a partition-ordered store (gnnscale partition)");
  const int32_t P = ds->parts;
  if (q < 1 || q > P)
    return gs_error_set(err, GS_ERR_INVALID, "%d clusters per batch: expected 1 to %d (the parts)",
                        q, P);
  int64_t *v = malloc((size_t)P * 3 * sizeof *v);
  if (!v) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  const int64_t *ps = ds->part_start;
  for (int32_t p = 0; p < P; p++) {
    v[p] = ps[p + 1] - ps[p];
    v[P + p] = ds->adj_rowptr[ps[p + 1]] - ds->adj_rowptr[ps[p]] + v[p];
    v[2 * P + p] = ds->x.kind == GS_FEATURES_SPARSE
                       ? ds->x.sparse.rowptr[ps[p + 1]] - ds->x.sparse.rowptr[ps[p]]
                       : 0;
  }
  *out = capacity_from(v, P, q);
  free(v);
  return GS_OK;
}

gs_status gs_cluster_capacity_of_store(gs_cluster_capacity *out, const gs_store_reader *r,
                                       int32_t q, gs_error *err) {
  const int32_t P = r ? gs_store_reader_info(r)->parts : 0;
  if (P < 1)
    return gs_error_set(err, GS_ERR_INVALID,
                        "Cluster-GCN needs a partition-ordered store (gnnscale partition)");
  if (q < 1 || q > P)
    return gs_error_set(err, GS_ERR_INVALID, "%d clusters per batch: expected 1 to %d (the parts)",
                        q, P);
  int64_t *v = malloc((size_t)P * 3 * sizeof *v);
  if (!v) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  const int64_t *ps = gs_store_reader_part_start(r);
  for (int32_t p = 0; p < P; p++) {
    v[p] = ps[p + 1] - ps[p];
    v[P + p] = gs_store_reader_part_entries(r, p) + v[p];
    v[2 * P + p] = gs_store_reader_part_feature_nnz(r, p);
  }
  *out = capacity_from(v, P, q);
  free(v);
  return GS_OK;
}

gs_model_shape gs_cluster_shape(const gs_cluster_capacity *cap, const gs_dataset *ds,
                                gs_norm norm) {
  return gs_cluster_shape_of(cap, ds->x.cols, ds->x.kind == GS_FEATURES_SPARSE, ds->num_classes,
                             norm);
}

gs_model_shape gs_cluster_shape_of(const gs_cluster_capacity *cap, int64_t features,
                                   bool sparse_features, int64_t classes, gs_norm norm) {
  gs_model_shape s = {0};
  s.nodes = cap->nodes;
  s.adj_nnz = cap->entries;
  s.adj_transpose = norm == GS_NORM_ROW;
  s.features = features;
  s.sparse_features = sparse_features;
  s.feature_nnz = sparse_features ? cap->feature_nnz : cap->nodes * features;
  s.classes = classes;
  return s;
}

int64_t gs_cluster_state_bytes(const gs_cluster_capacity *cap, int64_t graph_nodes, int64_t f,
                               bool sparse_features, gs_norm norm) {
  const int64_t nb = cap->nodes;
  int64_t bytes = gs_graph_batch_bytes(nb, cap->entries, cap->parts, norm);
  bytes += sparse_features ? gs_csr_bytes(nb, cap->feature_nnz) : 4 * nb * f;
  bytes += 4 * nb + 3 * 8 * nb + graph_nodes + 4 * (int64_t)cap->parts +
           4 * (int64_t)cap->clusters_per_batch;
  return bytes;
}

int64_t gs_cluster_store_state_bytes(const gs_cluster_capacity *cap, int64_t f,
                                     bool sparse_features, gs_norm norm) {
  const int64_t Q = cap->clusters_per_batch;
  return gs_cluster_state_bytes(cap, 0, f, sparse_features, norm) + 8 * (cap->nodes + Q) +
         4 * cap->entries + 16 * Q;
}

void gs_cluster_free(gs_cluster **pc) {
  if (!pc || !*pc) return;
  gs_cluster *c = *pc;
  gs_graph_free(&c->g);
  gs_mem_free(c->x.dense);
  gs_csr_release(&c->x.sparse);
  gs_mem_free(c->labels);
  for (int s = 0; s < 3; s++) gs_mem_free(c->idx[s]);
  gs_mem_free(c->own_marker);
  gs_mem_free(c->order);
  gs_mem_free(c->chosen);
  gs_mem_free(c->rowbuf);
  gs_mem_free(c->colbuf);
  gs_mem_free((void *)c->rows);
  gs_mem_free((void *)c->cols);
  free(c);
  *pc = NULL;
}

const gs_features *gs_cluster_features(const gs_cluster *c) { return &c->x; }

gs_featprep gs_cluster_prep(const gs_cluster *c, gs_feature_stats *stats) {
  if (stats) *stats = c->stats;
  return c->prep;
}

/* The batch state common to both sources, at capacity cap: batch graph, features (kind,
 * width f), local labels and lists, the part order; n bytes of marker when own_marker. */
static gs_status cluster_alloc(gs_cluster **out, const gs_cluster_capacity *cap,
                               const gs_cluster_options *opts, gs_feature_kind kind, int64_t f,
                               int64_t own_marker_nodes, gs_error *err) {
  gs_status st = GS_OK;
  if (opts->diag_lambda < 0.0 || !isfinite(opts->diag_lambda))
    return gs_error_set(err, GS_ERR_INVALID, "diagonal enhancement %g must be >= 0",
                        opts->diag_lambda);
  gs_cluster *c = calloc(1, sizeof *c); /* a few words, as a graph's handle */
  if (!c) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  c->cap = *cap;
  c->opts = *opts;
  c->features = f;
  const int64_t nb = cap->nodes;
  GS_TRY(gs_graph_batch_new(&c->g, nb, cap->entries, cap->parts, opts->norm, err));
  c->x.kind = kind;
  c->x.rows = nb;
  c->x.cols = f;
  if (kind == GS_FEATURES_DENSE) {
    c->x.nnz = nb * f;
    c->x.dense = gs_mem_calloc((size_t)(nb * f), sizeof(float), "cluster");
    if (!c->x.dense) goto nomem;
  } else {
    GS_TRY(gs_csr_alloc(&c->x.sparse, nb, f, cap->feature_nnz, "cluster", err));
    /* At capacity until the first batch: zero columns, so that a model made from it can
     * transpose it. */
    memset(c->x.sparse.col, 0, (size_t)cap->feature_nnz * sizeof(int64_t));
    memset(c->x.sparse.val, 0, (size_t)cap->feature_nnz * sizeof(float));
    for (int64_t i = 0; i <= nb; i++) c->x.sparse.rowptr[i] = i < nb ? 0 : cap->feature_nnz;
    c->x.nnz = cap->feature_nnz;
  }
  c->labels = gs_mem_alloc((size_t)nb * sizeof *c->labels, "cluster");
  for (int s = 0; s < 3; s++) c->idx[s] = gs_mem_alloc((size_t)nb * sizeof(int64_t), "cluster");
  if (own_marker_nodes > 0) {
    c->own_marker = gs_mem_calloc((size_t)own_marker_nodes, 1, "cluster");
    if (!c->own_marker) goto nomem;
  }
  c->order = gs_mem_alloc((size_t)cap->parts * sizeof *c->order, "cluster");
  c->chosen = gs_mem_alloc((size_t)cap->clusters_per_batch * sizeof *c->chosen, "cluster");
  if (!c->labels || !c->idx[0] || !c->idx[1] || !c->idx[2] || !c->order || !c->chosen)
    goto nomem;
  *out = c;
  return GS_OK;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for Cluster-GCN batches of %lld nodes",
                    (long long)nb);
fail:
  gs_cluster_free(&c);
  return st;
}

gs_status gs_cluster_new(gs_cluster **out, const gs_dataset *ds, const gs_cluster_capacity *cap,
                         const gs_cluster_options *opts, gs_error *err) {
  if (!out || !ds || !cap || !opts || ds->x.kind == GS_FEATURES_NONE || !ds->labels ||
      !ds->part_start)
    return gs_error_set(err, GS_ERR_INVALID, "Cluster-GCN needs features, labels and parts");
  gs_cluster *c = NULL;
  gs_status st = cluster_alloc(&c, cap, opts, ds->x.kind, ds->x.cols, ds->num_nodes, err);
  if (st != GS_OK) return st;
  c->ds = ds;
  c->part_start = ds->part_start;
  c->num_train = ds->num_train;
  c->num_valid = ds->num_valid;
  c->split_name = ds->split_name;
  c->prep = GS_FEATPREP_RAW; /* the caller prepared ds's features */
  const int64_t *sets[3] = {ds->train, ds->valid, ds->test};
  const int64_t counts[3] = {ds->num_train, ds->num_valid, ds->num_test};
  for (int s = 0; s < 3; s++)
    for (int64_t k = 0; k < counts[s]; k++) c->own_marker[sets[s][k]] = (uint8_t)(s + 1);
  c->marker = c->own_marker;
  *out = c;
  return GS_OK;
}

/* The statistics of the store's features as stored (gs_feature_stats_of's over the whole
 * matrix, bit for bit), gathered part by part through the batch's feature buffer. */
static gs_status store_feature_stats(gs_cluster *c, gs_feature_stats *out, gs_error *err) {
  const gs_store_info *info = gs_store_reader_info(c->src);
  const int64_t *ps = c->part_start;
  const bool sparse = c->x.kind == GS_FEATURES_SPARSE;
  gs_feature_stats_acc acc;
  memset(&acc, 0, sizeof acc);
  for (int32_t p = 0; p < c->cap.parts; p++) {
    gs_store_part dst = {0};
    if (sparse) {
      dst.feat_rowptr = c->x.sparse.rowptr;
      dst.feat_col = c->x.sparse.col;
      dst.feat_val = c->x.sparse.val;
    } else {
      dst.dense = c->x.dense;
    }
    gs_status st = gs_store_reader_read_part(c->src, p, &dst, err);
    if (st != GS_OK) return st;
    gs_features part = c->x;
    part.rows = ps[p + 1] - ps[p];
    if (sparse) {
      const int64_t f0 = c->x.sparse.rowptr[0];
      for (int64_t i = 0; i <= part.rows; i++) c->x.sparse.rowptr[i] -= f0;
    }
    gs_feature_stats_add(&acc, &part);
  }
  acc.nnz = info->feature_nnz; /* the stored count of non-zeros, as a loaded store holds it */
  *out = gs_feature_stats_finish(&acc);
  return GS_OK;
}

gs_status gs_cluster_new_store(gs_cluster **out, const gs_store_reader *src,
                               const gs_cluster_capacity *cap, gs_featprep prep,
                               const gs_cluster_options *opts, gs_error *err) {
  gs_status st = GS_OK;
  if (!out || !src || !cap || !opts)
    return gs_error_set(err, GS_ERR_INVALID, "gs_cluster_new_store: bad argument");
  const gs_store_info *info = gs_store_reader_info(src);
  if (info->feature_kind == GS_FEATURES_NONE || info->num_classes < 1)
    return gs_error_set(err, GS_ERR_INVALID, "Cluster-GCN needs features and labels");
  gs_cluster *c = NULL;
  GS_TRY(cluster_alloc(&c, cap, opts, info->feature_kind, info->file_features, 0, err));
  c->src = src;
  c->part_start = gs_store_reader_part_start(src);
  c->marker = gs_store_reader_marker(src);
  c->num_train = info->num_train;
  c->num_valid = info->num_valid;
  c->split_name = info->split_name;
  c->prep = prep;
  const int64_t Q = cap->clusters_per_batch;
  c->rowbuf = gs_mem_alloc((size_t)(cap->nodes + Q) * sizeof *c->rowbuf, "cluster");
  c->colbuf = gs_mem_alloc((size_t)cap->entries * sizeof *c->colbuf, "cluster");
  c->rows = gs_mem_alloc((size_t)Q * sizeof *c->rows, "cluster");
  c->cols = gs_mem_alloc((size_t)Q * sizeof *c->cols, "cluster");
  if (!c->rowbuf || !c->colbuf || !c->rows || !c->cols) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for Cluster-GCN's read buffers");
    goto fail;
  }
  GS_TRY(store_feature_stats(c, &c->stats, err));
  if (prep == GS_FEATPREP_AUTO) c->prep = gs_featprep_choose(&c->stats);
  *out = c;
  return GS_OK;
fail:
  gs_cluster_free(&c);
  return st;
}

/* Reads the chosen parts (ascending in c->chosen) from the store into the batch buffers: row
 * pointers and entries into rowbuf and colbuf, features and labels straight into the batch's
 * own arrays (sparse feature row pointers rebased as each part lands), then the batch graph
 * from those rows and the features prepared row by row. */
static gs_status read_batch(gs_cluster *c, int32_t count, gs_error *err) {
  const int64_t *ps = c->part_start, f = c->features;
  const bool sparse = c->x.kind == GS_FEATURES_SPARSE;
  int64_t local = 0, fnnz = 0, roff = 0, coff = 0;
  for (int32_t k = 0; k < count; k++) {
    const int32_t p = c->chosen[k];
    const int64_t len = ps[p + 1] - ps[p], entries = gs_store_reader_part_entries(c->src, p);
    const int64_t pf = gs_store_reader_part_feature_nnz(c->src, p);
    if (local + len > c->cap.nodes || coff + entries > c->cap.entries ||
        fnnz + pf > (sparse ? c->cap.feature_nnz : 0))
      return gs_error_set(err, GS_ERR_RANGE, "a batch outgrew its capacity at part %d", p);
    gs_store_part dst = {.rowptr = c->rowbuf + roff, .col = c->colbuf + coff,
                         .labels = c->labels + local};
    if (sparse) {
      dst.feat_rowptr = c->x.sparse.rowptr + local;
      dst.feat_col = c->x.sparse.col + fnnz;
      dst.feat_val = c->x.sparse.val + fnnz;
    } else {
      dst.dense = c->x.dense + local * f;
    }
    gs_status st = gs_store_reader_read_part(c->src, p, &dst, err);
    if (st != GS_OK) return st;
    count_read(c, len, entries, true, true, sparse ? pf : 0);
    if (sparse) { /* stored offsets to batch offsets */
      const int64_t f0 = dst.feat_rowptr[0];
      for (int64_t i = 0; i <= len; i++) dst.feat_rowptr[i] = dst.feat_rowptr[i] - f0 + fnnz;
    }
    c->rows[k] = dst.rowptr;
    c->cols[k] = dst.col;
    roff += len + 1;
    coff += entries;
    fnnz += pf;
    local += len;
  }
  gs_status st = gs_graph_induce_rows(c->g, c->rows, c->cols, ps, c->chosen, count,
                                      c->opts.diag_lambda, err);
  if (st != GS_OK) return st;
  c->work.batches++;
  c->work.batch_rows += local;
  c->work.batch_row_entries += coff;
  c->work.kept += gs_graph_nnz(c->g);
  c->x.rows = local;
  if (sparse) {
    c->x.sparse.nrows = local;
    c->x.sparse.nnz = fnnz;
  }
  gs_features_prepare(&c->x, c->prep);
  return GS_OK;
}

/* Builds the batch of the given parts: graph, features, local labels and the local split
 * lists, from the dataset in memory or read from the store. */
static gs_status make_batch(gs_cluster *c, const int32_t *parts, int32_t count, gs_error *err) {
  const gs_dataset *ds = c->ds;
  const int64_t *ps = c->part_start;
  for (int32_t k = 0; k < count; k++) { /* ascending (insertion sort: count is small) */
    int32_t v = parts[k], j = k;
    while (j > 0 && c->chosen[j - 1] > v) {
      c->chosen[j] = c->chosen[j - 1];
      j--;
    }
    c->chosen[j] = v;
  }
  const int64_t f = c->features;
  int64_t local = 0, fnnz = 0;
  c->count[0] = c->count[1] = c->count[2] = 0;
  if (c->src) {
    gs_status st = read_batch(c, count, err);
    if (st != GS_OK) return st;
  } else {
    gs_status st = gs_graph_induce(c->g, ds->adj_rowptr, ds->adj_col, ps, c->chosen, count,
                                   c->opts.diag_lambda, err);
    if (st != GS_OK) return st;
  }
  for (int32_t k = 0; k < count; k++) {
    const int64_t v0 = ps[c->chosen[k]], v1 = ps[c->chosen[k] + 1], len = v1 - v0;
    if (!c->src && ds->x.kind == GS_FEATURES_DENSE) {
      memcpy(c->x.dense + local * f, ds->x.dense + v0 * f, (size_t)(len * f) * sizeof(float));
    } else if (!c->src) {
      const gs_csr *x = &ds->x.sparse;
      const int64_t e0 = x->rowptr[v0], e1 = x->rowptr[v1];
      memcpy(c->x.sparse.col + fnnz, x->col + e0, (size_t)(e1 - e0) * sizeof(int64_t));
      memcpy(c->x.sparse.val + fnnz, x->val + e0, (size_t)(e1 - e0) * sizeof(float));
      for (int64_t v = v0; v < v1; v++)
        c->x.sparse.rowptr[local + (v - v0) + 1] = fnnz + x->rowptr[v + 1] - e0;
      fnnz += e1 - e0;
    }
    for (int64_t v = v0; v < v1; v++, local++) {
      if (!c->src) c->labels[local] = ds->labels[v];
      const int s = c->marker[v];
      if (s) c->idx[s - 1][c->count[s - 1]++] = local;
    }
  }
  c->x.rows = local;
  if (c->x.kind == GS_FEATURES_DENSE) {
    c->x.nnz = local * f;
  } else {
    if (!c->src) {
      c->x.sparse.nrows = local;
      c->x.sparse.nnz = fnnz;
    }
    c->x.sparse.rowptr[0] = 0;
    c->x.nnz = c->x.sparse.nnz;
  }
  return GS_OK;
}

/* Evaluation over all parts, Q at a time in order: validation loss and accuracy, test and
 * training accuracy, each over all of its nodes; the seconds spent building and binding the
 * batches are added to *build. */
static gs_status evaluate(gs_cluster *c, gs_model *m, int64_t step, double *val_loss,
                          double acc[3], double *build, gs_error *err) {
  const int32_t P = c->cap.parts, Q = c->cap.clusters_per_batch;
  const int64_t classes = gs_model_layout_of(m)->shape.classes;
  double loss_sum = 0.0, correct[3] = {0, 0, 0};
  int64_t total[3] = {0, 0, 0};
  for (int32_t p = 0; p < P; p++) c->order[p] = p;
  for (int32_t b = 0; b < P; b += Q) {
    const int32_t count = P - b < Q ? P - b : Q;
    const double t0 = gs_clock_seconds();
    gs_status st = make_batch(c, c->order + b, count, err);
    if (st == GS_OK) st = bind_batch(c, m, err);
    *build += gs_clock_seconds() - t0;
    const float *logits = NULL;
    if (st == GS_OK) st = gs_model_forward(m, false, step, &logits, err);
    if (st != GS_OK) return st;
    const int64_t nb = gs_model_nodes(m);
    if (c->count[1] > 0)
      loss_sum += gs_softmax_xent(NULL, logits, c->labels, c->idx[1], c->count[1], nb, classes) *
                  (double)c->count[1];
    for (int s = 0; s < 3; s++) {
      if (c->count[s] == 0) continue;
      correct[s] += gs_accuracy(logits, c->labels, c->idx[s], c->count[s], classes) *
                    (double)c->count[s];
      total[s] += c->count[s];
    }
  }
  *val_loss = total[1] ? loss_sum / (double)total[1] : 0.0;
  for (int s = 0; s < 3; s++) acc[s] = total[s] ? correct[s] / (double)total[s] : 0.0;
  return GS_OK;
}

/* ------------------------------------------------ exact evaluation over the whole graph */

/* The widest layer output of L (hidden width or classes). */
static int64_t widest_output(const gs_model_layout *L) {
  int64_t w = 0;
  for (int32_t l = 0; l < L->depth; l++)
    if (L->layer[l].out > w) w = L->layer[l].out;
  return w;
}

int64_t gs_cluster_full_eval_bytes(int64_t graph_nodes, const gs_model_layout *L) {
  return 4 * graph_nodes + 2 * 4 * graph_nodes * widest_output(L);
}

int64_t gs_cluster_full_eval_spill_bytes(int64_t graph_nodes, int64_t chunk_nodes,
                                         const gs_model_layout *L) {
  return 4 * graph_nodes + 4 * (graph_nodes + chunk_nodes) * widest_output(L);
}

gs_status gs_cluster_full_eval_check(const gs_model_layout *L, gs_norm norm, gs_error *err) {
  bool plain = L->config.family == GS_MODEL_GCN && norm == GS_NORM_SYM;
  for (int32_t l = 0; l < L->depth && plain; l++)
    plain = L->layer[l].aggregates && !L->layer[l].residual && !L->layer[l].norm;
  if (!plain)
    return gs_error_set(err, GS_ERR_INVALID,
                        "evaluation over the whole graph covers plain GCN layers with symmetric "
                        "normalisation (no residual, no layer norm): use batched evaluation");
  return GS_OK;
}

/* One part as the whole-graph evaluation reads it: its rows (row pointers with any base, as
 * gs_graph_induce_rows takes them), labels, and its prepared features. */
typedef struct {
  int64_t v0, len;
  const int64_t *rowptr;
  const uint32_t *col; /* entries of local row r: col[rowptr[r] - rowptr[0] ..) */
  const int32_t *labels;
  gs_features x;
} part_view;

/* Reads part p: rows always, labels and features when asked, into the batch buffers (store)
 * or as views of the dataset (in memory). */
static gs_status read_part(gs_cluster *c, int32_t p, bool labels, bool features, part_view *out,
                           gs_error *err) {
  const int64_t *ps = c->part_start, v0 = ps[p], len = ps[p + 1] - ps[p];
  part_view v = {.v0 = v0, .len = len};
  if (c->ds) {
    const gs_dataset *ds = c->ds;
    v.rowptr = ds->adj_rowptr + v0;
    v.col = ds->adj_col + ds->adj_rowptr[v0];
    v.labels = ds->labels + v0;
    v.x = ds->x;
    v.x.rows = len;
    if (ds->x.kind == GS_FEATURES_DENSE) {
      v.x.dense = ds->x.dense + v0 * ds->x.cols;
    } else { /* row pointers keep their global offsets: col and val are the dataset's */
      v.x.sparse.rowptr = ds->x.sparse.rowptr + v0;
      v.x.sparse.nrows = len;
    }
    *out = v;
    return GS_OK;
  }
  const bool sparse = c->x.kind == GS_FEATURES_SPARSE;
  gs_store_part dst = {.rowptr = c->rowbuf, .col = c->colbuf, .labels = labels ? c->labels : NULL};
  if (features && sparse) {
    dst.feat_rowptr = c->x.sparse.rowptr;
    dst.feat_col = c->x.sparse.col;
    dst.feat_val = c->x.sparse.val;
  } else if (features) {
    dst.dense = c->x.dense;
  }
  gs_status st = gs_store_reader_read_part(c->src, p, &dst, err);
  if (st != GS_OK) return st;
  count_read(c, len, gs_store_reader_part_entries(c->src, p), labels, features,
             features && sparse ? gs_store_reader_part_feature_nnz(c->src, p) : 0);
  v.rowptr = c->rowbuf;
  v.col = c->colbuf;
  v.labels = c->labels;
  if (features) {
    v.x = c->x;
    v.x.rows = len;
    if (sparse) {
      const int64_t f0 = c->x.sparse.rowptr[0];
      for (int64_t i = 0; i <= len; i++) c->x.sparse.rowptr[i] -= f0;
      v.x.sparse.nrows = len;
      v.x.sparse.nnz = c->x.sparse.rowptr[len];
      v.x.nnz = v.x.sparse.nnz;
    } else {
      v.x.nnz = len * c->features;
    }
    gs_features_prepare(&v.x, c->prep);
  }
  *out = v;
  return GS_OK;
}

/* One block of W columns from c0 of row i (W a constant, so that the sum stays in vector
 * registers, as in gs_csr_spmm's row kernel, sparse/csr.c): acc = self·T[i] + Σ T[u] in
 * neighbour order, then z = act(d·acc + b). The first block prefetches the row of T that the
 * entry `dist` ahead will need; later blocks find theirs in cache. */
#define AGG_BLOCK(W)                                                               \
  do {                                                                             \
    float acc[W];                                                                  \
    _Pragma("omp simd") for (int j = 0; j < (W); j++) acc[j] = self * ti[c0 + j];  \
    for (int64_t e = e0; e < e1; e++) {                                            \
      if (c0 == 0 && e + dist < e1) {                                              \
        const float *q = T + (int64_t)col[e + dist] * out;                         \
        for (int64_t o = 0; o < out; o += 16) __builtin_prefetch(q + o, 0, 3);     \
      }                                                                            \
      const float *restrict tu = T + (int64_t)col[e] * out + c0;                   \
      _Pragma("omp simd") for (int j = 0; j < (W); j++) acc[j] += tu[j];           \
    }                                                                              \
    for (int j = 0; j < (W); j++) {                                                \
      const float y = d * acc[j] + b[c0 + j];                                      \
      z[c0 + j] = relu && y < 0.0f ? 0.0f : y;                                     \
    }                                                                              \
  } while (0)

/* Z rows of part v (out wide; Z is the part's first row) = dinv ⊙ ((1 + λ)·T[v] +
 * Σ_{u ∈ N(v)} T[u]) + b, T pre-scaled by dinv: D^-1/2 (A + I) D^-1/2 with the diagonal enhanced, rows of the whole graph. ReLU on
 * hidden layers. Row-parallel; each element summed in its neighbours' order, in register
 * blocks of 32, 16 and 8 columns and one of the 1 to 7 left (the same sums either way). */
static void aggregate_rows(float *Z, const float *T, const part_view *v, const float *dinv,
                           const float *b, int64_t out, float self, bool relu) {
  GS_KERNEL_BEGIN();
  const int64_t base = v->rowptr[0];
  const uint32_t *col = v->col;
  const int64_t dist = 1024 / out < 8 ? 8 : 1024 / out > 64 ? 64 : 1024 / out;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < v->len; r++) {
    const int64_t i = v->v0 + r, e0 = v->rowptr[r] - base, e1 = v->rowptr[r + 1] - base;
    float *z = Z + r * out;
    const float *ti = T + i * out;
    const float d = dinv[i];
    int64_t c0 = 0;
    for (; c0 + 32 <= out; c0 += 32) AGG_BLOCK(32);
    if (c0 + 16 <= out) {
      AGG_BLOCK(16);
      c0 += 16;
    }
    if (c0 + 8 <= out) {
      AGG_BLOCK(8);
      c0 += 8;
    }
    switch (out - c0) { /* the rest (a class count such as 15) as one block */
      case 7: AGG_BLOCK(7); break;
      case 6: AGG_BLOCK(6); break;
      case 5: AGG_BLOCK(5); break;
      case 4: AGG_BLOCK(4); break;
      case 3: AGG_BLOCK(3); break;
      case 2: AGG_BLOCK(2); break;
      case 1: AGG_BLOCK(1); break;
      default: break;
    }
  }
  GS_KERNEL_END(GS_FLOPS_AGGREGATE, 2 * (v->rowptr[v->len] - v->rowptr[0] + v->len) * out);
}

/* The spill file's rows [v0, v0 + len) of width w: written or read back with pwrite / pread. */
static gs_status spill_io(int fd, bool write, float *rows, int64_t v0, int64_t len, int64_t w,
                          gs_error *err) {
  char *p = (char *)rows;
  size_t left = (size_t)(len * w) * sizeof(float);
  off_t at = (off_t)(v0 * w) * (off_t)sizeof(float);
  while (left > 0) {
    const ssize_t got = write ? pwrite(fd, p, left, at) : pread(fd, p, left, at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      return gs_error_set(err, GS_ERR_IO, "whole-graph evaluation's temporary file: %s failed: %s",
                          write ? "write" : "read", got < 0 ? strerror(errno) : "short read");
    p += got;
    left -= (size_t)got;
    at += got;
  }
  return GS_OK;
}

/* Evaluation of m over the whole graph, layer by layer, each layer's rows part by part (a
 * plain GCN: gs_cluster_full_eval_check): T = dinv ⊙ (H·W) for every node into t, then each
 * part's rows aggregated from T over all their links into h; the last layer's rows are the
 * logits, scored part by part. buf: [n] dinv (filled on the first call), then t (n x the
 * widest output) and h: n rows of it, or with spill_fd >= 0 a chunk of cap.nodes rows, each
 * part's output written to the file and read back by the next layer (the same arithmetic in
 * the same order). The seconds spent reading parts (and the file) are added to *build. */
static gs_status evaluate_full(gs_cluster *c, gs_model *m, float *buf, int spill_fd,
                               bool *have_dinv, double *val_loss, double acc[3], double *build,
                               gs_error *err) {
  const gs_model_layout *L = gs_model_layout_of(m);
  const int32_t P = c->cap.parts;
  const int64_t n = c->part_start[P], classes = L->shape.classes, w = widest_output(L);
  const bool spill = spill_fd >= 0;
  float *dinv = buf, *t = buf + n, *h = t + n * w;
  const float *params = gs_model_params(m);
  const float self = (float)(1.0 + c->opts.diag_lambda);
  gs_status st = GS_OK;
  part_view v;
  if (!*have_dinv) { /* the graph's own degrees, self loop included */
    for (int32_t p = 0; p < P; p++) {
      const double t0 = gs_clock_seconds();
      st = read_part(c, p, false, false, &v, err);
      *build += gs_clock_seconds() - t0;
      if (st != GS_OK) return st;
      for (int64_t r = 0; r < v.len; r++)
        dinv[v.v0 + r] = (float)(1.0 / sqrt((double)(v.rowptr[r + 1] - v.rowptr[r] + 1)));
    }
    *have_dinv = true;
  }
  double loss_sum = 0.0, correct[3] = {0, 0, 0};
  int64_t total[3] = {0, 0, 0};
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    const float *W = params + d->w_offset, *b = params + d->b_offset;
    for (int32_t p = 0; p < P; p++) { /* T = dinv ⊙ (H·W) */
      const int64_t v0 = c->part_start[p], len = c->part_start[p + 1] - v0;
      float *tp = t + v0 * d->out;
      if (l == 0) {
        const double t0 = gs_clock_seconds();
        st = read_part(c, p, false, true, &v, err);
        *build += gs_clock_seconds() - t0;
        if (st != GS_OK) return st;
        if (v.x.kind == GS_FEATURES_SPARSE)
          gs_input_forward(tp, &v.x.sparse, W, d->out, 0.0f, L->config.seed, 0);
        else
          gs_dense_matmul(tp, v.x.dense, W, len, d->out, d->in, false, false, false);
      } else {
        const float *hp = h + v0 * d->in;
        if (spill) {
          const double t0 = gs_clock_seconds();
          st = spill_io(spill_fd, false, h, v0, len, d->in, err);
          *build += gs_clock_seconds() - t0;
          if (st != GS_OK) return st;
          hp = h;
        }
        gs_dense_matmul(tp, hp, W, len, d->out, d->in, false, false, false);
      }
      for (int64_t r = 0; r < len; r++)
        for (int64_t j = 0; j < d->out; j++) tp[r * d->out + j] *= dinv[v0 + r];
    }
    const bool last = l == L->depth - 1;
    for (int32_t p = 0; p < P; p++) { /* h = act(dinv ⊙ (Â-pattern · T) + b) */
      const double t0 = gs_clock_seconds();
      st = read_part(c, p, last, false, &v, err);
      *build += gs_clock_seconds() - t0;
      if (st != GS_OK) return st;
      float *hp = spill ? h : h + v.v0 * d->out;
      aggregate_rows(hp, t, &v, dinv, b, d->out, self, !last);
      if (!last) {
        if (spill) {
          const double t1 = gs_clock_seconds();
          st = spill_io(spill_fd, true, hp, v.v0, v.len, d->out, err);
          *build += gs_clock_seconds() - t1;
          if (st != GS_OK) return st;
        }
        continue;
      }
      int64_t count[3] = {0, 0, 0};
      for (int64_t r = 0; r < v.len; r++) {
        const int s = c->marker[v.v0 + r];
        if (s) c->idx[s - 1][count[s - 1]++] = r;
      }
      const float *logits = hp;
      if (count[1] > 0)
        loss_sum += gs_softmax_xent(NULL, logits, v.labels, c->idx[1], count[1], v.len, classes) *
                    (double)count[1];
      for (int s = 0; s < 3; s++) {
        if (count[s] == 0) continue;
        correct[s] += gs_accuracy(logits, v.labels, c->idx[s], count[s], classes) *
                      (double)count[s];
        total[s] += count[s];
      }
    }
  }
  *val_loss = total[1] ? loss_sum / (double)total[1] : 0.0;
  for (int s = 0; s < 3; s++) acc[s] = total[s] ? correct[s] / (double)total[s] : 0.0;
  return GS_OK;
}

/* An unlinked temporary file for the spilled layers (gone when closed, or when the process
 * dies), in $TMPDIR or /tmp. */
static gs_status spill_open(int *fd, gs_error *err) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/gnnscale-eval.tmp.XXXXXX", dir && *dir ? dir : "/tmp");
  *fd = mkstemp(path);
  if (*fd < 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot create the whole-graph evaluation's temporary "
                        "file: %s", path, strerror(errno));
  unlink(path);
  return GS_OK;
}

gs_status gs_cluster_train(gs_train_result *result, gs_model *m, gs_cluster *c,
                           const gs_train_options *opts, gs_error *err) {
  gs_status st = GS_OK;
  gs__epochs e;
  memset(&e, 0, sizeof e);
  float *eval_buf = NULL;
  int spill_fd = -1;
  bool have_dinv = false;
  const gs_model_layout *L = gs_model_layout_of(m);
  const int64_t classes = L->shape.classes;
  const int32_t P = c->cap.parts, Q = c->cap.clusters_per_batch;
  if (c->num_train < 1 || c->num_valid < 1)
    return gs_error_set(err, GS_ERR_INVALID,
                        "split '%s' needs training and validation nodes (has %lld and %lld)",
                        c->split_name, (long long)c->num_train, (long long)c->num_valid);
  if (opts->epochs < 1) return gs_error_set(err, GS_ERR_INVALID, "epochs must be at least 1");
  if (!(opts->lr > 0.0) || !isfinite(opts->lr))
    return gs_error_set(err, GS_ERR_INVALID, "learning rate %g must be positive", opts->lr);
  const int32_t epochs = opts->epochs;
  GS_TRY(gs__epochs_open(&e, opts, true, err));
  if (c->opts.eval_full) {
    GS_TRY(gs_cluster_full_eval_check(L, c->opts.norm, err));
    const int64_t bytes =
        c->opts.eval_spill ? gs_cluster_full_eval_spill_bytes(c->part_start[P], c->cap.nodes, L)
                           : gs_cluster_full_eval_bytes(c->part_start[P], L);
    if (c->opts.eval_spill) GS_TRY(spill_open(&spill_fd, err));
    eval_buf = gs_mem_alloc((size_t)bytes, "cluster-eval");
    if (!eval_buf) {
      st = gs_error_set(err, GS_ERR_NOMEM,
                        "out of memory for the whole-graph evaluation (%lld bytes)",
                        (long long)bytes);
      goto fail;
    }
  }
  gs_adam_config adam = gs_adam_default();
  adam.lr = opts->lr;
  float *dlogits = gs_model_dlogits(m);
  const uint64_t seed = L->config.seed;
  int64_t step = 0;
  for (int32_t epoch = 1; epoch <= epochs; epoch++) {
    gs__epochs_begin(&e);
    const double t0 = gs_clock_seconds();
    /* The epoch's part order: Fisher-Yates on the counter generator (seed, epoch). */
    const uint64_t stream = gs_rng_stream(GS_RNG_STREAM_SHUFFLE, (uint64_t)epoch, 0);
    for (int32_t p = 0; p < P; p++) c->order[p] = p;
    for (int32_t p = P - 1; p > 0; p--) {
      int32_t j = (int32_t)(gs_rng_at(seed, stream, (uint64_t)p) % (uint64_t)(p + 1));
      int32_t t = c->order[p];
      c->order[p] = c->order[j];
      c->order[j] = t;
    }
    double loss_sum = 0.0, build = 0.0;
    int64_t loss_nodes = 0;
    for (int32_t b = 0; b < P; b += Q) {
      const int32_t count = P - b < Q ? P - b : Q;
      const double tb = gs_clock_seconds();
      GS_TRY(make_batch(c, c->order + b, count, err));
      if (c->count[0] == 0) { /* no training node in this batch: nothing to learn */
        build += gs_clock_seconds() - tb;
        continue;
      }
      GS_TRY(bind_batch(c, m, err));
      build += gs_clock_seconds() - tb;
      step++;
      const float *logits = NULL;
      GS_TRY(gs_model_forward(m, true, step, &logits, err));
      const double loss = gs_softmax_xent(dlogits, logits, c->labels, c->idx[0], c->count[0],
                                          gs_model_nodes(m), classes);
      if (!isfinite(loss)) {
        st = gs_error_set(err, GS_ERR_NUMERIC, "training loss became %g at epoch %d", loss, epoch);
        goto fail;
      }
      loss_sum += loss * (double)c->count[0];
      loss_nodes += c->count[0];
      gs_model_zero_grad(m);
      GS_TRY(gs_model_backward(m, dlogits, step, err));
      gs_model_apply_decay(m, opts->weight_decay, opts->decay_scope);
      gs_adam_step(gs_model_params(m), gs_model_grads(m), gs_model_adam_m(m), gs_model_adam_v(m),
                   L->params, step, &adam);
    }
    const double t1 = gs_clock_seconds();
    double val_loss = 0.0, acc[3];
    if (eval_buf)
      GS_TRY(evaluate_full(c, m, eval_buf, spill_fd, &have_dinv, &val_loss, acc, &build, err));
    else
      GS_TRY(evaluate(c, m, step, &val_loss, acc, &build, err));
    const double t2 = gs_clock_seconds();
    const double train_loss = loss_nodes ? loss_sum / (double)loss_nodes : 0.0;
    if (gs__epochs_record(&e, epoch, t0, t1, t2, build, train_loss, acc[1], val_loss)) {
      e.res.test_acc = acc[2];
      e.res.train_acc = acc[0];
    }
    if (gs__epochs_stop(&e, opts)) break;
  }
  gs_train_result res;
  gs__epochs_finish(&e, &res);
  res.flops_per_epoch = 0; /* batches vary in size: not priced per epoch here */
  *result = res;
fail:
  gs__epochs_free(&e);
  gs_mem_free(eval_buf);
  if (spill_fd >= 0) close(spill_fd);
  return st;
}

/* Counting and timing the batch builder's work (build_work.h). */
#include "scaling/build_work.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "datasets/dataset.h"
#include "gnn/input.h"
#include "sparse/csr.h"
#include "sparse/subgraph.h"

gs_build_bytes gs_build_work_bytes(const gs_cluster_work *w, int64_t features, bool sparse,
                                   gs_norm norm, bool prepared, int32_t parts) {
  const double f = (double)features, fr = (double)w->feature_rows, fnnz = (double)w->feature_nnz;
  const double rows = 8.0 * (double)(w->rows + w->parts), entries = 4.0 * (double)w->row_entries;
  const double labels = 4.0 * (double)w->label_rows;
  const double feats = sparse ? 8.0 * fr + 12.0 * fnnz : 4.0 * fr * f;
  gs_build_bytes b;
  b.copied = 2.0 * (rows + entries + labels + feats);
  double loop = rows + entries + labels;                          /* the reader's checks */
  if (sparse) loop += 8.0 * fr + 8.0 * fnnz + 16.0 * fr;          /* checks, rebase */
  const double nb = (double)w->batch_rows, kept = (double)w->kept;
  loop += 8.0 * (double)parts * (double)w->batches + 8.0 * nb +  /* row kernel */
          4.0 * (double)w->batch_row_entries + 8.0 * (kept + nb) + 8.0 * nb +
          (norm == GS_NORM_ROW ? 16.0 : 12.0) * kept;
  loop += 9.0 * nb;                                                 /* marker, lists */
  if (prepared) loop += sparse ? 8.0 * fnnz + 8.0 * fr : 8.0 * fr * f;
  b.looped = loop;
  b.bound = 40.0 * f * (double)w->bound + 8.0 * (double)w->bound_rows +
            20.0 * (double)w->bound_nnz;
  return b;
}

double gs_build_work_seconds(const gs_build_bytes *b, const gs_profile *p) {
  const double stream = p->copy_gbs / (double)(p->threads > 0 ? p->threads : 1);
  const double copy = p->build_copy_gbs > 0.0 ? p->build_copy_gbs : stream;
  const double loop = p->build_loop_gbs > 0.0 ? p->build_loop_gbs : stream;
  const double bind = p->bind_gbs > 0.0 ? p->bind_gbs : stream;
  return (b->copied / copy + b->looped / loop + b->bound / bind) * 1e-9;
}

/* ------------------------------------------------------------------ the measurement */

#define PARTS 8
#define PER_BATCH 2
#define BATCHES (PARTS / PER_BATCH)
#define DEGREE 10       /* neighbours per node */
#define DEGREE_IN 8     /* of them inside the node's part */
#define FEATURE_NNZ 24  /* feature entries per node */
#define FEATURES 4096
#define CLASSES 8
#define PASSES_MAX 25
#define SOURCE_MIN_BYTES (4LL << 20)
/* Bytes of the generated store per node: row pointer, entries, label, feature row pointer,
 * columns and values. */
#define NODE_BYTES (8 + 4 * DEGREE + 4 + 8 + 12 * FEATURE_NNZ)

typedef struct {
  gs_profile_clock clock;
  void *ctx;
  bool off; /* an untimed pass: no clock read (a fake clock counts reads) */
} timer;

static double now(const timer *t) {
  if (t->off) return 0.0;
  return t->clock ? t->clock(t->ctx) : gs_clock_seconds();
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The generated store and one batch's buffers, as gnn/cluster.c holds them. */
typedef struct {
  int64_t n, part_start[PARTS + 1];
  int64_t *rowptr, *frow, *fcol; /* [n + 1], [n + 1], [n·FEATURE_NNZ] */
  uint32_t *col;                 /* [n·DEGREE] */
  int32_t *labels;               /* [n] */
  float *fval;                   /* [n·FEATURE_NNZ] */
  uint8_t *marker;               /* [n] */
  /* the batch */
  int64_t cap_nodes, *rowbuf, *idx; /* [cap + PER_BATCH], [cap] */
  uint32_t *colbuf;                 /* [cap·DEGREE] */
  int32_t *blabels;                 /* [cap] */
  gs_features x;                    /* CSR at cap rows, cap·FEATURE_NNZ entries */
  gs_csr xt;                        /* Xᵀ */
  int64_t *perm;
  gs_graph *g;
} synth;

static void synth_free(synth *s) {
  gs_mem_free(s->rowptr);
  gs_mem_free(s->frow);
  gs_mem_free(s->fcol);
  gs_mem_free(s->col);
  gs_mem_free(s->labels);
  gs_mem_free(s->fval);
  gs_mem_free(s->marker);
  gs_mem_free(s->rowbuf);
  gs_mem_free(s->idx);
  gs_mem_free(s->colbuf);
  gs_mem_free(s->blabels);
  gs_csr_release(&s->x.sparse);
  gs_csr_release(&s->xt);
  gs_mem_free(s->perm);
  gs_graph_free(&s->g);
}

/* Fills the generated store: part p holds nodes [part_start[p], part_start[p + 1]); each
 * node's DEGREE_IN in-part neighbours are spread over its part, the rest in other parts,
 * ascending and without self loops; feature columns ascending, one per 4096/24 band. */
static void synth_fill(synth *s) {
  const int64_t n = s->n;
  for (int p = 0; p <= PARTS; p++) s->part_start[p] = n * p / PARTS;
  const uint64_t stream = gs_rng_stream(GS_RNG_STREAM_SHUFFLE, 0x6275696c64ULL, 0);
  for (int p = 0; p < PARTS; p++) {
    const int64_t v0 = s->part_start[p], len = s->part_start[p + 1] - v0;
    const int64_t band = len / (DEGREE_IN + 1);
    for (int64_t v = v0; v < v0 + len; v++) {
      uint32_t *c = s->col + v * DEGREE;
      for (int k = 0; k < DEGREE; k++) {
        const uint64_t r = gs_rng_at(1, stream, (uint64_t)(v * DEGREE + k));
        if (k < DEGREE_IN) { /* distinct offsets 1 .. len - 1 from v within the part */
          const int64_t off = 1 + k * band + (int64_t)(r % (uint64_t)(band > 0 ? band : 1));
          c[k] = (uint32_t)(v0 + (v - v0 + off) % len);
        } else { /* a node of another part */
          const int q = (p + 1 + (int)(r % (PARTS - 1))) % PARTS;
          const int64_t qlen = s->part_start[q + 1] - s->part_start[q];
          c[k] = (uint32_t)(s->part_start[q] + (int64_t)((r >> 8) % (uint64_t)qlen));
        }
      }
      for (int k = 1; k < DEGREE; k++) /* ascending, as the store's rows */
        for (int j = k; j > 0 && c[j - 1] > c[j]; j--) {
          const uint32_t x = c[j];
          c[j] = c[j - 1];
          c[j - 1] = x;
        }
      const uint64_t r = gs_rng_at(2, stream, (uint64_t)v);
      s->labels[v] = (int32_t)(r % CLASSES);
      s->marker[v] = (uint8_t)((r >> 8) % 4);
    }
  }
  for (int64_t v = 0; v <= n; v++) {
    s->rowptr[v] = v * DEGREE;
    s->frow[v] = v * FEATURE_NNZ;
  }
  const int64_t fband = FEATURES / FEATURE_NNZ;
  for (int64_t e = 0; e < n * FEATURE_NNZ; e++) {
    const uint64_t r = gs_rng_at(3, stream, (uint64_t)e);
    s->fcol[e] = (e % FEATURE_NNZ) * fband + (int64_t)(r % (uint64_t)fband);
    s->fval[e] = 1.0f + (float)(r >> 40) * (1.0f / 16777216.0f);
  }
}

static gs_status synth_new(synth *s, int64_t source_bytes, gs_error *err) {
  gs_status st = GS_OK;
  memset(s, 0, sizeof *s);
  int64_t n = source_bytes / NODE_BYTES;
  if (n < 64 * PARTS) n = 64 * PARTS;
  s->n = n;
  s->cap_nodes = (n + PARTS - 1) / PARTS * PER_BATCH + PER_BATCH;
  const int64_t cap = s->cap_nodes;
  s->rowptr = gs_mem_alloc((size_t)(n + 1) * 8, "build-probe");
  s->frow = gs_mem_alloc((size_t)(n + 1) * 8, "build-probe");
  s->fcol = gs_mem_alloc((size_t)(n * FEATURE_NNZ) * 8, "build-probe");
  s->col = gs_mem_alloc((size_t)(n * DEGREE) * 4, "build-probe");
  s->labels = gs_mem_alloc((size_t)n * 4, "build-probe");
  s->fval = gs_mem_alloc((size_t)(n * FEATURE_NNZ) * 4, "build-probe");
  s->marker = gs_mem_alloc((size_t)n, "build-probe");
  s->rowbuf = gs_mem_alloc((size_t)(cap + PER_BATCH) * 8, "build-probe");
  s->idx = gs_mem_alloc((size_t)cap * 8, "build-probe");
  s->colbuf = gs_mem_alloc((size_t)(cap * DEGREE) * 4, "build-probe");
  s->blabels = gs_mem_alloc((size_t)cap * 4, "build-probe");
  s->perm = gs_mem_alloc((size_t)(cap * FEATURE_NNZ) * 8, "build-probe");
  if (!s->rowptr || !s->frow || !s->fcol || !s->col || !s->labels || !s->fval || !s->marker ||
      !s->rowbuf || !s->idx || !s->colbuf || !s->blabels || !s->perm)
    return gs_error_set(err, GS_ERR_NOMEM, "build rates: out of memory for %lld nodes",
                        (long long)n);
  GS_TRY(gs_csr_alloc(&s->x.sparse, cap, FEATURES, cap * FEATURE_NNZ, "build-probe", err));
  GS_TRY(gs_csr_alloc(&s->xt, FEATURES, cap, cap * FEATURE_NNZ, "build-probe", err));
  GS_TRY(gs_graph_batch_new(&s->g, cap, cap * (DEGREE + 1), PARTS, GS_NORM_SYM, err));
  s->x.kind = GS_FEATURES_SPARSE;
  s->x.cols = FEATURES;
  synth_fill(s);
fail:
  return st;
}

/* The reader's checks of one part (datasets/store.c): false when one fails. The loops stop
 * at the first failure, as the reader's do (so they are not vectorised either). */
static bool part_checks(const synth *s, const int64_t *rp, const uint32_t *cp, const int64_t *frp,
                        const int64_t *fcp, const int32_t *lp, int64_t len, int64_t e0,
                        int64_t entries, int64_t f0, int64_t pf) {
  for (int64_t i = 0; i < len; i++)
    if (rp[i + 1] < rp[i]) return false;
  if (rp[0] != e0 || rp[len] != e0 + entries) return false;
  for (int64_t e = 0; e < entries; e++)
    if ((int64_t)cp[e] >= s->n) return false;
  if (frp[0] != f0 || frp[len] != f0 + pf) return false;
  for (int64_t i = 0; i < len; i++)
    if (frp[i + 1] < frp[i]) return false;
  for (int64_t e = 0; e < pf; e++)
    if (fcp[e] < 0 || fcp[e] >= FEATURES) return false;
  for (int64_t i = 0; i < len; i++)
    if (lp[i] < -1 || lp[i] >= CLASSES) return false;
  return true;
}

/* One batch of the parts chosen[0..PER_BATCH), its stages timed into t[3] (copy, loop, bind)
 * and its work counted into w, as gnn/cluster.c's read_batch, make_batch and bind do it. */
static gs_status synth_batch(synth *s, const int32_t *chosen, const timer *tm, double t[3],
                             gs_cluster_work *w, gs_error *err) {
  const int64_t *rows[PER_BATCH];
  const uint32_t *cols[PER_BATCH];
  int64_t roff[PER_BATCH], coff[PER_BATCH], loc[PER_BATCH], foff[PER_BATCH];
  int64_t r = 0, c = 0, local = 0, fnnz = 0;
  for (int k = 0; k < PER_BATCH; k++) {
    const int64_t v0 = s->part_start[chosen[k]], len = s->part_start[chosen[k] + 1] - v0;
    roff[k] = r;
    coff[k] = c;
    loc[k] = local;
    foff[k] = fnnz;
    r += len + 1;
    c += s->rowptr[v0 + len] - s->rowptr[v0];
    fnnz += s->frow[v0 + len] - s->frow[v0];
    local += len;
  }
  double copy = 0.0, loop = 0.0;
  bool ok = true;
  for (int k = 0; k < PER_BATCH; k++) { /* pread's copies, then the reader's checks, rebased */
    const int64_t v0 = s->part_start[chosen[k]], len = s->part_start[chosen[k] + 1] - v0;
    const int64_t e0 = s->rowptr[v0], entries = s->rowptr[v0 + len] - e0;
    const int64_t f0 = s->frow[v0], pf = s->frow[v0 + len] - f0;
    int64_t *frp = s->x.sparse.rowptr + loc[k];
    const double t0 = now(tm);
    memcpy(s->rowbuf + roff[k], s->rowptr + v0, (size_t)(len + 1) * 8);
    memcpy(s->colbuf + coff[k], s->col + e0, (size_t)entries * 4);
    memcpy(frp, s->frow + v0, (size_t)(len + 1) * 8);
    memcpy(s->x.sparse.col + foff[k], s->fcol + f0, (size_t)pf * 8);
    memcpy(s->x.sparse.val + foff[k], s->fval + f0, (size_t)pf * 4);
    memcpy(s->blabels + loc[k], s->labels + v0, (size_t)len * 4);
    const double t1 = now(tm);
    ok = ok && part_checks(s, s->rowbuf + roff[k], s->colbuf + coff[k], frp,
                           s->x.sparse.col + foff[k], s->blabels + loc[k], len, e0, entries, f0,
                           pf);
    for (int64_t i = 0; i <= len; i++) frp[i] = frp[i] - f0 + foff[k];
    copy += t1 - t0;
    loop += now(tm) - t1;
    rows[k] = s->rowbuf + roff[k];
    cols[k] = s->colbuf + coff[k];
    w->parts++;
    w->rows += len;
    w->row_entries += entries;
    w->label_rows += len;
    w->feature_rows += len;
    w->feature_nnz += pf;
  }
  const double t1 = now(tm);
  if (!ok) return gs_error_set(err, GS_ERR_INTERNAL, "build rates: a generated part failed its checks");
  gs_status st = gs_graph_induce_rows(s->g, rows, cols, s->part_start, chosen, PER_BATCH, 0.0,
                                      err);
  if (st != GS_OK) return st;
  s->x.rows = s->x.sparse.nrows = local;
  s->x.nnz = s->x.sparse.nnz = fnnz;
  gs_features_prepare(&s->x, GS_FEATPREP_L2);
  int64_t count[3] = {0, 0, 0}, b = 0;
  for (int k = 0; k < PER_BATCH; k++) /* the split lists (one array stands for the three) */
    for (int64_t v = s->part_start[chosen[k]]; v < s->part_start[chosen[k] + 1]; v++, b++) {
      const int m = s->marker[v];
      if (m) s->idx[count[m - 1]++] = b;
    }
  const double t2 = now(tm);
  s->xt.nrows = FEATURES;
  s->xt.ncols = local;
  s->xt.nnz = fnnz;
  gs_input_transpose_into(&s->xt, s->perm, &s->x.sparse);
  const double t3 = now(tm);
  t[0] += copy;
  t[1] += loop + (t2 - t1);
  t[2] += t3 - t2;
  w->batches++;
  w->batch_rows += local;
  w->batch_row_entries += c;
  w->kept += gs_graph_nnz(s->g);
  w->bound++;
  w->bound_rows += local;
  w->bound_nnz += fnnz;
  if (count[0] + count[1] + count[2] > local || s->xt.rowptr[FEATURES] != fnnz)
    return gs_error_set(err, GS_ERR_INTERNAL, "build rates: a generated batch came out wrong");
  return GS_OK;
}

gs_status gs_build_work_measure(gs_build_rates *out, int64_t source_bytes, double seconds,
                                gs_profile_clock clock, void *clock_ctx, gs_error *err) {
  static const int32_t pairs[BATCHES][PER_BATCH] = {{0, 4}, {1, 5}, {2, 6}, {3, 7}};
  const timer tm = {clock, clock_ctx, false}, untimed = {clock, clock_ctx, true};
  const double start = now(&tm);
  synth s;
  gs_status st = synth_new(&s, source_bytes < SOURCE_MIN_BYTES ? SOURCE_MIN_BYTES : source_bytes,
                           err);
  double rate[3][PASSES_MAX];
  gs_cluster_work w1;
  memset(&w1, 0, sizeof w1);
  int passes = 0;
  /* A first pass untimed: it touches the batch buffers (page faults are not the builder's). */
  if (st == GS_OK) {
    double t[3] = {0.0, 0.0, 0.0};
    gs_cluster_work w;
    memset(&w, 0, sizeof w);
    for (int b = 0; b < BATCHES && st == GS_OK; b++)
      st = synth_batch(&s, pairs[b], &untimed, t, &w, err);
  }
  double pass_start = now(&tm), last = 0.0;
  while (st == GS_OK && passes < PASSES_MAX &&
         (passes == 0 || pass_start + last - start <= seconds)) {
    double t[3] = {0.0, 0.0, 0.0};
    gs_cluster_work w;
    memset(&w, 0, sizeof w);
    for (int b = 0; b < BATCHES && st == GS_OK; b++) st = synth_batch(&s, pairs[b], &tm, t, &w, err);
    if (st != GS_OK) break;
    const gs_build_bytes by = gs_build_work_bytes(&w, FEATURES, true, GS_NORM_SYM, true, PARTS);
    if (!(t[0] > 0.0 && t[1] > 0.0 && t[2] > 0.0)) {
      st = gs_error_set(err, GS_ERR_NUMERIC, "build rates: a stage took no time");
      break;
    }
    rate[0][passes] = by.copied / t[0] * 1e-9;
    rate[1][passes] = by.looped / t[1] * 1e-9;
    rate[2][passes] = by.bound / t[2] * 1e-9;
    w1 = w;
    passes++;
    const double t_now = now(&tm);
    last = t_now - pass_start;
    pass_start = t_now;
  }
  if (st == GS_OK) {
    gs_build_rates r;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < 3; k++) qsort(rate[k], (size_t)passes, sizeof(double), cmp_double);
    r.copy_gbs = rate[0][passes - 1];
    r.loop_gbs = rate[1][passes - 1];
    r.bind_gbs = rate[2][passes - 1];
    r.source_bytes = s.n * NODE_BYTES;
    r.batch_nodes = w1.batch_rows / BATCHES;
    r.batch_entries = w1.kept / BATCHES;
    r.batch_feature_nnz = w1.feature_nnz / BATCHES;
    r.epochs = passes;
    *out = r;
  }
  synth_free(&s);
  return st;
}

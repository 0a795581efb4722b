/* The kernel fit of a machine profile (see calibrate.h). */
#include "scaling/calibrate.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/generate.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "sparse/graph.h"

/* Each case is timed over at least this many seconds of roofline-estimated epochs (at most
 * CASE_EPOCHS_MAX epochs). */
#define CASE_SECONDS 0.4
#define CASE_EPOCHS_MAX 400
/* Rounds over all cases; a case's kernel times are the median over them. */
#define CALIBRATION_ROUNDS 3

/* Shapes of the bundled benchmarks, generated: the fit must see the regimes the predictions
 * are asked about (a cached graph where calls dominate, a larger sparse-input graph, a dense
 * input with many neighbours per row, and the residual + LayerNorm kernels). */
const gs_calibration_case gs_calibration_cases[GS_CALIBRATION_CASES] = {
    {.nodes = 2500, .edges = 5000, .features = 1500, .feature_nnz_per_row = 18, .depth = 2,
     .width = 16},
    {.nodes = 2500, .edges = 5000, .features = 1500, .feature_nnz_per_row = 18, .depth = 3,
     .width = 128},
    {.nodes = 3300, .edges = 4600, .features = 3700, .feature_nnz_per_row = 32, .depth = 2,
     .width = 64},
    {.nodes = 16000, .edges = 80000, .features = 6000, .feature_nnz_per_row = 60, .depth = 2,
     .width = 16},
    {.nodes = 16000, .edges = 80000, .features = 6000, .feature_nnz_per_row = 60, .depth = 2,
     .width = 256},
    {.nodes = 16000, .edges = 80000, .features = 6000, .feature_nnz_per_row = 60, .depth = 3,
     .width = 64},
    {.nodes = 8000, .edges = 120000, .features = 512, .depth = 2, .width = 64},
    {.nodes = 8000, .edges = 120000, .features = 512, .depth = 4, .width = 32,
     .residual_norm = true},
};

/* Solves the n x n system M x = b (n <= GS_CALIBRATION_TERMS) by Gaussian elimination with
 * partial pivoting; false when M is singular to working precision. */
static bool solve_small(double M[GS_CALIBRATION_TERMS][GS_CALIBRATION_TERMS],
                        double b[GS_CALIBRATION_TERMS], int n, double x[GS_CALIBRATION_TERMS]) {
  double scale = 0;
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++) scale = fmax(scale, fabs(M[r][c]));
  if (!(scale > 0.0)) return false;
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(M[r][c]) > fabs(M[piv][c])) piv = r;
    if (fabs(M[piv][c]) <= 1e-12 * scale) return false;
    for (int q = 0; q < n; q++) {
      double t = M[c][q];
      M[c][q] = M[piv][q];
      M[piv][q] = t;
    }
    double t = b[c];
    b[c] = b[piv];
    b[piv] = t;
    for (int r = c + 1; r < n; r++) {
      double f = M[r][c] / M[c][c];
      for (int q = c; q < n; q++) M[r][q] -= f * M[c][q];
      b[r] -= f * b[c];
    }
  }
  for (int r = n - 1; r >= 0; r--) {
    double sum = b[r];
    for (int q = r + 1; q < n; q++) sum -= M[r][q] * x[q];
    x[r] = sum / M[r][r];
  }
  return true;
}

double gs_calibration_fit(double coef[GS_CALIBRATION_TERMS], const double *y,
                          const double *const basis[GS_CALIBRATION_TERMS], int count) {
  /* Rows x_j[i] / y[i], target 1: least squares on the relative error. Every subset of the
   * terms that keeps the roofline term is solved unconstrained; the best one whose
   * coefficients are all feasible (roofline > 0, others >= 0) wins. With three terms that is
   * four small solves, and it is the exact constrained optimum: the optimum lies on the face
   * where its zero coefficients are dropped. */
  int used = 0;
  for (int i = 0; i < count; i++) used += y[i] > 0.0;
  if (used == 0) return 0.0;
  /* Each term's column is scaled to unit norm before solving: seconds, calls and entries
   * differ by ten orders of magnitude, and unscaled the pivot test would call a well-posed
   * system singular. A term whose column is all zero takes no part. */
  double norm[GS_CALIBRATION_TERMS];
  for (int j = 0; j < GS_CALIBRATION_TERMS; j++) {
    double sq = 0;
    for (int i = 0; i < count; i++)
      if (y[i] > 0.0) sq += (basis[j][i] / y[i]) * (basis[j][i] / y[i]);
    norm[j] = sqrt(sq);
  }
  double best_err = INFINITY, best[GS_CALIBRATION_TERMS] = {0};
  for (int mask = 1; mask < (1 << GS_CALIBRATION_TERMS); mask += 2) {
    int idx[GS_CALIBRATION_TERMS], n = 0;
    bool usable = true;
    for (int j = 0; j < GS_CALIBRATION_TERMS; j++)
      if (mask & (1 << j)) {
        idx[n++] = j;
        usable = usable && norm[j] > 0.0 && isfinite(norm[j]);
      }
    if (!usable) continue;
    double M[GS_CALIBRATION_TERMS][GS_CALIBRATION_TERMS] = {{0}}, b[GS_CALIBRATION_TERMS] = {0},
           x[GS_CALIBRATION_TERMS] = {0};
    for (int i = 0; i < count; i++) {
      if (!(y[i] > 0.0)) continue;
      for (int r = 0; r < n; r++) {
        double u = basis[idx[r]][i] / y[i] / norm[idx[r]];
        b[r] += u;
        for (int c = 0; c < n; c++) M[r][c] += u * basis[idx[c]][i] / y[i] / norm[idx[c]];
      }
    }
    if (!solve_small(M, b, n, x)) continue;
    for (int r = 0; r < n; r++) x[r] /= norm[idx[r]];
    if (!(x[0] > 0.0)) continue;
    bool feasible = true;
    for (int r = 1; r < n; r++) feasible = feasible && x[r] >= 0.0;
    if (!feasible) continue;
    double c[GS_CALIBRATION_TERMS] = {0};
    for (int r = 0; r < n; r++) c[idx[r]] = x[r];
    double err = 0;
    for (int i = 0; i < count; i++) {
      if (!(y[i] > 0.0)) continue;
      double pred = 0;
      for (int j = 0; j < GS_CALIBRATION_TERMS; j++) pred += c[j] * basis[j][i];
      err += (pred / y[i] - 1.0) * (pred / y[i] - 1.0);
    }
    if (err < best_err) {
      best_err = err;
      memcpy(best, c, sizeof best);
    }
  }
  if (!isfinite(best_err)) return 0.0;
  memcpy(coef, best, sizeof best);
  double mean_abs = 0;
  for (int i = 0; i < count; i++) {
    if (!(y[i] > 0.0)) continue;
    double pred = 0;
    for (int j = 0; j < GS_CALIBRATION_TERMS; j++) pred += best[j] * basis[j][i];
    mean_abs += fabs(pred / y[i] - 1.0);
  }
  return mean_abs / used;
}

/* Replaces the generated dataset's (absent) features by up to `per_row` distinct columns of
 * value 1 per node, held as CSR: bag-of-words inputs as in the citation graphs. Columns are
 * drawn with the skew of word frequencies (column floor(cols·u²) for u uniform: the first
 * tenth of the columns gets about a third of the entries), so that, as in real data, popular
 * rows of W are reused from cache; duplicates are dropped, so rows hold slightly fewer. */
static gs_status sparse_features(gs_dataset *ds, int64_t cols, int64_t per_row, gs_error *err) {
  const int64_t n = ds->num_nodes;
  if (per_row > cols / 2) per_row = cols / 2 > 0 ? cols / 2 : 1;
  gs_csr x;
  gs_status st = gs_csr_alloc(&x, n, cols, n * per_row, "features", err);
  if (st != GS_OK) return st;
  int64_t nnz = 0;
  x.rowptr[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t *c = x.col + nnz;
    int64_t len = 0;
    for (int64_t draw = 0; draw < 4 * per_row && len < per_row; draw++) {
      double u = gs_rng_uniform(7, GS_RNG_STREAM_GENERATE, (uint64_t)(i * 4 * per_row + draw));
      int64_t v = (int64_t)((double)cols * u * u);
      if (v >= cols) v = cols - 1;
      int64_t q = len; /* sorted insertion, duplicates dropped */
      while (q > 0 && c[q - 1] > v) q--;
      if (q > 0 && c[q - 1] == v) continue;
      memmove(c + q + 1, c + q, (size_t)(len - q) * sizeof *c);
      c[q] = v;
      len++;
    }
    for (int64_t j = 0; j < len; j++) x.val[nnz + j] = 1.0f;
    nnz += len;
    x.rowptr[i + 1] = nnz;
  }
  x.nnz = nnz;
  ds->x.kind = GS_FEATURES_SPARSE;
  ds->x.rows = n;
  ds->x.cols = cols;
  ds->x.nnz = nnz;
  ds->x.sparse = x;
  ds->file_features = cols;
  return GS_OK;
}

/* One case made ready to train: its generated graph and the unfitted profile's pricing. */
typedef struct {
  gs_dataset *ds;
  gs_graph *g;
  gs_model_config cfg;
  gs_train_options topt;
  gs_cost cost;
} prepared_case;

static void prepared_release(prepared_case *c) {
  gs_graph_free(&c->g);
  gs_dataset_free(&c->ds);
}

/* Generates and prices one case. */
static gs_status prepare_case(prepared_case *c, const gs_calibration_case *cs,
                              const gs_profile *unfitted, gs_error *err) {
  int64_t *prefix = NULL;
  gs_status st = GS_OK;
  memset(c, 0, sizeof *c);
  gs_generate_options go = gs_generate_options_default();
  go.nodes = cs->nodes;
  go.edges = cs->edges;
  go.features = cs->feature_nnz_per_row > 0 ? 0 : cs->features;
  go.name = "calibration";
  GS_TRY(gs_dataset_generate(&c->ds, &go, err));
  if (cs->feature_nnz_per_row > 0)
    GS_TRY(sparse_features(c->ds, cs->features, cs->feature_nnz_per_row, err));
  GS_TRY(gs_graph_new(&c->g, c->ds->num_nodes, c->ds->src, c->ds->dst, c->ds->num_edge_lines,
                      GS_NORM_SYM, err));
  c->cfg = gs_model_config_default();
  c->cfg.depth = cs->depth;
  c->cfg.width = cs->width;
  c->cfg.residual = c->cfg.norm = cs->residual_norm;
  c->topt = gs_train_options_default();
  c->topt.patience = 0;
  gs_cost_options copt = gs_cost_options_default();
  copt.model = c->cfg;
  copt.decay_scope = c->topt.decay_scope;
  copt.weight_decay = c->topt.weight_decay;
  copt.epochs = c->topt.epochs;
  gs_cost_data data;
  GS_TRY(gs_cost_data_of(&data, &prefix, c->ds, c->g, err));
  GS_TRY(gs_cost_estimate(&c->cost, c->cfg.depth, c->cfg.width, c->ds->x.cols, &copt, &data,
                          unfitted, err));
  gs_mem_free(prefix);
  return GS_OK;
fail:
  gs_mem_free(prefix);
  prepared_release(c);
  return st;
}

/* Trains a prepared case for `epochs` epochs and records its kernel times. */
static gs_status run_case(gs_calibration_point *pt, const gs_calibration_case *cs,
                          prepared_case *c, int32_t epochs, gs_error *err) {
  gs_model *m = NULL;
  gs_status st = GS_OK;
  memset(pt, 0, sizeof *pt);
  pt->what = *cs;
  pt->epochs = epochs;
  gs_train_options topt = c->topt;
  topt.epochs = epochs;
  GS_TRY(gs_model_new(&m, &c->cfg, c->g, &c->ds->x, c->ds->num_classes, err));
  gs_train_result res;
  GS_TRY(gs_train(&res, m, c->ds, &topt, err));
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) {
    pt->measured[k] = res.kernel_seconds_median[k];
    pt->roofline[k] = c->cost.seconds_roofline[k];
    pt->calls[k] = c->cost.calls_category[k];
    pt->entries[k] = c->cost.entries_category[k];
  }
fail:
  gs_model_free(&m);
  return st;
}

static double real_clock(void *ctx) {
  (void)ctx;
  return gs_clock_seconds();
}

gs_calibrate_options gs_calibrate_options_default(void) {
  gs_calibrate_options o;
  memset(&o, 0, sizeof o);
  o.min_epochs = 3;
  o.seconds = 15.0;
  return o;
}

/* Share of the time left that the runs plan for; the rest absorbs estimates that were off. */
#define PLAN_SHARE 0.85

gs_status gs_calibrate_kernels(gs_profile *p, const gs_calibrate_options *o,
                               gs_calibration_point *points, double *fit_error,
                               gs_calibrate_report *report, FILE *progress, gs_error *err) {
  if (o->min_epochs < 2)
    return gs_error_set(err, GS_ERR_INVALID, "calibration: %d epochs; at least 2 are needed",
                        (int)o->min_epochs);
  if (!(o->seconds > 0.0) || !isfinite(o->seconds))
    return gs_error_set(err, GS_ERR_INVALID,
                        "calibration: a time budget of %g s; it must be positive", o->seconds);
  gs_profile_clock clock = o->clock ? o->clock : real_clock;
  void *ctx = o->clock_ctx;
  const double start = clock(ctx), deadline = start + o->seconds;
  gs_calibrate_report rep;
  memset(&rep, 0, sizeof rep);
  int previous_threads = gs_runtime_threads();
  gs_status st = gs_runtime_init(p->threads, err);
  if (st != GS_OK) return st;
  gs_profile unfitted = *p;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    unfitted.kernel_scale[c] = 1.0;
    unfitted.kernel_call_s[c] = 0.0;
    unfitted.kernel_entry_s[c] = 0.0;
  }
  prepared_case prep[GS_CALIBRATION_CASES];
  memset(prep, 0, sizeof prep);
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
    st = prepare_case(&prep[i], &gs_calibration_cases[i], &unfitted, err);
    if (st != GS_OK) {
      gs_error_prefix(err, "calibration case %d", i + 1);
      goto done;
    }
  }
  rep.prepare_seconds = clock(ctx) - start;
  /* CALIBRATION_ROUNDS rounds over the cases, each case's kernel times the median over the
   * rounds: this VM has slow phases of a minute or so in which every kernel takes 1.5 to 2
   * times longer, and one round caught in one would skew the fit. */
  gs_calibration_point pts[GS_CALIBRATION_CASES];
  double rounds[GS_CALIBRATION_CASES][GS_FLOPS_CATEGORIES][CALIBRATION_ROUNDS];
  double spent = 0.0, planned = 0.0; /* seconds of the runs so far: taken and estimated */
  for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
    const double round_start = clock(ctx);
    for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
      const gs_calibration_case *cs = &gs_calibration_cases[i];
      /* This run's share of the time left, over the runs left (all rounds). */
      const int runs_left = (GS_CALIBRATION_CASES - i) +
                            (CALIBRATION_ROUNDS - 1 - round) * GS_CALIBRATION_CASES;
      double share = PLAN_SHARE * (deadline - clock(ctx)) / runs_left;
      if (share > CASE_SECONDS) share = CASE_SECONDS;
      /* Slower than predicted: fewer epochs; never more than predicted (which would let one
       * run that happened to be quick spend the budget of the rest). */
      double correction = planned > 0.0 && spent > planned ? spent / planned : 1.0;
      double est = prep[i].cost.seconds_per_epoch > 0.0 ? prep[i].cost.seconds_per_epoch : 1e-3;
      double want = share > 0.0 ? ceil(share / (est * correction)) : 0.0;
      int32_t epochs = want > CASE_EPOCHS_MAX ? CASE_EPOCHS_MAX : (int32_t)want;
      if (epochs < o->min_epochs) epochs = o->min_epochs;
      if (progress) {
        fprintf(progress,
                "\rkernel fit: round %d/%d, case %d/%d (%lld nodes, depth %d, width %lld, %d "
                "epochs)...   ",
                round + 1, CALIBRATION_ROUNDS, i + 1, GS_CALIBRATION_CASES, (long long)cs->nodes,
                (int)cs->depth, (long long)cs->width, (int)epochs);
        fflush(progress);
      }
      const double t0 = clock(ctx);
      st = run_case(&pts[i], cs, &prep[i], epochs, err);
      if (st != GS_OK) {
        gs_error_prefix(err, "calibration case %d", i + 1);
        goto done;
      }
      spent += clock(ctx) - t0;
      planned += epochs * est;
      rep.planned_seconds += epochs * est * correction;
      rep.floor_seconds += o->min_epochs * est * correction;
      rep.epochs[i] = epochs;
      for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) rounds[i][c][round] = pts[i].measured[c];
    }
    rep.rounds = round + 1;
    /* Another round only when the time left covers one more like this one. */
    if (deadline - clock(ctx) < clock(ctx) - round_start) break;
  }
  for (int i = 0; i < GS_CALIBRATION_CASES; i++)
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
      pts[i].measured[c] = gs_median(rounds[i][c], rep.rounds);
    }
  if (progress) fprintf(progress, "\r%90s\r", "");
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    double y[GS_CALIBRATION_CASES], a[GS_CALIBRATION_CASES], k[GS_CALIBRATION_CASES],
        e[GS_CALIBRATION_CASES];
    for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
      y[i] = pts[i].measured[c];
      a[i] = pts[i].roofline[c];
      k[i] = (double)pts[i].calls[c];
      e[i] = pts[i].entries[c];
    }
    const double *const basis[GS_CALIBRATION_TERMS] = {a, k, e};
    double coef[GS_CALIBRATION_TERMS] = {1.0, 0.0, 0.0};
    double err_c = gs_calibration_fit(coef, y, basis, GS_CALIBRATION_CASES);
    p->kernel_scale[c] = coef[0];
    p->kernel_call_s[c] = coef[1];
    p->kernel_entry_s[c] = coef[2];
    if (fit_error) fit_error[c] = err_c;
  }
  if (points) memcpy(points, pts, sizeof pts);
  rep.seconds = clock(ctx) - start;
  if (report) *report = rep;
done:
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) prepared_release(&prep[i]);
  gs_runtime_init(previous_threads, NULL);
  return st;
}

/* The kernel fit of a machine profile (see calibrate.h). */
#include "scaling/calibrate.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "datasets/generate.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "sparse/graph.h"

/* Shapes of the bundled benchmarks, generated: the fit must see the regimes the predictions
 * are asked about (a cached graph where calls dominate, a larger sparse-input graph, a dense
 * input with many neighbours per row, and the residual + LayerNorm kernels). */
const gs_calibration_case gs_calibration_cases[GS_CALIBRATION_CASES] = {
    {.nodes = 2500, .edges = 5000, .features = 1500, .feature_nnz_per_row = 18, .depth = 2,
     .width = 16},
    {.nodes = 2500, .edges = 5000, .features = 1500, .feature_nnz_per_row = 18, .depth = 3,
     .width = 128},
    {.nodes = 16000, .edges = 80000, .features = 4000, .feature_nnz_per_row = 40, .depth = 2,
     .width = 64},
    {.nodes = 16000, .edges = 80000, .features = 4000, .feature_nnz_per_row = 40, .depth = 2,
     .width = 256},
    {.nodes = 8000, .edges = 120000, .features = 512, .depth = 2, .width = 64},
    {.nodes = 8000, .edges = 120000, .features = 512, .depth = 4, .width = 32,
     .residual_norm = true},
};

double gs_calibration_fit(double *scale, double *call, const double *y, const double *a,
                          const int64_t *k, int count) {
  /* Weighted least squares: rows (a/y, k/y), target 1. */
  double saa = 0, sak = 0, skk = 0, sa = 0, sk = 0;
  int used = 0;
  for (int i = 0; i < count; i++) {
    if (!(y[i] > 0.0) || !(a[i] >= 0.0)) continue;
    double u = a[i] / y[i], v = (double)k[i] / y[i];
    saa += u * u;
    sak += u * v;
    skk += v * v;
    sa += u;
    sk += v;
    used++;
  }
  if (used == 0 || saa <= 0.0) return 0.0;
  double s, c;
  double det = saa * skk - sak * sak;
  if (used >= 2 && det > 1e-12 * saa * skk) {
    s = (sa * skk - sk * sak) / det;
    c = (saa * sk - sak * sa) / det;
  } else {
    s = -1.0;
    c = -1.0;
  }
  if (!(s > 0.0) || !(c >= 0.0)) {
    /* The unconstrained optimum leaves the feasible set: the better of the two edges. */
    double s0 = sa / saa; /* call = 0 */
    double e0 = 0, e1 = 0;
    double c1 = skk > 0 ? sk / skk : 0.0; /* scale ~ 0: calls alone */
    for (int i = 0; i < count; i++) {
      if (!(y[i] > 0.0) || !(a[i] >= 0.0)) continue;
      double r0 = (s0 * a[i]) / y[i] - 1.0;
      double r1 = (c1 * (double)k[i]) / y[i] - 1.0;
      e0 += r0 * r0;
      e1 += r1 * r1;
    }
    if (e1 < e0 && c1 > 0.0) {
      s = 1e-6; /* positive, as every scale in a profile */
      c = c1;
    } else {
      s = s0;
      c = 0.0;
    }
  }
  *scale = s;
  *call = c;
  double err = 0;
  for (int i = 0; i < count; i++) {
    if (!(y[i] > 0.0) || !(a[i] >= 0.0)) continue;
    err += fabs((s * a[i] + c * (double)k[i]) / y[i] - 1.0);
  }
  return err / used;
}

/* Replaces the generated dataset's (absent) features by `per_row` distinct random columns of
 * value 1 per node, held as CSR: bag-of-words inputs as in the citation graphs. */
static gs_status sparse_features(gs_dataset *ds, int64_t cols, int64_t per_row, gs_error *err) {
  const int64_t n = ds->num_nodes;
  if (per_row > cols) per_row = cols;
  if (per_row > 4096) return gs_error_set(err, GS_ERR_INVALID, "calibration: row too long");
  gs_csr x;
  gs_status st = gs_csr_alloc(&x, n, cols, n * per_row, "features", err);
  if (st != GS_OK) return st;
  for (int64_t i = 0; i <= n; i++) x.rowptr[i] = i * per_row;
  /* A row's columns are `per_row` evenly spaced ones from a random start (distinct, since
   * j·step < cols), rotated past the wrap so that they ascend. */
  for (int64_t i = 0; i < n; i++) {
    int64_t *c = x.col + i * per_row;
    int64_t start = (int64_t)(gs_rng_at(7, GS_RNG_STREAM_GENERATE, (uint64_t)i) % (uint64_t)cols);
    int64_t step = cols / per_row;
    for (int64_t j = 0; j < per_row; j++) c[j] = (start + j * step) % cols;
    /* rotate so the row is ascending */
    int64_t first = 0;
    for (int64_t j = 1; j < per_row; j++)
      if (c[j] < c[j - 1]) first = j;
    int64_t tmp[4096];
    for (int64_t j = 0; j < per_row; j++) tmp[j] = c[(first + j) % per_row];
    memcpy(c, tmp, (size_t)per_row * sizeof *c);
    for (int64_t j = 0; j < per_row; j++) x.val[i * per_row + j] = 1.0f;
  }
  ds->x.kind = GS_FEATURES_SPARSE;
  ds->x.rows = n;
  ds->x.cols = cols;
  ds->x.nnz = n * per_row;
  ds->x.sparse = x;
  ds->file_features = cols;
  return GS_OK;
}

/* Generates, prices and trains one case. */
static gs_status measure_case(gs_calibration_point *pt, const gs_calibration_case *cs,
                              const gs_profile *unfitted, int32_t epochs, gs_error *err) {
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_model *m = NULL;
  int64_t *prefix = NULL;
  gs_status st = GS_OK;
  memset(pt, 0, sizeof *pt);
  pt->what = *cs;

  gs_generate_options go = gs_generate_options_default();
  go.nodes = cs->nodes;
  go.edges = cs->edges;
  go.features = cs->feature_nnz_per_row > 0 ? 0 : cs->features;
  go.name = "calibration";
  GS_TRY(gs_dataset_generate(&ds, &go, err));
  if (cs->feature_nnz_per_row > 0)
    GS_TRY(sparse_features(ds, cs->features, cs->feature_nnz_per_row, err));
  GS_TRY(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, GS_NORM_SYM, err));

  gs_model_config cfg = gs_model_config_default();
  cfg.depth = cs->depth;
  cfg.width = cs->width;
  cfg.residual = cfg.norm = cs->residual_norm;
  gs_train_options topt = gs_train_options_default();
  topt.epochs = epochs;
  topt.patience = 0;

  gs_cost_options copt = gs_cost_options_default();
  copt.model = cfg;
  copt.decay_scope = topt.decay_scope;
  copt.weight_decay = topt.weight_decay;
  copt.epochs = topt.epochs;
  gs_cost_data data;
  GS_TRY(gs_cost_data_of(&data, &prefix, ds, g, err));
  gs_cost cost;
  GS_TRY(gs_cost_estimate(&cost, cfg.depth, cfg.width, ds->x.cols, &copt, &data, unfitted, err));

  GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, err));
  gs_train_result res;
  GS_TRY(gs_train(&res, m, ds, &topt, err));
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    pt->measured[c] = res.kernel_seconds_mean[c];
    pt->roofline[c] = cost.seconds_roofline[c];
    pt->calls[c] = cost.calls_category[c];
  }
fail:
  gs_model_free(&m);
  gs_mem_free(prefix);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

gs_status gs_calibrate_kernels(gs_profile *p, int32_t epochs, gs_calibration_point *points,
                               double *fit_error, FILE *progress, gs_error *err) {
  if (epochs < 2)
    return gs_error_set(err, GS_ERR_INVALID, "calibration: %d epochs; at least 2 are needed",
                        (int)epochs);
  int previous_threads = gs_runtime_threads();
  gs_status st = gs_runtime_init(p->threads, err);
  if (st != GS_OK) return st;
  gs_profile unfitted = *p;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    unfitted.kernel_scale[c] = 1.0;
    unfitted.kernel_call_s[c] = 0.0;
  }
  gs_calibration_point pts[GS_CALIBRATION_CASES];
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
    const gs_calibration_case *cs = &gs_calibration_cases[i];
    if (progress) {
      fprintf(progress, "\rkernel fit: case %d/%d (%lld nodes, depth %d, width %lld)...   ", i + 1,
              GS_CALIBRATION_CASES, (long long)cs->nodes, (int)cs->depth, (long long)cs->width);
      fflush(progress);
    }
    st = measure_case(&pts[i], cs, &unfitted, epochs, err);
    if (st != GS_OK) {
      gs_error_prefix(err, "calibration case %d", i + 1);
      goto done;
    }
  }
  if (progress) fprintf(progress, "\r%78s\r", "");
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    double y[GS_CALIBRATION_CASES], a[GS_CALIBRATION_CASES];
    int64_t k[GS_CALIBRATION_CASES];
    for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
      y[i] = pts[i].measured[c];
      a[i] = pts[i].roofline[c];
      k[i] = pts[i].calls[c];
    }
    double scale = 1.0, call = 0.0;
    double e = gs_calibration_fit(&scale, &call, y, a, k, GS_CALIBRATION_CASES);
    p->kernel_scale[c] = scale;
    p->kernel_call_s[c] = call;
    if (fit_error) fit_error[c] = e;
  }
  if (points) memcpy(points, pts, sizeof pts);
done:
  gs_runtime_init(previous_threads, NULL);
  return st;
}

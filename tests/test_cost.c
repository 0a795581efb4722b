/* Tests of scaling/cost against the running code: the FLOPs of an epoch must equal what the
 * kernels count (gnn/flops.h), category by category, and the predicted peak must match the
 * counting allocator's high-water mark over load, graph, model and two training epochs, on
 * the bundled graphs and a generated one. Each configuration prints one line (predicted vs
 * counted FLOPs, predicted vs measured peak, peak RSS) for bench/RESULTS-style reports. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/runtime.h"
#include "datasets/dataset.h"
#include "datasets/generate.h"
#include "datasets/store.h"
#include "core/flops.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/planner.h"
#include "scaling/rules.h"
#include "scaling/sgc_count.h"
#include "sparse/graph.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_cost_suite(void);

/* The bar for the peak prediction. The replay is exact except where the loader turns
 * CSR features dense mid-file (the row where that happens needs the rows themselves). */
#define PEAK_TOLERANCE 0.02
#define THREADS 2
/* Two epochs: the second shows that nothing is allocated inside the epoch loop. */
#define EPOCHS 2

typedef struct {
  const char *dataset;  /* bundled folder, or NULL for the generated graph */
  double sparse_below;  /* the loader's storage threshold */
  gs_norm norm;
  int32_t depth;
  int64_t width;
  double resolution;
  gs_layer_order order;
  bool residual;
  bool layernorm;
  bool rezero;
  bool identity_map;
  gs_model_stack stack; /* GS_STACK_AUTO: the stack decided by depth */
  float dropout;
  gs_decay_scope decay;
  gs_model_family family;
  gs_sgc_input sgc_input; /* SGC: Â^K X's storage */
  gs_gin_norm gin_norm;   /* GIN: auto (Cora: none, mean closed degree 4.9), batch or none */
  const char *store;    /* not NULL: the run loads this binary store, written from the data */
} run_config;

/* A dataset described once from a full load: counts, prefix sums and the column ranking. */
typedef struct {
  gs_cost_data data;
  int64_t *prefix;
  int64_t *order;
} described;

static void describe(described *out, const run_config *rc) {
  gs_error err;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  if (rc->dataset) {
    gs_dataset_options o = gs_dataset_options_default();
    o.sparse_below = rc->sparse_below;
    GS_ASSERT_OK(gs_dataset_load(&ds, gs_test_data(rc->dataset), &o, &err), err);
  } else {
    gs_generate_options o = gs_generate_options_default();
    o.nodes = 2000;
    o.edges = 9000;
    o.features = 48;
    o.classes = 5;
    GS_ASSERT_OK(gs_dataset_generate(&ds, &o, &err), err);
  }
  GS_ASSERT_OK(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, rc->norm, &err),
               err);
  if (rc->store) {
    /* As `gnnscale train` prices a folder with a store: from its header and column counts. */
    gs_store_info info;
    int64_t *column_nnz = NULL;
    GS_ASSERT_OK(gs_store_write(rc->store, ds, g, 0, NULL, NULL, 0, 0, &err), err);
    GS_ASSERT_OK(gs_store_read_info(&info, rc->store, &err), err);
    GS_ASSERT_OK(gs_store_read_section((void **)&column_nnz, NULL, rc->store, GS_STORE_COLUMN_NNZ,
                                       "test", &err), err);
    GS_ASSERT_OK(gs_cost_data_of_store(&out->data, &out->prefix, &info, column_nnz, rc->norm,
                                       &err), err);
    ck_assert_int_eq(out->data.store_load_bytes, gs_store_load_bytes(&info));
    gs_mem_free(column_nnz);
  } else {
    GS_ASSERT_OK(gs_cost_data_of(&out->data, &out->prefix, ds, g, &err), err);
  }
  out->data.sparse_below = rc->sparse_below;
  GS_ASSERT_OK(gs_cost_column_ranking(&out->order, NULL, &ds->x, &err), err);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
}

static void undescribe(described *d) {
  gs_mem_free(d->prefix);
  gs_mem_free(d->order);
  memset(d, 0, sizeof *d);
}

static gs_cost_options options_of(const run_config *rc) {
  gs_cost_options o = gs_cost_options_default();
  o.model.depth = rc->depth;
  o.model.width = rc->width;
  o.model.order = rc->order;
  o.model.residual = rc->residual;
  o.model.norm = rc->layernorm;
  o.model.rezero = rc->rezero;
  o.model.identity_map = rc->identity_map;
  o.model.stack = rc->stack;
  o.model.dropout = rc->dropout;
  o.model.family = rc->family;
  o.model.sgc_input = rc->sgc_input;
  o.model.gin_norm = rc->gin_norm;
  o.decay_scope = rc->decay;
  o.epochs = EPOCHS;
  return o;
}

typedef struct {
  int64_t dataset_bytes, graph_bytes, model_bytes;
  int64_t phase_peak[3];
  int64_t peak;
  int64_t flops[GS_FLOPS_CATEGORIES];
  int64_t rss;
} measured;

/* Loads rc's dataset with its `features` top-ranked columns, as `gnnscale train` does. */
static void load_columns(gs_dataset **ds, const run_config *rc, const described *desc,
                         int64_t features) {
  gs_error err;
  gs_dataset_options o = gs_dataset_options_default();
  o.sparse_below = rc->sparse_below;
  if (features < desc->data.file_features) {
    o.columns = desc->order;
    o.num_columns = features;
  }
  GS_ASSERT_OK(gs_dataset_load(ds, gs_test_data(rc->dataset), &o, &err), err);
}

/* Runs what `gnnscale train` runs (load with the kept columns, row normalisation, graph,
 * model, training) and records the allocator's figures phase by phase. */
static void measure(measured *out, const run_config *rc, const described *desc, int64_t features) {
  gs_error err;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_model *m = NULL;
  memset(out, 0, sizeof *out);
  const int64_t base = gs_mem_current();
  gs_mem_reset_peak();
  if (rc->store && features == desc->data.file_features) {
    GS_ASSERT_OK(gs_store_load(&ds, rc->store, &err), err);
    out->phase_peak[GS_COST_PHASE_LOAD] = gs_mem_peak() - base;
  } else if (rc->dataset) {
    load_columns(&ds, rc, desc, features);
    out->phase_peak[GS_COST_PHASE_LOAD] = gs_mem_peak() - base;
  } else {
    gs_generate_options o = gs_generate_options_default();
    o.nodes = 2000;
    o.edges = 9000;
    o.features = 48;
    o.classes = 5;
    GS_ASSERT_OK(gs_dataset_generate(&ds, &o, &err), err);
    out->phase_peak[GS_COST_PHASE_LOAD] = -1; /* generated, not loaded: no prediction */
  }
  out->dataset_bytes = gs_mem_current() - base;
  gs_dataset_row_normalize(ds);
  gs_mem_reset_peak();
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, rc->norm, &err), err);
  out->phase_peak[GS_COST_PHASE_GRAPH] = gs_mem_peak() - base;
  out->graph_bytes = gs_mem_current() - base - out->dataset_bytes;
  gs_mem_reset_peak();
  /* As `gnnscale train` does: the stack decided once the depth is known. */
  gs_model_config asked = options_of(rc).model;
  asked.depth = rc->depth;
  asked.width = rc->width;
  const gs_model_config cfg = gs_model_config_resolve(&asked);
  const int64_t before_model = gs_mem_current();
  GS_ASSERT_OK(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, &err), err);
  out->model_bytes = gs_mem_current() - before_model;
  gs_train_options t = gs_train_options_default();
  t.epochs = EPOCHS;
  t.patience = 0;
  t.decay_scope = rc->decay;
  gs_train_result r;
  gs_flops_reset();
  GS_ASSERT_OK(gs_train(&r, m, ds, &t, &err), err);
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) out->flops[c] = gs_flops_get((gs_flops_category)c);
  out->phase_peak[GS_COST_PHASE_TRAIN] = gs_mem_peak() - base;
  out->peak = 0;
  for (int p = 0; p < 3; p++)
    if (out->phase_peak[p] > out->peak) out->peak = out->phase_peak[p];
  out->rss = gs_mem_peak_rss();
  gs_model_free(&m);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  ck_assert_int_eq(gs_mem_current(), base);
}

/* SGC: the non-zeros of Â^K X over the columns the run keeps, as `gnnscale train` counts them
 * after its load (count_smoothed), into the description the cost model reads. */
static void describe_smoothed(described *desc, const run_config *rc, int64_t features) {
  if (rc->family != GS_MODEL_SGC || rc->sgc_input == GS_SGC_INPUT_DENSE) return;
  gs_error err;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  load_columns(&ds, rc, desc, features);
  gs_dataset_row_normalize(ds);
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, rc->norm, &err), err);
  GS_ASSERT_OK(gs_model_smoothed_nnz(&desc->data.smoothed_nnz, g, &ds->x, rc->depth, &err), err);
  desc->data.smoothed_hops = rc->depth;
  desc->data.smoothed_features = features;
  gs_graph_free(&g);
  gs_dataset_free(&ds);
}

static const char *category_names[GS_FLOPS_CATEGORIES] = {"aggregate", "dense", "sparse_input",
                                                          "elementwise"};

static int64_t predicted_category(const gs_flops *f, int c) {
  const int64_t v[GS_FLOPS_CATEGORIES] = {f->aggregate, f->dense, f->sparse_input, f->elementwise};
  return v[c];
}

/* Mismatches found so far in the running test: every configuration is checked even when an
 * earlier one failed, so that one report lists them all. */
typedef struct {
  int failures;
  char text[4096];
} findings;

static void note(findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(findings *f, const char *fmt, ...) {
  size_t used = strlen(f->text);
  va_list ap;
  va_start(ap, fmt);
  if (used + 2 < sizeof f->text) vsnprintf(f->text + used, sizeof f->text - used - 1, fmt, ap);
  va_end(ap);
  used = strlen(f->text);
  if (used + 1 < sizeof f->text) strcat(f->text, "\n");
  f->failures++;
}

/* Predicts, runs and compares one configuration; prints its report lines. */
static void check_config(findings *found, const run_config *rc, bool check_peak) {
  described desc;
  describe(&desc, rc);
  const int64_t f = gs_scaling_features(rc->resolution, desc.data.file_features);
  describe_smoothed(&desc, rc, f);
  gs_cost_options opts = options_of(rc);
  gs_cost c;
  gs_error err;
  GS_ASSERT_OK(gs_cost_estimate(&c, rc->depth, rc->width, f, &opts, &desc.data, NULL, &err), err);
  measured ms;
  measure(&ms, rc, &desc, f);

  const char *name = rc->dataset ? rc->dataset : "generated";
  char label[192];
  snprintf(label, sizeof label,
           "%s %s d=%d w=%lld f=%lld (%s, sparse_below %g%s) %s%s%s%sdrop=%.1f norm=%s%s%s",
           gs_model_family_name(rc->family), name, (int)rc->depth, (long long)rc->width,
           (long long)f,
           c.sparse_features ? "csr" : "dense", rc->sparse_below,
           rc->family != GS_MODEL_SGC ? ""
           : desc.data.smoothed_nnz > 0 &&
                   gs_model_sgc_csr(&opts.model, &(gs_model_shape){
                       .nodes = desc.data.nodes, .features = f,
                       .smoothed_nnz = desc.data.smoothed_nnz})
               ? ", A^K X csr" : ", A^K X dense",
           rc->order == GS_ORDER_AGGREGATE_FIRST ? "agg-first "
           : rc->order == GS_ORDER_TRANSFORM_FIRST ? "trans-first " : "auto ",
           rc->residual ? (rc->rezero ? "residual rezero " : "residual ") : "",
           rc->identity_map ? "identity-map " : "",
           rc->layernorm ? "layernorm " : "", (double)rc->dropout,
           rc->norm == GS_NORM_ROW ? "row" : rc->norm == GS_NORM_NONE ? "none" : "sym",
           rc->family == GS_MODEL_GIN ? " gin-norm=" : "",
           rc->family == GS_MODEL_GIN ? gs_gin_norm_name(rc->gin_norm) : "");
  int64_t counted = 0;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) counted += ms.flops[k];
  printf("cost: %s\n  flops/epoch pred %lld counted %lld (aggregate %lld/%lld, dense %lld/%lld, "
         "sparse_input %lld/%lld, elementwise %lld/%lld)\n",
         label, (long long)c.epoch.total, (long long)(counted / EPOCHS),
         (long long)c.epoch.aggregate, (long long)(ms.flops[0] / EPOCHS), (long long)c.epoch.dense,
         (long long)(ms.flops[1] / EPOCHS), (long long)c.epoch.sparse_input,
         (long long)(ms.flops[2] / EPOCHS), (long long)c.epoch.elementwise,
         (long long)(ms.flops[3] / EPOCHS));
  if (check_peak)
    printf("  peak pred %lld meas %lld (%+.3f%%, %s phase) | load %lld/%lld graph %lld/%lld train "
           "%lld/%lld | process peak RSS %lld\n",
           (long long)c.peak_bytes, (long long)ms.peak,
           ms.peak > 0 ? 100.0 * (double)(c.peak_bytes - ms.peak) / (double)ms.peak : 0.0,
           gs_cost_phase_name(c.peak_phase), (long long)c.phase_peak[0], (long long)ms.phase_peak[0],
           (long long)c.phase_peak[1], (long long)ms.phase_peak[1], (long long)c.phase_peak[2],
           (long long)ms.phase_peak[2], (long long)ms.rss);
  fflush(stdout);

  /* FLOPs: exact, per category, per epoch. */
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) {
    int64_t want = EPOCHS * predicted_category(&c.epoch, k);
    if (ms.flops[k] != want)
      note(found, "%s: %s FLOPs counted %lld over %d epochs, predicted %lld%s", label,
           category_names[k], (long long)ms.flops[k], EPOCHS, (long long)want,
           k == GS_FLOPS_AGGREGATE && ms.flops[k] == 0
               ? " (gs_graph_aggregate does not count GS_FLOPS_AGGREGATE)"
               : "");
  }
  /* Bytes held after each step: exact. */
  if (ms.model_bytes != c.model_bytes)
    note(found, "%s: model holds %lld bytes, predicted %lld", label, (long long)ms.model_bytes,
         (long long)c.model_bytes);
  if (ms.graph_bytes != c.graph_bytes)
    note(found, "%s: graph holds %lld bytes, predicted %lld", label, (long long)ms.graph_bytes,
         (long long)c.graph_bytes);
  if (check_peak) {
    if (ms.dataset_bytes != c.dataset_bytes)
      note(found, "%s: dataset holds %lld bytes, predicted %lld", label,
           (long long)ms.dataset_bytes, (long long)c.dataset_bytes);
    for (int p = 0; p < 3; p++)
      if (fabs((double)(c.phase_peak[p] - ms.phase_peak[p])) >
          PEAK_TOLERANCE * (double)ms.phase_peak[p])
        note(found, "%s: %s phase peak predicted %lld, measured %lld", label,
             gs_cost_phase_name((gs_cost_phase)p), (long long)c.phase_peak[p],
             (long long)ms.phase_peak[p]);
    if (fabs((double)(c.peak_bytes - ms.peak)) > PEAK_TOLERANCE * (double)ms.peak)
      note(found, "%s: peak predicted %lld, measured %lld", label, (long long)c.peak_bytes,
           (long long)ms.peak);
  }
  undescribe(&desc);
}

#define ASSERT_NO_FINDINGS(found) \
  ck_assert_msg((found).failures == 0, "%d mismatches:\n%s", (found).failures, (found).text)

static run_config config(const char *dataset, int32_t depth, int64_t width, double r) {
  run_config rc = {.dataset = dataset, .sparse_below = GS_COST_SPARSE_BELOW, .norm = GS_NORM_SYM,
                   .depth = depth, .width = width, .resolution = r, .order = GS_ORDER_AUTO,
                   .residual = false, .layernorm = false, .dropout = 0.5f,
                   .decay = GS_DECAY_FIRST, .family = GS_MODEL_GCN};
  return rc;
}

/* A family on the normalisation of Â it needs. */
static run_config family_config(const char *dataset, gs_model_family family, int32_t depth,
                                int64_t width, double r) {
  run_config rc = config(dataset, depth, width, r);
  rc.family = family;
  rc.norm = gs_model_family_norm(family, GS_NORM_SYM);
  return rc;
}

/* ------------------------------------------------------------------ real runs */

START_TEST(test_cora_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config("cora", 2, 16, 1.0); /* Kipf & Welling, CSR features */
  check_config(&found, &rc, true);
  rc = config("cora", 3, 64, 0.5);
  check_config(&found, &rc, true);
  rc = config("cora", 2, 16, 1.0);
  rc.sparse_below = 0.0; /* dense features: 15.5 MB, and a dropped copy of them */
  check_config(&found, &rc, true);
  rc = config("cora", 4, 32, 0.25);
  rc.sparse_below = 0.0;
  rc.order = GS_ORDER_AGGREGATE_FIRST;
  rc.residual = true;
  rc.layernorm = true;
  rc.decay = GS_DECAY_ALL;
  check_config(&found, &rc, true);
  rc = config("cora", 3, 32, 1.0);
  rc.norm = GS_NORM_ROW;
  rc.layernorm = true;
  rc.order = GS_ORDER_TRANSFORM_FIRST;
  check_config(&found, &rc, true);
  rc = config("cora", 6, 16, 1.0); /* ReZero's scales: parameters and their passes */
  rc.residual = rc.rezero = true;
  check_config(&found, &rc, true);
  rc.identity_map = true; /* W_eff built forward and backward, dW += β·dW_eff */
  check_config(&found, &rc, true);
  rc = config("cora", 5, 16, 0.25);
  rc.sparse_below = 0.0;
  rc.order = GS_ORDER_AGGREGATE_FIRST;
  rc.residual = rc.identity_map = true;
  check_config(&found, &rc, true);
  rc = config("cora", 2, 16, 1.0);
  rc.sparse_below = 0.01; /* density 1.27%: turns dense while loading */
  check_config(&found, &rc, true);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

/* Full-batch training from the binary store (what `train` loads when a folder has one): the
 * dataset's bytes, the phase peaks (the store's sections, then Â from the stored adjacency)
 * and the peak predicted exactly; a column subset is read from the text as priced. */
START_TEST(test_store_loaded_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  gs_test_make_tmp();
  findings found = {0, ""};
  run_config rc = config("cora", 2, 16, 1.0); /* CSR features */
  rc.store = gs_test_path("cora.store");
  check_config(&found, &rc, true);
  rc = config("cora", 3, 32, 1.0);
  rc.store = gs_test_path("cora.store");
  rc.norm = GS_NORM_ROW; /* Âᵀ too */
  check_config(&found, &rc, true);
  rc = config("cora", 2, 16, 0.5);
  rc.store = gs_test_path("cora.store");
  check_config(&found, &rc, true);
  rc = config(NULL, 2, 16, 1.0); /* dense features */
  rc.store = gs_test_path("generated.store");
  check_config(&found, &rc, true);
  gs_test_clean_tmp();
  ASSERT_NO_FINDINGS(found);
}
END_TEST

START_TEST(test_citeseer_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config("citeseer", 2, 16, 1.0);
  check_config(&found, &rc, true);
  rc = config("citeseer", 5, 48, 0.3);
  rc.residual = true;
  check_config(&found, &rc, true);
  rc = config("citeseer", 2, 64, 0.1);
  rc.sparse_below = 0.0;
  rc.dropout = 0.0f;
  check_config(&found, &rc, true);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

START_TEST(test_amazon_photo_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config("amazon-photo", 2, 16, 1.0); /* density 35%: dense by the loader */
  check_config(&found, &rc, true);
  rc = config("amazon-photo", 3, 128, 0.5);
  rc.dropout = 0.0f;
  check_config(&found, &rc, true);
  rc = config("amazon-photo", 2, 256, 1.0);
  rc.norm = GS_NORM_ROW;
  rc.order = GS_ORDER_AGGREGATE_FIRST;
  check_config(&found, &rc, true);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

START_TEST(test_coauthor_cs_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config("coauthor-cs", 2, 16, 1.0);
  check_config(&found, &rc, true);
  rc = config("coauthor-cs", 3, 64, 0.5);
  rc.layernorm = true;
  check_config(&found, &rc, true);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

/* Each family on Cora, CSR and dense features, both orders where it aggregates; the other
 * options (residual, norm, decay scope) once each. GIN twice more with BatchNorm (auto's
 * choice above a mean closed degree of 12; Cora's 4.9 gives the plain sum): its γ, its cache
 * and its FLOPs priced as trained. */
START_TEST(test_families_predictions_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  const gs_model_family families[5] = {GS_MODEL_SAGE, GS_MODEL_GIN, GS_MODEL_GIN, GS_MODEL_SGC,
                                       GS_MODEL_APPNP};
  for (int i = 0; i < 5; i++) {
    run_config rc = family_config("cora", families[i], 2, 16, 1.0);
    const gs_gin_norm gin_norm = i == 2 ? GS_GIN_NORM_BATCH : GS_GIN_NORM_AUTO;
    rc.gin_norm = gin_norm;
    if (i != 4) check_config(&found, &rc, true); /* APPNP's sparse input: below, at depth 10 */
    rc = family_config("cora", families[i], 3, 32, 0.02); /* dense, aggregate-first */
    rc.sparse_below = 0.0;
    rc.decay = GS_DECAY_ALL;
    rc.gin_norm = gin_norm;
    if (i != 0) check_config(&found, &rc, true); /* SAGE's dense input: below, with norm */
  }
  run_config rc = family_config("cora", GS_MODEL_GIN, 4, 24, 0.1);
  rc.sparse_below = 0.0;
  rc.order = GS_ORDER_TRANSFORM_FIRST;
  rc.residual = rc.layernorm = true;
  check_config(&found, &rc, true);
  rc.gin_norm = GS_GIN_NORM_BATCH;
  check_config(&found, &rc, true);
  rc = family_config("cora", GS_MODEL_SAGE, 4, 16, 0.1);
  rc.sparse_below = 0.0;
  rc.order = GS_ORDER_AGGREGATE_FIRST;
  rc.residual = rc.layernorm = true;
  rc.dropout = 0.0f;
  check_config(&found, &rc, true);
  rc = family_config("cora", GS_MODEL_APPNP, 10, 64, 1.0);
  rc.layernorm = true;
  check_config(&found, &rc, true);
  /* SGC's Â^K X both ways on Cora (18.7% non-zeros: CSR by the rule), and CiteSeer's 6.5% */
  rc = family_config("cora", GS_MODEL_SGC, 2, 16, 1.0);
  rc.sgc_input = GS_SGC_INPUT_DENSE;
  check_config(&found, &rc, true);
  rc = family_config("citeseer", GS_MODEL_SGC, 2, 16, 1.0);
  check_config(&found, &rc, true);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

/* SGC planned as trained: with Â^K X's non-zeros counted for the grid (gs_sgc_counter, as
 * `plan` and `search` attach it), the plan's rows at K = 2 (Cora: 18.7%, CSR) and K = 3
 * (dense) predict the FLOPs and peak their runs count; the counter's answer for a column
 * subset equals the count of a run that loads only those columns; CSR forced prices K = 3
 * as CSR, exactly. */
START_TEST(test_planned_sgc_as_trained) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  gs_error err;
  run_config rc = family_config("cora", GS_MODEL_SGC, 2, 16, 1.0);
  described desc;
  describe(&desc, &rc);
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  load_columns(&ds, &rc, &desc, desc.data.file_features);
  gs_dataset_row_normalize(ds);
  GS_ASSERT_OK(gs_dataset_graph_new(&g, ds, rc.norm, &err), err);
  gs_sgc_counter counter;
  GS_ASSERT_OK(gs_sgc_counter_init(&counter, g, &ds->x, false, &err), err);
  desc.data.smoothed_count = gs_sgc_counter_count;
  desc.data.smoothed_ctx = &counter;
  gs_plan_options o = gs_plan_options_default();
  o.cost = options_of(&rc);
  o.limit[GS_PLAN_MEMORY] = 1e9;
  o.phi_max = 1.5; /* EfficientNet's constants: K = 2 up to phi 1, then 3 */
  gs_plan plan;
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &desc.data, NULL, &err), err);
  const int rows[2] = {0, plan.count - 1};
  for (int i = 0; i < 2; i++) {
    const gs_plan_row *row = &plan.rows[rows[i]];
    ck_assert_int_eq(row->status, GS_OK);
    ck_assert_int_eq(row->spec.depth, 2 + i);
    run_config run = rc;
    run.depth = row->spec.depth;
    run.width = row->spec.width;
    measured ms;
    measure(&ms, &run, &desc, row->spec.features);
    int64_t counted = 0;
    for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) counted += ms.flops[k];
    printf("plan -> train: sgc phi %.2f K %d, %lld features: flops/epoch planned %lld counted "
           "%lld; peak planned %lld counted %lld\n", row->phi, (int)row->spec.depth,
           (long long)row->spec.features, (long long)row->cost.epoch.total,
           (long long)(counted / EPOCHS), (long long)row->cost.peak_bytes, (long long)ms.peak);
    if (counted != EPOCHS * row->cost.epoch.total)
      note(&found, "K %d: FLOPs planned %lld per epoch, counted %lld over %d epochs",
           (int)row->spec.depth, (long long)row->cost.epoch.total, (long long)counted, EPOCHS);
    if (ms.peak != row->cost.peak_bytes)
      note(&found, "K %d: peak planned %lld, counted %lld", (int)row->spec.depth,
           (long long)row->cost.peak_bytes, (long long)ms.peak);
  }
  /* CSR at K = 2, dense at K = 3: the two storages were both priced */
  ck_assert_int_lt(plan.rows[0].cost.epoch.total, plan.rows[plan.count - 1].cost.epoch.total);
  gs_plan_release(&plan);

  /* a column subset: the counter against a run that loads 430 of the 1433 columns */
  const int64_t f = 430;
  int64_t asked = 0;
  GS_ASSERT_OK(gs_sgc_counter_count(&counter, 2, f, &asked, &err), err);
  run_config sub = rc;
  describe_smoothed(&desc, &sub, f);
  printf("sgc count: K 2, %lld columns: counter %lld, run %lld\n", (long long)f,
         (long long)asked, (long long)desc.data.smoothed_nnz);
  ck_assert_int_eq(asked, desc.data.smoothed_nnz);
  gs_sgc_counter_release(&counter);

  /* CSR forced: every K counted exactly, and K = 3 priced as CSR as trained */
  GS_ASSERT_OK(gs_sgc_counter_init(&counter, g, &ds->x, true, &err), err);
  rc.sgc_input = GS_SGC_INPUT_CSR;
  rc.depth = 3;
  gs_cost_options copt = options_of(&rc);
  gs_cost c;
  GS_ASSERT_OK(gs_cost_estimate(&c, 3, 16, desc.data.file_features, &copt, &desc.data, NULL, &err),
               err);
  measured ms;
  measure(&ms, &rc, &desc, desc.data.file_features);
  int64_t counted = 0;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) counted += ms.flops[k];
  printf("sgc K 3 csr forced: flops/epoch predicted %lld counted %lld; peak %lld / %lld\n",
         (long long)c.epoch.total, (long long)(counted / EPOCHS), (long long)c.peak_bytes,
         (long long)ms.peak);
  if (counted != EPOCHS * c.epoch.total || ms.peak != c.peak_bytes)
    note(&found, "K 3 csr forced: FLOPs %lld / %lld, peak %lld / %lld", (long long)c.epoch.total,
         (long long)(counted / EPOCHS), (long long)c.peak_bytes, (long long)ms.peak);
  gs_sgc_counter_release(&counter);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  undescribe(&desc);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

/* A plan's φ* trained as planned: with the deep stack chosen by depth (GS_STACK_AUTO), the
 * planner's predicted FLOPs and peak for its pick equal what the run of that model counts
 * (the stack it prices is the stack trained), and the pick is deep enough to have it. */
START_TEST(test_planned_deep_model_as_trained) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config("cora", 2, 16, 1.0);
  rc.stack = GS_STACK_AUTO;
  described desc;
  describe(&desc, &rc);
  gs_plan_options o = gs_plan_options_default();
  o.rule.strategy = GS_SCALE_DEPTH;
  o.cost = options_of(&rc);
  o.limit[GS_PLAN_MEMORY] = 6.0 * 1024 * 1024; /* counted: depth 2 takes 2.9 MiB */
  o.phi_max = 4.0;
  gs_plan plan;
  gs_error err;
  GS_ASSERT_OK(gs_plan_make(&plan, &o, &desc.data, NULL, &err), err);
  ck_assert_int_ge(plan.best, 0);
  const gs_plan_row *best = &plan.rows[plan.best];
  ck_assert_int_ge(best->spec.depth, GS_MODEL_DEEP_DEPTH);
  rc.depth = best->spec.depth;
  rc.width = best->spec.width;
  rc.resolution = best->spec.resolution;
  gs_model_config asked = o.cost.model;
  asked.depth = rc.depth;
  const gs_model_config trained = gs_model_config_resolve(&asked);
  ck_assert(trained.residual && trained.rezero && trained.identity_map && !trained.norm);
  measured ms;
  measure(&ms, &rc, &desc, best->spec.features);
  int64_t counted = 0;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) counted += ms.flops[k];
  printf("plan -> train: phi* %.2f depth %d width %lld: flops/epoch planned %lld counted %lld; "
         "peak planned %lld counted %lld\n", best->phi, (int)rc.depth, (long long)rc.width,
         (long long)best->cost.epoch.total, (long long)(counted / EPOCHS),
         (long long)best->cost.peak_bytes, (long long)ms.peak);
  if (counted != EPOCHS * best->cost.epoch.total)
    note(&found, "FLOPs: planned %lld per epoch, counted %lld over %d epochs",
         (long long)best->cost.epoch.total, (long long)counted, EPOCHS);
  if (ms.peak != best->cost.peak_bytes)
    note(&found, "peak: planned %lld, counted %lld", (long long)best->cost.peak_bytes,
         (long long)ms.peak);
  gs_plan_release(&plan);
  undescribe(&desc);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

START_TEST(test_generated_graph_flops_match) {
  GS_TEST_RUNTIME(THREADS);
  findings found = {0, ""};
  run_config rc = config(NULL, 2, 16, 1.0);
  check_config(&found, &rc, false);
  rc = config(NULL, 3, 96, 1.0);
  rc.order = GS_ORDER_AGGREGATE_FIRST;
  check_config(&found, &rc, false);
  rc = config(NULL, 4, 24, 1.0);
  rc.order = GS_ORDER_TRANSFORM_FIRST;
  rc.residual = true;
  rc.dropout = 0.0f;
  check_config(&found, &rc, false);
  rc = config(NULL, 1, 16, 1.0);
  check_config(&found, &rc, false);
  ASSERT_NO_FINDINGS(found);
}
END_TEST

/* ------------------------------------------------------------------ without data */

static gs_cost_data small_counts(void) {
  gs_cost_data d = gs_cost_data_default();
  d.nodes = 1000;
  d.edge_lines = 4000;
  d.symmetric_entries = 7000;
  d.adj_nnz = 8000;
  d.max_degree = 50;
  d.file_features = 300;
  d.feature_nnz = 6000;
  d.classes = 5;
  d.num_train = 100;
  d.num_valid = 200;
  d.num_test = 500;
  return d;
}

/* The replayed kernels must add up to the model's layout plus the trainer's extras, plus the
 * validation loss, which gs_train_extra_flops leaves out (gs_softmax_xent counts it). */
START_TEST(test_flops_agree_with_layout) {
  gs_cost_data d = small_counts();
  const gs_layer_order orders[3] = {GS_ORDER_AUTO, GS_ORDER_TRANSFORM_FIRST,
                                    GS_ORDER_AGGREGATE_FIRST};
  for (int fam = 0; fam < GS_MODEL_FAMILIES; fam++)
  for (int sparse = 0; sparse < 2; sparse++)
    for (int o = 0; o < 3; o++)
      for (int32_t depth = 1; depth <= 4; depth++) {
        d.sparse_below = sparse ? GS_COST_SPARSE_BELOW : 0.0;
        gs_cost_options opts = gs_cost_options_default();
        opts.model.family = (gs_model_family)fam;
        opts.model.order = orders[o];
        opts.model.residual = depth % 2 == 1;
        opts.model.norm = depth == 4;
        gs_cost c;
        gs_error err;
        GS_ASSERT_OK(gs_cost_estimate(&c, depth, 40, 250, &opts, &d, NULL, &err), err);
        gs_model_config cfg = opts.model;
        cfg.depth = depth;
        cfg.width = 40;
        gs_model_shape shape = {.nodes = d.nodes, .adj_nnz = d.adj_nnz, .features = 250,
                                .sparse_features = c.sparse_features,
                                .feature_nnz = c.feature_nnz, .classes = d.classes};
        gs_model_layout L;
        GS_ASSERT_OK(gs_model_layout_make(&L, &cfg, &shape, &err), err);
        int64_t want = L.train_flops.total + L.eval_flops.total +
                       gs_train_extra_flops(&L, d.num_train, opts.decay_scope, opts.weight_decay) +
                       5 * d.num_valid * d.classes;
        ck_assert_int_eq(c.epoch.total, want);
        ck_assert_int_eq(c.epoch.dense, L.train_flops.dense + L.eval_flops.dense);
        ck_assert_int_eq(c.epoch.aggregate, L.train_flops.aggregate + L.eval_flops.aggregate);
        ck_assert_int_eq(c.eval.total, L.eval_flops.total + 5 * d.num_valid * d.classes);
        ck_assert_int_eq(c.params, L.params);
        ck_assert_int_eq(c.activation_bytes, L.activation_bytes);
        ck_assert_int_eq(c.param_bytes + c.grad_bytes + c.optimizer_bytes + c.activation_bytes +
                             c.workspace_bytes + c.input_transpose_bytes,
                         L.total_bytes);
        ck_assert_int_eq(c.param_bytes, 4 * c.params);
        ck_assert_int_eq(c.optimizer_bytes, 8 * c.params);
      }
}
END_TEST

START_TEST(test_storage_and_prefix) {
  gs_cost_data d = small_counts();
  /* proportional: ceil(6000·100/300) */
  ck_assert_int_eq(gs_cost_feature_nnz(&d, 100), 2000);
  gs_cost c;
  gs_error err;
  gs_cost_options opts = gs_cost_options_default();
  GS_ASSERT_OK(gs_cost_estimate(&c, 2, 16, 100, &opts, &d, NULL, &err), err);
  ck_assert(c.nnz_proportional);
  ck_assert(c.sparse_features); /* density 2% */
  ck_assert_int_eq(c.feature_bytes, 8 * 1001 + 12 * 2000);
  /* exact prefix: the 10 top columns hold everything */
  int64_t prefix[301];
  prefix[0] = 0;
  for (int j = 0; j < 300; j++) prefix[j + 1] = prefix[j] + (j < 10 ? 600 : 0);
  d.column_nnz_prefix = prefix;
  GS_ASSERT_OK(gs_cost_estimate(&c, 2, 16, 5, &opts, &d, NULL, &err), err);
  ck_assert(!c.nnz_proportional);
  ck_assert_int_eq(c.feature_nnz, 3000);
  ck_assert(!c.sparse_features); /* 60% dense: the loader keeps them dense */
  ck_assert_int_eq(c.feature_bytes, 4 * 1000 * 5);
  ck_assert(!gs_cost_features_sparse(&d, 10));
  ck_assert(gs_cost_features_sparse(&d, 30)); /* 6000 / 30000 = 20% */
}
END_TEST

START_TEST(test_column_ranking) {
  /* 3 x 4 dense: column non-zeros 1, 3, 1, 2 -> order 1, 3, 0, 2 (ties by index) */
  float v[12] = {0, 1, 0, 1, 2, 1, 0, 0, 0, 1, 5, 3};
  gs_features x = {.kind = GS_FEATURES_DENSE, .rows = 3, .cols = 4, .nnz = 7, .dense = v};
  int64_t *order = NULL, *prefix = NULL;
  gs_error err;
  GS_ASSERT_OK(gs_cost_column_ranking(&order, &prefix, &x, &err), err);
  const int64_t want_order[4] = {1, 3, 0, 2}, want_prefix[5] = {0, 3, 5, 6, 7};
  for (int j = 0; j < 4; j++) ck_assert_int_eq(order[j], want_order[j]);
  for (int j = 0; j < 5; j++) ck_assert_int_eq(prefix[j], want_prefix[j]);
  gs_mem_free(order);
  gs_mem_free(prefix);
  /* the same matrix as CSR */
  int64_t rowptr[4] = {0, 2, 4, 7}, col[7] = {1, 3, 0, 1, 1, 2, 3};
  float val[7] = {1, 1, 2, 1, 1, 5, 3};
  gs_features s = {.kind = GS_FEATURES_SPARSE, .rows = 3, .cols = 4, .nnz = 7,
                   .sparse = {.nrows = 3, .ncols = 4, .nnz = 7, .rowptr = rowptr, .col = col,
                              .val = val}};
  GS_ASSERT_OK(gs_cost_column_ranking(&order, &prefix, &s, &err), err);
  for (int j = 0; j < 4; j++) ck_assert_int_eq(order[j], want_order[j]);
  for (int j = 0; j < 5; j++) ck_assert_int_eq(prefix[j], want_prefix[j]);
  gs_mem_free(order);
  gs_mem_free(prefix);
  gs_features none = {.kind = GS_FEATURES_NONE};
  ck_assert_int_eq(gs_cost_column_ranking(&order, &prefix, &none, &err), GS_ERR_INVALID);
}
END_TEST

START_TEST(test_time_prediction_shape) {
  gs_cost_data d = small_counts();
  gs_profile prof = gs_profile_default();
  gs_cost_options opts = gs_cost_options_default();
  gs_cost a, b, none;
  gs_error err;
  GS_ASSERT_OK(gs_cost_estimate(&a, 2, 16, 300, &opts, &d, &prof, &err), err);
  GS_ASSERT_OK(gs_cost_estimate(&b, 2, 256, 300, &opts, &d, &prof, &err), err);
  GS_ASSERT_OK(gs_cost_estimate(&none, 2, 16, 300, &opts, &d, NULL, &err), err);
  ck_assert(a.seconds_per_epoch > 0.0);
  ck_assert(b.seconds_per_epoch > a.seconds_per_epoch);
  ck_assert_double_eq_tol(a.seconds_per_epoch, a.seconds_train + a.seconds_eval, 1e-15);
  double parts = a.seconds_memory;
  int64_t calls = 0;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) {
    parts += a.seconds_category[k];
    calls += a.calls_category[k];
    /* unfitted profile: the category is its roofline */
    ck_assert_double_eq_tol(a.seconds_category[k], a.seconds_roofline[k], 1e-15);
  }
  ck_assert_double_eq_tol(a.seconds_per_epoch, parts, 1e-12);
  ck_assert(a.kernel_calls > 0);
  ck_assert_int_eq(calls, a.kernel_calls);
  /* a kernel fit scales each category and adds its per-call time */
  gs_profile fitted = prof;
  const double scale[GS_FLOPS_CATEGORIES] = {2.0, 0.5, 3.0, 1.5};
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) {
    fitted.kernel_scale[k] = scale[k];
    fitted.kernel_call_s[k] = 1e-6 * (k + 1);
    fitted.kernel_entry_s[k] = 1e-9 * (k + 1);
  }
  gs_cost f;
  GS_ASSERT_OK(gs_cost_estimate(&f, 2, 16, 300, &opts, &d, &fitted, &err), err);
  double want = a.seconds_memory;
  for (int k = 0; k < GS_FLOPS_CATEGORIES; k++) {
    double cat = scale[k] * a.seconds_roofline[k] + 1e-6 * (k + 1) * (double)a.calls_category[k] +
                 1e-9 * (k + 1) * a.entries_category[k];
    ck_assert_double_eq_tol(f.seconds_category[k], cat, 1e-15);
    want += cat;
  }
  ck_assert_double_eq_tol(f.seconds_per_epoch, want, 1e-12);
  /* entries: Â's non-zeros per aggregation, none in the dense products */
  ck_assert(a.entries_category[GS_FLOPS_AGGREGATE] > 0.0);
  ck_assert_double_eq(fmod(a.entries_category[GS_FLOPS_AGGREGATE], (double)d.adj_nnz), 0.0);
  ck_assert_double_eq(a.entries_category[GS_FLOPS_DENSE], 0.0);
  ck_assert(none.seconds_per_epoch < 0.0);
  ck_assert_int_eq(none.epoch.total, a.epoch.total);
  /* θ given: a random graph much larger than cache costs more than a cached one */
  opts.theta = 0.0;
  GS_ASSERT_OK(gs_cost_estimate(&a, 2, 16, 300, &opts, &d, &prof, &err), err);
  opts.theta = 1.0;
  GS_ASSERT_OK(gs_cost_estimate(&b, 2, 16, 300, &opts, &d, &prof, &err), err);
  ck_assert(b.seconds_category[GS_FLOPS_AGGREGATE] > a.seconds_category[GS_FLOPS_AGGREGATE]);
}
END_TEST

START_TEST(test_cost_rejects_bad_input) {
  gs_cost_data d = small_counts();
  gs_cost_options opts = gs_cost_options_default();
  gs_cost c;
  gs_error err;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 0, &opts, &d, NULL, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 301, &opts, &d, NULL, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_cost_estimate(&c, 0, 16, 300, &opts, &d, NULL, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 0, 300, &opts, &d, NULL, &err), GS_ERR_INVALID);
  gs_cost_data bad = d;
  bad.nodes = 0;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &opts, &bad, NULL, &err), GS_ERR_INVALID);
  bad = d;
  bad.adj_nnz = 10;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &opts, &bad, NULL, &err), GS_ERR_INVALID);
  bad = d;
  bad.classes = 0;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &opts, &bad, NULL, &err), GS_ERR_INVALID);
  bad = d;
  bad.sparse_below = NAN;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &opts, &bad, NULL, &err), GS_ERR_INVALID);
  bad = d;
  bad.self_loop_lines = bad.edge_lines + 1;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &opts, &bad, NULL, &err), GS_ERR_INVALID);
  gs_cost_options o = opts;
  o.epochs = 0;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &o, &d, NULL, &err), GS_ERR_INVALID);
  o = opts;
  o.theta = 1.5;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &o, &d, NULL, &err), GS_ERR_INVALID);
  o = opts;
  o.model.dropout = 1.0f;
  ck_assert_int_eq(gs_cost_estimate(&c, 2, 16, 300, &o, &d, NULL, &err), GS_ERR_INVALID);
  bad = d;
  bad.nodes = (int64_t)1 << 40;
  bad.adj_nnz = bad.nodes;
  ck_assert_int_eq(gs_cost_estimate(&c, 8, 1 << 16, 300, &opts, &bad, NULL, &err), GS_ERR_RANGE);
}
END_TEST

Suite *gs_cost_suite(void) {
  Suite *s = suite_create("cost");
  TCase *model = tcase_create("model");
  tcase_add_test(model, test_flops_agree_with_layout);
  tcase_add_test(model, test_storage_and_prefix);
  tcase_add_test(model, test_column_ranking);
  tcase_add_test(model, test_time_prediction_shape);
  tcase_add_test(model, test_cost_rejects_bad_input);
  suite_add_tcase(s, model);
  TCase *real = tcase_create("real");
  tcase_set_timeout(real, 240);
  tcase_add_test(real, test_cora_predictions_match);
  tcase_add_test(real, test_store_loaded_predictions_match);
  tcase_add_test(real, test_citeseer_predictions_match);
  tcase_add_test(real, test_amazon_photo_predictions_match);
  tcase_add_test(real, test_coauthor_cs_predictions_match);
  tcase_add_test(real, test_generated_graph_flops_match);
  tcase_add_test(real, test_families_predictions_match);
  tcase_add_test(real, test_planned_deep_model_as_trained);
  tcase_add_test(real, test_planned_sgc_as_trained);
  suite_add_tcase(s, real);
  return s;
}

/* gnnscale search: EfficientNet's step 1 for a GCN (Tan & Le 2019; DESIGN.md §1). On a grid of
 * (α, β, γ) >= 1 it keeps the constants whose rounded model at φ = 1 costs `factor` × the base
 * by the exact FLOP model, trains each distinct model over several seeds, picks the best by
 * validation accuracy, compares it with the base and with depth, width or resolution scaled
 * alone to the same cost, and saves the result for `plan --from-search`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/colrank.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/rules.h"
#include "scaling/search.h"

#define SEARCH_MAX_SEEDS 100
/* The result file holds the base, three single-dimension models and the candidates. */
#define SEARCH_MAX_CANDIDATES (GS_SEARCH_MAX_MODELS - 4)
_Static_assert(SEARCH_MAX_CANDIDATES == 252, "the help of --max-candidates says 252");
/* Datasets kept loaded at once (each holds its own feature columns; evicted oldest first). */
#define SEARCH_MAX_DATASETS 4

/* Datasets loaded at each feature count, sharing one graph. */
typedef struct {
  int32_t count;
  int64_t features[SEARCH_MAX_DATASETS];
  gs_dataset *ds[SEARCH_MAX_DATASETS];
} dataset_cache;

static gs_status dataset_at(gs_dataset **out, dataset_cache *c, const char *dir, const char *split,
                            int64_t f0, int64_t f, gs_error *err) {
  for (int32_t i = 0; i < c->count; i++)
    if (c->features[i] == f) {
      *out = c->ds[i];
      return GS_OK;
    }
  if (c->count == SEARCH_MAX_DATASETS) {
    gs_dataset_free(&c->ds[0]);
    memmove(c->ds, c->ds + 1, (SEARCH_MAX_DATASETS - 1) * sizeof c->ds[0]);
    memmove(c->features, c->features + 1, (SEARCH_MAX_DATASETS - 1) * sizeof c->features[0]);
    c->count--;
  }
  gs_dataset_options o = gs_dataset_options_default();
  o.split = split;
  gs_dataset *ds = NULL;
  gs_status st = gs_dataset_load_resolution(&ds, dir, &o, (double)f / (double)f0, GS_COLRANK_DF,
                                            NULL, err);
  if (st != GS_OK) return st;
  if (ds->x.cols != f) {
    int64_t got = ds->x.cols;
    gs_dataset_free(&ds);
    return gs_error_set(err, GS_ERR_INTERNAL, "%s: loaded %lld columns for %lld", dir,
                        (long long)got, (long long)f);
  }
  gs_dataset_row_normalize(ds);
  c->features[c->count] = f;
  c->ds[c->count++] = ds;
  *out = ds;
  return GS_OK;
}

typedef struct {
  const char *label;
  double alpha, beta, gamma; /* < 0: not a dwr candidate */
  int32_t depth;
  int64_t width, features;
  double factor;
  bool available;
  char note[GS_ERROR_MSG_MAX];
  gs_search_accuracy acc;
  double epoch_ms;
} entry;

static gs_status train_entry(entry *e, dataset_cache *cache, const char *dir, const char *split,
                             const gs_dataset *full, const gs_graph *g, int seeds,
                             const gs_train_options *topt, gs_error *err) {
  gs_dataset *ds = (gs_dataset *)full;
  gs_model *m = NULL;
  gs_status st = GS_OK;
  double val[SEARCH_MAX_SEEDS], test[SEARCH_MAX_SEEDS], ms = 0;
  if (e->features < full->x.cols)
    GS_TRY(dataset_at(&ds, cache, dir, split, full->x.cols, e->features, err));
  for (int s = 0; s < seeds; s++) {
    gs_model_config cfg = gs_model_config_default();
    cfg.depth = e->depth;
    cfg.width = e->width;
    cfg.seed = (uint64_t)s;
    GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, err));
    gs_train_result r;
    GS_TRY(gs_train(&r, m, ds, topt, err));
    gs_model_free(&m);
    val[s] = r.best_val_acc;
    test[s] = r.test_acc;
    ms += 1e3 * r.epoch_seconds_median / seeds;
  }
  gs_mean_std(val, seeds, &e->acc.val_mean, &e->acc.val_std);
  gs_mean_std(test, seeds, &e->acc.test_mean, &e->acc.test_std);
  e->epoch_ms = ms;
  return GS_OK;
fail:
  gs_model_free(&m);
  return st;
}

static void json_entry(const entry *e, bool first) {
  printf("%s{\"label\":", first ? "" : ",");
  gs_json_string(stdout, e->label);
  if (e->alpha > 0) printf(",\"alpha\":%.6g,\"beta\":%.6g,\"gamma\":%.6g", e->alpha, e->beta, e->gamma);
  if (!e->available) {
    printf(",\"available\":false,\"note\":");
    gs_json_string(stdout, e->note);
    printf("}");
    return;
  }
  printf(",\"depth\":%d,\"width\":%lld,\"features\":%lld,\"cost_factor\":%.6f,\"val_acc_mean\":%.6f,"
         "\"val_acc_std\":%.6f,\"test_acc_mean\":%.6f,\"test_acc_std\":%.6f,\"epoch_ms\":%.4f}",
         (int)e->depth, (long long)e->width, (long long)e->features, e->factor, e->acc.val_mean,
         e->acc.val_std, e->acc.test_mean, e->acc.test_std, e->epoch_ms);
}

static void text_entry(const entry *e, bool best) {
  char abg[64] = "";
  if (e->alpha > 0) snprintf(abg, sizeof abg, "%.2f %.2f %.2f", e->alpha, e->beta, e->gamma);
  if (!e->available) {
    printf("  %-12s %-16s  %s\n", e->label, abg, e->note);
    return;
  }
  printf("%c %-12s %-16s %5d %6lld %8lld  %6.3f  %6.2f ± %5.2f  %6.2f ± %5.2f  %8.2f\n",
         best ? '*' : ' ', e->label, abg, (int)e->depth, (long long)e->width,
         (long long)e->features, e->factor, 100 * e->acc.val_mean, 100 * e->acc.val_std,
         100 * e->acc.test_mean, 100 * e->acc.test_std, e->epoch_ms);
}

int gs_cmd_search(int argc, char **argv) {
  const char *data = NULL, *split = NULL, *out = NULL;
  gs_search_options so = gs_search_options_default();
  gs_scaling_rule rule = gs_scaling_rule_default();
  gs_train_options topt = gs_train_options_default();
  int64_t seeds = 3, threads = 0, max_candidates = 12;
  bool json = false;
  const gs_option options[] = {
      GS_OPTS_DATA(&data, &split),
      GS_OPT_SECTION("search"),
      GS_OPT_DOUBLE("factor", "X", 1.0001, 1e6, &so.factor, "cost factor at phi = 1 (default 2)"),
      GS_OPT_DOUBLE("tolerance", "X", 1e-6, 0.99, &so.tolerance,
                    "accept a realised factor within this fraction (default 0.1)"),
      GS_OPT_DOUBLE("grid-step", "X", 1e-3, 10.0, &so.grid_step,
                    "grid step of alpha, beta, gamma from 1 (default 0.05)"),
      GS_OPT_DOUBLE("alpha-max", "A", 1.0, 100.0, &so.alpha_max, "grid bound of alpha (default 4)"),
      GS_OPT_DOUBLE("beta-max", "B", 1.0, 100.0, &so.beta_max, "grid bound of beta (default 4)"),
      GS_OPT_DOUBLE("gamma-max", "G", 1.0, 100.0, &so.gamma_max,
                    "grid bound of gamma (default 1/r0)"),
      GS_OPT_BASE(&rule),
      GS_OPT_WIDTH_MULTIPLE(&rule),
      GS_OPT_INT("max-candidates", "N", 0, SEARCH_MAX_CANDIDATES, &max_candidates,
                 "train at most N candidates, evenly spaced over the sorted list\n"
                 "(default 12; 0 = all, up to the result file's 252)"),
      GS_OPT_SECTION("training"),
      GS_OPT_INT("seeds", "K", 1, SEARCH_MAX_SEEDS, &seeds, "seeds per model (default 3)"),
      GS_OPT_EPOCHS(&topt.epochs),
      GS_OPT_PATIENCE(&topt.patience),
      GS_OPT_SECTION("output"),
      GS_OPT_STRING("out", "FILE", &out, "result file (default: <cache>/<dataset>.search.txt)"),
      GS_OPT_JSON(&json),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&threads),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "search", "--data DIR [options]", options, GS_CLI_ROWS(options),
                            argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!data) return gs_cli_reject(&cli, "--data DIR is required");

  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *full = NULL;
  gs_graph *g = NULL;
  int64_t *prefix = NULL;
  gs_search_candidate *cands = NULL;
  entry *entries = NULL;
  int32_t ncand = 0;
  dataset_cache cache;
  memset(&cache, 0, sizeof cache);
  char path[4400];
  const bool tty = !json && isatty(fileno(stderr));
  int exit_code = 1;

  GS_TRY(gs_runtime_init((int)threads, &err));
  GS_TRY(gs_cli_load(&full, &g, data, split, GS_FEATPREP_ROWNORM, GS_NORM_SYM, &err));
  if (full->x.kind == GS_FEATURES_NONE || !full->labels || full->num_train == 0) {
    st = gs_error_set(&err, GS_ERR_INVALID, "%s has no features, labels or split", data);
    goto fail;
  }
  gs_cost_data cd;
  GS_TRY(gs_cost_data_of(&cd, &prefix, full, g, &err));
  gs_cost_options co = gs_cost_options_default();
  co.epochs = topt.epochs;
  GS_TRY(gs_search_candidates(&cands, &ncand, &rule, &so, &co, &cd, &err));
  const int32_t found = ncand;
  if (max_candidates == 0) max_candidates = SEARCH_MAX_CANDIDATES;
  if (ncand > max_candidates) {
    /* An evenly spaced subset of the sorted list, first and last included. */
    for (int64_t i = 0; i < max_candidates; i++) {
      int64_t k = max_candidates > 1 ? (int64_t)llround((double)i * (ncand - 1) / (double)(max_candidates - 1)) : 0;
      cands[i] = cands[k];
    }
    ncand = (int32_t)max_candidates;
  }

  /* Entries: base, the single-dimension scalings at the same cost, then the candidates. */
  const int32_t nent = 4 + ncand;
  entries = calloc((size_t)nent, sizeof *entries);
  if (!entries) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  const double phi = log2(so.factor);
  const gs_scaling_strategy single[3] = {GS_SCALE_DEPTH, GS_SCALE_WIDTH, GS_SCALE_RESOLUTION};
  const char *single_label[3] = {"depth only", "width only", "res. only"};
  /* The kind of each entry in the result file, in the order of entries. */
  const gs_search_model_kind entry_kind[4] = {GS_SEARCH_MODEL_BASE, GS_SEARCH_MODEL_DEPTH_ONLY,
                                              GS_SEARCH_MODEL_WIDTH_ONLY, GS_SEARCH_MODEL_RES_ONLY};
  for (int i = 0; i < 4; i++) {
    entry *e = &entries[i];
    e->alpha = -1;
    gs_scaling_rule r = rule;
    r.strategy = i == 0 ? GS_SCALE_DWR : single[i - 1];
    gs_scaling_spec s;
    gs_error e2;
    e->label = i == 0 ? "base" : single_label[i - 1];
    gs_status s2 = gs_scaling_apply(&s, &r, i == 0 ? 0.0 : phi, &co, &cd, &e2);
    if (s2 == GS_ERR_RANGE || (s2 == GS_OK && i == 3 && s.r_clipped)) {
      snprintf(e->note, sizeof e->note, "%s",
               s2 != GS_OK ? e2.msg : "resolution is capped at 1: not possible from this base");
      continue;
    }
    if (s2 != GS_OK) {
      err = e2;
      st = s2;
      goto fail;
    }
    e->available = true;
    e->depth = s.depth;
    e->width = s.width;
    e->features = s.features;
    e->factor = s.realised_factor;
  }
  for (int32_t i = 0; i < ncand; i++) {
    entry *e = &entries[4 + i];
    e->label = "candidate";
    e->alpha = cands[i].alpha;
    e->beta = cands[i].beta;
    e->gamma = cands[i].gamma;
    e->depth = cands[i].spec.depth;
    e->width = cands[i].spec.width;
    e->features = cands[i].spec.features;
    e->factor = cands[i].spec.realised_factor;
    e->available = true;
  }
  if (!json)
    printf("dataset %s: %lld nodes, %lld features; base depth %d, width %lld, resolution %g; "
           "target cost factor %g ± %g%% at phi = 1; %d distinct models on a grid of step %g "
           "(%d trained); %d seeds x %d epochs\n",
           full->name, (long long)full->num_nodes, (long long)full->x.cols, (int)rule.base_depth,
           (long long)rule.base_width, rule.base_resolution, so.factor, 100 * so.tolerance,
           (int)found, so.grid_step, (int)ncand, (int)seeds, (int)topt.epochs);
  for (int32_t i = 0; i < nent; i++) {
    entry *e = &entries[i];
    if (!e->available) continue;
    /* A single-dimension model identical to a candidate or the base is trained once. */
    bool copied = false;
    for (int32_t j = 0; j < i && !copied; j++)
      if (entries[j].available && entries[j].depth == e->depth && entries[j].width == e->width &&
          entries[j].features == e->features) {
        e->acc = entries[j].acc;
        e->epoch_ms = entries[j].epoch_ms;
        copied = true;
      }
    if (copied) continue;
    if (tty)
      fprintf(stderr, "\r[%d/%d] training %s: depth %d, width %lld, %lld features...   ",
              (int)i + 1, (int)nent, e->label, (int)e->depth, (long long)e->width,
              (long long)e->features);
    GS_TRY(train_entry(e, &cache, data, split, full, g, (int)seeds, &topt, &err));
  }
  if (tty) fprintf(stderr, "\r%100s\r", "");
  int32_t best = -1;
  for (int32_t i = 4; i < nent; i++)
    if (best < 0 || entries[i].acc.val_mean > entries[best].acc.val_mean) best = i;
  if (best < 0) {
    st = gs_error_set(&err, GS_ERR_BUDGET,
                      "no (alpha, beta, gamma) on the grid gives a cost factor within %g%% of %g: "
                      "raise --tolerance or the grid bounds, or lower --grid-step",
                      100 * so.tolerance, so.factor);
    goto fail;
  }
  gs_search_result res;
  memset(&res, 0, sizeof res);
  snprintf(res.dataset, sizeof res.dataset, "%s", full->name);
  res.factor = so.factor;
  res.tolerance = so.tolerance;
  res.grid_step = so.grid_step;
  res.base_depth = rule.base_depth;
  res.base_width = rule.base_width;
  res.base_resolution = rule.base_resolution;
  res.width_multiple = rule.width_multiple;
  res.alpha = entries[best].alpha;
  res.beta = entries[best].beta;
  res.gamma = entries[best].gamma;
  res.depth = entries[best].depth;
  res.width = entries[best].width;
  res.features = entries[best].features;
  res.realised_factor = entries[best].factor;
  res.seeds = (int32_t)seeds;
  res.epochs = topt.epochs;
  res.candidates = found;
  res.best = entries[best].acc;
  res.base = entries[0].acc;
  /* Every model trained, so that `plan --lambda` can rank them all by utility. */
  for (int32_t i = 0; i < nent; i++) {
    const entry *e = &entries[i];
    if (!e->available) continue;
    gs_search_model *m = &res.models[res.model_count++];
    m->kind = i < 4 ? entry_kind[i] : GS_SEARCH_MODEL_CANDIDATE;
    m->depth = e->depth;
    m->width = e->width;
    m->features = e->features;
    m->cost_factor = i == 0 ? 1.0 : e->factor;
    m->acc = e->acc;
    if (i >= 4) {
      m->alpha = e->alpha;
      m->beta = e->beta;
      m->gamma = e->gamma;
    }
  }
  if (out) snprintf(path, sizeof path, "%s", out);
  else {
    char dir[4000];
    GS_TRY(gs_colrank_default_cache_dir(dir, sizeof dir, &err));
    snprintf(path, sizeof path, "%s/%s.search.txt", dir, full->name);
  }
  GS_TRY(gs_search_result_save(&res, path, &err));
  if (json) {
    printf("{\"command\":\"search\",\"dataset\":");
    gs_json_string(stdout, full->name);
    printf(",\"distinct_models\":%d,\"trained_candidates\":%d", (int)found, (int)ncand);
    printf(",\"factor\":%g,\"tolerance\":%g,\"grid_step\":%g,\"seeds\":%d,\"epochs\":%d,"
           "\"base\":{\"depth\":%d,\"width\":%lld,\"resolution\":%g},"
           "\"elasticities\":{\"depth\":%.4f,\"width\":%.4f,\"resolution\":%.4f},\"entries\":[",
           so.factor, so.tolerance, so.grid_step, (int)seeds, (int)topt.epochs,
           (int)rule.base_depth, (long long)rule.base_width, rule.base_resolution,
           ncand ? cands[0].spec.eps_d : 0.0, ncand ? cands[0].spec.eps_w : 0.0,
           ncand ? cands[0].spec.eps_r : 0.0);
    for (int32_t i = 0; i < nent; i++) json_entry(&entries[i], i == 0);
    printf("],\"best\":{\"alpha\":%.6g,\"beta\":%.6g,\"gamma\":%.6g},\"file\":", res.alpha,
           res.beta, res.gamma);
    gs_json_string(stdout, path);
    printf("}\n");
  } else {
    printf("elasticities of FLOPs/epoch at the base: depth %.3f, width %.3f, resolution %.3f\n\n",
           cands[0].spec.eps_d, cands[0].spec.eps_w, cands[0].spec.eps_r);
    printf("  %-12s %-16s %5s %6s %8s  %6s  %14s  %14s  %8s\n", "model", "alpha beta gamma",
           "depth", "width", "features", "cost", "val acc %", "test acc %", "epoch ms");
    for (int32_t i = 0; i < nent; i++) {
      if (i == 4) printf("\n");
      text_entry(&entries[i], i == best);
    }
    printf("\nbest by validation accuracy: alpha %.2f, beta %.2f, gamma %.2f (depth %d, width %lld, "
           "%lld features, %.2fx the base FLOPs): val %.2f ± %.2f %%, test %.2f ± %.2f %% "
           "(base: test %.2f ± %.2f %%)\nsaved to %s (use: gnnscale plan --from-search %s)\n",
           res.alpha, res.beta, res.gamma, (int)res.depth, (long long)res.width,
           (long long)res.features, res.realised_factor, 100 * res.best.val_mean,
           100 * res.best.val_std, 100 * res.best.test_mean, 100 * res.best.test_std,
           100 * res.base.test_mean, 100 * res.base.test_std, path, path);
  }
  exit_code = 0;
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("search", &err);
  free(entries);
  gs_mem_free(cands);
  gs_mem_free(prefix);
  for (int32_t i = 0; i < cache.count; i++) gs_dataset_free(&cache.ds[i]);
  gs_graph_free(&g);
  gs_dataset_free(&full);
  return exit_code;
}

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
#include "core/outpath.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/colrank.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/rules.h"
#include "scaling/preflight.h"
#include "scaling/search.h"

#define SEARCH_MAX_SEEDS 100
/* The result file holds the base, three single-dimension models and the candidates. */
#define SEARCH_MAX_CANDIDATES (GS_SEARCH_MAX_MODELS - 4)
_Static_assert(SEARCH_MAX_CANDIDATES == 252, "the help of --max-candidates says 252");
/* Datasets kept loaded at once (each holds its own feature columns; evicted oldest first). */
#define SEARCH_MAX_DATASETS 4

/* Datasets loaded at each feature count, sharing one graph. */
typedef struct {
  gs_featprep prep; /* applied to every dataset loaded, as train's --features */
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
  /* As train --resolution does: the choice of `auto` is made on the columns kept. */
  gs_dataset_prepare_features(ds, c->prep);
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
                             const gs_dataset *full, const gs_graph *g,
                             const gs_model_config *base, int seeds,
                             const gs_train_options *topt, gs_error *err) {
  gs_dataset *ds = (gs_dataset *)full;
  gs_model *m = NULL;
  gs_status st = GS_OK;
  double val[SEARCH_MAX_SEEDS], test[SEARCH_MAX_SEEDS], ms = 0;
  if (e->features < full->x.cols)
    GS_TRY(dataset_at(&ds, cache, dir, split, full->x.cols, e->features, err));
  for (int s = 0; s < seeds; s++) {
    gs_model_config cfg = *base; /* the family, its stack rule and GIN's normalisation */
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

/* What the command line asks for. */
typedef struct {
  const char *data, *split, *out;
  gs_search_options so;
  gs_scaling_rule rule;
  gs_train_options topt;
  int64_t seeds, threads, max_candidates;
  gs_model_family family;
  gs_gin_norm gin_norm; /* --gin-norm, for every model trained and priced */
  gs_featprep prep;
  gs_model_stack stack; /* GS_STACK_AUTO unless --plain */
  gs_sgc_input sgc_input;
  bool plain;
  bool json, force;
} search_request;

/* The models of a search: the base, the three single-dimension scalings at the same cost,
 * then the candidates trained (an evenly spaced subset of the `found` distinct ones). */
typedef struct {
  gs_search_candidate *cands; /* gs_mem_alloc'd */
  int32_t found, ncand;
  entry *entries; /* [count], calloc'd */
  int32_t count;
  int32_t best; /* index of the best candidate by validation accuracy */
} search_models;

static int parse_request(search_request *q, int argc, char **argv) {
  memset(q, 0, sizeof *q);
  q->so = gs_search_options_default();
  q->rule = gs_scaling_rule_default();
  q->topt = gs_train_options_default();
  q->seeds = 3;
  q->max_candidates = 12;
  const gs_option options[] = {
      GS_OPTS_DATA(&q->data, &q->split),
      GS_OPT_ENUM("features", "auto|rownorm|raw|binary|l2", gs_cli_featprep_choices, &q->prep,
                  "feature preprocessing, as train's (default auto)"),
      GS_OPT_MODEL_FAMILY(&q->family),
      GS_OPT_GIN_NORM(&q->gin_norm),
      GS_OPT_PLAIN(&q->plain),
      GS_OPT_SGC_INPUT(&q->sgc_input),
      GS_OPT_SECTION("search"),
      GS_OPT_DOUBLE("factor", "X", 1.0001, 1e6, &q->so.factor,
                    "cost factor at phi = 1 (default 2)"),
      GS_OPT_DOUBLE("tolerance", "X", 1e-6, 0.99, &q->so.tolerance,
                    "accept a realised factor within this fraction (default 0.1)"),
      GS_OPT_DOUBLE("grid-step", "X", 1e-3, 10.0, &q->so.grid_step,
                    "grid step of alpha, beta, gamma from 1 (default 0.05)"),
      GS_OPT_DOUBLE("alpha-max", "A", 1.0, 100.0, &q->so.alpha_max,
                    "grid bound of alpha (default 4)"),
      GS_OPT_DOUBLE("beta-max", "B", 1.0, 100.0, &q->so.beta_max, "grid bound of beta (default 4)"),
      GS_OPT_DOUBLE("gamma-max", "G", 1.0, 100.0, &q->so.gamma_max,
                    "grid bound of gamma (default 1/r0)"),
      GS_OPT_BASE(&q->rule),
      GS_OPT_WIDTH_MULTIPLE(&q->rule),
      GS_OPT_INT("max-candidates", "N", 0, SEARCH_MAX_CANDIDATES, &q->max_candidates,
                 "train at most N candidates, evenly spaced over the sorted list\n"
                 "(default 12; 0 = all, up to the result file's 252)"),
      GS_OPT_SECTION("training"),
      GS_OPT_INT("seeds", "K", 1, SEARCH_MAX_SEEDS, &q->seeds, "seeds per model (default 3)"),
      GS_OPT_EPOCHS(&q->topt.epochs),
      GS_OPT_PATIENCE(&q->topt.patience),
      GS_OPT_SECTION("output"),
      GS_OPT_STRING("out", "FILE", &q->out, "result file (default: <cache>/<dataset>.search.txt)"),
      GS_OPT_JSON(&q->json),
      GS_OPT_FLAG("force", &q->force, "train even models whose predicted peak memory exceeds\n"
                  "what this process can have"),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&q->threads),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "search", "--data DIR [options]", options, GS_CLI_ROWS(options),
                            argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!q->data) return gs_cli_reject(&cli, "--data DIR is required");
  gs_norm unused = GS_NORM_SYM; /* search always propagates over the family's own Â */
  status = gs_cli_family_norm(&cli, q->family, &unused);
  if (status != GS_CLI_CONTINUE) return status;
  if (q->max_candidates == 0) q->max_candidates = SEARCH_MAX_CANDIDATES;
  /* Every model of a search is scaled: the deep stack past the collapse depth unless --plain. */
  gs_model_config stack = gs_model_config_default();
  status = gs_cli_model_stack(&cli, q->plain, true, &stack);
  q->stack = stack.stack;
  return status;
}

/* The base and the single-dimension scalings (entries 0..3): a scaling that cannot reach the
 * cost from this base is kept with a note instead of a model. */
static gs_status price_fixed_entries(entry *entries, const search_request *q,
                                     const gs_cost_options *co, const gs_cost_data *cd,
                                     gs_error *err) {
  const double phi = log2(q->so.factor);
  const gs_scaling_strategy single[3] = {GS_SCALE_DEPTH, GS_SCALE_WIDTH, GS_SCALE_RESOLUTION};
  const char *single_label[3] = {"depth only", "width only", "res. only"};
  for (int i = 0; i < 4; i++) {
    entry *e = &entries[i];
    e->alpha = -1;
    gs_scaling_rule r = q->rule;
    r.strategy = i == 0 ? GS_SCALE_DWR : single[i - 1];
    gs_scaling_spec s;
    gs_error e2;
    e->label = i == 0 ? "base" : single_label[i - 1];
    gs_status s2 = gs_scaling_apply(&s, &r, i == 0 ? 0.0 : phi, co, cd, &e2);
    if (s2 == GS_ERR_RANGE || (s2 == GS_OK && i == 3 && s.r_clipped)) {
      snprintf(e->note, sizeof e->note, "%s",
               s2 != GS_OK ? e2.msg : "resolution is capped at 1: not possible from this base");
      continue;
    }
    if (s2 != GS_OK) {
      *err = e2;
      return s2;
    }
    e->available = true;
    e->depth = s.depth;
    e->width = s.width;
    e->features = s.features;
    e->factor = s.realised_factor;
  }
  return GS_OK;
}

/* Finds the candidates on the grid, keeps at most q->max_candidates of them (evenly spaced
 * over the sorted list, first and last included) and prices every model of the search. */
static gs_status price_models(search_models *m, const search_request *q, const gs_dataset *full,
                              const gs_graph *g, gs_error *err) {
  gs_status st = GS_OK;
  int64_t *prefix = NULL;
  gs_cost_data cd;
  gs_sgc_counter sgc;
  memset(&sgc, 0, sizeof sgc);
  GS_TRY(gs_cost_data_of(&cd, &prefix, full, g, err));
  gs_cost_options co = gs_cost_options_default();
  co.epochs = q->topt.epochs;
  co.model.family = q->family;
  co.model.stack = q->stack;
  co.model.gin_norm = q->gin_norm;
  co.model.sgc_input = q->sgc_input;
  /* SGC priced as its runs below hold Â^K X (CSR where sparse). */
  GS_TRY(gs_cli_sgc_count_attach(&sgc, &cd, &co.model, g, &full->x, err));
  GS_TRY(gs_search_candidates(&m->cands, &m->ncand, &q->rule, &q->so, &co, &cd, err));
  m->found = m->ncand;
  const int64_t keep = q->max_candidates;
  if (m->ncand > keep) {
    for (int64_t i = 0; i < keep; i++) {
      int64_t k = keep > 1 ? (int64_t)llround((double)i * (m->ncand - 1) / (double)(keep - 1)) : 0;
      m->cands[i] = m->cands[k];
    }
    m->ncand = (int32_t)keep;
  }
  m->count = 4 + m->ncand;
  m->entries = calloc((size_t)m->count, sizeof *m->entries);
  if (!m->entries) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  GS_TRY(price_fixed_entries(m->entries, q, &co, &cd, err));
  for (int32_t i = 0; i < m->ncand; i++) {
    entry *e = &m->entries[4 + i];
    const gs_search_candidate *c = &m->cands[i];
    e->label = "candidate";
    e->alpha = c->alpha;
    e->beta = c->beta;
    e->gamma = c->gamma;
    e->depth = c->spec.depth;
    e->width = c->spec.width;
    e->features = c->spec.features;
    e->factor = c->spec.realised_factor;
    e->available = true;
  }
  /* Every model is priced before the first is trained: a search that cannot hold its largest
   * model stops now, not after hours of training the smaller ones. */
  for (int32_t i = 0; i < m->count; i++)
    if (m->entries[i].available)
      GS_TRY(gs_preflight_check(NULL, m->entries[i].depth, m->entries[i].width,
                                m->entries[i].features, &co, &cd, q->force, err));
  if (!q->json) gs_cli_sgc_count_note(&sgc, "search");
fail:
  gs_sgc_counter_release(&sgc);
  gs_mem_free(prefix);
  return st;
}

/* Trains every available model once (a model priced twice, e.g. width only = a candidate,
 * copies the first one's results) and picks the best candidate by validation accuracy. */
static gs_status train_models(search_models *m, const search_request *q, const gs_dataset *full,
                              const gs_graph *g, gs_error *err) {
  gs_status st = GS_OK;
  dataset_cache cache;
  memset(&cache, 0, sizeof cache);
  cache.prep = q->prep;
  gs_model_config base = gs_model_config_default();
  base.family = q->family;
  base.stack = q->stack;
  base.gin_norm = q->gin_norm;
  base.sgc_input = q->sgc_input;
  const bool tty = !q->json && isatty(fileno(stderr));
  for (int32_t i = 0; i < m->count; i++) {
    entry *e = &m->entries[i];
    if (!e->available) continue;
    bool copied = false;
    for (int32_t j = 0; j < i && !copied; j++) {
      const entry *o = &m->entries[j];
      if (o->available && o->depth == e->depth && o->width == e->width &&
          o->features == e->features) {
        e->acc = o->acc;
        e->epoch_ms = o->epoch_ms;
        copied = true;
      }
    }
    if (copied) continue;
    if (tty)
      fprintf(stderr, "\r[%d/%d] training %s: depth %d, width %lld, %lld features...   ",
              (int)i + 1, (int)m->count, e->label, (int)e->depth, (long long)e->width,
              (long long)e->features);
    GS_TRY(train_entry(e, &cache, q->data, q->split, full, g, &base, (int)q->seeds, &q->topt,
                       err));
  }
  if (tty) fprintf(stderr, "\r%100s\r", "");
  m->best = -1;
  for (int32_t i = 4; i < m->count; i++)
    if (m->best < 0 || m->entries[i].acc.val_mean > m->entries[m->best].acc.val_mean) m->best = i;
  if (m->best < 0)
    st = gs_error_set(err, GS_ERR_BUDGET,
                      "no (alpha, beta, gamma) on the grid gives a cost factor within %g%% of %g: "
                      "raise --tolerance or the grid bounds, or lower --grid-step",
                      100 * q->so.tolerance, q->so.factor);
fail:
  for (int32_t i = 0; i < cache.count; i++) gs_dataset_free(&cache.ds[i]);
  return st;
}

/* The result file's content: the best constants and every model trained (so that
 * `plan --lambda` can rank them all by utility). */
static void make_result(gs_search_result *res, const search_models *m, const search_request *q,
                        const char *dataset) {
  /* The kind of each entry in the result file, in the order of entries. */
  static const gs_search_model_kind entry_kind[4] = {
      GS_SEARCH_MODEL_BASE, GS_SEARCH_MODEL_DEPTH_ONLY, GS_SEARCH_MODEL_WIDTH_ONLY,
      GS_SEARCH_MODEL_RES_ONLY};
  const entry *best = &m->entries[m->best];
  memset(res, 0, sizeof *res);
  snprintf(res->dataset, sizeof res->dataset, "%s", dataset);
  res->factor = q->so.factor;
  res->tolerance = q->so.tolerance;
  res->grid_step = q->so.grid_step;
  res->base_depth = q->rule.base_depth;
  res->base_width = q->rule.base_width;
  res->base_resolution = q->rule.base_resolution;
  res->width_multiple = q->rule.width_multiple;
  res->alpha = best->alpha;
  res->beta = best->beta;
  res->gamma = best->gamma;
  res->depth = best->depth;
  res->width = best->width;
  res->features = best->features;
  res->realised_factor = best->factor;
  res->seeds = (int32_t)q->seeds;
  res->epochs = q->topt.epochs;
  res->candidates = m->found;
  res->best = best->acc;
  res->base = m->entries[0].acc;
  for (int32_t i = 0; i < m->count; i++) {
    const entry *e = &m->entries[i];
    if (!e->available) continue;
    gs_search_model *sm = &res->models[res->model_count++];
    sm->kind = i < 4 ? entry_kind[i] : GS_SEARCH_MODEL_CANDIDATE;
    sm->depth = e->depth;
    sm->width = e->width;
    sm->features = e->features;
    sm->cost_factor = i == 0 ? 1.0 : e->factor;
    sm->acc = e->acc;
    if (i >= 4) {
      sm->alpha = e->alpha;
      sm->beta = e->beta;
      sm->gamma = e->gamma;
    }
  }
}

/* --out, else <cache>/<dataset>.search.txt. */
static gs_status result_path(char *path, size_t cap, const search_request *q, const char *dataset,
                             gs_error *err) {
  if (q->out) {
    snprintf(path, cap, "%s", q->out);
    return GS_OK;
  }
  char dir[4000];
  gs_status st = gs_colrank_default_cache_dir(dir, sizeof dir, err);
  if (st == GS_OK) snprintf(path, cap, "%s/%s.search.txt", dir, dataset);
  return st;
}

static void print_json(const search_request *q, const search_models *m,
                       const gs_search_result *res, const char *path) {
  const gs_scaling_spec *s0 = m->ncand ? &m->cands[0].spec : NULL;
  printf("{\"command\":\"search\",\"dataset\":");
  gs_json_string(stdout, res->dataset);
  printf(",\"distinct_models\":%d,\"trained_candidates\":%d", (int)m->found, (int)m->ncand);
  printf(",\"factor\":%g,\"tolerance\":%g,\"grid_step\":%g,\"seeds\":%d,\"epochs\":%d,"
         "\"base\":{\"depth\":%d,\"width\":%lld,\"resolution\":%g},"
         "\"elasticities\":{\"depth\":%.4f,\"width\":%.4f,\"resolution\":%.4f},\"entries\":[",
         q->so.factor, q->so.tolerance, q->so.grid_step, (int)q->seeds, (int)q->topt.epochs,
         (int)q->rule.base_depth, (long long)q->rule.base_width, q->rule.base_resolution,
         s0 ? s0->eps_d : 0.0, s0 ? s0->eps_w : 0.0, s0 ? s0->eps_r : 0.0);
  for (int32_t i = 0; i < m->count; i++) json_entry(&m->entries[i], i == 0);
  printf("],\"best\":{\"alpha\":%.6g,\"beta\":%.6g,\"gamma\":%.6g},\"file\":", res->alpha,
         res->beta, res->gamma);
  gs_json_string(stdout, path);
  printf("}\n");
}

static void print_text(const search_models *m, const gs_search_result *res, const char *path) {
  printf("elasticities of FLOPs/epoch at the base: depth %.3f, width %.3f, resolution %.3f\n\n",
         m->cands[0].spec.eps_d, m->cands[0].spec.eps_w, m->cands[0].spec.eps_r);
  printf("  %-12s %-16s %5s %6s %8s  %6s  %14s  %14s  %8s\n", "model", "alpha beta gamma",
         "depth", "width", "features", "cost", "val acc %", "test acc %", "epoch ms");
  for (int32_t i = 0; i < m->count; i++) {
    if (i == 4) printf("\n");
    text_entry(&m->entries[i], i == m->best);
  }
  printf("\nbest by validation accuracy: alpha %.2f, beta %.2f, gamma %.2f (depth %d, width %lld, "
         "%lld features, %.2fx the base FLOPs): val %.2f ± %.2f %%, test %.2f ± %.2f %% "
         "(base: test %.2f ± %.2f %%)\nsaved to %s (use: gnnscale plan --from-search %s)\n",
         res->alpha, res->beta, res->gamma, (int)res->depth, (long long)res->width,
         (long long)res->features, res->realised_factor, 100 * res->best.val_mean,
         100 * res->best.val_std, 100 * res->best.test_mean, 100 * res->best.test_std,
         100 * res->base.test_mean, 100 * res->base.test_std, path, path);
}

int gs_cmd_search(int argc, char **argv) {
  search_request q;
  int status = parse_request(&q, argc, argv);
  if (status != GS_CLI_CONTINUE) return status;
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *full = NULL;
  gs_graph *g = NULL;
  search_models m;
  memset(&m, 0, sizeof m);
  gs_search_result *res = NULL;
  char path[4400];
  GS_TRY(gs_runtime_init((int)q.threads, &err));
  GS_TRY(gs_cli_load(&full, &g, q.data, q.split, q.prep,
                     gs_model_family_norm(q.family, GS_NORM_SYM), &err));
  GS_TRY(gs_cli_check_trainable(full, q.data, true, &err));
  /* The result's place is checked before hours of training, not after. */
  GS_TRY(result_path(path, sizeof path, &q, full->name, &err));
  GS_TRY(gs_outpath_check_file(path, &err));
  GS_TRY(price_models(&m, &q, full, g, &err));
  if (!q.json)
    printf("dataset %s: %lld nodes, %lld features; base depth %d, width %lld, resolution %g; "
           "target cost factor %g ± %g%% at phi = 1; %d distinct models on a grid of step %g "
           "(%d trained); %d seeds x %d epochs\n",
           full->name, (long long)full->num_nodes, (long long)full->x.cols,
           (int)q.rule.base_depth, (long long)q.rule.base_width, q.rule.base_resolution,
           q.so.factor, 100 * q.so.tolerance, (int)m.found, q.so.grid_step, (int)m.ncand,
           (int)q.seeds, (int)q.topt.epochs);
  GS_TRY(train_models(&m, &q, full, g, &err));
  /* About 23 KB: on the heap rather than the stack. */
  res = calloc(1, sizeof *res);
  if (!res) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  make_result(res, &m, &q, full->name);
  GS_TRY(gs_search_result_save(res, path, &err));
  if (q.json) print_json(&q, &m, res, path);
  else print_text(&m, res, path);
fail:
  free(res);
  free(m.entries);
  gs_mem_free(m.cands);
  gs_graph_free(&g);
  gs_dataset_free(&full);
  return st == GS_OK ? 0 : gs_cli_fail("search", &err);
}

/* gnnscale train: train a GCN over one or more seeds and report test accuracy (mean ± std),
 * the median epoch time and peak memory, as text or as one JSON object (--json). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/flops.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/colrank.h"
#include "datasets/store.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/preflight.h"
#include "scaling/profile.h"
#include "scaling/rules.h"
#include "scaling/search.h"

#define MAX_SEEDS 1000


typedef struct {
  uint64_t seed;
  gs_train_result r;
} seed_run;

/* What the command line asks for. */
typedef struct {
  const char *data, *split, *from_search, *profile_path;
  gs_model_config cfg; /* depth and width set by the scaling rule when there is one; the
                          stack resolved (gs_model_config_resolve) once the depth is known */
  gs_model_config asked; /* cfg before its stack was resolved, for the header */
  bool plain;         /* --plain */
  gs_train_options topt;
  gs_featprep prep;
  gs_norm norm;
  int64_t seeds, seed0, threads;
  bool reorder_rcm, json, quiet, force;
  bool probe;         /* correct the predicted epoch time by a probe of this graph */
  bool have_strategy; /* a scaling rule sets depth, width and feature columns */
  gs_scaling_rule rule;
  double phi, resolution;
  int batching; /* 0 full, 1 cluster (Cluster-GCN: cli/cmd_train_cluster.c), 2 auto */
  int64_t mem;  /* --mem for --batching auto */
  int mem_basis; /* 0: --mem bounds the peak RSS (default), 1: the counted bytes alone */
  int64_t parts, clusters_per_batch;
  double diag_lambda;
  int eval_full; /* --eval full: Cluster-GCN evaluates over the whole graph */
} train_request;

/* The prediction made before the features are loaded (dataset folders only). */
typedef struct {
  bool folder;           /* the data is a dataset folder (else an edge-list file) */
  bool predicted;        /* cost holds a prediction */
  int64_t features_kept; /* columns to load; -1: all */
  gs_cost_data cdata;
  int64_t *prefix; /* owned; cdata.column_nnz_prefix borrows it */
  gs_scaling_spec spec;
  gs_cost cost;
  gs_cost_options copt;
  gs_cli_prediction pred; /* where the epoch time comes from */
  int64_t rss_runtime, pricing_peak, rss_priced;
  char store[4352]; /* the folder's binary store, "" when the text is priced */
  char store_note[1200]; /* what happened to the store (built, rebuilt and why), or "" */
} train_price;

/* What the runs measured, and their summary over seeds. */
typedef struct {
  gs_dataset *ds;
  gs_graph *g;
  gs_graph_stats gst;
  double t_load;
  bool from_store; /* loaded from the binary store (else the text was parsed) */
  int64_t mem_base, counted_peak, model_params;
  int64_t smoothed_nnz; /* SGC: non-zeros of Â^K X, 0 when not counted (--sgc-input dense) */
  bool smoothed_csr;    /* SGC: Â^K X held as CSR */
  seed_run *runs;
  double mean, std, epoch_median, peak;
  int64_t rss;
} train_outcome;

/* Prints `key:{"aggregate":ms,...}`, one entry per kernel category (core/flops.h), from
 * seconds. */

/* The resident bytes once the runtime is up and OpenBLAS has run one product (its thread
 * pool and buffers exist), before any data. Reported (rss_after_runtime_bytes), but it
 * misses about 7 MiB that the first dataset load and graph build add for good on this
 * machine (GraphBLAS and OpenMP first use, zlib, malloc arenas), so the RSS prediction uses
 * the RSS after the pricing pass instead (see rss_priced). */
static int64_t baseline_rss(void) {
  float a[64], b[64], c[64];
  for (int i = 0; i < 64; i++) a[i] = b[i] = 1.0f, c[i] = 0.0f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 8, 8, 8, 1.0f, a, 8, b, 8, 0.0f, c, 8);
  return gs_mem_current_rss();
}

/* gs_cost_data_load's check of a dataset loaded without features: what training needs. */
static gs_status check_trainable_counts(const gs_dataset *ds, const char *dir, gs_error *err) {
  return gs_cli_check_trainable(ds, dir, false, err);
}

/* Parses and checks the command line into *q. Returns GS_CLI_CONTINUE or an exit status. */
static int parse_request(train_request *q, int argc, char **argv) {
  memset(q, 0, sizeof *q);
  q->cfg = gs_model_config_default();
  q->topt = gs_train_options_default();
  q->prep = GS_FEATPREP_AUTO;
  q->norm = GS_NORM_SYM;
  q->seeds = 1;
  q->probe = true;
  q->rule = gs_scaling_rule_default();
  q->resolution = -1.0;
  enum { REORDER_NONE, REORDER_RCM } reorder = REORDER_NONE;
  static const gs_option_choice reorder_choices[] = {
      {"none", REORDER_NONE}, {"rcm", REORDER_RCM}, {NULL, 0}};
  static const gs_option_choice mem_basis_choices[] = {
      {"rss", 0}, {"counted", 1}, {NULL, 0}};
  static const gs_option_choice batching_choices[] = {
      {"full", 0}, {"cluster", 1}, {"auto", 2}, {NULL, 0}};
  static const gs_option_choice eval_choices[] = {{"batches", 0}, {"full", 1}, {NULL, 0}};
  q->clusters_per_batch = 1;
  const gs_option options[] = {
      GS_OPTS_DATA(&q->data, &q->split),
      GS_OPT_ENUM("features", "auto|rownorm|raw|binary|l2", gs_cli_featprep_choices, &q->prep,
                  "feature preprocessing (default auto: l2 above 100 non-zeros per\n"
                  "row; else rownorm when the row sums are nearly equal (cv <= 0.45),\n"
                  "raw when they vary and none is above 100, l2 otherwise; README)"),
      GS_OPT_ENUM("reorder", "none|rcm", reorder_choices, &reorder,
                  "renumber nodes by Reverse Cuthill-McKee before training, so that\n"
                  "aggregation reads nearby rows (default none; results differ only\n"
                  "by float summation order)"),
      GS_OPTS_MODEL(&q->cfg, &q->norm),
      GS_OPT_INT("depth", "L", 1, GS_MAX_LAYERS, &q->cfg.depth, "GCN layers (default 2)"),
      GS_OPT_INT("width", "H", 1, 1 << 20, &q->cfg.width, "hidden width (default 16)"),
      GS_OPT_PLAIN(&q->plain),
      GS_OPT_SGC_INPUT(&q->cfg.sgc_input),
      GS_OPT_SECTION("training"),
      GS_OPT_INT("epochs", "N", 1, 1000000, &q->topt.epochs, "maximum epochs (default 200)"),
      GS_OPT_DOUBLE("lr", "X", 1e-12, 10.0, &q->topt.lr, "Adam learning rate (default 0.01)"),
      GS_OPT_DOUBLE("weight-decay", "X", 0.0, 10.0, &q->topt.weight_decay,
                    "L2 on weights (default 5e-4)"),
      GS_OPT_DECAY(&q->topt.decay_scope),
      GS_OPT_PATIENCE(&q->topt.patience),
      GS_OPT_INT("seed", "S", 0, INT64_MAX / 2, &q->seed0, "first seed (default 0)"),
      GS_OPT_INT("seeds", "K", 1, MAX_SEEDS, &q->seeds,
                 "train K seeds S..S+K-1 and report mean ± std (default 1)"),
      GS_OPT_SECTION("batching"),
      GS_OPT_ENUM("batching", "full|cluster|auto", batching_choices, &q->batching,
                  "full: the whole graph each step (default); cluster: Cluster-GCN\n"
                  "mini-batches of METIS parts (partitioned first if not stored);\n"
                  "auto: what `plan --batching auto` picks for this model under --mem"),
      GS_OPT_SIZE("mem", "SIZE", 1, &q->mem, "peak RSS budget of --batching auto, e.g. 2GiB"),
      GS_OPT_ENUM("mem-basis", "rss|counted", mem_basis_choices, &q->mem_basis,
                  "as plan's: rss (default) bounds the peak RSS, counted the counting\n"
                  "allocator's peak alone"),
      GS_OPT_INT("parts", "P", 2, INT32_MAX, &q->parts, "METIS parts for --batching cluster"),
      GS_OPT_INT("clusters-per-batch", "Q", 1, INT32_MAX, &q->clusters_per_batch,
                 "parts per Cluster-GCN batch (default 1)"),
      GS_OPT_DOUBLE("diag-lambda", "X", 0.0, 1e6, &q->diag_lambda,
                    "Cluster-GCN diagonal enhancement: A_hat + X diag(A_hat) (default 0)"),
      GS_OPT_ENUM("eval", "batches|full", eval_choices, &q->eval_full,
                  "Cluster-GCN evaluation: batches of Q parts (default; memory of a\n"
                  "batch) or the whole graph, exactly, layer by layer (every link;\n"
                  "two layers of n x width floats; plain GCN)"),
      GS_OPT_SECTION("scaling"),
      GS_OPT_CUSTOM("strategy", "S", gs_cli_parse_strategy_option, &q->rule.strategy,
                    "scale the base model: dwr (d0*alpha^phi, w0*beta^phi,\n"
                    "r0*gamma^phi), d, w, r (one dimension to 2^phi x the base\n"
                    "FLOPs), dWr (fast compound, --a), explicit (--depth, --width,\n"
                    "--resolution as given); sets depth, width and feature columns\n"
                    "(default dwr when --phi, --alpha, --base ... is given)"),
      GS_OPT_DOUBLE("phi", "X", 0.0, 64.0, &q->phi, "scaling coefficient (default 0: the base)"),
      GS_OPT_CONSTANTS(&q->rule),
      GS_OPT_STRING("from-search", "FILE", &q->from_search,
                    "dwr constants, base and width multiple from `gnnscale search`"),
      GS_OPT_FAST_A(&q->rule),
      GS_OPT_BASE(&q->rule),
      GS_OPT_DOUBLE("resolution", "R", 1e-9, 1.0, &q->resolution,
                    "keep the top ceil(R*f0) feature columns by document frequency\n"
                    "(explicit strategy; alone it implies --strategy explicit)"),
      GS_OPT_WIDTH_MULTIPLE(&q->rule),
      GS_OPT_PROFILE(&q->profile_path),
      GS_OPT_FLAG("probe", &q->probe,
                  "after training, correct the predicted epoch time by a probe of this\n"
                  "graph (3 small models of the same family, a few seconds; cached)"),
      GS_OPT_SECTION("output"),
      GS_OPT_JSON(&q->json),
      GS_OPT_FLAG("quiet", &q->quiet, "no progress line"),
      GS_OPT_FLAG("force", &q->force, "train even when the predicted peak memory exceeds what\n"
                  "this process can have (cgroup limit, ulimit -v, MemAvailable)"),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&q->threads),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "train", "--data DIR [options]", options, GS_CLI_ROWS(options),
                            argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  status = gs_cli_family_norm(&cli, q->cfg.family, &q->norm);
  if (status != GS_CLI_CONTINUE) return status;
  q->reorder_rcm = reorder == REORDER_RCM;
  if (!q->data)
    return gs_cli_reject(&cli, "--data DIR is required (for example --data datasets/data/cora)");
  if (q->batching == 2 && q->mem <= 0)
    return gs_cli_reject(&cli, "--batching auto needs --mem SIZE");
  if (q->batching != 2 && (q->mem > 0 || gs_cli_given(&cli, "mem-basis")))
    return gs_cli_reject(&cli, "--mem and --mem-basis need --batching auto");
  if (q->batching == 2 && (gs_cli_given(&cli, "parts") || gs_cli_given(&cli, "clusters-per-batch")))
    return gs_cli_reject(&cli, "--batching auto chooses --parts and --clusters-per-batch");
  if (q->batching == 1) {
    if (q->parts < 2) return gs_cli_reject(&cli, "--batching cluster needs --parts P (P >= 2)");
    if (q->clusters_per_batch > q->parts)
      return gs_cli_reject(&cli, "--clusters-per-batch %lld exceeds --parts %lld",
                           (long long)q->clusters_per_batch, (long long)q->parts);
    static const char *const full_only[] = {"strategy", "phi", "resolution", "from-search",
                                            "reorder", "base", "alpha"};
    for (size_t i = 0; i < sizeof full_only / sizeof full_only[0]; i++)
      if (gs_cli_given(&cli, full_only[i]))
        return gs_cli_reject(&cli, "--%s is not available with --batching cluster (it trains "
                                   "--depth and --width on every feature column)", full_only[i]);
    status = gs_cli_model_stack(&cli, q->plain, false, &q->cfg);
    q->asked = q->cfg;
    return status;
  }
  if (gs_cli_given(&cli, "parts") || gs_cli_given(&cli, "clusters-per-batch") ||
      gs_cli_given(&cli, "diag-lambda") || (gs_cli_given(&cli, "eval") && q->batching != 2))
    return gs_cli_reject(&cli, "--parts, --clusters-per-batch, --diag-lambda and --eval need "
                               "--batching cluster (--eval also auto)");
  gs_scaling_rule *rule = &q->rule;
  const bool strategy_given = gs_cli_given(&cli, "strategy");
  /* --resolution alone asks for the explicit rule. */
  if (!strategy_given && !q->from_search && q->resolution > 0)
    rule->strategy = GS_SCALE_EXPLICIT;
  gs_search_result searched;
  status = gs_cli_scaling_rule(&cli, q->from_search, rule, &searched);
  if (status != GS_CLI_CONTINUE) return status;
  /* Any scaling option asks for the rule (dwr unless --strategy says otherwise): never ignored. */
  static const char *const scaling_options[] = {"strategy", "phi", "alpha", "beta", "gamma",
                                                "base", "width-multiple", "a"};
  for (size_t i = 0; i < sizeof scaling_options / sizeof scaling_options[0]; i++)
    q->have_strategy = q->have_strategy || gs_cli_given(&cli, scaling_options[i]);
  q->have_strategy = q->have_strategy || q->from_search || q->resolution > 0;
  const bool explicit_rule = rule->strategy == GS_SCALE_EXPLICIT;
  const bool size_given = gs_cli_given(&cli, "depth") || gs_cli_given(&cli, "width");
  if (q->have_strategy && !explicit_rule && size_given)
    return gs_cli_reject(
        &cli, "--depth and --width are set by --strategy %s (use --base D,W,R for the base)",
        gs_scaling_strategy_name(rule->strategy));
  if (q->have_strategy && !explicit_rule && q->resolution > 0)
    return gs_cli_reject(
        &cli, "--resolution is set by --strategy %s (use --base D,W,R for the base)",
        gs_scaling_strategy_name(rule->strategy));
  if (q->have_strategy && explicit_rule && q->phi > 0)
    return gs_cli_reject(&cli, "--phi has no meaning for --strategy explicit");
  if (explicit_rule) {
    rule->depth = q->cfg.depth;
    rule->width = q->cfg.width;
    rule->resolution = q->resolution > 0 ? q->resolution : 1.0;
  }
  /* A scaled model gets the deep stack past the collapse depth; --depth given by hand (or the
   * explicit rule) trains the stack asked for, with a hint in the header. */
  status = gs_cli_model_stack(&cli, q->plain, q->have_strategy && !explicit_rule, &q->cfg);
  q->asked = q->cfg;
  return status;
}

/* gs_cost_data_open's check of a store's header: what training needs, with the messages of
 * gs_cli_check_trainable. */
static gs_status check_trainable_store(const gs_store_info *info, const char *dir,
                                       gs_error *err) {
  return gs_cli_check_trainable_counts(dir, info->feature_kind == GS_FEATURES_NONE,
                                       info->section_bytes[GS_STORE_LABELS] > 0,
                                       info->split_name, info->num_train, info->num_classes, err);
}

/* Prices a dataset folder before its features are loaded, so that the scaling rule can pick
 * the columns to load (q->cfg takes the rule's depth and width) and the prediction stands
 * next to the measurement. Without a scaling rule a failed prediction is only noted. */
static gs_status price_request(train_price *p, train_request *q, gs_error *err) {
  gs_status st = GS_OK;
  struct stat sb;
  p->features_kept = -1;
  p->rss_runtime = baseline_rss();
  p->folder = stat(q->data, &sb) == 0 && S_ISDIR(sb.st_mode);
  if (!p->folder) {
    if (q->have_strategy)
      return gs_error_set(err, GS_ERR_INVALID, "%s: --strategy needs a dataset folder", q->data);
    /* An edge-list file (SNAP, Matrix Market) has no features, labels or split: say so before
     * reading it, rather than after building a graph that cannot be trained on. */
    if (stat(q->data, &sb) == 0)
      return gs_error_set(err, GS_ERR_INVALID, "%s is a file: training needs a dataset folder "
                          "with features, labels and a split (an edge list has none of them)",
                          q->data);
    return GS_OK;
  }
  gs_cost_options copt = gs_cost_options_default();
  gs_mem_reset_peak();
  const int64_t before_pricing = gs_mem_current();
  /* From the store's header (built on first use), which the run then loads; RCM renumbers
   * edge lines, which only the text has. */
  st = gs_cost_data_open(&p->cdata, &p->prefix, p->store, sizeof p->store, p->store_note,
                         sizeof p->store_note, q->data, q->split, q->norm,
                         check_trainable_counts, check_trainable_store, err);
  if (st == GS_OK && q->reorder_rcm) p->cdata.store_load_bytes = 0;
  p->pricing_peak = gs_mem_peak() - before_pricing;
  if (p->store_note[0]) fprintf(stderr, "gnnscale train: %s\n", p->store_note);
  /* Bad or incomplete data fails here, once, rather than again on load. */
  if (st != GS_OK) return st;
  gs_profile profile;
  char note[4096 + 512];
  st = gs_cli_load_profile(&profile, q->profile_path, note, sizeof note, err);
  if (st == GS_OK) gs_cli_prediction_init(&p->pred, &profile, note);
  copt.model = q->cfg;
  /* SGC's forced CSR input needs Â^K X's count, which needs the data: priced dense until
   * count_smoothed prices it again after the load. */
  if (copt.model.sgc_input == GS_SGC_INPUT_CSR) copt.model.sgc_input = GS_SGC_INPUT_AUTO;
  copt.decay_scope = q->topt.decay_scope;
  copt.weight_decay = q->topt.weight_decay;
  copt.epochs = q->topt.epochs;
  if (st == GS_OK) p->features_kept = p->cdata.file_features;
  if (st == GS_OK && q->have_strategy) {
    st = gs_scaling_apply(&p->spec, &q->rule, q->phi, &copt, &p->cdata, err);
    if (st == GS_OK) {
      q->cfg.depth = p->spec.depth;
      q->cfg.width = p->spec.width;
      p->features_kept = p->spec.features;
    }
  }
  /* The depth is known: the stack is decided, the same way the layout priced it. */
  q->asked = q->cfg;
  q->cfg = gs_model_config_resolve(&q->asked);
  if (st == GS_OK)
    st = gs_cost_estimate(&p->cost, q->cfg.depth, q->cfg.width, p->features_kept, &copt,
                          &p->cdata, &p->pred.profile, err);
  if (st != GS_OK && q->have_strategy) return st;
  if (st != GS_OK) {
    /* Without a scaling rule the prediction is a report only: train anyway. */
    if (!q->json) fprintf(stderr, "gnnscale train: note: no cost prediction: %s\n", err->msg);
    gs_error_clear(err);
    p->features_kept = -1;
    return GS_OK;
  }
  p->predicted = true;
  /* Refuse before the load what the memory limits cannot hold. */
  st = gs_preflight_check(NULL, q->cfg.depth, q->cfg.width, p->features_kept, &copt, &p->cdata,
                          q->force, err);
  if (st != GS_OK) return st;
  p->copt = copt;
  if (!q->json) gs_cli_prediction_warn(&p->pred, "train");
  return GS_OK;
}

/* After the runs (so that its models weigh on no measured peak): the probe of this graph,
 * and the epoch time priced again with the corrected profile. A probe that fails leaves the
 * profile's prediction, with a note. */
static gs_status probe_prediction(train_price *p, const train_request *q, const train_outcome *o,
                                  gs_error *err) {
  if (!p->predicted || !q->probe) return GS_OK;
  gs_status st = gs_cli_prediction_probe(&p->pred, o->ds, o->g, &p->cdata, &q->cfg, &q->topt,
                                         q->norm, err);
  if (st == GS_OK)
    st = gs_cost_estimate(&p->cost, q->cfg.depth, q->cfg.width, o->ds->x.cols, &p->copt,
                          &p->cdata, &p->pred.profile, err);
  if (st != GS_OK) {
    if (!q->json) fprintf(stderr, "gnnscale train: note: no probe: %s\n", err->msg);
    gs_error_clear(err);
  }
  return GS_OK;
}

/* Loads the data (the columns the price chose), reorders it if asked and checks it can be
 * trained on; o->counted_peak starts as the load's peak over o->mem_base. */
static gs_status load_data(train_outcome *o, train_price *p, const train_request *q,
                           gs_error *err) {
  /* The predicted peak RSS: the resident bytes after the pricing pass (the runtime, and the
   * code and buffers that a load, a graph build and the column ranking touch for good: zlib,
   * GraphBLAS, OpenMP and stdio state, about 0.7 MiB here) plus the predicted peak of the
   * counting allocator. The pricing pass's own buffers are freed and, with the fixed mmap
   * threshold of gs_runtime_init, returned to the system. */
  p->rss_priced = gs_mem_current_rss();
  o->mem_base = gs_mem_current();
  gs_mem_reset_peak();
  o->t_load = gs_clock_seconds();
  gs_status st;
  /* As priced: every column through the store, a column subset from the text
   * (gs_cli_load_columns); RCM renumbers edge lines, which only the text has. */
  const int64_t kept = p->features_kept > 0 ? p->features_kept : p->cdata.file_features;
  if (p->folder && !(q->reorder_rcm && kept >= p->cdata.file_features))
    st = gs_cli_load_columns(&o->ds, &o->g, q->data, q->split, kept, p->cdata.file_features,
                             q->prep, q->norm, err);
  else
    st = gs_cli_load(&o->ds, &o->g, q->data, q->split, q->prep, q->norm, err);
  o->from_store = st == GS_OK && o->ds->adj_rowptr != NULL;
  if (st == GS_OK && q->reorder_rcm) st = gs_cli_reorder_rcm(o->ds, &o->g, q->norm, err);
  if (st != GS_OK) return st;
  o->t_load = gs_clock_seconds() - o->t_load;
  o->counted_peak = gs_mem_peak() - o->mem_base;
  const gs_dataset *ds = o->ds;
  st = gs_cli_check_trainable(ds, q->data, true, err);
  if (st != GS_OK) return st;
  o->gst = gs_graph_stats_of(o->g);
  return GS_OK;
}

/* SGC: counts Â^K X once (what decides its storage, gs_model_sgc_csr) and prices the model
 * again with the count, so that the prediction is of the storage trained. */
static gs_status count_smoothed(train_outcome *o, train_price *p, const train_request *q,
                                gs_error *err) {
  if (q->cfg.family != GS_MODEL_SGC || q->cfg.sgc_input == GS_SGC_INPUT_DENSE) return GS_OK;
  gs_status st = gs_model_smoothed_nnz(&o->smoothed_nnz, o->g, &o->ds->x, q->cfg.depth, err);
  if (st != GS_OK || !p->predicted) return st;
  p->cdata.smoothed_nnz = o->smoothed_nnz;
  p->cdata.smoothed_hops = q->cfg.depth;
  p->cdata.smoothed_features = o->ds->x.cols;
  p->copt.model.sgc_input = q->cfg.sgc_input;
  return gs_cost_estimate(&p->cost, q->cfg.depth, q->cfg.width, o->ds->x.cols, &p->copt,
                          &p->cdata, &p->pred.profile, err);
}

/* GIN's normalisation as the model resolves it on this graph (gs_model_gin_norm); in why the
 * figures of auto's rule, in *degree its statistic nnz(A+I)/n. */
static gs_gin_norm gin_norm_of(const train_request *q, const train_outcome *o, char *why,
                               size_t cap, double *degree) {
  const gs_model_shape s = gs_model_shape_of(o->g, &o->ds->x, o->ds->num_classes);
  gs_gin_norm_explain(s.nodes, s.adj_nnz, why, cap);
  *degree = (double)s.adj_nnz / (double)s.nodes;
  return gs_model_gin_norm(&q->cfg, &s);
}

/* The lines before training: the dataset and the scaling rule. */
static void print_header(const train_request *q, const train_price *p, const train_outcome *o) {
  const gs_dataset *ds = o->ds;
  const gs_scaling_rule *rule = &q->rule;
  printf("dataset %s: %lld nodes, %lld non-zeros in A_hat, %lld features (%s, %.2f%% non-zero), "
         "%d classes, split %s %lld/%lld/%lld (loaded in %.2f s from %s)\n",
         ds->name, (long long)ds->num_nodes, (long long)o->gst.nnz, (long long)ds->x.cols,
         ds->x.kind == GS_FEATURES_SPARSE ? "sparse" : "dense",
         100.0 * (double)ds->x.nnz / ((double)ds->x.rows * (double)ds->x.cols), ds->num_classes,
         ds->split_name, (long long)ds->num_train, (long long)ds->num_valid,
         (long long)ds->num_test, o->t_load, o->from_store ? "the binary store" : "the text");
  printf("features: %s", gs_featprep_name(ds->features_prep));
  if (q->prep == GS_FEATPREP_AUTO) {
    char why[256];
    gs_featprep_explain(&ds->features_stats, why, sizeof why);
    printf(" (auto: %s)", why);
  }
  printf("\n");
  char stack[512];
  gs_cli_stack_text(stack, sizeof stack, &q->asked, q->cfg.depth);
  printf("stack: %s\n", stack);
  if (q->cfg.family == GS_MODEL_GIN) {
    char why[128];
    double degree;
    const gs_gin_norm gn = gin_norm_of(q, o, why, sizeof why, &degree);
    printf("gin norm: %s (%s: %s)\n", gs_gin_norm_name(gn),
           q->cfg.gin_norm == GS_GIN_NORM_AUTO ? "auto" : "--gin-norm", why);
  }
  if (!q->have_strategy) return;
  printf("scaling: strategy %s", gs_scaling_strategy_name(rule->strategy));
  if (rule->strategy != GS_SCALE_EXPLICIT)
    printf(" at phi %g from base depth %d, width %lld, resolution %g", q->phi,
           (int)rule->base_depth, (long long)rule->base_width, rule->base_resolution);
  if (rule->strategy == GS_SCALE_DWR)
    printf(" (alpha %g, beta %g, gamma %g%s)", rule->alpha, rule->beta, rule->gamma,
           rule->constants_default ? ", EfficientNet's constants for CNNs" : "");
  printf(": depth %d, width %lld, %lld of %lld features (r = %.4g); FLOPs %.3fx the base "
         "(intended %.3fx)\n",
         (int)p->spec.depth, (long long)p->spec.width, (long long)p->spec.features,
         (long long)p->cdata.file_features, p->spec.resolution, p->spec.realised_factor,
         p->spec.intended_factor);
}

static void print_model_line(const gs_model_config *cfg, const gs_model_layout *L) {
  const bool hops = cfg->family == GS_MODEL_SGC || cfg->family == GS_MODEL_APPNP;
  char family[16];
  snprintf(family, sizeof family, "%s", gs_model_family_name(cfg->family));
  for (char *c = family; *c; c++) *c = (char)(*c - 'a' + 'A');
  printf("model: %s %s %d, width %lld, dropout %.2f%s%s%s%s, %lld parameters, layer order",
         family, hops ? "steps K" : "depth", (int)cfg->depth, (long long)cfg->width,
         (double)cfg->dropout, L->residual_mode ? ", residual" : "",
         L->residual_mode && cfg->rezero ? " (rezero)" : "",
         L->residual_mode && cfg->identity_map ? " (identity map)" : "",
         cfg->norm ? ", layernorm" : "",
         (long long)L->params);
  for (int32_t l = 0; l < L->depth; l++)
    printf(" %s", !L->layer[l].aggregates       ? "HW"
                  : L->layer[l].aggregate_first ? "(AH)W"
                                                : "A(HW)");
  printf("; %d threads\n", gs_runtime_threads());
  if (cfg->family != GS_MODEL_SGC) return;
  const int64_t nnz = L->shape.smoothed_nnz, n = L->shape.nodes, f = L->shape.features;
  const bool csr = L->layer[0].sparse_input;
  printf("input: A_hat^%d X held %s", (int)cfg->depth, csr ? "as CSR" : "dense");
  if (nnz > 0)
    printf(", %lld non-zeros (%.2f%%)", (long long)nnz,
           100.0 * (double)nnz / ((double)n * (double)f));
  if (cfg->sgc_input == GS_SGC_INPUT_AUTO)
    printf(" (auto: CSR below %g%% non-zeros)\n", 100.0 * GS_SGC_SPARSE_BELOW);
  else
    printf(" (--sgc-input %s)\n", csr ? "csr" : "dense");
}

/* Trains one model per seed; text lines as they finish unless quiet or JSON. */
static gs_status run_seeds(train_outcome *o, train_request *q, gs_error *err) {
  gs_status st = GS_OK;
  gs_model *m = NULL;
  const bool show = !q->quiet && !q->json;
  o->runs = calloc((size_t)q->seeds, sizeof *o->runs);
  if (!o->runs) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  for (int64_t s = 0; s < q->seeds; s++) {
    q->cfg.seed = (uint64_t)(q->seed0 + s);
    gs_mem_reset_peak();
    GS_TRY(gs_model_new(&m, &q->cfg, o->g, &o->ds->x, o->ds->num_classes, err));
    const gs_model_layout *L = gs_model_layout_of(m);
    o->model_params = L->params;
    o->smoothed_csr = L->layer[0].sparse_input && q->cfg.family == GS_MODEL_SGC;
    if (show && s == 0) print_model_line(&q->cfg, L);
    char label[64];
    snprintf(label, sizeof label, "seed %lld", (long long)q->cfg.seed);
    q->topt.progress = show ? stderr : NULL;
    q->topt.progress_label = label;
    st = gs_train(&o->runs[s].r, m, o->ds, &q->topt, err);
    /* label dies with this iteration; q->topt goes on to the probe (ASan: use after scope). */
    q->topt.progress_label = "train";
    gs_model_free(&m);
    if (st != GS_OK) return st;
    o->runs[s].seed = q->cfg.seed;
    const gs_train_result *r = &o->runs[s].r;
    if (r->peak_bytes - o->mem_base > o->counted_peak)
      o->counted_peak = r->peak_bytes - o->mem_base;
    if (show)
      printf("seed %-4lld test %.2f%%  val %.2f%%  best epoch %d of %d  epoch %.2f ms "
             "(train %.2f, eval %.2f)\n",
             (long long)q->cfg.seed, 100 * r->test_acc, 100 * r->best_val_acc, r->best_epoch,
             r->epochs_run, 1e3 * r->epoch_seconds_median, 1e3 * r->train_seconds_median,
             1e3 * r->eval_seconds_median);
  }
  return GS_OK;
fail:
  gs_model_free(&m);
  return st;
}

/* Summary over seeds: mean and sample standard deviation of the test accuracy, median of the
 * per-seed epoch medians, the largest counted peak, the peak RSS. */
static gs_status summarise(train_outcome *o, int64_t seeds, gs_error *err) {
  double *x = calloc((size_t)seeds, sizeof *x);
  if (!x) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  o->peak = 0;
  for (int64_t s = 0; s < seeds; s++) {
    x[s] = o->runs[s].r.test_acc;
    if ((double)o->runs[s].r.peak_bytes > o->peak) o->peak = (double)o->runs[s].r.peak_bytes;
  }
  gs_mean_std(x, seeds, &o->mean, &o->std);
  for (int64_t s = 0; s < seeds; s++) x[s] = o->runs[s].r.epoch_seconds_median;
  o->epoch_median = gs_median(x, seeds);
  free(x);
  o->rss = gs_mem_peak_rss();
  return GS_OK;
}

static void print_json_runs(const train_outcome *o, int64_t seeds) {
  for (int64_t s = 0; s < seeds; s++) {
    const gs_train_result *r = &o->runs[s].r;
    printf("%s{\"seed\":%llu,\"test_acc\":%.6f,\"val_acc\":%.6f,\"val_loss\":%.6f,"
           "\"train_acc\":%.6f,\"final_train_loss\":%.6f,\"best_epoch\":%d,\"epochs_run\":%d,"
           "\"epoch_ms\":%.4f,"
           "\"train_ms\":%.4f,\"eval_ms\":%.4f,\"peak_bytes\":%lld,\"flops_per_epoch\":%lld",
           s ? "," : "", (unsigned long long)o->runs[s].seed, r->test_acc, r->best_val_acc,
           r->best_val_loss, r->train_acc, r->final_train_loss, r->best_epoch, r->epochs_run,
           1e3 * r->epoch_seconds_median, 1e3 * r->train_seconds_median,
           1e3 * r->eval_seconds_median, (long long)r->peak_bytes, (long long)r->flops_per_epoch);
    gs_json_category_ms(",\"kernel_ms\"", r->kernel_seconds_median);
    printf("}");
  }
}

static void print_json_prediction(const train_request *q, const train_price *p) {
  const gs_scaling_rule *rule = &q->rule;
  const gs_scaling_spec *spec = &p->spec;
  if (q->have_strategy)
    printf(",\"scaling\":{\"strategy\":\"%s\",\"phi\":%.17g,\"base\":{\"depth\":%d,"
           "\"width\":%lld,\"resolution\":%.17g},\"alpha\":%.17g,\"beta\":%.17g,"
           "\"gamma\":%.17g,\"a\":%.17g,\"depth\":%d,\"width\":%lld,\"features\":%lld,"
           "\"file_features\":%lld,\"resolution\":%.17g,\"intended_factor\":%.17g,"
           "\"realised_factor\":%.17g}",
           gs_scaling_strategy_name(rule->strategy), spec->phi, (int)rule->base_depth,
           (long long)rule->base_width, rule->base_resolution, rule->alpha, rule->beta,
           rule->gamma, rule->a, (int)spec->depth, (long long)spec->width,
           (long long)spec->features, (long long)p->cdata.file_features, spec->resolution,
           spec->intended_factor, spec->realised_factor);
  if (!p->predicted) return;
  printf(",\"predicted\":{\"peak_bytes\":%lld,\"peak_phase\":\"%s\",\"peak_rss_bytes\":%lld,"
         "\"epoch_ms\":%.4f,\"flops_per_epoch\":%lld,\"features\":%lld,",
         (long long)p->cost.peak_bytes, gs_cost_phase_name(p->cost.peak_phase),
         (long long)(p->rss_priced + p->cost.peak_bytes), 1e3 * p->cost.seconds_per_epoch,
         (long long)p->cost.epoch.total, (long long)p->cost.features);
  gs_cli_prediction_json(&p->pred, stdout);
  gs_json_category_ms(",\"kernel_ms\"", p->cost.seconds_category);
  printf("}");
}

static void print_json(const train_request *q, const train_price *p, const train_outcome *o) {
  const gs_dataset *ds = o->ds;
  const gs_model_config *cfg = &q->cfg;
  printf("{\"command\":\"train\",\"dataset\":");
  gs_json_string(stdout, ds->name);
  printf(",\"split\":");
  gs_json_string(stdout, ds->split_name);
  printf(",\"features_prep\":\"%s\"", gs_featprep_name(ds->features_prep));
  printf(",\"features_stats\":{\"mean_row_nnz\":%.17g,\"row_sum_cv\":%.17g,\"max_row_sum\":%.17g,\"negative\":%s}",
         ds->features_stats.mean_row_nnz, ds->features_stats.row_sum_cv,
         ds->features_stats.max_row_sum, ds->features_stats.negative ? "true" : "false");
  printf(",\"model\":\"%s\"", gs_model_family_name(cfg->family));
  char stack[512];
  gs_cli_stack_text(stack, sizeof stack, &q->asked, cfg->depth);
  printf(",\"stack\":");
  gs_json_string(stdout, stack);
  printf(",\"nodes\":%lld,\"adj_nnz\":%lld,\"features\":%lld,\"classes\":%d,"
         "\"depth\":%d,\"width\":%lld,\"dropout\":%g,\"residual\":%s,\"rezero\":%s,\"identity_map\":%s,\"layernorm\":%s,"
         "\"params\":%lld,\"threads\":%d,\"epochs\":%d,\"lr\":%g,\"weight_decay\":%g,"
         "\"load_seconds\":%.4f,\"load_source\":\"%s\",",
         (long long)ds->num_nodes, (long long)o->gst.nnz, (long long)ds->x.cols, ds->num_classes,
         (int)cfg->depth, (long long)cfg->width, (double)cfg->dropout,
         cfg->residual ? "true" : "false", cfg->rezero ? "true" : "false",
         cfg->identity_map ? "true" : "false", cfg->norm ? "true" : "false",
         (long long)o->model_params, gs_runtime_threads(), (int)q->topt.epochs, q->topt.lr,
         q->topt.weight_decay, o->t_load, o->from_store ? "store" : "text");
  if (cfg->family == GS_MODEL_SGC)
    printf("\"sgc_input\":{\"storage\":\"%s\",\"nnz\":%lld,\"density\":%.6g,\"rule\":\"%s\","
           "\"csr_below\":%g},",
           o->smoothed_csr ? "csr" : "dense", (long long)o->smoothed_nnz,
           (double)o->smoothed_nnz / ((double)ds->num_nodes * (double)ds->x.cols),
           cfg->sgc_input == GS_SGC_INPUT_AUTO ? "auto" : "forced", GS_SGC_SPARSE_BELOW);
  if (cfg->family == GS_MODEL_GIN) {
    char why[128];
    double degree;
    const gs_gin_norm gn = gin_norm_of(q, o, why, sizeof why, &degree);
    printf("\"gin_norm\":\"%s\",\"gin_norm_rule\":{\"rule\":\"%s\",\"mean_closed_degree\":%.6g,"
           "\"batchnorm_above\":%g},",
           gs_gin_norm_name(gn), cfg->gin_norm == GS_GIN_NORM_AUTO ? "auto" : "forced",
           degree, GS_GIN_BATCHNORM_ABOVE);
  }
  printf("\"runs\":[");
  print_json_runs(o, q->seeds);
  printf("],\"test_acc_mean\":%.6f,\"test_acc_std\":%.6f,\"epoch_ms_median\":%.4f,"
         "\"peak_bytes\":%.0f,\"peak_rss_bytes\":%lld",
         o->mean, o->std, 1e3 * o->epoch_median, o->peak, (long long)o->rss);
  printf(",\"counted_peak_bytes\":%lld,\"rss_after_pricing_bytes\":%lld,"
         "\"rss_after_runtime_bytes\":%lld,\"pricing_peak_bytes\":%lld",
         (long long)o->counted_peak, (long long)p->rss_priced, (long long)p->rss_runtime,
         (long long)p->pricing_peak);
  print_json_prediction(q, p);
  printf("}\n");
}

static void print_text(const train_request *q, const train_price *p, const train_outcome *o) {
  char b1[32], b2[32];
  printf("test accuracy %.2f ± %.2f %% over %lld seed%s; epoch time median %.2f ms; "
         "peak memory %s counted, %s RSS\n",
         100 * o->mean, 100 * o->std, (long long)q->seeds, q->seeds > 1 ? "s" : "",
         1e3 * o->epoch_median, gs_format_bytes((int64_t)o->peak, b1, sizeof b1),
         gs_format_bytes(o->rss, b2, sizeof b2));
  if (!p->predicted) return;
  char b3[32], b4[32], b5[32], source[8192];
  gs_cli_prediction_describe(&p->pred, source, sizeof source);
  const int64_t rss_predicted = p->rss_priced + p->cost.peak_bytes;
  printf("predicted: peak %s counted (measured %s, %+.1f%%, %s phase), RSS %s (measured %s, "
         "%+.1f%%; %s resident before the load), epoch %.2f ms (measured %.2f ms, %+.1f%%)\n"
         "  epoch time from %s\n",
         gs_format_bytes(p->cost.peak_bytes, b1, sizeof b1),
         gs_format_bytes(o->counted_peak, b2, sizeof b2),
         100.0 * ((double)p->cost.peak_bytes / (double)o->counted_peak - 1.0),
         gs_cost_phase_name(p->cost.peak_phase), gs_format_bytes(rss_predicted, b3, sizeof b3),
         gs_format_bytes(o->rss, b4, sizeof b4),
         100.0 * ((double)rss_predicted / (double)o->rss - 1.0),
         gs_format_bytes(p->rss_priced, b5, sizeof b5), 1e3 * p->cost.seconds_per_epoch,
         1e3 * o->epoch_median, 100.0 * (p->cost.seconds_per_epoch / o->epoch_median - 1.0),
         source);
}

int gs_cmd_train(int argc, char **argv) {
  train_request q;
  int status = parse_request(&q, argc, argv);
  if (status != GS_CLI_CONTINUE) return status;
  bool eval_spill = false;
  if (q.batching == 2) {
    /* Full-batch if the planned model fits --mem, else the (P, Q) the planner picks. */
    gs_error e;
    gs_cli_batching b;
    gs_status bst = gs_runtime_init((int)q.threads, &e);
    if (bst == GS_OK)
      bst = gs_cli_train_batching(&b, &q.cfg, q.data, q.split, q.norm, &q.rule, q.have_strategy,
                                  q.phi, &q.topt, (double)q.mem, q.mem_basis == 1,
                                  q.eval_full == 1, &e);
    if (bst != GS_OK) return gs_cli_fail("train", &e);
    if (!q.json)
      printf("batching auto under %lld bytes: %s (P = %d, Q = %d), predicted peak %lld bytes "
             "counted%s\n", (long long)q.mem, b.cluster ? "Cluster-GCN" : "full-batch", b.parts,
             b.clusters_per_batch, (long long)b.peak,
             b.cluster && b.eval == GS_CLUSTER_EVAL_SPILL
                 ? "; whole-graph evaluation with one layer spilled to disk"
             : b.cluster && b.eval == GS_CLUSTER_EVAL_FULL ? "; whole-graph evaluation"
                                                           : "");
    eval_spill = b.cluster && b.eval == GS_CLUSTER_EVAL_SPILL;
    if (b.cluster) {
      q.batching = 1;
      q.parts = b.parts;
      q.clusters_per_batch = b.clusters_per_batch;
    } else {
      q.batching = 0;
    }
  }
  if (q.batching == 1) {
    gs_cli_cluster_run run = {.data = q.data, .split = q.split, .profile_path = q.profile_path,
                              .cfg = q.cfg, .topt = q.topt,
                              .prep = q.prep, .norm = q.norm, .seeds = q.seeds, .seed0 = q.seed0,
                              .threads = (int)q.threads, .parts = (int32_t)q.parts,
                              .clusters_per_batch = (int32_t)q.clusters_per_batch,
                              .diag_lambda = q.diag_lambda, .eval_full = q.eval_full == 1,
                              .eval_spill = eval_spill, .mem = q.mem,
                              .mem_counted = q.mem_basis == 1, .json = q.json,
                              .quiet = q.quiet};
    return gs_cli_train_cluster(&run);
  }
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  train_price p;
  memset(&p, 0, sizeof p);
  train_outcome o;
  memset(&o, 0, sizeof o);
  GS_TRY(gs_runtime_init((int)q.threads, &err));
  GS_TRY(price_request(&p, &q, &err));
  GS_TRY(load_data(&o, &p, &q, &err));
  GS_TRY(count_smoothed(&o, &p, &q, &err));
  if (!q.quiet && !q.json) print_header(&q, &p, &o);
  GS_TRY(run_seeds(&o, &q, &err));
  GS_TRY(summarise(&o, q.seeds, &err));
  GS_TRY(probe_prediction(&p, &q, &o, &err));
  if (q.json) print_json(&q, &p, &o);
  else print_text(&q, &p, &o);
fail:
  free(o.runs);
  free(p.prefix);
  gs_graph_free(&o.g);
  gs_dataset_free(&o.ds);
  return st == GS_OK ? 0 : gs_cli_fail("train", &err);
}

/* The subcommands of the gnnscale program. Each returns the process exit status:
 * 0 success, 1 failure of the work (message on stderr), 2 bad usage. */
#ifndef GS_CLI_COMMANDS_H
#define GS_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "datasets/store_partition.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/probe.h"
#include "scaling/profile.h"
#include "gnn/cluster.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/planner.h"
#include "scaling/rules.h"
#include "scaling/search.h"
#include "scaling/sgc_count.h"
#include "sparse/graph.h"

int gs_cmd_train(int argc, char **argv);
int gs_cmd_info(int argc, char **argv);
int gs_cmd_plan(int argc, char **argv);
int gs_cmd_generate(int argc, char **argv);
int gs_cmd_calibrate(int argc, char **argv);
int gs_cmd_search(int argc, char **argv);
int gs_cmd_convert(int argc, char **argv);
int gs_cmd_partition(int argc, char **argv);
int gs_cmd_sweep(int argc, char **argv);
int gs_cmd_report(int argc, char **argv);

/* The default machine profile file: $GNNSCALE_CACHE/profile.txt, else
 * $XDG_CACHE_HOME/gnnscale/profile.txt, else ~/.cache/gnnscale/profile.txt (the folder of
 * gs_colrank_default_cache_dir). Written by `gnnscale calibrate`. */
gs_status gs_cli_default_profile_path(char *out, size_t cap, gs_error *err);

/* Loads the profile at path, or with path NULL the default file when it exists, else gives
 * gs_profile_default(); note receives a sentence saying which (for people). Errors: those of
 * gs_profile_load for a file that exists but does not read. */
gs_status gs_cli_load_profile(gs_profile *p, const char *path, char *note, size_t cap,
                              gs_error *err);

/* Where a command's epoch-time predictions come from (cli/prediction.c). */
typedef struct {
  gs_profile measured;            /* the profile as loaded (or the defaults) */
  gs_profile profile;             /* what the cost model is given: the probe's correction applied */
  gs_prediction_source source;
  char note[4096 + 512];          /* the profile's file, machine and threads (for people) */
  char mismatch[512];             /* "" or gs_profile_mismatch's sentence */
  bool probed;
  gs_probe probe;
} gs_cli_prediction;

/* From the profile a command loaded and the note that says which (gs_cli_load_profile):
 * source "profile", or "default" for the default profile; the mismatch with this run. */
void gs_cli_prediction_init(gs_cli_prediction *pr, const gs_profile *profile, const char *note);

/* Reads or runs the probe of (ds, g) for `family` (gs_probe_get, cached in the default cache
 * folder) and corrects pr->profile with it; source becomes "probe". The counting allocator's
 * peak includes the probe's: reset it before measuring. SGC's probed models are priced with
 * Â^K X counted for their own K (data's counter, else one started here, gs_cli_sgc_count_attach).
 * Errors: those of the probe's training or counting (pr unchanged). */
gs_status gs_cli_prediction_probe(gs_cli_prediction *pr, const gs_dataset *ds, const gs_graph *g,
                                  const gs_cost_data *data, const gs_model_config *family,
                                  const gs_train_options *topt, gs_norm norm, gs_error *err);

/* One phrase saying where the epoch times come from, to follow "epoch time(s) from ". */
void gs_cli_prediction_describe(const gs_cli_prediction *pr, char *out, size_t cap);

/* The one warning on stderr when the profile was measured on another CPU, core count or
 * thread count; nothing otherwise. */
void gs_cli_prediction_warn(const gs_cli_prediction *pr, const char *command);

/* `"source":...,"profile":...,"profile_threads":T,"profile_mismatch":...|null,"probe":{...}|null`
 * (the probe with its measured epochs per model). */
void gs_cli_prediction_json(const gs_cli_prediction *pr, FILE *f);

/* Exit status for a failed gs_status: 1, after printing "gnnscale <cmd>: <message>". */
int gs_cli_fail(const char *command, const gs_error *err);

/* Feature preprocessing selectable with --features. */


/* Parses a base model "d0,w0" or "d0,w0,r0" (depth 1..GS_MAX_LAYERS, width 1..2^20, resolution
 * in (0, 1], default 1) into rule's base; false (rule unchanged) when malformed. */
bool gs_cli_parse_base(const char *s, gs_scaling_rule *rule);

/* The scaling rule of train and plan after parsing: --alpha, --beta and --gamma all or none,
 * and only for dwr; --from-search FILE (when path is not NULL) refuses the options it would
 * override (--strategy other than dwr, --alpha/--beta/--gamma, --base, --width-multiple),
 * loads the file into *searched and sets *rule to its dwr rule (gs_search_result_rule).
 * Returns GS_CLI_CONTINUE, 2 after a usage message, or 1 after a message on a file that does
 * not load. */
int gs_cli_scaling_rule(const gs_cli *cli, const char *from_search, gs_scaling_rule *rule,
                        gs_search_result *searched);

/* GS_OK when ds can be trained on (features when need_features, labels, a split with a
 * non-empty train set, a class); else GS_ERR_INVALID naming what is missing under path. */
gs_status gs_cli_check_trainable(const gs_dataset *ds, const char *path, bool need_features,
                                 gs_error *err);
/* The same checks from counts (a binary store's header): missing_features when training needs
 * features and there are none. */
gs_status gs_cli_check_trainable_counts(const char *path, bool missing_features, bool has_labels,
                                        const char *split_name, int64_t num_train,
                                        int32_t num_classes, gs_error *err);

/* The adjacency normalisation of the model family (gs_model_family_norm: SAGE row, GIN none)
 * into *norm, or a rejection (exit status 2) when --norm asked for another one or --gin-norm
 * was given for another family. Returns GS_CLI_CONTINUE or 2. */
int gs_cli_family_norm(const gs_cli *cli, gs_model_family family, gs_norm *norm);

/* The hidden stack of cfg from --plain, --residual and --layernorm: --plain (true in *plain)
 * the plain stack; --residual or --layernorm as given; neither: GS_STACK_AUTO when scaled
 * (the deep stack from GS_MODEL_DEEP_DEPTH layers on), else as set (plain). --plain with
 * --residual or --layernorm is a rejection (exit status 2). Returns GS_CLI_CONTINUE or 2. */
int gs_cli_model_stack(const gs_cli *cli, bool plain, bool scaled, gs_model_config *cfg);

/* A sentence on the stack of a model of cfg->family at `depth` whose stack was asked as
 * `asked` (before gs_model_config_resolve), for the run's header: "residual + layernorm
 * (auto: depth 19 >= 4, where a plain GCN collapses; --plain for the plain stack)". */
void gs_cli_stack_text(char *out, size_t cap, const gs_model_config *asked, int32_t depth);

/* Loads a dataset folder (or an edge-list file) and builds its normalised graph. */
gs_status gs_cli_load(gs_dataset **ds, gs_graph **g, const char *path, const char *split,
                      gs_featprep prep, gs_norm norm, gs_error *err);

/* Loads the dataset folder dir keeping its top `features` columns by document frequency (all
 * of them when features >= f0, its column count: then from its binary store, gs_store_open,
 * with a note on stderr when the store was built or rebuilt; a subset from the text), applies
 * the preprocessing and builds the graph: the data `train` trains a scaled model on, and its
 * probe (and sweep's and plan's) probes. */
gs_status gs_cli_load_columns(gs_dataset **ds, gs_graph **g, const char *dir, const char *split,
                              int64_t features, int64_t f0, gs_featprep prep, gs_norm norm,
                              gs_error *err);

/* Renumbers the dataset's nodes by RCM (`--reorder rcm`) and rebuilds its graph with norm
 * (features, labels and splits follow their nodes): what train does after loading, and what
 * sweep's probe of such a run does too (the probe is keyed by the edges, so it must see the
 * reordered graph to be the run's). */
gs_status gs_cli_reorder_rcm(gs_dataset *ds, gs_graph **g, gs_norm norm, gs_error *err);

/* The counts the cost model needs for the dataset at path: for a folder, from its binary
 * store's header and column counts (the store is built on first use; a few KiB read, at any
 * scale), else (an edge-list file, or a folder whose store cannot be written) from the loaded
 * data. name receives the dataset's name. *prefix as in gs_cost_data_of (gs_mem_free it).
 * Errors: GS_ERR_INVALID when features, labels or a split are missing; those of the loaders. */
gs_status gs_cli_cost_data(gs_cost_data *out, int64_t **prefix, char *name, size_t name_cap,
                           const char *path, const char *split, gs_norm norm, gs_error *err);

/* SGC priced as `train` holds it (plan, search): unless cfg forces Â^K X dense (or the family
 * is not SGC), starts *counter on g and x (all columns, prepared as training prepares them)
 * and points data at it, so that every K and column count the grid asks for is priced with
 * its counted non-zeros (gs_sgc_counter_count). Errors: those of gs_sgc_counter_init. */
gs_status gs_cli_sgc_count_attach(gs_sgc_counter *counter, gs_cost_data *data,
                                  const gs_model_config *cfg, const gs_graph *g,
                                  const gs_features *x, gs_error *err);

/* One line on stderr saying what the counting cost (nothing when no pass ran). */
void gs_cli_sgc_count_note(const gs_sgc_counter *counter, const char *command);

/* A partition of a dataset folder kept beside it (gnnscale partition), and what it took. */
typedef struct {
  char store[4352];        /* the dataset's store */
  char parts_path[4352];   /* the assignment */
  char ordered_path[4352]; /* the partition-ordered store */
  gs_store_info info;      /* of the dataset's store */
  gs_partition_report report;
  bool reused, ordered_reused;
  double store_seconds, load_seconds, partition_seconds, ordered_seconds;
  double metis_kept; /* share of the adjacency METIS saw when computed now (1: all; less on a
                        graph above its entry budget); 0 when reused */
  int64_t max_entries;         /* METIS's entry budget (from the memory budget when given) */
  gs_store_partition_cost cost;/* the step priced at that budget (gs_store_partition_cost_of) */
  int64_t rss_before;          /* resident bytes when the step began */
  int64_t peak_rss;            /* measured peak RSS of the step (0 when nothing was computed) */
} gs_cli_partition;

/* Makes sure the dataset folder data has its store, the partition into `parts` parts with seed
 * and its partition-ordered store, computing what is missing or stale (notes on stderr), with
 * the store streamed, never loaded (datasets/store_partition.h). mem > 0 is a budget of peak
 * RSS for the step: METIS's entry budget is the largest whose priced peak, with what is
 * resident now, fits it (GS_ERR_BUDGET naming the budget and the need when none does; with
 * mem_counted a budget of counted bytes alone, METIS's own not counted); mem = 0:
 * GS_PARTITION_METIS_ENTRIES. Errors: those of the store, METIS's guards. */
gs_status gs_cli_partition_ensure(gs_cli_partition *out, const char *data, const char *split,
                                  int32_t parts, int64_t seed, int64_t mem, bool mem_counted,
                                  gs_error *err);

/* What `train --batching cluster` runs with, as parsed by gs_cmd_train. */
typedef struct {
  const char *data, *split;
  const char *profile_path; /* --profile: the epoch time's rates (NULL: the default profile) */
  gs_model_config cfg;
  gs_train_options topt;
  gs_featprep prep;
  gs_norm norm;
  int64_t seeds, seed0; /* seed0 also seeds METIS */
  int threads;
  int32_t parts, clusters_per_batch;
  double diag_lambda;
  bool eval_full; /* --eval full: over the whole graph, layer by layer */
  bool eval_spill; /* with eval_full: one layer resident, the other spilled (as planned) */
  int64_t mem;    /* --mem of --batching auto: the partition step's budget too (0: none) */
  bool mem_counted; /* --mem-basis counted */
  bool json, quiet;
} gs_cli_cluster_run;

/* Cluster-GCN training (gnn/cluster.h) over the partition-ordered store of a->data, made first
 * when missing; prints accuracy, epoch time, measured and predicted peaks. Exit status. */
int gs_cli_train_cluster(const gs_cli_cluster_run *a);

/* The batching chosen for one model under a memory budget (plan --batching, train --batching
 * auto). parts = 1: full-batch. */
typedef struct {
  int32_t parts, clusters_per_batch;
  int64_t peak;      /* predicted counted peak of the choice (the smallest tried when none fits) */
  int64_t full_peak; /* of full-batch training */
  bool cluster, fits;
  /* Cluster-GCN: partitioning first (when the parts are not stored), priced at the largest
   * METIS entry budget that fits the same budget (gs_store_partition_entries_for; 0: none
   * fits, and partitioning would be refused) */
  int64_t partition_entries;
  gs_store_partition_cost partition;
  gs_cluster_eval eval; /* Cluster-GCN: how it evaluates (whole-graph evaluation asked: two
                           layers resident when they fit, else one spilled) */
  int64_t eval_bytes;   /* its priced buffers */
} gs_cli_batching;

/* Full-batch when allow_full and full_peak + resident fits limit, else the Cluster-GCN (P, Q)
 * with the fewest parts P of a fixed ladder (2 .. 16384, P <= n/2) for which some Q fits, and
 * the largest such Q <= P/2; capacities estimated before partitioning
 * (gs_cluster_cost_capacity_estimate); and the partition step into P parts priced under the
 * same budget. */
gs_status gs_cli_choose_batching(gs_cli_batching *out, const gs_model_config *cfg,
                                 const gs_store_info *info, gs_norm norm, int32_t epochs,
                                 double limit, double resident, bool allow_full,
                                 bool eval_full, int64_t full_peak, gs_error *err);

/* For train --batching auto: the model of the scaling rule at phi (when have_rule; cfg's depth
 * and width are set to it) or cfg's, and the batching plan chooses for it under `limit` bytes
 * of peak RSS (gs_cli_choose_batching; resident bytes measured now), or of counted bytes alone
 * when mem_counted (plan's --mem-basis counted). Errors: GS_ERR_BUDGET
 * when nothing fits, or when only Cluster-GCN would and the model keeps fewer columns. */
gs_status gs_cli_train_batching(gs_cli_batching *out, gs_model_config *cfg, const char *data,
                                const char *split, gs_norm norm, const gs_scaling_rule *rule,
                                bool have_rule, double phi, const gs_train_options *topt,
                                double limit, bool mem_counted, bool eval_full, gs_error *err);

/* Prints the batching plan over the rows of plan (made without the memory budget) and returns
 * GS_ERR_BUDGET when no row fits. A Cluster-GCN row's epoch time is priced with profile by
 * gs_cluster_cost_time (no partition yet: every link priced), and judged against the time
 * budget in place of the full-batch time. */
int gs_cli_plan_batching(const gs_plan *plan, const gs_plan_options *o, const gs_store_info *info,
                         const gs_profile *profile, const char *name, gs_norm norm,
                         bool allow_full, bool eval_full, bool json, gs_error *err);

#endif

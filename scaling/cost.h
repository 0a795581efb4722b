/* The cost model of a GCN training run (DESIGN.md §2 and §4): the FLOPs of one epoch exactly as
 * the kernels count them (gnn/flops.h), every byte the counting allocator will hold, replayed
 * phase by phase (load, graph construction, model and training), and the seconds of an epoch
 * from a machine profile, charging each kernel max(FLOPs / rate, bytes / bandwidth) plus a
 * per-call overhead. It needs counts only, never the data, so the planner can price a model
 * before anything is loaded or allocated. */
#ifndef GS_COST_H
#define GS_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "core/flops.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/profile.h"
#include "sparse/graph.h"

/* The loader's default density threshold below which it keeps features as CSR
 * (gs_dataset_options.sparse_below). */
#define GS_COST_SPARSE_BELOW 0.25

/* A dataset described by counts. Resolution r < 1 keeps the first f = ceil(r·f0) columns of a
 * deterministic ranking (gs_cost_column_ranking: descending non-zeros, ties by index), so the
 * non-zeros of the kept columns are the exact prefix sums of that ranking. */
typedef struct {
  int64_t nodes;              /* n */
  int64_t edge_lines;         /* E, lines as stored: the dataset keeps src and dst (16·E bytes) */
  int64_t self_loop_lines;    /* lines with src == dst (dropped before I is added) */
  int64_t symmetric_entries;  /* directed entries after symmetrising, without self loops */
  int64_t adj_nnz;            /* m = nnz(Â) = symmetric_entries + n */
  int64_t max_degree;         /* largest neighbour count; < 0 unknown (taken as n - 1) */
  gs_norm norm;               /* GS_NORM_ROW also keeps Âᵀ */
  int64_t file_features;      /* f0 */
  int64_t feature_nnz;        /* non-zeros over all f0 columns */
  /* [f0 + 1]: column_nnz_prefix[k] = non-zeros of the k highest-ranked columns (borrowed).
   * NULL: the non-zeros of f columns are taken as proportional, ceil(nnz·f / f0), and the
   * estimate says so (gs_cost.nnz_proportional). */
  const int64_t *column_nnz_prefix;
  double sparse_below;        /* storage rule of the loader: CSR when density < this */
  int64_t classes;
  int64_t num_train, num_valid, num_test;
  /* > 0: a run keeping every column loads the binary store (gs_store_load, these bytes:
   * gs_store_load_bytes) and builds Â from its adjacency, instead of parsing the text; set by
   * gs_cost_data_of_store. 0: the text is parsed (and always for a column subset). */
  int64_t store_load_bytes;
  /* SGC: the non-zeros of Â^K X (gs_model_smoothed_nnz) for K = smoothed_hops over the
   * smoothed_features top columns, which decide its storage (gs_model_sgc_csr); a model of
   * another K or width, or 0 here, is priced with Â^K X dense. */
  int64_t smoothed_nnz;
  int32_t smoothed_hops;
  int64_t smoothed_features;
  /* SGC at any K and column count (a plan's or search's grid): when set, asked for the
   * non-zeros of Â^K X over the top `features` ranked columns (gs_sgc_counter_count with
   * smoothed_ctx) for models not forced dense, before the single count above. */
  gs_status (*smoothed_count)(void *ctx, int32_t hops, int64_t features, int64_t *nnz,
                              gs_error *err);
  void *smoothed_ctx;
} gs_cost_data;

/* Zero counts, unknown maximum degree, no prefix, symmetric normalisation, the loader's
 * default threshold. */
gs_cost_data gs_cost_data_default(void);

/* The counts of a dataset and its graph, without the feature counts (file_features,
 * feature_nnz, column_nnz_prefix stay at their defaults): for a caller that loaded the
 * dataset without its features and ranks the columns from the files. */
gs_cost_data gs_cost_data_counts(const gs_dataset *ds, const gs_graph *g);

/* Describes a loaded dataset and its graph. ds must hold all file columns (kept_columns NULL).
 * out->sparse_below is the loader's default: set it when the run loads with another.
 * When prefix is not NULL it receives a gs_mem_alloc'd [f0 + 1] array of ranked prefix sums
 * that out->column_nnz_prefix borrows (the caller frees it with gs_mem_free after its last use
 * of out); when prefix is NULL out->column_nnz_prefix stays NULL. Errors: GS_ERR_INVALID (no
 * features, labels or split, or a column subset), GS_ERR_NOMEM. */
gs_status gs_cost_data_of(gs_cost_data *out, int64_t **prefix, const gs_dataset *ds,
                          const gs_graph *g, gs_error *err);

/* Describes a dataset from its binary store's header and column counts alone (what `plan`
 * reads, at any scale): the same counts as gs_cost_data_of on the loaded text, with the
 * ranked prefix sums built from column_nnz [f0] (gs_mem_alloc'd into *prefix when prefix is
 * not NULL, as there), and store_load_bytes set: a full-batch run of all columns is priced as
 * loading the store. Errors: GS_ERR_INVALID (no features or labels), GS_ERR_NOMEM. */
gs_status gs_cost_data_of_store(gs_cost_data *out, int64_t **prefix, const gs_store_info *info,
                                const int64_t *column_nnz, gs_norm norm, gs_error *err);

/* The same counts for a dataset folder, read without its feature matrix: the dataset without
 * features and its graph (freed again), and the document-frequency ranking of the columns
 * (cached, streamed from the file once). *prefix receives a malloc'd copy of the ranked
 * non-zero prefix sums that out->column_nnz_prefix borrows (free it after the last use of
 * out). Nothing stays in the counting allocator, so a run's peak can then be measured from an
 * empty allocator as the model predicts. Errors: those of loading, GS_ERR_INVALID (no labels
 * or split), GS_ERR_NOMEM. check (may be NULL) is called on the dataset before its graph is
 * built, for the caller's own checks and messages; its failure is returned.
 * (scaling/cost_load.c) */
typedef gs_status (*gs_cost_data_check)(const gs_dataset *ds, const char *dir, gs_error *err);
gs_status gs_cost_data_load(gs_cost_data *out, int64_t **prefix, const char *dir,
                            const char *split, gs_norm norm, gs_cost_data_check check,
                            gs_error *err);

/* The counts of the dataset folder dir as a run that loads it through its binary store is
 * priced: gs_store_ensure (the store built from the text on first use, rebuilt when stale or
 * damaged in its header; store_path gets its path and note, may be NULL, why), then its
 * header and column counts (store_load_bytes set), checked first by check_store (may be NULL)
 * for the caller's own messages; when the folder cannot hold a store, store_path is "" and the
 * counts are gs_cost_data_load's (check applies there). *prefix is malloc'd as there.
 * Errors: those of gs_store_ensure, gs_store_read_info, the checks, gs_cost_data_load,
 * GS_ERR_NOMEM. (scaling/cost_load.c) */
typedef gs_status (*gs_cost_store_check)(const gs_store_info *info, const char *dir,
                                         gs_error *err);
gs_status gs_cost_data_open(gs_cost_data *out, int64_t **prefix, char *store_path,
                            size_t store_path_cap, char *note, size_t note_cap, const char *dir,
                            const char *split, gs_norm norm, gs_cost_data_check check,
                            gs_cost_store_check check_store, gs_error *err);

/* The column ranking of DESIGN.md §1, gs_colrank_features by document frequency
 * (datasets/colrank.h): order[i] is the file column of rank i (descending number of
 * non-zeros, ties by ascending index), so that keeping the first f columns for a larger f
 * keeps a superset; prefix[k] is the non-zeros of the first k ranked columns. Either output
 * may be NULL; arrays are gs_mem_alloc'd ([f] and [f + 1]), freed with gs_mem_free.
 * Errors: GS_ERR_INVALID (no features), GS_ERR_NOMEM. */
gs_status gs_cost_column_ranking(int64_t **order, int64_t **prefix, const gs_features *x,
                                 gs_error *err);

/* Time-model constants fitted on the development machine (AMD EPYC, 2 threads; cora and
 * coauthor-cs kernels timed one by one) until the machine profile measures them:
 * - rows gathered from cache by a sparse product move at this multiple of STREAM bandwidth;
 * - one dropout draw of the sparse first layer (a full hash per feature entry, in a scalar
 *   loop) takes GS_COST_DRAW_SECONDS on one thread;
 * - an element of a dense dropout pass (one hash per four elements, the mask applied in a
 *   vectorised loop: gnn/dense.c) adds GS_COST_BLOCK_DRAW_SECONDS on one thread beyond its
 *   memory traffic (43M elements: about 20 ms at 2 threads, half of it memory). */
#define GS_COST_CACHED_GATHER 2.0
#define GS_COST_DRAW_SECONDS 2e-9
#define GS_COST_BLOCK_DRAW_SECONDS 0.3e-9

/* How the run is set up apart from depth, width and features. */
typedef struct {
  gs_model_config model;      /* dropout, residual, norm, order; depth and width are ignored */
  gs_decay_scope decay_scope;
  double weight_decay;
  int32_t epochs;             /* the trainer keeps 3 + GS_FLOPS_CATEGORIES doubles per epoch of log */
  double theta;               /* SpMM neighbour-row miss fraction θ in [0, 1], which prices
                                 sparse products by the older cached/missing blend; < 0
                                 (default): by the profile's gather curve at the size of the
                                 gathered operand */
  double draw_seconds;        /* one dropout draw on one thread (GS_COST_DRAW_SECONDS) */
} gs_cost_options;

/* Kipf & Welling's training (gs_model_config_default, gs_train_options_default), θ estimated. */
gs_cost_options gs_cost_options_default(void);

typedef enum {
  GS_COST_PHASE_LOAD = 0,  /* reading the dataset files or the binary store */
  GS_COST_PHASE_GRAPH = 1, /* building Â from the edge lines or the stored adjacency */
  GS_COST_PHASE_TRAIN = 2  /* model allocated and training */
} gs_cost_phase;

const char *gs_cost_phase_name(gs_cost_phase phase);

typedef struct {
  /* the model priced */
  int32_t depth;
  int64_t width;
  int64_t features;           /* f kept columns */
  bool sparse_features;       /* the storage the loader picks for those columns */
  int64_t feature_nnz;        /* non-zeros of the kept columns */
  bool nnz_proportional;      /* no prefix sums were given: feature_nnz is proportional to f */
  bool aggregate_first[GS_MAX_LAYERS];

  /* FLOPs of one epoch as the kernels count them (gs_flops_get after one gs_train epoch):
   * the training forward with the training loss, the backward, weight decay and Adam, and
   * the evaluation forward with the validation loss. */
  gs_flops forward;
  gs_flops backward;
  gs_flops optimizer;
  gs_flops eval;
  gs_flops epoch;             /* the sum, by category */
  gs_flops setup;             /* once, when the model is made (SGC's Â^K X), not in epoch */

  /* bytes (the counting allocator's payload bytes) */
  int64_t params;             /* P */
  int64_t param_bytes;        /* weights, 4P */
  int64_t grad_bytes;         /* 4P */
  int64_t optimizer_bytes;    /* Adam's two moments, 8P */
  int64_t activation_bytes;   /* kept from the forward for the backward */
  int64_t workspace_bytes;    /* transient products and gradients flowing between layers */
  int64_t input_transpose_bytes; /* Xᵀ and its permutation for sparse features */
  int64_t model_bytes;        /* every buffer of the layout plus the model object */
  int64_t graph_bytes;        /* Â (and Âᵀ for row normalisation) */
  int64_t graph_build_bytes;  /* transient bytes on top of the dataset while building Â */
  int64_t feature_bytes;      /* the features as stored (dense 4nf or CSR) */
  int64_t dataset_bytes;      /* the whole loaded dataset, features included */
  int64_t log_bytes;          /* the trainer's epoch logs */
  int64_t phase_peak[3];      /* high-water mark of each gs_cost_phase */
  int64_t peak_bytes;         /* the largest of them */
  gs_cost_phase peak_phase;

  /* seconds of one epoch (all negative when no profile was given) */
  double theta;               /* the miss fraction given; < 0: the gather curve was used */
  int64_t kernel_calls;       /* kernel calls of an epoch (serial memsets excluded) */
  int64_t calls_category[GS_FLOPS_CATEGORIES];
  double entries_category[GS_FLOPS_CATEGORIES]; /* sparse non-zeros walked (Â's, X's) */
  /* The roofline time of each category's kernels with their per-call overheads, from the
   * profile's rates alone (what the kernel fit of scaling/calibrate.h is fitted against). */
  double seconds_roofline[GS_FLOPS_CATEGORIES];
  /* The prediction per category, as the trainer's kernel clocks measure it (core/flops.h):
   * profile kernel_scale · seconds_roofline + kernel_call_s · calls_category
   * + kernel_entry_s · entries_category. */
  double seconds_category[GS_FLOPS_CATEGORIES];
  double seconds_memory;      /* FLOP-free kernels: zeroing gradients and logits gradients */
  double seconds_overhead;    /* the per-call overheads within seconds_roofline */
  double seconds_train;       /* training step */
  double seconds_eval;        /* evaluation forward */
  double seconds_per_epoch;
} gs_cost;

/* Prices a GCN of `depth` layers and hidden `width` on the first `features` ranked columns of
 * data, set up by opts. profile may be NULL (no time prediction). The peak is a replay of the
 * allocation schedule of gs_dataset_load (with the kept columns), gs_graph_new, gs_model_new
 * and gs_train, measured from a counting allocator holding nothing else.
 * Errors: GS_ERR_INVALID (a count out of range, features outside 1..f0, or what
 * gs_model_layout_make rejects), GS_ERR_RANGE (sizes that overflow). *out is written only on
 * success. Cost: O(depth), no allocation. */
gs_status gs_cost_estimate(gs_cost *out, int32_t depth, int64_t width, int64_t features,
                           const gs_cost_options *opts, const gs_cost_data *data,
                           const gs_profile *profile, gs_error *err);

/* The non-zeros of the first `features` ranked columns (exact from the prefix, else
 * proportional) and whether the loader would hold those columns as CSR. */
int64_t gs_cost_feature_nnz(const gs_cost_data *data, int64_t features);
bool gs_cost_features_sparse(const gs_cost_data *data, int64_t features);

#endif

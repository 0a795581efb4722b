/* Node-classification datasets: the gzip-CSV layout of datasets/data/README.md (after the
 * "raw" folder of the Open Graph Benchmark), Matrix Market (.mtx) and SNAP edge lists for
 * graphs without features, and a writer of the same layout. Readers validate everything and
 * report "file:line: what is wrong" through gs_error. */
#ifndef GS_DATASET_H
#define GS_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "sparse/csr.h"
#include "sparse/graph.h"

typedef enum { GS_FEATURES_NONE = 0, GS_FEATURES_DENSE = 1, GS_FEATURES_SPARSE = 2 } gs_feature_kind;

/* Node features, n rows x f columns, held dense (row-major) or as CSR, whichever the loader
 * chose from the density. */
typedef struct {
  gs_feature_kind kind;
  int64_t rows;
  int64_t cols;
  int64_t nnz;   /* non-zeros (also counted for dense storage) */
  float *dense;  /* [rows * cols] when kind == GS_FEATURES_DENSE */
  gs_csr sparse; /* when kind == GS_FEATURES_SPARSE */
} gs_features;

/* Feature preprocessing (`--features`). */
typedef enum {
  GS_FEATPREP_AUTO = 0,    /* chosen by gs_featprep_choose from the features' statistics */
  GS_FEATPREP_ROWNORM = 1, /* gs_dataset_row_normalize */
  GS_FEATPREP_RAW = 2,     /* as stored */
  GS_FEATPREP_BINARY = 3,  /* gs_dataset_binarize */
  GS_FEATPREP_L2 = 4       /* gs_dataset_l2_normalize */
} gs_featprep;

/* What gs_featprep_choose looks at: the features as stored, before any preparation. */
typedef struct {
  double mean_row_nnz; /* non-zeros per row */
  double row_sum_cv;   /* coefficient of variation (std / mean) of the row sums; 0 if mean 0 */
  double max_row_sum;  /* the largest row sum */
  bool binary;         /* every stored value is 0 or 1 */
  bool negative;       /* some stored value is below 0: values are not counts */
} gs_feature_stats;

typedef struct {
  char name[256];  /* the folder's base name, e.g. "cora" */
  char path[4096]; /* the folder or file it was read from */

  int64_t num_nodes;
  int64_t num_edge_lines; /* edge lines as stored (duplicates and self loops included) */
  int64_t *src;           /* [num_edge_lines] */
  int64_t *dst;           /* [num_edge_lines] */

  /* Loaded from the binary store (datasets/store.h): the symmetrised graph without self loops
   * in place of the edge lines (src and dst are then NULL and num_edge_lines 0), and what the
   * graph builder found in the text's edge lines. NULL when read from text. */
  int64_t *adj_rowptr;    /* [num_nodes + 1] */
  uint32_t *adj_col;      /* [adj_rowptr[num_nodes]], ascending per row */
  gs_graph_stats store_stats;
  /* A partition-ordered store (gs_store_write_ordered): nodes renumbered so that part p is
   * nodes [part_start[p], part_start[p + 1]); node i is the text's node original_id[i]. NULL
   * and 0 otherwise. */
  int32_t parts;
  int64_t *part_start;    /* [parts + 1] */
  int64_t *original_id;   /* [num_nodes] */

  int64_t file_features;  /* F in the file, before any column selection */
  gs_features x;          /* kind NONE for edge-list graphs */
  int64_t *kept_columns;  /* [x.cols] file column of each kept column, or NULL if all kept */
  gs_featprep features_prep; /* applied by gs_dataset_prepare_features (AUTO until then) */
  gs_feature_stats features_stats; /* of the features before that preparation */

  int32_t num_classes;    /* 0 when there are no labels */
  int32_t *labels;        /* [num_nodes], -1 = unlabelled; NULL when there are no labels */

  char split_name[128];   /* "" when there is no split */
  int64_t num_train, num_valid, num_test;
  int64_t *train, *valid, *test; /* ascending node ids */
} gs_dataset;

typedef struct {
  const char *split;       /* split folder name; NULL = "public" if present, else the first */
  bool load_features;      /* default true */
  double sparse_below;     /* hold features as CSR when density < this (default 0.25) */
  const int64_t *columns;  /* keep only these file columns, in this order (NULL = all) */
  int64_t num_columns;
} gs_dataset_options;

/* split NULL, load_features true, sparse_below 0.25, all columns. */
gs_dataset_options gs_dataset_options_default(void);

/* Reads a dataset folder (META.txt optional; when present its nodes, edges, num_features and
 * num_classes are checked against the data). Errors name file and line: GS_ERR_IO (missing
 * or truncated file), GS_ERR_PARSE (non-numeric text, wrong field count, empty file),
 * GS_ERR_RANGE (node id, label or split id out of range), GS_ERR_MISMATCH (counts that
 * disagree), GS_ERR_NUMERIC (NaN or inf feature), GS_ERR_INVALID (split id repeated).
 *
 * Details of the contract (added with the implementation):
 * - Also GS_ERR_NOT_FOUND when opts->split names a split folder that does not exist (the
 *   message lists the available ones), GS_ERR_INVALID for an unlabelled node (-1) in a split,
 *   a column selected twice or bad options, GS_ERR_RANGE for a selected column outside the
 *   file, a number beyond int64, and sizes beyond 2^32 nodes, 2^36 edge lines or 2^24
 *   features (rejected before anything is allocated), GS_ERR_NOMEM.
 * - Messages read "<dir>/raw/edge.csv.gz:117: expected 2 fields, got 3" (1-based lines, the
 *   folder as given). A last line without '\n' is accepted; a line ending in '\r' is not.
 *   An empty data file is GS_ERR_PARSE; an empty split file is an empty set.
 * - Features are parsed in one pass and held as CSR while the non-zeros seen so far keep the
 *   density below sparse_below, switching to dense once they cannot; so memory stays near
 *   the smaller form. Values equal strtof's exactly. Split ids are returned sorted.
 * - On failure *out is left untouched and nothing stays allocated. */
gs_status gs_dataset_load(gs_dataset **out, const char *dir, const gs_dataset_options *opts,
                          gs_error *err);

/* Reads a graph without features: Matrix Market coordinate (".mtx": pattern, integer or
 * real; general or symmetric; 1-based) or a SNAP edge list (anything else: "src dst" per
 * line separated by white space, '#' comments, 0-based ids). Either may be gzip-compressed
 * (".mtx.gz", ".txt.gz"). The edge lines are the stored entries as given (a symmetric .mtx
 * stores each off-diagonal pair once; values are checked, then dropped); num_nodes is the
 * matrix order, or the largest SNAP id + 1. Errors name file and line: GS_ERR_IO,
 * GS_ERR_PARSE (header, field count, text), GS_ERR_INVALID (non-square matrix),
 * GS_ERR_RANGE (index out of range), GS_ERR_MISMATCH (entry count vs the size line),
 * GS_ERR_NUMERIC (non-finite value). */
gs_status gs_dataset_load_edgelist(gs_dataset **out, const char *path, gs_error *err);

/* Builds the normalised graph of ds: from its edge lines (gs_graph_new) or, when it came from
 * the binary store, from its adjacency (gs_graph_new_adjacency, reporting the text's edge-line
 * statistics). Errors: those of the two builders. */
gs_status gs_dataset_graph_new(gs_graph **out, const gs_dataset *ds, gs_norm norm, gs_error *err);

/* Frees everything and clears *ds. NULL-safe. */
void gs_dataset_free(gs_dataset **ds);

/* Scales every feature row to sum 1 (rows summing to 0 are left), as Kipf & Welling do. */
void gs_dataset_row_normalize(gs_dataset *ds);

/* Scales every feature row to unit Euclidean norm (rows of zeros are left). */
void gs_dataset_l2_normalize(gs_dataset *ds);

/* Replaces every non-zero feature by 1 (Shchur et al. 2018). */
void gs_dataset_binarize(gs_dataset *ds);

/* "auto", "rownorm", "raw", "binary" or "l2". */
const char *gs_featprep_name(gs_featprep p);

/* Parses one of those names; false (out unchanged) otherwise. */
bool gs_featprep_parse(const char *s, gs_featprep *out);

/* One pass over the stored values (O(nnz), or O(rows * cols) for dense storage). */
gs_feature_stats gs_feature_stats_of(const gs_features *x);

/* The same statistics gathered over row blocks given in order (a store's parts read one at a
 * time): zero-initialise, add each block (x->nnz counting its non-zeros), finish. The same
 * rows in the same order give gs_feature_stats_of's result bit for bit. */
typedef struct {
  double sum, sum_sq;
  int64_t rows, nnz;
  gs_feature_stats stats;
} gs_feature_stats_acc;

void gs_feature_stats_add(gs_feature_stats_acc *a, const gs_features *x);
gs_feature_stats gs_feature_stats_finish(const gs_feature_stats_acc *a);

/* The thresholds of gs_featprep_choose (README "Feature preprocessing", figures in dataset.c):
 * rows with more non-zeros than GS_FEATPREP_DENSE_ROW_NNZ on average are dense (l2); sparse
 * rows whose sums vary by more than GS_FEATPREP_ROW_SUM_CV keep their size, as stored (raw)
 * when no row sums to more than GS_FEATPREP_RAW_MAX_ROW_SUM, else scaled by l2. */
#define GS_FEATPREP_DENSE_ROW_NNZ 100.0
#define GS_FEATPREP_ROW_SUM_CV 0.45
#define GS_FEATPREP_RAW_MAX_ROW_SUM 100.0

/* The automatic choice (DOCUMENTED RULE, README "Feature preprocessing"): see dataset.c.
 * Never returns GS_FEATPREP_AUTO. */
gs_featprep gs_featprep_choose(const gs_feature_stats *s);

/* Writes into buf (size n) why gs_featprep_choose(s) chose what it did, with the figures, e.g.
 * "14.0 non-zeros per row <= 100, row sums vary (cv 0.57 > 0.45) and none is above 100 (max 31),
 * so rows kept as stored". */
void gs_featprep_explain(const gs_feature_stats *s, char *buf, size_t n);

/* Applies prep to ds's features (GS_FEATPREP_AUTO resolved by gs_featprep_choose on them),
 * records it in ds->features_prep and the statistics it was chosen from in ds->features_stats,
 * and returns it (never GS_FEATPREP_AUTO). Call it once. */
gs_featprep gs_dataset_prepare_features(gs_dataset *ds, gs_featprep prep);

/* Applies prep (not GS_FEATPREP_AUTO; RAW does nothing) to the rows of x: every preparation
 * works row by row, so a batch's rows prepared alone equal the same rows of the whole matrix
 * prepared, bit for bit (Cluster-GCN's store-backed batches rely on it). */
void gs_features_prepare(gs_features *x, gs_featprep prep);

/* Writes ds in the layout of datasets/data/README.md into dir (created if missing), every
 * file through a temporary name and rename(2), so an interrupted write leaves no half file.
 * Features are written as dense lines (node-feat.csv.gz) whatever their storage, with each
 * float in a form strtof reads back bit for bit and never in exponent notation, so loading
 * the folder gives identical data. Files ds has no data for (labels, features) are removed;
 * other split folders already in dir are left. gzip level 6 (level 1 for files above about
 * 128 MiB of text), chunks deflated in parallel; the bytes do not depend on the thread
 * count. META.txt (written last) holds name, nodes, edges, num_features, num_classes,
 * splits, split.<name> and "source: generated by gnnscale". GS_ERR_IO, GS_ERR_INVALID,
 * GS_ERR_RANGE (edge ids out of range), GS_ERR_NOMEM. */
gs_status gs_dataset_write(const gs_dataset *ds, const char *dir, gs_error *err);

/* What gs_dataset_load allocates through the counting allocator besides the arrays it
 * returns, and the first capacities of the arrays it grows while reading. The cost model
 * replays a load from these (scaling/cost.c), so the loader stays their one description. */
typedef struct {
  int64_t meta_bytes;        /* the META.txt record, alive for the whole load */
  int64_t reader_bytes;      /* the buffer of one file reader (one file is open at a time) */
  int64_t split_names_bytes; /* the names of the split folders, while the split is read */
  int64_t first_edges;       /* edge lines trusted from the count file (src and dst) */
  int64_t first_labels;      /* labels trusted likewise */
  int64_t first_split_ids;   /* first capacity of each split's id array */
  int64_t first_rowptr;      /* first capacity of the feature row pointers */
} gs_dataset_load_sizes;

gs_dataset_load_sizes gs_dataset_load_allocations(void);

/* The capacity a growing array of the loader takes to hold `need` items when it holds
 * `capacity` (doubling from 1024), at most max_items but never below need. */
int64_t gs_dataset_grow_capacity(int64_t capacity, int64_t need, int64_t max_items);

/* Bytes held by the features (dense 4·n·f, CSR 8(n+1) + 12·nnz). */
int64_t gs_features_bytes(const gs_features *x);

#endif

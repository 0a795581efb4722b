/* Feature-column ranking for the "resolution" axis of scaling (DESIGN.md §1, "Resolution in
 * practice"): the columns of X are ranked once, deterministically and over all nodes (so no
 * label leaks), and resolution r keeps the first f = ceil(r·f0) of them, so r' > r keeps a
 * superset. The ranking is cached per dataset and method in a small text file, and a loader
 * reads only the kept columns, so r < 1 also shrinks feature memory. */
#ifndef GS_COLRANK_H
#define GS_COLRANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"

typedef enum {
  GS_COLRANK_DF = 0,       /* document frequency: nodes with a non-zero, descending (default) */
  GS_COLRANK_VARIANCE = 1, /* population variance over all n nodes (zeros included), descending */
  GS_COLRANK_INDEX = 2     /* file order */
} gs_colrank_method;

/* What gs_colrank_load_or_compute found in the cache. */
typedef enum {
  GS_COLRANK_CACHE_NONE = 0,      /* no cache file (or caching off): computed */
  GS_COLRANK_CACHE_HIT = 1,       /* read from the cache file, nothing computed */
  GS_COLRANK_CACHE_MALFORMED = 2, /* a cache file existed but failed its checks: recomputed */
  GS_COLRANK_CACHE_STALE = 3      /* a valid cache file for other data or another format
                                     version: recomputed */
} gs_colrank_cache_state;

/* A ranking of the f0 feature columns of a dataset. A plain struct, read directly by the
 * cost model (as gs_dataset is); zero-initialise it, and release it with gs_colrank_free.
 * Ties are broken by the lower column index, so the order is a total order and the same on
 * every machine. */
typedef struct {
  gs_colrank_method method;
  int64_t f0;          /* columns in the file */
  int64_t num_nodes;   /* rows the statistics were taken over */
  int64_t *order;      /* [f0] column ids, best first (gs_mem_alloc, tag "colrank") */
  int64_t *nnz_prefix; /* [f0 + 1] nnz_prefix[k] = non-zeros in the first k ranked columns */
  double *score;       /* [f0] the key of order[k]: its non-zero count (DF), its variance
                          (VARIANCE) or its index (INDEX); non-increasing except for INDEX */

  /* Set by gs_colrank_load_or_compute only (NONE/false/"" after gs_colrank_compute). */
  gs_colrank_cache_state cache_state;
  bool cache_written;    /* a fresh cache file was written (rename done) */
  char cache_path[4096]; /* the cache file looked up, "" when caching was off or impossible */
} gs_colrank;

/* "df", "variance", "index"; "?" for a value outside the enum. */
const char *gs_colrank_method_name(gs_colrank_method m);

/* Parses a method name as gs_colrank_method_name writes it. GS_ERR_INVALID otherwise (the
 * message lists the accepted names); *out is set only on success. */
gs_status gs_colrank_method_parse(gs_colrank_method *out, const char *name, gs_error *err);

/* Ranks the columns of ds, which must hold all its file columns (ds->kept_columns NULL) and
 * features (dense or CSR). Statistics in double, accumulated in row order, so the result is
 * bitwise the same as gs_colrank_load_or_compute's from the files. *out is overwritten on
 * success only (cache fields cleared). Errors: GS_ERR_INVALID (NULL arguments, unknown
 * method, no features, a column selection, rows != num_nodes), GS_ERR_NOMEM. Cost: O(nnz)
 * for CSR, O(n·f0) for dense, plus O(f0 log f0) to sort; 24·f0 bytes of workspace; the
 * result holds 24·f0 + 8 bytes. */
gs_status gs_colrank_compute(gs_colrank *out, const gs_dataset *ds, gs_colrank_method method,
                             gs_error *err);

/* The same ranking of a feature matrix's columns (all of them; out->num_nodes = x->rows),
 * for a caller that holds features without their dataset (the cost model). Errors:
 * GS_ERR_INVALID (NULL arguments, unknown method, no features), GS_ERR_NOMEM. */
gs_status gs_colrank_features(gs_colrank *out, const gs_features *x, gs_colrank_method method,
                              gs_error *err);

/* The document-frequency ranking from each column's non-zero count alone (column_nnz [f0], as
 * the binary store keeps it), identical to gs_colrank_features's GS_COLRANK_DF on the matrix
 * they were counted from; out->num_nodes = rows. Errors: GS_ERR_INVALID, GS_ERR_NOMEM. */
gs_status gs_colrank_counts(gs_colrank *out, const int64_t *column_nnz, int64_t f0, int64_t rows,
                            gs_error *err);

/* Columns kept at resolution r: min(f0, max(1, ceil(r·f0))), where the ceiling forgives a
 * relative error of 1e-9 in r·f0 so that decimal r behave as written (r = 0.1, f0 = 30 keeps
 * 3, not 4; r = 0.5, f0 = 1433 keeps 717). r NaN or <= 0 keeps 1; r >= 1 keeps f0; f0 <= 0
 * gives 0. */
int64_t gs_colrank_columns_for(double r, int64_t f0);

/* The default cache folder, without creating it: $GNNSCALE_CACHE if set and non-empty, else
 * $XDG_CACHE_HOME/gnnscale if that is an absolute path, else $HOME/.cache/gnnscale.
 * GS_ERR_NOT_FOUND when none of the three variables helps, GS_ERR_INVALID when the path does
 * not fit in cap bytes. */
gs_status gs_colrank_default_cache_dir(char *out, size_t cap, gs_error *err);

/* The ranking of the dataset folder dataset_dir (layout of datasets/data/README.md) by
 * method m, from the cache file "<cache_dir>/<dataset name>.<method>.colrank" when it is
 * valid for the dataset's current feature file, else computed by streaming the feature file
 * once (node-feat.csv.gz, or node-feat-sparse.csv.gz; never holding the matrix) and then
 * written to that file through a temporary file and rename(2).
 *
 * cache_dir NULL means the default (gs_colrank_default_cache_dir), created with its parents
 * when missing; "" turns caching off. A folder that cannot be created or written, or a cache
 * file that cannot be written, only means no caching: no error (see cache_written). A cache
 * file that fails its checks is recomputed and replaced; out->cache_state says which case
 * occurred. Nothing is printed.
 *
 * Cache file (text, version 1): one header line
 *   "gnnscale-colrank 1 method=df nodes=N file=node-feat.csv.gz fingerprint=F f0=F0"
 * then f0 lines "col,nnz,score" in rank order (score as %.17g, which reads back exactly),
 * then "end <FNV-1a 64 of every byte before this line, 16 hex digits>". The fingerprint
 * identifies the feature file's content cheaply: for a gzip file, its size and the gzip
 * trailer (CRC-32 and length mod 2^32 of the whole decompressed text: 8 bytes read, no
 * decompression); for a plain file, its size and CRC-32. It ignores mtime, so a copied or
 * checked-out dataset still hits. Reading checks the header against the dataset (else
 * STALE), then the checksum, a permutation of [0, f0), counts in [0, N] and scores sorted
 * as the method requires (else MALFORMED). Two datasets with the same folder name share a
 * file and overwrite each other's entry (correct, merely slower).
 *
 * *out is overwritten on success only. Errors from the files are those of gs_dataset_load
 * with file and line (GS_ERR_IO, GS_ERR_PARSE, GS_ERR_RANGE, GS_ERR_MISMATCH with
 * num-node-list.csv or META.txt, GS_ERR_NUMERIC), and GS_ERR_INVALID, GS_ERR_NOMEM.
 * Cost: a hit reads the cache (about 30·f0 bytes); a miss decompresses and parses the
 * feature file once (as loading it does), with 24·f0 bytes of statistics. */
gs_status gs_colrank_load_or_compute(gs_colrank *out, const char *dataset_dir, gs_colrank_method m,
                                     const char *cache_dir, gs_error *err);

/* Frees the arrays and zeroes *r. NULL-safe. */
void gs_colrank_free(gs_colrank *r);

/* Loads the dataset folder dir at resolution r in (0, 1]: the ranking by m (through
 * gs_colrank_load_or_compute with cache_dir) gives f = gs_colrank_columns_for(r, f0), and
 * only those f columns are read, through opts->columns. The kept columns are stored in
 * ascending FILE order (ds->kept_columns ascending; x.cols = f): the set is what the ranking
 * decides, and file order keeps the loaded matrix independent of the method's tie details
 * and lets X at r be a column subset of X at r' > r in the same relative order. When f = f0
 * every column is kept and ds->kept_columns is NULL, as for gs_dataset_load. Other options
 * (split, sparse_below) are honoured; with opts->load_features false this is
 * gs_dataset_load (no ranking is computed). x.nnz equals rank.nnz_prefix[f], which is
 * checked. Errors: those of gs_colrank_load_or_compute and gs_dataset_load; GS_ERR_INVALID
 * for r outside (0, 1] or NaN, or opts->columns set; GS_ERR_MISMATCH when the loaded
 * features disagree with the ranking (width or non-zeros: a cache file for other data).
 * Cost: the ranking (cached) plus a load; memory as gs_dataset_load at f columns, plus
 * 8·f0 bytes while loading. *out is set only on success. */
gs_status gs_dataset_load_resolution(gs_dataset **out, const char *dir,
                                     const gs_dataset_options *opts, double r, gs_colrank_method m,
                                     const char *cache_dir, gs_error *err);

#endif

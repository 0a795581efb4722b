/* Reader of the gzip-CSV dataset layout of datasets/data/README.md (the "raw" folder of the
 * Open Graph Benchmark) and the feature transforms of Kipf & Welling (2017, row
 * normalisation) and Shchur et al. (2018, binarisation). Every file is checked line by line
 * and every failure names the file and the 1-based line. */
#include "datasets/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"
#include "core/stats.h"
#include "datasets/dataset_impl.h"

#define PATH_MAX_LEN 4352
#define MAX_SPLITS 256
/* Counts trusted before reading (beyond them arrays grow as the data arrives, so that a
 * corrupt count cannot make us allocate what the file does not hold) and first capacities. */
#define TRUSTED_EDGES ((int64_t)1 << 22)
#define TRUSTED_LABELS ((int64_t)1 << 24)
#define FIRST_SPLIT_IDS 1024
#define FIRST_ROWPTR 65536

gs_dataset_options gs_dataset_options_default(void) {
  gs_dataset_options o;
  memset(&o, 0, sizeof o);
  o.split = NULL;
  o.load_features = true;
  o.sparse_below = 0.25;
  o.columns = NULL;
  o.num_columns = 0;
  return o;
}

/* ---------------------------------------------------------------- helpers */

typedef gs__meta meta_info;

gs_dataset_load_sizes gs_dataset_load_allocations(void) {
  gs_dataset_load_sizes z;
  z.meta_bytes = (int64_t)sizeof(meta_info);
  z.reader_bytes = (int64_t)(GS__READ_CHUNK + GS__READ_PAD);
  z.split_names_bytes = (int64_t)MAX_SPLITS * 128;
  z.first_edges = TRUSTED_EDGES;
  z.first_labels = TRUSTED_LABELS;
  z.first_split_ids = FIRST_SPLIT_IDS;
  z.first_rowptr = FIRST_ROWPTR;
  return z;
}

/* The name exists (a symlink counts even when it loops or dangles, so that opening it reports
 * why, rather than the file being taken as absent). */
static bool file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 || lstat(path, &sb) == 0;
}

static bool dir_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Parses a line that must hold `expect` comma-separated integers and nothing else. */
static gs_status parse_int_fields(const gs__reader *r, const char *line, size_t len, int expect,
                                  bool allow_negative, int64_t *vals, gs_error *err) {
  const char *p = line;
  for (int k = 0; k < expect; k++) {
    const char *start = p;
    int64_t v = 0;
    int rc = gs__parse_int64(&p, allow_negative, &v);
    char want = (k == expect - 1) ? '\n' : ',';
    if (rc == GS__NUM_OK && *p == want) {
      vals[k] = v;
      p++;
      continue;
    }
    int64_t fields = gs__count_fields(line, len);
    if (len == 0)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: empty line", r->path, (long long)r->line);
    if (fields != expect)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected %d field%s, got %lld", r->path,
                          (long long)r->line, expect, expect == 1 ? "" : "s", (long long)fields);
    char tok[48];
    gs__token_excerpt(start, tok, sizeof tok);
    if (rc == GS__NUM_OVERFLOW)
      return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: field %d: '%s' does not fit in 64 bits",
                          r->path, (long long)r->line, k + 1, tok);
    if (tok[0] == '\0')
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field %d is empty", r->path,
                          (long long)r->line, k + 1);
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field %d: '%s' is not a%s integer", r->path,
                        (long long)r->line, k + 1, tok, allow_negative ? "n" : " non-negative");
  }
  return GS_OK;
}

gs_status gs__read_meta(const char *dir, meta_info *meta, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  memset(&r, 0, sizeof r);
  meta->present = false;
  meta->nodes = meta->edges = meta->num_features = meta->num_classes = -1;
  meta->nodes_line = meta->edges_line = meta->num_features_line = meta->num_classes_line = 0;
  GS_TRY(gs__path_join(meta->path, sizeof meta->path, dir, "META.txt", err));
  if (!file_exists(meta->path)) return GS_OK;
  meta->present = true;
  GS_TRY(gs__reader_open(&r, meta->path, err));
  for (;;) {
    char *line;
    size_t len;
    GS_TRY(gs__reader_next(&r, &line, &len, err));
    if (!line) break;
    if (len == 0) continue;
    char *colon = memchr(line, ':', len);
    if (!colon) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected 'key: value'", r.path,
                        (long long)r.line);
      goto fail;
    }
    size_t klen = (size_t)(colon - line);
    int64_t *slot = NULL, *slot_line = NULL;
    static const char *keys[] = {"nodes", "edges", "num_features", "num_classes"};
    int64_t *slots[] = {&meta->nodes, &meta->edges, &meta->num_features, &meta->num_classes};
    int64_t *lines[] = {&meta->nodes_line, &meta->edges_line, &meta->num_features_line,
                        &meta->num_classes_line};
    for (int k = 0; k < 4; k++)
      if (strlen(keys[k]) == klen && memcmp(keys[k], line, klen) == 0) {
        slot = slots[k];
        slot_line = lines[k];
      }
    if (!slot) continue;
    const char *p = colon + 1;
    if (*p == ' ') p++;
    int64_t v = 0;
    int rc = gs__parse_int64(&p, false, &v);
    if (rc != GS__NUM_OK || *p != '\n') {
      char tok[48];
      gs__token_excerpt(colon + 1 + (colon[1] == ' '), tok, sizeof tok);
      st = gs_error_set(err, rc == GS__NUM_OVERFLOW ? GS_ERR_RANGE : GS_ERR_PARSE,
                        "%s:%lld: %.*s: '%s' is not a non-negative integer", r.path,
                        (long long)r.line, (int)klen, line, tok);
      goto fail;
    }
    *slot = v;
    *slot_line = r.line;
  }
  gs__reader_close(&r);
  return GS_OK;
fail:
  gs__reader_close(&r);
  return st;
}

gs_status gs__read_count(const char *path, const char *what, int64_t min, int64_t max,
                            int64_t *value, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  char *line;
  size_t len;
  int64_t v = 0;
  GS_TRY(gs__reader_open(&r, path, err));
  GS_TRY(gs__reader_next(&r, &line, &len, err));
  if (!line) {
    st =
        gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file (expected the number of %s)", path, what);
    goto fail;
  }
  GS_TRY(parse_int_fields(&r, line, len, 1, false, &v, err));
  if (v < min || v > max) {
    st = gs_error_set(err, GS_ERR_RANGE, "%s:1: %lld %s is outside the accepted range [%lld, %lld]",
                      path, (long long)v, what, (long long)min, (long long)max);
    goto fail;
  }
  GS_TRY(gs__reader_next(&r, &line, &len, err));
  if (line) {
    st =
        gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected a single line", path, (long long)r.line);
    goto fail;
  }
  gs__reader_close(&r);
  *value = v;
  return GS_OK;
fail:
  gs__reader_close(&r);
  return st;
}

/* Reads edge.csv.gz: exactly num_edges lines "src,dst" with ids in [0, n). */
static gs_status read_edges(gs_dataset *ds, const char *path, const char *count_path,
                            int64_t num_edges, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  int64_t cap_src = 0, cap_dst = 0, count = 0;
  const int64_t n = ds->num_nodes;
  GS_TRY(gs__reader_open(&r, path, err));
  /* Trust the count for the first 4M lines; beyond that, grow as the data arrives. */
  int64_t first = num_edges < TRUSTED_EDGES ? num_edges : TRUSTED_EDGES;
  GS_TRY(gs__grow((void **)&ds->src, &cap_src, first, num_edges > 0 ? num_edges : 1,
                  sizeof(int64_t), "dataset-edges", err));
  GS_TRY(gs__grow((void **)&ds->dst, &cap_dst, first, num_edges > 0 ? num_edges : 1,
                  sizeof(int64_t), "dataset-edges", err));
  for (;;) {
    char *line;
    size_t len;
    GS_TRY(gs__reader_next(&r, &line, &len, err));
    if (!line) break;
    if (count >= num_edges) {
      st = gs_error_set(err, GS_ERR_MISMATCH, "%s:%lld: more edge lines than the %lld given by %s",
                        path, (long long)r.line, (long long)num_edges, count_path);
      goto fail;
    }
    int64_t v[2];
    GS_TRY(parse_int_fields(&r, line, len, 2, false, v, err));
    for (int k = 0; k < 2; k++)
      if (v[k] >= n) {
        st = gs_error_set(err, GS_ERR_RANGE,
                          "%s:%lld: node id %lld is out of range [0, %lld) (field %d)", path,
                          (long long)r.line, (long long)v[k], (long long)n, k + 1);
        goto fail;
      }
    if (count >= cap_src) {
      GS_TRY(gs__grow((void **)&ds->src, &cap_src, count + 1, num_edges, sizeof(int64_t),
                      "dataset-edges", err));
      GS_TRY(gs__grow((void **)&ds->dst, &cap_dst, count + 1, num_edges, sizeof(int64_t),
                      "dataset-edges", err));
    }
    ds->src[count] = v[0];
    ds->dst[count] = v[1];
    count++;
  }
  if (count == 0 && num_edges > 0) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file (%s gives %lld edge lines)", path,
                      count_path, (long long)num_edges);
    goto fail;
  }
  if (count < num_edges) {
    st = gs_error_set(err, GS_ERR_MISMATCH,
                      "%s:%lld: file ends after %lld edge lines, but %s gives %lld", path,
                      (long long)r.line, (long long)count, count_path, (long long)num_edges);
    goto fail;
  }
  ds->num_edge_lines = count;
  gs__reader_close(&r);
  return GS_OK;
fail:
  gs__reader_close(&r);
  return st;
}

/* Reads node-label.csv.gz: one label per node, in [-1, C). */
/* Without META: classes beyond the labelled nodes accepted (tiny test graphs). */
#define CLASS_SLACK 16

static gs_status read_labels(gs_dataset *ds, const char *path, const char *count_path,
                             const meta_info *meta, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  const int64_t n = ds->num_nodes;
  int64_t cap = 0, count = 0, max_label = -1, max_label_line = 0, labelled = 0;
  const int64_t limit = meta->num_classes >= 0 ? meta->num_classes : (int64_t)INT32_MAX;
  GS_TRY(gs__reader_open(&r, path, err));
  GS_TRY(gs__grow((void **)&ds->labels, &cap, n < TRUSTED_LABELS ? n : TRUSTED_LABELS, n,
                  sizeof(int32_t), "dataset-labels", err));
  for (;;) {
    char *line;
    size_t len;
    GS_TRY(gs__reader_next(&r, &line, &len, err));
    if (!line) break;
    if (count >= n) {
      st = gs_error_set(err, GS_ERR_MISMATCH,
                        "%s:%lld: more label lines than the %lld nodes given by %s", path,
                        (long long)r.line, (long long)n, count_path);
      goto fail;
    }
    int64_t v;
    GS_TRY(parse_int_fields(&r, line, len, 1, true, &v, err));
    if (v < -1 || v >= limit) {
      if (meta->num_classes >= 0)
        st = gs_error_set(err, GS_ERR_RANGE,
                          "%s:%lld: label %lld is out of range: expected -1 (no label) or "
                          "[0, %lld) (num_classes in %s)",
                          path, (long long)r.line, (long long)v, (long long)meta->num_classes,
                          meta->path);
      else
        st = gs_error_set(err, GS_ERR_RANGE,
                          "%s:%lld: label %lld is out of range: expected -1 (no label) or a "
                          "class id in [0, %d)",
                          path, (long long)r.line, (long long)v, INT32_MAX);
      goto fail;
    }
    if (count >= cap)
      GS_TRY(gs__grow((void **)&ds->labels, &cap, count + 1, n, sizeof(int32_t), "dataset-labels",
                      err));
    ds->labels[count++] = (int32_t)v;
    if (v >= 0) labelled++;
    if (v > max_label) max_label = v, max_label_line = r.line;
  }
  if (count == 0) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file (expected %lld labels)", path,
                      (long long)n);
    goto fail;
  }
  if (count < n) {
    st = gs_error_set(err, GS_ERR_MISMATCH,
                      "%s:%lld: file ends after %lld labels, but %s gives %lld nodes", path,
                      (long long)r.line, (long long)count, count_path, (long long)n);
    goto fail;
  }
  /* Without META the class count is the largest label + 1, and class-sized buffers (counts,
   * logits, the output layer) follow it: one stray label must not make a million classes.
   * More classes than labelled nodes (beyond a small slack for tiny graphs) is refused. */
  if (meta->num_classes < 0 && max_label + 1 > labelled + CLASS_SLACK) {
    st = gs_error_set(err, GS_ERR_RANGE,
                      "%s:%lld: label %lld implies %lld classes for %lld labelled nodes (at least "
                      "%lld classes without a node); fix the label, or give num_classes in %s if "
                      "this is meant",
                      path, (long long)max_label_line, (long long)max_label,
                      (long long)(max_label + 1), (long long)labelled,
                      (long long)(max_label + 1 - labelled), meta->path);
    goto fail;
  }
  ds->num_classes = (int32_t)(meta->num_classes >= 0 ? meta->num_classes : max_label + 1);
  gs__reader_close(&r);
  return GS_OK;
fail:
  gs__reader_close(&r);
  return st;
}

/* ---------------------------------------------------------------- features */

/* Builds the feature matrix row by row: as CSR while the non-zeros seen so far keep the
 * density below the threshold, and as a dense array from the moment they cannot (the count
 * only grows, so the final density is then certainly at or above it). Memory therefore
 * stays near the smaller of the two forms. */
typedef struct {
  int64_t n;             /* rows */
  int64_t cols;          /* kept columns */
  const int64_t *colmap; /* [file columns] output column or -1; NULL = identity */
  double threshold;      /* non-zeros at which the matrix becomes dense */
  bool dense_mode;
  float *dense;    /* [n * cols] */
  int64_t *rowptr; /* [n + 1] */
  int64_t rowptr_cap;
  int64_t *col;
  float *val;
  int64_t col_cap, val_cap;
  int64_t nnz;
  float *scratch; /* [cols] one row in output order, when colmap is set */
} feat_builder;

static void builder_release(feat_builder *b) {
  GS_FREE(&b->dense);
  GS_FREE(&b->rowptr);
  GS_FREE(&b->col);
  GS_FREE(&b->val);
  GS_FREE(&b->scratch);
}

static gs_status builder_to_dense(feat_builder *b, int64_t rows_done, const char *path,
                                  gs_error *err) {
  float *dense = gs_mem_calloc((size_t)b->n * (size_t)b->cols, sizeof(float), "features");
  if (!dense)
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for a dense %lld x %lld matrix", path,
                        (long long)b->n, (long long)b->cols);
  for (int64_t i = 0; i < rows_done; i++)
    for (int64_t k = b->rowptr[i]; k < b->rowptr[i + 1]; k++)
      dense[i * b->cols + b->col[k]] = b->val[k];
  GS_FREE(&b->rowptr);
  GS_FREE(&b->col);
  GS_FREE(&b->val);
  b->rowptr_cap = b->col_cap = b->val_cap = 0;
  b->dense = dense;
  b->dense_mode = true;
  return GS_OK;
}

static gs_status builder_init(feat_builder *b, int64_t n, int64_t cols, const int64_t *colmap,
                              double sparse_below, const char *path, gs_error *err) {
  memset(b, 0, sizeof *b);
  b->n = n;
  b->cols = cols;
  b->colmap = colmap;
  b->threshold = sparse_below * (double)n * (double)cols;
  if (colmap) {
    b->scratch = gs_mem_calloc((size_t)cols, sizeof(float), "dataset-tmp");
    if (!b->scratch) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
  }
  gs_status st = gs__grow((void **)&b->rowptr, &b->rowptr_cap,
                          n + 1 < FIRST_ROWPTR ? n + 1 : FIRST_ROWPTR, n + 1, sizeof(int64_t),
                          "features", err);
  if (st != GS_OK) return st;
  b->rowptr[0] = 0;
  if (b->threshold <= 0) return builder_to_dense(b, 0, path, err);
  return GS_OK;
}

/* Appends (c, v) to the CSR arrays of the current row. */
static inline gs_status builder_append(feat_builder *b, int64_t c, float v, gs_error *err) {
  if (b->nnz >= b->col_cap) {
    gs_status st = gs__grow((void **)&b->col, &b->col_cap, b->nnz + 1, INT64_MAX / 16,
                            sizeof(int64_t), "features", err);
    if (st == GS_OK)
      st = gs__grow((void **)&b->val, &b->val_cap, b->nnz + 1, INT64_MAX / 16, sizeof(float),
                    "features", err);
    if (st != GS_OK) return st;
  }
  b->col[b->nnz] = c;
  b->val[b->nnz] = v;
  b->nnz++;
  return GS_OK;
}

/* Stores value v of output column c in row i (v != 0). */
static inline gs_status builder_put(feat_builder *b, int64_t i, int64_t c, float v, gs_error *err) {
  if (b->dense_mode) {
    b->dense[i * b->cols + c] = v;
    b->nnz++;
    return GS_OK;
  }
  return builder_append(b, c, v, err);
}

/* gs__dense_row's callback: value v (non-zero) of file column c in row i, mapped through
 * the column selection. */
static gs_status dense_value(void *ctx, int64_t i, int64_t c, float v, gs_error *err) {
  feat_builder *b = ctx;
  int64_t oc = b->colmap ? b->colmap[c] : c;
  if (oc < 0) return GS_OK;
  if (b->scratch) {
    b->scratch[oc] = v;
    return GS_OK;
  }
  return builder_put(b, i, oc, v, err);
}

/* Ends row i: flushes the scratch row (output order), records the row pointer and switches
 * to dense storage once the density threshold is reached. */
static gs_status builder_end_row(feat_builder *b, int64_t i, const char *path, gs_error *err) {
  gs_status st;
  if (b->scratch) {
    for (int64_t c = 0; c < b->cols; c++)
      if (b->scratch[c] != 0.0f) {
        st = builder_put(b, i, c, b->scratch[c], err);
        if (st != GS_OK) return st;
        b->scratch[c] = 0.0f;
      }
  }
  if (b->dense_mode) return GS_OK;
  if (i + 1 >= b->rowptr_cap) {
    st = gs__grow((void **)&b->rowptr, &b->rowptr_cap, i + 2, b->n + 1, sizeof(int64_t), "features",
                  err);
    if (st != GS_OK) return st;
  }
  b->rowptr[i + 1] = b->nnz;
  if ((double)b->nnz >= b->threshold) return builder_to_dense(b, i + 1, path, err);
  return GS_OK;
}

/* Moves the built matrix into x (CSR arrays trimmed to nnz). */
static gs_status builder_finish(feat_builder *b, gs_features *x, const char *path, gs_error *err) {
  memset(x, 0, sizeof *x);
  x->rows = b->n;
  x->cols = b->cols;
  x->nnz = b->nnz;
  if (b->dense_mode) {
    x->kind = GS_FEATURES_DENSE;
    x->dense = b->dense;
    b->dense = NULL;
  } else {
    int64_t *col = gs_mem_realloc(b->col, (size_t)b->nnz * sizeof(int64_t), "features");
    if (!col) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    b->col = col;
    float *val = gs_mem_realloc(b->val, (size_t)b->nnz * sizeof(float), "features");
    if (!val) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    b->val = val;
    x->kind = GS_FEATURES_SPARSE;
    x->sparse.nrows = b->n;
    x->sparse.ncols = b->cols;
    x->sparse.nnz = b->nnz;
    x->sparse.rowptr = b->rowptr;
    x->sparse.col = b->col;
    x->sparse.val = b->val;
    b->rowptr = NULL;
    b->col = NULL;
    b->val = NULL;
  }
  return GS_OK;
}

/* Validates the requested columns against the file width and builds the map from file
 * column to output column. */
static gs_status make_colmap(const gs_dataset_options *o, int64_t file_cols, const char *path,
                             int64_t **colmap, int64_t **kept, gs_error *err) {
  *colmap = NULL;
  *kept = NULL;
  if (!o->columns) return GS_OK;
  int64_t *map = gs_mem_alloc((size_t)file_cols * sizeof(int64_t), "dataset-tmp");
  int64_t *keep = gs_mem_alloc((size_t)o->num_columns * sizeof(int64_t), "dataset");
  if (!map || !keep) {
    gs_mem_free(map);
    gs_mem_free(keep);
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for the column map", path);
  }
  for (int64_t c = 0; c < file_cols; c++) map[c] = -1;
  for (int64_t k = 0; k < o->num_columns; k++) {
    int64_t c = o->columns[k];
    gs_status st = GS_OK;
    if (c < 0 || c >= file_cols)
      st = gs_error_set(err, GS_ERR_RANGE,
                        "%s: selected column %lld (entry %lld) is out of range [0, %lld)", path,
                        (long long)c, (long long)k, (long long)file_cols);
    else if (map[c] >= 0)
      st = gs_error_set(err, GS_ERR_INVALID, "%s: column %lld is selected twice", path,
                        (long long)c);
    if (st != GS_OK) {
      gs_mem_free(map);
      gs_mem_free(keep);
      return st;
    }
    map[c] = k;
    keep[k] = c;
  }
  *colmap = map;
  *kept = keep;
  return GS_OK;
}

/* Reads node-feat.csv.gz: n lines of exactly F comma-separated numbers. The width F comes
 * from the first line and is checked against META.txt. */
static gs_status read_dense_features(gs_dataset *ds, const char *path, const char *count_path,
                                     const meta_info *meta, const gs_dataset_options *o,
                                     gs_error *err) {
  gs_status st = GS_OK;
  gs__dense_reader d;
  feat_builder b;
  memset(&b, 0, sizeof b);
  int64_t *colmap = NULL, *kept = NULL;
  const int64_t n = ds->num_nodes;
  GS_TRY(gs__dense_open(&d, path, count_path, n, meta->num_features, meta->path,
                        meta->num_features_line, err));
  const int64_t F = d.f;
  GS_TRY(make_colmap(o, F, path, &colmap, &kept, err));
  const int64_t cols = colmap ? o->num_columns : F;
  GS_TRY(builder_init(&b, n, cols, colmap, o->sparse_below, path, err));
  for (;;) {
    bool got;
    GS_TRY(gs__dense_row(&d, dense_value, &b, &got, err));
    if (!got) break;
    GS_TRY(builder_end_row(&b, d.row - 1, path, err));
  }
  GS_TRY(builder_finish(&b, &ds->x, path, err));
  ds->file_features = F;
  ds->kept_columns = kept;
  kept = NULL;
  builder_release(&b);
  gs_mem_free(colmap);
  gs__dense_close(&d);
  return GS_OK;
fail:
  builder_release(&b);
  gs_mem_free(colmap);
  gs_mem_free(kept);
  gs__dense_close(&d);
  return st;
}

/* Reads node-feat-sparse.csv.gz: "node,col,value" per non-zero, sorted by node then column.
 * The width is num_features from META.txt, else the largest column + 1. Triples are read
 * in file columns first; a column selection and the dense form are applied afterwards. */
static gs_status read_sparse_features(gs_dataset *ds, const char *path, const meta_info *meta,
                                      const gs_dataset_options *o, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  feat_builder b;
  memset(&b, 0, sizeof b);
  int64_t *colmap = NULL, *kept = NULL;
  const int64_t n = ds->num_nodes;
  const int64_t meta_f = meta->num_features;
  int64_t prev_node = -1, prev_col = -1, max_col = -1, max_col_line = 0, rows_done = 0;
  GS_TRY(gs__reader_open(&r, path, err));
  /* Collect in file columns, never dense (the switch happens once the width is known). */
  b.n = n;
  b.threshold = INFINITY;
  GS_TRY(gs__grow((void **)&b.rowptr, &b.rowptr_cap, n + 1 < FIRST_ROWPTR ? n + 1 : FIRST_ROWPTR,
                  n + 1, sizeof(int64_t), "features", err));
  b.rowptr[0] = 0;
  for (;;) {
    char *line;
    size_t len;
    GS_TRY(gs__reader_next(&r, &line, &len, err));
    if (!line) break;
    int64_t fields = gs__count_fields(line, len);
    if (fields != 3) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected 3 fields, got %lld", path,
                        (long long)r.line, (long long)fields);
      goto fail;
    }
    const char *comma = memchr(line, ',', len);
    comma = memchr(comma + 1, ',', len - (size_t)(comma + 1 - line));
    int64_t ids[2];
    /* The two ids are parsed as a 2-field line ending at the second comma. */
    *(char *)comma = '\n';
    st = parse_int_fields(&r, line, (size_t)(comma - line), 2, false, ids, err);
    *(char *)comma = ',';
    if (st != GS_OK) goto fail;
    const char *p = comma + 1;
    float v = 0;
    int rc = gs__parse_float(&p, &v);
    if (rc != GS__NUM_OK || *p != '\n') {
      st = gs__value_error(&r, comma + 1, 3, rc == GS__NUM_OK ? GS__NUM_BAD : rc, err);
      goto fail;
    }
    int64_t node = ids[0], c = ids[1];
    if (node >= n) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: node id %lld is out of range [0, %lld)", path,
                        (long long)r.line, (long long)node, (long long)n);
      goto fail;
    }
    if (c >= (meta_f >= 0 ? meta_f : GS__MAX_FEATURES)) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: column %lld is out of range [0, %lld)%s", path,
                        (long long)r.line, (long long)c,
                        (long long)(meta_f >= 0 ? meta_f : GS__MAX_FEATURES),
                        meta_f >= 0 ? " (num_features in META.txt)" : "");
      goto fail;
    }
    if (node < prev_node || (node == prev_node && c <= prev_col)) {
      st = gs_error_set(err, GS_ERR_PARSE,
                        "%s:%lld: entry (%lld, %lld) is out of order: lines must be sorted by "
                        "node, then by column, without repeats",
                        path, (long long)r.line, (long long)node, (long long)c);
      goto fail;
    }
    /* Close the rows before this node. */
    while (rows_done < node) {
      GS_TRY(builder_end_row(&b, rows_done, path, err));
      rows_done++;
    }
    prev_node = node;
    prev_col = c;
    if (c > max_col) max_col = c, max_col_line = r.line;
    if (v != 0.0f) GS_TRY(builder_append(&b, c, v, err));
  }
  if (r.line == 0) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file", path);
    goto fail;
  }
  while (rows_done < n) {
    GS_TRY(builder_end_row(&b, rows_done, path, err));
    rows_done++;
  }
  if (meta_f < 0) GS_TRY(gs__check_width(path, max_col, max_col_line, r.line, err));
  const int64_t F = meta_f >= 0 ? meta_f : max_col + 1;
  GS_TRY(make_colmap(o, F, path, &colmap, &kept, err));
  b.cols = F;
  if (colmap) {
    /* Rewrite in place in output columns: a row's output never outgrows its input, and the
     * whole row is scattered to the scratch row before any of it is overwritten. */
    b.cols = o->num_columns;
    b.scratch = gs_mem_calloc((size_t)b.cols, sizeof(float), "dataset-tmp");
    if (!b.scratch) {
      st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
      goto fail;
    }
    int64_t out = 0;
    for (int64_t i = 0; i < n; i++) {
      for (int64_t k = b.rowptr[i]; k < b.rowptr[i + 1]; k++)
        if (colmap[b.col[k]] >= 0) b.scratch[colmap[b.col[k]]] = b.val[k];
      b.rowptr[i] = out;
      for (int64_t c = 0; c < b.cols; c++)
        if (b.scratch[c] != 0.0f) {
          b.col[out] = c;
          b.val[out] = b.scratch[c];
          b.scratch[c] = 0.0f;
          out++;
        }
    }
    b.rowptr[n] = out;
    b.nnz = out;
  }
  b.threshold = o->sparse_below * (double)n * (double)b.cols;
  if ((double)b.nnz >= b.threshold) GS_TRY(builder_to_dense(&b, n, path, err));
  GS_TRY(builder_finish(&b, &ds->x, path, err));
  ds->file_features = F;
  ds->kept_columns = kept;
  kept = NULL;
  builder_release(&b);
  gs_mem_free(colmap);
  gs__reader_close(&r);
  return GS_OK;
fail:
  builder_release(&b);
  gs_mem_free(colmap);
  gs_mem_free(kept);
  gs__reader_close(&r);
  return st;
}

/* ---------------------------------------------------------------- splits */

static int cmp_name(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

/* Lists the folders under split/ in alphabetical order into names[MAX_SPLITS][128]. */
static gs_status list_splits(const char *split_dir, char (*names)[128], int *count, gs_error *err) {
  *count = 0;
  DIR *d = opendir(split_dir);
  if (!d) return gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s", split_dir, strerror(errno));
  struct dirent *e;
  gs_status st = GS_OK;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char sub[PATH_MAX_LEN];
    if (gs__path_join(sub, sizeof sub, split_dir, e->d_name, NULL) != GS_OK || !dir_exists(sub))
      continue;
    if (strlen(e->d_name) >= 128 || *count >= MAX_SPLITS) {
      st = gs_error_set(err, GS_ERR_INVALID, "%s: split folder name too long or too many splits",
                        split_dir);
      break;
    }
    memcpy(names[*count], e->d_name, strlen(e->d_name) + 1);
    (*count)++;
  }
  closedir(d);
  if (st == GS_OK) qsort(names, (size_t)*count, 128, cmp_name);
  return st;
}

static const char *const set_names[3] = {"train", "valid", "test"};

/* Reads one split file: node ids, one per line, in range, labelled, in no earlier set. */
static gs_status read_split_file(const char *path, int set, const gs_dataset *ds, uint8_t *marker,
                                 int64_t **ids_out, int64_t *count_out, gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  int64_t *ids = NULL;
  int64_t cap = 0, count = 0;
  bool sorted = true;
  const int64_t n = ds->num_nodes;
  GS_TRY(gs__reader_open(&r, path, err));
  GS_TRY(gs__grow((void **)&ids, &cap, FIRST_SPLIT_IDS < n ? FIRST_SPLIT_IDS : n, n,
                  sizeof(int64_t), "dataset-split", err));
  for (;;) {
    char *line;
    size_t len;
    GS_TRY(gs__reader_next(&r, &line, &len, err));
    if (!line) break;
    int64_t v;
    GS_TRY(parse_int_fields(&r, line, len, 1, false, &v, err));
    if (v >= n) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: node id %lld is out of range [0, %lld)", path,
                        (long long)r.line, (long long)v, (long long)n);
      goto fail;
    }
    if (marker[v]) {
      st = gs_error_set(err, GS_ERR_INVALID, "%s:%lld: node %lld is already in %s%s", path,
                        (long long)r.line, (long long)v, set_names[marker[v] - 1],
                        marker[v] - 1 == set ? " (repeated in this file)" : "");
      goto fail;
    }
    if (ds->labels && ds->labels[v] < 0) {
      st = gs_error_set(err, GS_ERR_INVALID, "%s:%lld: node %lld has no label (-1)", path,
                        (long long)r.line, (long long)v);
      goto fail;
    }
    marker[v] = (uint8_t)(set + 1);
    if (count >= cap)
      GS_TRY(gs__grow((void **)&ids, &cap, count + 1, n, sizeof(int64_t), "dataset-split", err));
    if (count > 0 && ids[count - 1] > v) sorted = false;
    ids[count++] = v;
  }
  /* The layout promises ascending ids; accept any order and sort, as the struct promises. */
  if (!sorted) qsort(ids, (size_t)count, sizeof(int64_t), gs_compare_int64);
  gs__reader_close(&r);
  *ids_out = ids;
  *count_out = count;
  return GS_OK;
fail:
  gs__reader_close(&r);
  gs_mem_free(ids);
  return st;
}

static gs_status read_split(gs_dataset *ds, const char *dir, const char *wanted, gs_error *err) {
  gs_status st = GS_OK;
  char split_dir[PATH_MAX_LEN];
  char(*names)[128] = NULL;
  uint8_t *marker = NULL;
  int count = 0;
  GS_TRY(gs__path_join(split_dir, sizeof split_dir, dir, "split", err));
  if (!dir_exists(split_dir)) {
    if (wanted)
      return gs_error_set(err, GS_ERR_NOT_FOUND, "%s: no split folder, so no split '%s'", split_dir,
                          wanted);
    return GS_OK;
  }
  names = gs_mem_alloc(MAX_SPLITS * sizeof *names, "dataset-tmp");
  if (!names) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  GS_TRY(list_splits(split_dir, names, &count, err));
  const char *chosen = NULL;
  if (wanted) {
    for (int k = 0; k < count; k++)
      if (strcmp(names[k], wanted) == 0) chosen = names[k];
    if (!chosen) {
      char avail[800] = "";
      size_t used = 0;
      for (int k = 0; k < count && used + 4 < sizeof avail; k++) {
        int w = snprintf(avail + used, sizeof avail - used, "%s%s", k ? ", " : "", names[k]);
        if (w < 0) break;
        used += (size_t)w;
      }
      st = gs_error_set(err, GS_ERR_NOT_FOUND, "%s: no split '%s' (available: %s)", split_dir,
                        wanted, count ? avail : "none");
      goto fail;
    }
  } else {
    for (int k = 0; k < count; k++)
      if (strcmp(names[k], "public") == 0) chosen = names[k];
    if (!chosen && count > 0) chosen = names[0];
  }
  if (!chosen) {
    gs_mem_free(names);
    return GS_OK;
  }
  marker = gs_mem_calloc((size_t)ds->num_nodes, 1, "dataset-tmp");
  if (!marker) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  int64_t **sets[3] = {&ds->train, &ds->valid, &ds->test};
  int64_t *counts[3] = {&ds->num_train, &ds->num_valid, &ds->num_test};
  for (int s = 0; s < 3; s++) {
    char path[PATH_MAX_LEN], sub[PATH_MAX_LEN], file[32];
    snprintf(file, sizeof file, "%s.csv.gz", set_names[s]);
    GS_TRY(gs__path_join(sub, sizeof sub, split_dir, chosen, err));
    GS_TRY(gs__path_join(path, sizeof path, sub, file, err));
    GS_TRY(read_split_file(path, s, ds, marker, sets[s], counts[s], err));
  }
  snprintf(ds->split_name, sizeof ds->split_name, "%s", chosen);
  gs_mem_free(marker);
  gs_mem_free(names);
  return GS_OK;
fail:
  gs_mem_free(marker);
  gs_mem_free(names);
  return st;
}

/* ---------------------------------------------------------------- load */

gs_status gs_dataset_load(gs_dataset **out, const char *dir_in, const gs_dataset_options *opts,
                          gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  meta_info *meta = NULL;
  char dir[PATH_MAX_LEN], path[PATH_MAX_LEN], nodes_path[PATH_MAX_LEN], edges_path[PATH_MAX_LEN];
  gs_dataset_options o = opts ? *opts : gs_dataset_options_default();
  gs_error_clear(err);

  if (!out || !dir_in) return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load: NULL argument");
  size_t dlen = strlen(dir_in);
  if (dlen == 0 || dlen >= sizeof ds->path - 64)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load: folder path empty or too long");
  if (!(o.sparse_below >= 0.0) || isinf(o.sparse_below))
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_load: sparse_below must be finite and >= 0");
  if (o.columns && (o.num_columns <= 0 || o.num_columns > GS__MAX_FEATURES))
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_load: num_columns must be in [1, %lld] when columns is set",
                        (long long)GS__MAX_FEATURES);
  if (o.split && (o.split[0] == '\0' || strchr(o.split, '/')))
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load: bad split name '%s'", o.split);
  /* Drop trailing slashes so that messages read "dir/raw/edge.csv.gz". */
  memcpy(dir, dir_in, dlen + 1);
  while (dlen > 1 && dir[dlen - 1] == '/') dir[--dlen] = '\0';
  if (!dir_exists(dir)) return gs_error_set(err, GS_ERR_IO, "%s: no such folder", dir);

  GS_TRY(gs__dataset_new(&ds, err));
  memcpy(ds->path, dir, dlen + 1); /* dlen < sizeof ds->path, checked above */
  const char *base = strrchr(dir, '/');
  base = base && base[1] ? base + 1 : dir;
  size_t blen = strlen(base) < sizeof ds->name - 1 ? strlen(base) : sizeof ds->name - 1;
  memcpy(ds->name, base, blen);
  ds->name[blen] = '\0';

  meta = gs_mem_alloc(sizeof *meta, "dataset-tmp");
  if (!meta) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  GS_TRY(gs__read_meta(dir, meta, err));

  GS_TRY(gs__path_join(nodes_path, sizeof nodes_path, dir, "raw/num-node-list.csv", err));
  GS_TRY(gs__path_join(edges_path, sizeof edges_path, dir, "raw/num-edge-list.csv", err));
  GS_TRY(gs__read_count(nodes_path, "nodes", 1, GS__MAX_NODES, &ds->num_nodes, err));
  int64_t num_edges = 0;
  GS_TRY(gs__read_count(edges_path, "edge lines", 0, GS__MAX_EDGES, &num_edges, err));
  if (meta->nodes >= 0 && meta->nodes != ds->num_nodes) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s:%lld: nodes: %lld, but %s gives %lld", meta->path,
                      (long long)meta->nodes_line, (long long)meta->nodes, nodes_path,
                      (long long)ds->num_nodes);
    goto fail;
  }
  if (meta->edges >= 0 && meta->edges != num_edges) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s:%lld: edges: %lld, but %s gives %lld", meta->path,
                      (long long)meta->edges_line, (long long)meta->edges, edges_path,
                      (long long)num_edges);
    goto fail;
  }
  if (meta->num_classes > INT32_MAX) {
    st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: num_classes %lld is too large", meta->path,
                      (long long)meta->num_classes_line, (long long)meta->num_classes);
    goto fail;
  }

  GS_TRY(gs__path_join(path, sizeof path, dir, "raw/edge.csv.gz", err));
  GS_TRY(read_edges(ds, path, edges_path, num_edges, err));
  GS_TRY(gs__path_join(path, sizeof path, dir, "raw/node-label.csv.gz", err));
  GS_TRY(read_labels(ds, path, nodes_path, meta, err));
  GS_TRY(read_split(ds, dir, o.split, err));

  if (o.load_features) {
    GS_TRY(gs__path_join(path, sizeof path, dir, "raw/node-feat.csv.gz", err));
    if (file_exists(path)) {
      GS_TRY(read_dense_features(ds, path, nodes_path, meta, &o, err));
    } else {
      char sparse_path[PATH_MAX_LEN];
      GS_TRY(
          gs__path_join(sparse_path, sizeof sparse_path, dir, "raw/node-feat-sparse.csv.gz", err));
      if (!file_exists(sparse_path)) {
        st = gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s (and no node-feat-sparse.csv.gz)",
                          path, strerror(ENOENT));
        goto fail;
      }
      GS_TRY(read_sparse_features(ds, sparse_path, meta, &o, err));
    }
  } else {
    ds->file_features = meta->num_features > 0 ? meta->num_features : 0;
  }

  gs_mem_free(meta);
  *out = ds;
  return GS_OK;
fail:
  gs_mem_free(meta);
  gs_dataset_free(&ds);
  return st;
}

/* ---------------------------------------------------------------- the rest */

void gs_dataset_free(gs_dataset **pds) {
  if (!pds || !*pds) return;
  gs_dataset *ds = *pds;
  gs_mem_free(ds->src);
  gs_mem_free(ds->dst);
  gs_mem_free(ds->adj_rowptr);
  gs_mem_free(ds->adj_col);
  gs_mem_free(ds->part_start);
  gs_mem_free(ds->original_id);
  gs_mem_free(ds->x.dense);
  gs_mem_free(ds->x.sparse.rowptr);
  gs_mem_free(ds->x.sparse.col);
  gs_mem_free(ds->x.sparse.val);
  gs_mem_free(ds->kept_columns);
  gs_mem_free(ds->labels);
  gs_mem_free(ds->train);
  gs_mem_free(ds->valid);
  gs_mem_free(ds->test);
  gs_mem_free(ds);
  *pds = NULL;
}

gs_status gs_dataset_graph_new(gs_graph **out, const gs_dataset *ds, gs_norm norm, gs_error *err) {
  if (!ds) return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_graph_new: NULL dataset");
  if (ds->adj_rowptr)
    return gs_graph_new_adjacency(out, ds->num_nodes, ds->adj_rowptr, ds->adj_col, norm,
                                  &ds->store_stats, err);
  return gs_graph_new(out, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, norm, err);
}

/* Divides every feature row by its sum (l2 false) or its Euclidean norm (l2 true); rows whose
 * sum or norm is 0 are left. */
static void scale_rows(gs_features *x, bool l2) {
  if (!x) return;
  if (x->kind == GS_FEATURES_DENSE) {
    const int64_t cols = x->cols;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < x->rows; i++) {
      float *row = x->dense + i * cols;
      double sum = 0.0;
      for (int64_t c = 0; c < cols; c++) sum += l2 ? (double)row[c] * row[c] : row[c];
      if (sum == 0.0) continue;
      const double by = l2 ? sqrt(sum) : sum;
      for (int64_t c = 0; c < cols; c++) row[c] = (float)(row[c] / by);
    }
  } else if (x->kind == GS_FEATURES_SPARSE) {
    const gs_csr *m = &x->sparse;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < m->nrows; i++) {
      double sum = 0.0;
      for (int64_t k = m->rowptr[i]; k < m->rowptr[i + 1]; k++)
        sum += l2 ? (double)m->val[k] * m->val[k] : m->val[k];
      if (sum == 0.0) continue;
      const double by = l2 ? sqrt(sum) : sum;
      for (int64_t k = m->rowptr[i]; k < m->rowptr[i + 1]; k++)
        m->val[k] = (float)(m->val[k] / by);
    }
  }
}

static void binarize(gs_features *x);

void gs_dataset_row_normalize(gs_dataset *ds) { scale_rows(ds ? &ds->x : NULL, false); }

void gs_dataset_l2_normalize(gs_dataset *ds) { scale_rows(ds ? &ds->x : NULL, true); }

void gs_dataset_binarize(gs_dataset *ds) { binarize(ds ? &ds->x : NULL); }

static void binarize(gs_features *x) {
  if (!x) return;
  if (x->kind == GS_FEATURES_DENSE) {
    const int64_t total = x->rows * x->cols;
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < total; k++)
      if (x->dense[k] != 0.0f) x->dense[k] = 1.0f;
  } else if (x->kind == GS_FEATURES_SPARSE) {
    for (int64_t k = 0; k < x->sparse.nnz; k++) x->sparse.val[k] = 1.0f;
  }
}

const char *gs_featprep_name(gs_featprep p) {
  switch (p) {
    case GS_FEATPREP_AUTO: return "auto";
    case GS_FEATPREP_ROWNORM: return "rownorm";
    case GS_FEATPREP_RAW: return "raw";
    case GS_FEATPREP_BINARY: return "binary";
    case GS_FEATPREP_L2: return "l2";
  }
  return "?";
}

bool gs_featprep_parse(const char *s, gs_featprep *out) {
  for (int p = GS_FEATPREP_AUTO; p <= GS_FEATPREP_L2; p++)
    if (!strcmp(s, gs_featprep_name((gs_featprep)p))) {
      *out = (gs_featprep)p;
      return true;
    }
  return false;
}

/* Serial on purpose: one O(nnz) pass per run, and a fixed summation order keeps the choice,
 * which compares these figures with thresholds, the same for every thread count. */
void gs_feature_stats_add(gs_feature_stats_acc *a, const gs_features *x) {
  if (a->rows == 0) a->stats.binary = true;
  if (!x || x->kind == GS_FEATURES_NONE || x->rows < 1) return;
  const bool dense = x->kind == GS_FEATURES_DENSE;
  gs_feature_stats *s = &a->stats;
  for (int64_t i = 0; i < x->rows; i++) {
    const int64_t begin = dense ? i * x->cols : x->sparse.rowptr[i];
    const int64_t end = dense ? begin + x->cols : x->sparse.rowptr[i + 1];
    const float *v = dense ? x->dense : x->sparse.val;
    double row = 0.0;
    for (int64_t k = begin; k < end; k++) {
      row += v[k];
      s->binary = s->binary && (v[k] == 0.0f || v[k] == 1.0f);
      s->negative = s->negative || v[k] < 0.0f;
    }
    a->sum += row;
    a->sum_sq += row * row;
    if (row > s->max_row_sum) s->max_row_sum = row;
  }
  a->rows += x->rows;
  a->nnz += x->nnz;
}

gs_feature_stats gs_feature_stats_finish(const gs_feature_stats_acc *a) {
  gs_feature_stats s = a->stats;
  if (a->rows < 1) return (gs_feature_stats){0.0, 0.0, 0.0, true, false};
  const double n = (double)a->rows, mean = a->sum / n;
  const double var = a->sum_sq / n - mean * mean;
  s.row_sum_cv = mean > 0.0 && var > 0.0 ? sqrt(var) / mean : 0.0;
  s.mean_row_nnz = (double)a->nnz / n;
  return s;
}

gs_feature_stats gs_feature_stats_of(const gs_features *x) {
  gs_feature_stats_acc a;
  memset(&a, 0, sizeof a);
  gs_feature_stats_add(&a, x);
  return gs_feature_stats_finish(&a);
}

/* The rule, and the figures that placed each threshold (GCN 2 x 16, 200 epochs, test accuracy
 * over seeds; README "Feature preprocessing" and bench/RESULTS.md section 9):
 * - Dense rows (mean non-zeros above 100) get l2. With ~260 non-zeros of 1 per row (Amazon
 *   Photo) raw inputs let Adam's first lr-sized steps of every weight shift a node's
 *   pre-activation by ~lr*260, which kills every ReLU on some seeds (86.30 +- 3.95, one seed at
 *   77.5), and sum-1 rows make the inputs ~1/260, too small to learn in 200 epochs (67.75);
 *   unit Euclidean rows sit between: 89.78 +- 0.73.
 * - Sparse rows whose sums are nearly equal (cv of the row sums at most 0.45: Cora 0.32,
 *   CiteSeer 0.20) get rownorm: dividing by a near-constant sum only rescales, so it costs no
 *   information and gives Kipf & Welling's sum-1 scale (Cora 82.07 against 80.37 raw and 81.82 l2;
 *   CiteSeer 71.24 against 68.78 raw and 69.86 l2).
 * - Sparse rows whose sums vary widely (Facebook 0.57, Coauthor CS 1.25) keep their size, which
 *   is then information of its own that rownorm would erase (Facebook: rownorm 72.26, l2 76.08,
 *   raw 77.49): as stored when no row sums to more than 100, so that the first steps' shift
 *   lr * row sum stays at most ~1 (Facebook, max 31), else l2 (Coauthor CS's keyword counts,
 *   row sums up to several hundred: l2 90.41 against rownorm and raw's lower figures). */
gs_featprep gs_featprep_choose(const gs_feature_stats *s) {
  /* Signed values (embeddings, generated class centroids plus noise) are not counts: their row
   * sums are no size and can be near zero, so dividing by them (rownorm) blows rows up. On a
   * generated graph (`generate --nodes 20000 --edges 200000`, 64 signed features) the count
   * rules below picked rownorm: 42.94% test against 98.89% as stored (GCN 2 x 16, 100 epochs). */
  if (s->negative) return GS_FEATPREP_RAW;
  if (s->mean_row_nnz > GS_FEATPREP_DENSE_ROW_NNZ) return GS_FEATPREP_L2;
  if (s->row_sum_cv <= GS_FEATPREP_ROW_SUM_CV) return GS_FEATPREP_ROWNORM;
  return s->max_row_sum <= GS_FEATPREP_RAW_MAX_ROW_SUM ? GS_FEATPREP_RAW : GS_FEATPREP_L2;
}

void gs_featprep_explain(const gs_feature_stats *s, char *buf, size_t n) {
  if (!buf || n == 0) return;
  if (s->negative)
    snprintf(buf, n, "some values are negative, so they are not counts and rows are kept as "
             "stored");
  else if (s->mean_row_nnz > GS_FEATPREP_DENSE_ROW_NNZ)
    snprintf(buf, n, "%.1f non-zeros per row > %g, so rows scaled to unit Euclidean norm",
             s->mean_row_nnz, GS_FEATPREP_DENSE_ROW_NNZ);
  else if (s->row_sum_cv <= GS_FEATPREP_ROW_SUM_CV)
    snprintf(buf, n, "%.1f non-zeros per row <= %g, row sums nearly equal (cv %.2f <= %g), "
             "so rows scaled to sum 1", s->mean_row_nnz, GS_FEATPREP_DENSE_ROW_NNZ,
             s->row_sum_cv, GS_FEATPREP_ROW_SUM_CV);
  else
    snprintf(buf, n, "%.1f non-zeros per row <= %g, row sums vary (cv %.2f > %g) and the largest "
             "is %g %s %g, so rows %s", s->mean_row_nnz, GS_FEATPREP_DENSE_ROW_NNZ,
             s->row_sum_cv, GS_FEATPREP_ROW_SUM_CV, s->max_row_sum,
             s->max_row_sum <= GS_FEATPREP_RAW_MAX_ROW_SUM ? "<=" : ">",
             GS_FEATPREP_RAW_MAX_ROW_SUM,
             s->max_row_sum <= GS_FEATPREP_RAW_MAX_ROW_SUM ? "kept as stored"
                                                           : "scaled to unit Euclidean norm");
}

void gs_features_prepare(gs_features *x, gs_featprep prep) {
  if (prep == GS_FEATPREP_ROWNORM) scale_rows(x, false);
  else if (prep == GS_FEATPREP_BINARY) binarize(x);
  else if (prep == GS_FEATPREP_L2) scale_rows(x, true);
}

gs_featprep gs_dataset_prepare_features(gs_dataset *ds, gs_featprep prep) {
  ds->features_stats = gs_feature_stats_of(&ds->x);
  if (prep == GS_FEATPREP_AUTO) prep = gs_featprep_choose(&ds->features_stats);
  gs_features_prepare(&ds->x, prep);
  ds->features_prep = prep;
  return prep;
}

int64_t gs_features_bytes(const gs_features *x) {
  if (!x) return 0;
  if (x->kind == GS_FEATURES_DENSE) return 4 * x->rows * x->cols;
  if (x->kind == GS_FEATURES_SPARSE) return 8 * (x->rows + 1) + 12 * x->nnz;
  return 0;
}

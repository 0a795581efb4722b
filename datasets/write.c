/* Writer of the dataset layout of datasets/data/README.md. Every file goes to a temporary
 * name in its folder and is renamed into place, so a reader never sees half a file; floats
 * are written so that strtof gives back the same bits, so a written folder reads back to
 * identical data. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/mem.h"
#include "datasets/dataset.h"
#include "datasets/dataset_impl.h"

#define PATH_MAX_LEN 4352
#define GZIP_LEVEL 6
/* Longest text gs__format_float produces ("%.*f" with 50 decimals, sign, "0."), plus a comma. */
#define FLOAT_TEXT_MAX 56

/* Creates dir and its missing parents (mode 0777 before umask). */
static gs_status make_dirs(const char *dir, gs_error *err) {
  char buf[PATH_MAX_LEN];
  size_t n = strlen(dir);
  if (n >= sizeof buf) return gs_error_set(err, GS_ERR_INVALID, "%s: path too long", dir);
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return gs_error_set(err, GS_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
    struct stat sb;
    if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
      return gs_error_set(err, GS_ERR_IO, "%s: exists and is not a folder", buf);
    buf[i] = saved;
  }
  return GS_OK;
}

/* ---- row formatters (see gs__format_rows_fn) */

static size_t edge_bound(const void *ctx, int64_t row) {
  (void)ctx;
  (void)row;
  return 2 * 20 + 2;
}

static size_t edge_format(const void *ctx, int64_t begin, int64_t end, char *out) {
  const gs_dataset *ds = ctx;
  char *p = out;
  for (int64_t e = begin; e < end; e++) {
    p += gs__format_int64(ds->src[e], p);
    *p++ = ',';
    p += gs__format_int64(ds->dst[e], p);
    *p++ = '\n';
  }
  return (size_t)(p - out);
}

static size_t int_bound(const void *ctx, int64_t row) {
  (void)ctx;
  (void)row;
  return 21;
}

static size_t label_format(const void *ctx, int64_t begin, int64_t end, char *out) {
  const int32_t *labels = ctx;
  char *p = out;
  for (int64_t i = begin; i < end; i++) {
    p += gs__format_int64(labels[i], p);
    *p++ = '\n';
  }
  return (size_t)(p - out);
}

static size_t ids_format(const void *ctx, int64_t begin, int64_t end, char *out) {
  const int64_t *ids = ctx;
  char *p = out;
  for (int64_t i = begin; i < end; i++) {
    p += gs__format_int64(ids[i], p);
    *p++ = '\n';
  }
  return (size_t)(p - out);
}

/* A zero takes "0," and anything else at most FLOAT_TEXT_MAX bytes. */
static size_t feature_bound(const void *ctx, int64_t row) {
  const gs_features *x = ctx;
  int64_t nz;
  if (x->kind == GS_FEATURES_SPARSE) {
    nz = x->sparse.rowptr[row + 1] - x->sparse.rowptr[row];
  } else {
    nz = 0;
    const float *r = x->dense + row * x->cols;
    for (int64_t c = 0; c < x->cols; c++) nz += r[c] != 0.0f;
  }
  return (size_t)(nz * FLOAT_TEXT_MAX + (x->cols - nz) * 2 + 1);
}

static size_t feature_format(const void *ctx, int64_t begin, int64_t end, char *out) {
  const gs_features *x = ctx;
  char *p = out;
  for (int64_t i = begin; i < end; i++) {
    if (x->kind == GS_FEATURES_DENSE) {
      const float *r = x->dense + i * x->cols;
      for (int64_t c = 0; c < x->cols; c++) {
        if (r[c] == 0.0f)
          *p++ = '0';
        else
          p += gs__format_float(r[c], p);
        *p++ = ',';
      }
    } else {
      int64_t k = x->sparse.rowptr[i], kend = x->sparse.rowptr[i + 1];
      for (int64_t c = 0; c < x->cols; c++) {
        if (k < kend && x->sparse.col[k] == c) {
          p += gs__format_float(x->sparse.val[k], p);
          k++;
        } else {
          *p++ = '0';
        }
        *p++ = ',';
      }
    }
    p[-1] = '\n'; /* the last comma */
  }
  return (size_t)(p - out);
}

/* ---- the writer */

static gs_status write_count(const char *path, int64_t v, gs_error *err) {
  char text[32];
  size_t n = gs__format_int64(v, text);
  text[n++] = '\n';
  return gs_atomic_write(path, text, n, err);
}

/* Appends printf-style text to buf (size cap) at *used; the caller detects truncation by
 * *used >= cap. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
append(char *buf, size_t cap, size_t *used, const char *fmt, ...) {
  if (*used >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
  va_end(ap);
  if (n > 0) *used += (size_t)n;
}

static gs_status check_dataset(const gs_dataset *ds, gs_error *err) {
  if (ds->num_nodes < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: the dataset has no nodes");
  if (ds->num_edge_lines < 0 || (ds->num_edge_lines > 0 && (!ds->src || !ds->dst)))
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: edge arrays missing");
  for (int64_t e = 0; e < ds->num_edge_lines; e++)
    if (ds->src[e] < 0 || ds->src[e] >= ds->num_nodes || ds->dst[e] < 0 ||
        ds->dst[e] >= ds->num_nodes)
      return gs_error_set(err, GS_ERR_RANGE,
                          "gs_dataset_write: edge %lld has a node id out of range", (long long)e);
  const gs_features *x = &ds->x;
  if (x->kind == GS_FEATURES_DENSE && (!x->dense || x->rows != ds->num_nodes || x->cols < 1))
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: dense features malformed");
  if (x->kind == GS_FEATURES_SPARSE &&
      (!x->sparse.rowptr || x->rows != ds->num_nodes || x->cols < 1 || x->sparse.ncols != x->cols))
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: sparse features malformed");
  if (ds->split_name[0]) {
    if (strchr(ds->split_name, '/') || ds->split_name[0] == '.')
      return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: bad split name '%s'",
                          ds->split_name);
    if ((ds->num_train && !ds->train) || (ds->num_valid && !ds->valid) ||
        (ds->num_test && !ds->test))
      return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: split arrays missing");
  }
  return GS_OK;
}

gs_status gs_dataset_write(const gs_dataset *ds, const char *dir, gs_error *err) {
  gs_status st = GS_OK;
  char path[PATH_MAX_LEN], raw[PATH_MAX_LEN];
  gs_error_clear(err);
  if (!ds || !dir || !*dir)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_write: NULL argument");
  if (strlen(dir) > 3800) return gs_error_set(err, GS_ERR_INVALID, "%s: path too long", dir);
  GS_TRY(check_dataset(ds, err));

  GS_TRY(gs__path_join(raw, sizeof raw, dir, "raw", err));
  GS_TRY(make_dirs(raw, err));

  GS_TRY(gs__path_join(path, sizeof path, raw, "num-node-list.csv", err));
  GS_TRY(write_count(path, ds->num_nodes, err));
  GS_TRY(gs__path_join(path, sizeof path, raw, "num-edge-list.csv", err));
  GS_TRY(write_count(path, ds->num_edge_lines, err));
  GS_TRY(gs__path_join(path, sizeof path, raw, "edge.csv.gz", err));
  GS_TRY(gs__write_gz_rows(path, ds->num_edge_lines, edge_bound, edge_format, ds, GZIP_LEVEL, err));

  /* A folder written over must describe ds alone: files ds has no data for are removed. */
  GS_TRY(gs__path_join(path, sizeof path, raw, "node-label.csv.gz", err));
  if (ds->labels)
    GS_TRY(gs__write_gz_rows(path, ds->num_nodes, int_bound, label_format, ds->labels, GZIP_LEVEL,
                             err));
  else
    unlink(path);
  GS_TRY(gs__path_join(path, sizeof path, raw, "node-feat-sparse.csv.gz", err));
  unlink(path);
  GS_TRY(gs__path_join(path, sizeof path, raw, "node-feat.csv.gz", err));
  if (ds->x.kind != GS_FEATURES_NONE)
    GS_TRY(gs__write_gz_rows(path, ds->num_nodes, feature_bound, feature_format, &ds->x, GZIP_LEVEL,
                             err));
  else
    unlink(path);

  if (ds->split_name[0]) {
    char split_dir[PATH_MAX_LEN], split_root[PATH_MAX_LEN];
    GS_TRY(gs__path_join(split_root, sizeof split_root, dir, "split", err));
    GS_TRY(gs__path_join(split_dir, sizeof split_dir, split_root, ds->split_name, err));
    GS_TRY(make_dirs(split_dir, err));
    const int64_t *sets[3] = {ds->train, ds->valid, ds->test};
    const int64_t counts[3] = {ds->num_train, ds->num_valid, ds->num_test};
    static const char *const names[3] = {"train", "valid", "test"};
    for (int s = 0; s < 3; s++) {
      char file[32];
      snprintf(file, sizeof file, "%s.csv.gz", names[s]);
      GS_TRY(gs__path_join(path, sizeof path, split_dir, file, err));
      GS_TRY(gs__write_gz_rows(path, counts[s], int_bound, ids_format, sets[s], GZIP_LEVEL, err));
    }
  }

  /* META.txt last: its presence marks a folder whose data files are all in place. */
  char meta[8192];
  size_t used = 0;
  append(meta, sizeof meta, &used, "name: %s\n", ds->name[0] ? ds->name : "unnamed");
  append(meta, sizeof meta, &used, "nodes: %lld\n", (long long)ds->num_nodes);
  append(meta, sizeof meta, &used, "edges: %lld\n", (long long)ds->num_edge_lines);
  append(meta, sizeof meta, &used,
         "edges_meaning: number of lines in raw/edge.csv.gz, exactly as stored\n");
  append(meta, sizeof meta, &used, "graph: undirected\n");
  if (ds->x.kind != GS_FEATURES_NONE) {
    append(meta, sizeof meta, &used, "num_features: %lld\n", (long long)ds->x.cols);
    append(meta, sizeof meta, &used, "feature_values: real; %lld nonzeros of %lld entries\n",
           (long long)ds->x.nnz, (long long)(ds->x.rows * ds->x.cols));
    append(meta, sizeof meta, &used,
           "feature_files: raw/node-feat.csv.gz (dense, one row per node)\n");
  }
  if (ds->labels) {
    int64_t unlabeled = 0;
    for (int64_t i = 0; i < ds->num_nodes; i++) unlabeled += ds->labels[i] < 0;
    append(meta, sizeof meta, &used, "num_classes: %d\n", (int)ds->num_classes);
    append(meta, sizeof meta, &used, "unlabeled_nodes: %lld\n", (long long)unlabeled);
  }
  if (ds->split_name[0]) {
    append(meta, sizeof meta, &used, "splits: %s\n", ds->split_name);
    append(meta, sizeof meta, &used, "split.%s: train %lld, valid %lld, test %lld\n",
           ds->split_name, (long long)ds->num_train, (long long)ds->num_valid,
           (long long)ds->num_test);
  }
  if (ds->path[0]) append(meta, sizeof meta, &used, "derived_from: %s\n", ds->path);
  append(meta, sizeof meta, &used, "source: generated by gnnscale\n");
  if (used >= sizeof meta)
    return gs_error_set(err, GS_ERR_INTERNAL, "%s: META.txt text too long", dir);
  GS_TRY(gs__path_join(path, sizeof path, dir, "META.txt", err));
  GS_TRY(gs_atomic_write(path, meta, used, err));
  return GS_OK;
fail:
  return st;
}

/* Feature-column ranking (see colrank.h and DESIGN.md §1, "Resolution in practice"): per
 * column non-zero counts, sums and sums of squares over all nodes, from a loaded matrix or
 * streamed from the feature file; a total order by the method's key, ties by lower index;
 * a checksummed text cache keyed by a fingerprint of the feature file; and a loader that
 * reads only the first ceil(r·f0) ranked columns. */
/* realpath(3) is X/Open, not in the project's _POSIX_C_SOURCE; 700 includes POSIX 2008. */
#define _XOPEN_SOURCE 700

#include "datasets/colrank.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/file.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/stats.h"
#include "datasets/dataset_impl.h"

#define COLRANK_VERSION 1
#define PATH_LEN 4352
/* A cache file above this size is not ours (f0 <= 2^24 lines of at most about 70 bytes). */
#define CACHE_MAX_BYTES ((int64_t)1 << 31)
/* Relative slack forgiven in r·f0 before the ceiling (decimal r are not exact in binary). */
#define COLUMNS_REL_SLACK 1e-9

/* ---------------------------------------------------------------- names */

static const char *const method_names[3] = {"df", "variance", "index"};

const char *gs_colrank_method_name(gs_colrank_method m) {
  if ((int)m < 0 || (int)m > 2) return "?";
  return method_names[m];
}

static bool method_valid(gs_colrank_method m) { return (int)m >= 0 && (int)m <= 2; }

gs_status gs_colrank_method_parse(gs_colrank_method *out, const char *name, gs_error *err) {
  if (!out || !name)
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_method_parse: NULL argument");
  for (int k = 0; k < 3; k++)
    if (strcmp(name, method_names[k]) == 0) {
      *out = (gs_colrank_method)k;
      return GS_OK;
    }
  return gs_error_set(err, GS_ERR_INVALID,
                      "unknown column ranking '%s' (expected df, variance or index)", name);
}

void gs_colrank_free(gs_colrank *r) {
  if (!r) return;
  gs_mem_free(r->order);
  gs_mem_free(r->nnz_prefix);
  gs_mem_free(r->score);
  memset(r, 0, sizeof *r);
}

int64_t gs_colrank_columns_for(double r, int64_t f0) {
  if (f0 <= 0) return 0;
  if (!(r > 0.0)) return 1;
  if (r >= 1.0) return f0;
  const double x = r * (double)f0;
  int64_t k = (int64_t)ceil(x);
  /* r·f0 a hair above an integer (0.1·30 = 3.0000000000000004) is that integer. */
  if (k > 1 && (double)(k - 1) >= x - COLUMNS_REL_SLACK * x) k--;
  if (k < 1) k = 1;
  if (k > f0) k = f0;
  return k;
}

/* ---------------------------------------------------------------- statistics */

/* Per-column statistics over all n rows, accumulated in row order. */
typedef struct {
  int64_t f;      /* columns */
  int64_t cap;    /* allocated columns (streaming a sparse file without META grows them) */
  int64_t *nnz;   /* [cap] non-zeros */
  double *sum;    /* [cap] */
  double *sumsq;  /* [cap] */
} col_stats;

static void stats_release(col_stats *s) {
  GS_FREE(&s->nnz);
  GS_FREE(&s->sum);
  GS_FREE(&s->sumsq);
  s->f = s->cap = 0;
}

/* Makes room for `need` zeroed columns. */
static gs_status stats_reserve(col_stats *s, int64_t need, gs_error *err) {
  if (need <= s->cap) return GS_OK;
  int64_t cap = s->cap > 0 ? s->cap : 1024;
  while (cap < need) cap *= 2;
  if (cap > GS__MAX_FEATURES) cap = GS__MAX_FEATURES;
  if (cap < need) cap = need;
  int64_t *nnz = gs_mem_realloc(s->nnz, (size_t)cap * sizeof *nnz, "colrank-tmp");
  if (nnz) s->nnz = nnz;
  double *sum = nnz ? gs_mem_realloc(s->sum, (size_t)cap * sizeof *sum, "colrank-tmp") : NULL;
  if (sum) s->sum = sum;
  double *sumsq = sum ? gs_mem_realloc(s->sumsq, (size_t)cap * sizeof *sumsq, "colrank-tmp") : NULL;
  if (sumsq) s->sumsq = sumsq;
  if (!sumsq)
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory for statistics of %lld columns",
                        (long long)cap);
  for (int64_t c = s->cap; c < cap; c++) {
    s->nnz[c] = 0;
    s->sum[c] = 0.0;
    s->sumsq[c] = 0.0;
  }
  s->cap = cap;
  return GS_OK;
}

static inline void stats_add(col_stats *s, int64_t c, float v) {
  const double d = (double)v;
  s->nnz[c]++;
  s->sum[c] += d;
  s->sumsq[c] += d * d;
}

/* Population variance from the sums; rounding below zero is clamped. */
static double column_variance(const col_stats *s, int64_t c, int64_t n) {
  const double mean = s->sum[c] / (double)n;
  const double v = s->sumsq[c] / (double)n - mean * mean;
  return v > 0.0 ? v : 0.0;
}

typedef struct {
  double key;
  int64_t col;
} rank_item;

/* Descending key, then ascending column: a total order. */
static int compare_item(const void *a, const void *b) {
  const rank_item *x = a, *y = b;
  if (x->key != y->key) return x->key > y->key ? -1 : 1;
  return (x->col > y->col) - (x->col < y->col);
}

/* Allocates the result arrays of a ranking of f0 columns. */
static gs_status rank_alloc(gs_colrank *r, gs_colrank_method m, int64_t f0, int64_t n,
                            gs_error *err) {
  memset(r, 0, sizeof *r);
  r->method = m;
  r->f0 = f0;
  r->num_nodes = n;
  r->order = gs_mem_alloc((size_t)f0 * sizeof *r->order, "colrank");
  r->nnz_prefix = gs_mem_alloc((size_t)(f0 + 1) * sizeof *r->nnz_prefix, "colrank");
  r->score = gs_mem_alloc((size_t)f0 * sizeof *r->score, "colrank");
  if (!r->order || !r->nnz_prefix || !r->score) {
    gs_colrank_free(r);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory for a ranking of %lld columns",
                        (long long)f0);
  }
  return GS_OK;
}

/* Ranks the s->f columns of statistics over n rows into *out (overwritten). */
static gs_status rank_from_stats(gs_colrank *out, gs_colrank_method m, const col_stats *s,
                                 int64_t n, gs_error *err) {
  const int64_t f0 = s->f;
  rank_item *items = gs_mem_alloc((size_t)f0 * sizeof *items, "colrank-tmp");
  if (!items)
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory ranking %lld columns", (long long)f0);
  for (int64_t c = 0; c < f0; c++) {
    items[c].col = c;
    if (m == GS_COLRANK_DF)
      items[c].key = (double)s->nnz[c];
    else if (m == GS_COLRANK_VARIANCE)
      items[c].key = column_variance(s, c, n);
    else
      items[c].key = (double)c;
  }
  /* INDEX is already in order; the others sort by descending key. */
  if (m != GS_COLRANK_INDEX) qsort(items, (size_t)f0, sizeof *items, compare_item);
  gs_colrank r;
  gs_status st = rank_alloc(&r, m, f0, n, err);
  if (st != GS_OK) {
    gs_mem_free(items);
    return st;
  }
  r.nnz_prefix[0] = 0;
  for (int64_t k = 0; k < f0; k++) {
    r.order[k] = items[k].col;
    r.score[k] = items[k].key;
    r.nnz_prefix[k + 1] = r.nnz_prefix[k] + s->nnz[items[k].col];
  }
  gs_mem_free(items);
  *out = r;
  return GS_OK;
}

gs_status gs_colrank_features(gs_colrank *out, const gs_features *x, gs_colrank_method method,
                              gs_error *err) {
  gs_status st = GS_OK;
  col_stats s;
  memset(&s, 0, sizeof s);
  if (!out || !x) return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_features: NULL argument");
  if (!method_valid(method))
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_features: unknown method %d",
                        (int)method);
  if ((x->kind != GS_FEATURES_DENSE && x->kind != GS_FEATURES_SPARSE) || x->cols < 1 ||
      x->rows < 1)
    return gs_error_set(err, GS_ERR_INVALID, "ranking columns needs node features");
  GS_TRY(stats_reserve(&s, x->cols, err));
  s.f = x->cols;
  if (x->kind == GS_FEATURES_DENSE) {
    for (int64_t i = 0; i < x->rows; i++) {
      const float *row = x->dense + i * x->cols;
      for (int64_t c = 0; c < x->cols; c++)
        if (row[c] != 0.0f) stats_add(&s, c, row[c]);
    }
  } else {
    const gs_csr *a = &x->sparse;
    for (int64_t i = 0; i < a->nrows; i++)
      for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
        if (a->val[k] != 0.0f) stats_add(&s, a->col[k], a->val[k]);
  }
  GS_TRY(rank_from_stats(out, method, &s, x->rows, err));
  stats_release(&s);
  return GS_OK;
fail:
  stats_release(&s);
  return st;
}

gs_status gs_colrank_counts(gs_colrank *out, const int64_t *column_nnz, int64_t f0, int64_t rows,
                            gs_error *err) {
  if (!out || !column_nnz || f0 < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_counts: no columns to rank");
  /* Only the counts are read by the document-frequency ranking: borrow them. */
  col_stats s = {.f = f0, .cap = f0, .nnz = (int64_t *)(uintptr_t)column_nnz};
  return rank_from_stats(out, GS_COLRANK_DF, &s, rows, err);
}

gs_status gs_colrank_compute(gs_colrank *out, const gs_dataset *ds, gs_colrank_method method,
                             gs_error *err) {
  if (!out || !ds) return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_compute: NULL argument");
  if (!method_valid(method))
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_compute: unknown method %d",
                        (int)method);
  const gs_features *x = &ds->x;
  if (x->kind != GS_FEATURES_DENSE && x->kind != GS_FEATURES_SPARSE)
    return gs_error_set(err, GS_ERR_INVALID, "%s: the dataset has no features to rank", ds->name);
  if (ds->kept_columns || x->cols != ds->file_features)
    return gs_error_set(err, GS_ERR_INVALID,
                        "%s: features were loaded with a column selection (%lld of %lld "
                        "columns); rank a dataset loaded with all columns",
                        ds->name, (long long)x->cols, (long long)ds->file_features);
  if (x->rows != ds->num_nodes || x->cols < 1 || ds->num_nodes < 1)
    return gs_error_set(err, GS_ERR_INVALID, "%s: feature matrix is %lld x %lld for %lld nodes",
                        ds->name, (long long)x->rows, (long long)x->cols,
                        (long long)ds->num_nodes);
  return gs_colrank_features(out, x, method, err);
}

/* ---------------------------------------------------------------- dataset files */

/* gs__dense_row's callback: adds value v of column col to the statistics. */
static gs_status stats_value(void *ctx, int64_t row, int64_t col, float v, gs_error *err) {
  stats_add(ctx, col, v);
  return GS_OK;
}

/* Streams node-feat.csv.gz (n lines of F values) into per-column statistics, validating as
 * gs_dataset_load does (the same row parser). */
static gs_status stream_dense(col_stats *s, const char *path, const char *count_path, int64_t n,
                              int64_t meta_f, const char *meta_path, int64_t meta_line,
                              gs_error *err) {
  gs_status st = GS_OK;
  gs__dense_reader d;
  GS_TRY(gs__dense_open(&d, path, count_path, n, meta_f, meta_path, meta_line, err));
  GS_TRY(stats_reserve(s, d.f, err));
  s->f = d.f;
  for (;;) {
    bool got;
    GS_TRY(gs__dense_row(&d, stats_value, s, &got, err));
    if (!got) break;
  }
  gs__dense_close(&d);
  return GS_OK;
fail:
  gs__dense_close(&d);
  return st;
}

/* Streams node-feat-sparse.csv.gz ("node,col,value" sorted by node, then column) into
 * per-column statistics. The width is META's num_features, else the largest column + 1. */
static gs_status stream_sparse(col_stats *s, const char *path, int64_t n, int64_t meta_f,
                               gs_error *err) {
  gs_status st = GS_OK;
  gs__reader r;
  int64_t prev_node = -1, prev_col = -1, max_col = -1, max_col_line = 0;
  const int64_t limit = meta_f >= 0 ? meta_f : GS__MAX_FEATURES;
  GS_TRY(gs__reader_open(&r, path, err));
  if (meta_f > 0) GS_TRY(stats_reserve(s, meta_f, err));
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
    const char *p = line;
    int64_t ids[2];
    for (int k = 0; k < 2; k++) {
      const char *tok = p;
      int rc = gs__parse_int64(&p, false, &ids[k]);
      if (rc != GS__NUM_OK || *p != ',') {
        char t[48];
        gs__token_excerpt(tok, t, sizeof t);
        st = gs_error_set(err, rc == GS__NUM_OVERFLOW ? GS_ERR_RANGE : GS_ERR_PARSE,
                          "%s:%lld: field %d: '%s' is not a non-negative integer", path,
                          (long long)r.line, k + 1, t);
        goto fail;
      }
      p++;
    }
    const char *tok = p;
    float v = 0;
    int rc = gs__parse_float(&p, &v);
    if (rc != GS__NUM_OK || *p != '\n') {
      st = gs__value_error(&r, tok, 3, rc == GS__NUM_OK ? GS__NUM_BAD : rc, err);
      goto fail;
    }
    const int64_t node = ids[0], c = ids[1];
    if (node >= n) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: node id %lld is out of range [0, %lld)", path,
                        (long long)r.line, (long long)node, (long long)n);
      goto fail;
    }
    if (c >= limit) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: column %lld is out of range [0, %lld)%s", path,
                        (long long)r.line, (long long)c, (long long)limit,
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
    prev_node = node;
    prev_col = c;
    if (c > max_col) {
      max_col = c;
      max_col_line = r.line;
      GS_TRY(stats_reserve(s, c + 1, err));
    }
    if (v != 0.0f) stats_add(s, c, v);
  }
  if (r.line == 0) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file", path);
    goto fail;
  }
  if (meta_f < 0) GS_TRY(gs__check_width(path, max_col, max_col_line, r.line, err));
  s->f = meta_f >= 0 ? meta_f : max_col + 1;
  if (s->f < 1) {
    st = gs_error_set(err, GS_ERR_INVALID, "%s: no feature columns", path);
    goto fail;
  }
  GS_TRY(stats_reserve(s, s->f, err));
  gs__reader_close(&r);
  return GS_OK;
fail:
  gs__reader_close(&r);
  return st;
}

/* ---------------------------------------------------------------- cache */

/* A cheap identity of a feature file's content (see colrank.h): "gz:<size>:<crc>:<isize>"
 * from the gzip trailer, or "plain:<size>:<crc>" from a CRC-32 of the whole file. */
static gs_status fingerprint_file(const char *path, char *out, size_t cap, gs_error *err) {
  gs_status st = GS_OK;
  unsigned char *buf = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) {
    st = gs_error_set(err, GS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    goto done;
  }
  const long long size = (long long)sb.st_size;
  unsigned char head[2] = {0, 0};
  size_t got = fread(head, 1, 2, f);
  if (got == 2 && head[0] == 0x1f && head[1] == 0x8b && size >= 18) {
    unsigned char t[8];
    if (fseeko(f, (off_t)(size - 8), SEEK_SET) != 0 || fread(t, 1, 8, f) != 8) {
      st = gs_error_set(err, GS_ERR_IO, "%s: cannot read the gzip trailer", path);
      goto done;
    }
    unsigned long crc = (unsigned long)t[0] | (unsigned long)t[1] << 8 |
                        (unsigned long)t[2] << 16 | (unsigned long)t[3] << 24;
    unsigned long isize = (unsigned long)t[4] | (unsigned long)t[5] << 8 |
                          (unsigned long)t[6] << 16 | (unsigned long)t[7] << 24;
    snprintf(out, cap, "gz:%lld:%08lx:%lu", size, crc, isize);
  } else {
    const size_t chunk = (size_t)1 << 20;
    buf = gs_mem_alloc(chunk, "colrank-tmp");
    if (!buf) {
      st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
      goto done;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    rewind(f);
    size_t k;
    while ((k = fread(buf, 1, chunk, f)) > 0) crc = crc32(crc, buf, (uInt)k);
    if (ferror(f)) {
      st = gs_error_set(err, GS_ERR_IO, "%s: read error", path);
      goto done;
    }
    snprintf(out, cap, "plain:%lld:%08lx", size, (unsigned long)crc);
  }
done:
  gs_mem_free(buf);
  fclose(f);
  return st;
}

/* The fixed part of the header line for this dataset, up to and including "f0=". */
static void cache_header_prefix(char *out, size_t cap, gs_colrank_method m, int64_t n,
                                const char *file, const char *fp) {
  snprintf(out, cap, "gnnscale-colrank %d method=%s nodes=%lld file=%s fingerprint=%s f0=",
           COLRANK_VERSION, gs_colrank_method_name(m), (long long)n, file, fp);
}

/* Parses a non-negative integer ending at `end`; false otherwise. */
static bool parse_uint_at(const char **p, char end, int64_t *v) {
  if (gs__parse_int64(p, false, v) != GS__NUM_OK || **p != end) return false;
  (*p)++;
  return true;
}

/* Reads and checks the cache file. Returns GS_OK with *state HIT and *out filled, or GS_OK
 * with *state NONE (no file), STALE or MALFORMED and *out untouched; a failure only for
 * GS_ERR_NOMEM. Scores go through %.17g and strtod in the C locale, which gnnscale never
 * changes; under a locale with a decimal comma the file would read as malformed and simply
 * be recomputed, never misread. */
static gs_status cache_read(gs_colrank *out, gs_colrank_cache_state *state, const char *path,
                            const char *prefix, gs_colrank_method m, int64_t n, gs_error *err) {
  gs_status st = GS_OK;
  char *text = NULL;
  unsigned char *seen = NULL;
  gs_colrank r;
  memset(&r, 0, sizeof r);
  *state = GS_COLRANK_CACHE_NONE;
  FILE *f = fopen(path, "rb");
  if (!f) return GS_OK; /* missing or unreadable: treated alike, we will try to write it */
  struct stat sb;
  *state = GS_COLRANK_CACHE_MALFORMED;
  if (fstat(fileno(f), &sb) != 0 || sb.st_size < 1 || (int64_t)sb.st_size > CACHE_MAX_BYTES) {
    fclose(f);
    return GS_OK;
  }
  const size_t size = (size_t)sb.st_size;
  text = gs_mem_alloc(size + 1, "colrank-tmp");
  if (!text) {
    fclose(f);
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory reading the cache", path);
  }
  size_t got = fread(text, 1, size, f);
  fclose(f);
  if (got != size) goto done;
  text[size] = '\0';

  /* Header: the magic, then the version (another version is stale, not broken). */
  static const char magic[] = "gnnscale-colrank ";
  if (size < sizeof magic || memcmp(text, magic, sizeof magic - 1) != 0) goto done;
  const char *p = text + sizeof magic - 1;
  int64_t version = 0;
  if (gs__parse_int64(&p, false, &version) != GS__NUM_OK || *p != ' ') goto done;
  if (version != COLRANK_VERSION) {
    *state = GS_COLRANK_CACHE_STALE;
    goto done;
  }
  const char *eol = memchr(text, '\n', size);
  if (!eol) goto done;
  const size_t plen = strlen(prefix);
  if ((size_t)(eol - text) < plen || memcmp(text, prefix, plen) != 0) {
    *state = GS_COLRANK_CACHE_STALE;
    goto done;
  }
  p = text + plen;
  int64_t f0 = 0;
  if (!parse_uint_at(&p, '\n', &f0) || f0 < 1 || f0 > GS__MAX_FEATURES) goto done;

  /* Trailer: "end <16 hex digits>\n" over everything before it. */
  if (text[size - 1] != '\n' || size < 22) goto done;
  const char *last = text + size - 21;
  if (last[-1] != '\n' || memcmp(last, "end ", 4) != 0) goto done;
  uint64_t want = 0;
  for (int k = 0; k < 16; k++) {
    char ch = last[4 + k];
    int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (d < 0) goto done;
    want = want << 4 | (uint64_t)d;
  }
  if (gs_hash_fnv1a(GS_HASH_FNV_START, text, (size_t)(last - text)) != want) goto done;

  /* Body: f0 lines "col,nnz,score" in rank order. */
  seen = gs_mem_calloc((size_t)f0, 1, "colrank-tmp");
  if (!seen) {
    st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory reading the cache", path);
    goto done;
  }
  st = rank_alloc(&r, m, f0, n, err);
  if (st != GS_OK) goto done;
  r.nnz_prefix[0] = 0;
  for (int64_t k = 0; k < f0; k++) {
    int64_t col = 0, nnz = 0;
    if (p >= last || !parse_uint_at(&p, ',', &col) || !parse_uint_at(&p, ',', &nnz)) goto done;
    char *end = NULL;
    double score = strtod(p, &end);
    if (end == p || *end != '\n' || !isfinite(score)) goto done;
    p = end + 1;
    if (col >= f0 || seen[col] || nnz > n) goto done;
    seen[col] = 1;
    /* The key the method defines, and the order it implies. */
    if (m == GS_COLRANK_DF && score != (double)nnz) goto done;
    if (m == GS_COLRANK_INDEX && (col != k || score != (double)k)) goto done;
    if (m == GS_COLRANK_VARIANCE && !(score >= 0.0)) goto done;
    if (k > 0 && m != GS_COLRANK_INDEX &&
        (score > r.score[k - 1] || (score == r.score[k - 1] && col < r.order[k - 1])))
      goto done;
    r.order[k] = col;
    r.score[k] = score;
    r.nnz_prefix[k + 1] = r.nnz_prefix[k] + nnz;
  }
  if (p != last) goto done;
  *state = GS_COLRANK_CACHE_HIT;
  *out = r;
  memset(&r, 0, sizeof r);
done:
  gs_colrank_free(&r);
  gs_mem_free(seen);
  gs_mem_free(text);
  return st;
}

/* Writes the ranking to path atomically. Any failure is reported through the status (the
 * caller treats it as "not cached"). */
static gs_status cache_write(const gs_colrank *r, const char *path, const char *prefix,
                             gs_error *err) {
  /* Per line at most 20 + 1 + 20 + 1 + 24 + 1 characters. */
  const size_t cap = strlen(prefix) + 32 + (size_t)r->f0 * 70 + 32;
  char *text = gs_mem_alloc(cap, "colrank-tmp");
  if (!text) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
  size_t used = 0;
  int w = snprintf(text, cap, "%s%lld\n", prefix, (long long)r->f0);
  used += (size_t)(w > 0 ? w : 0);
  for (int64_t k = 0; k < r->f0 && used < cap; k++) {
    w = snprintf(text + used, cap - used, "%lld,%lld,%.17g\n", (long long)r->order[k],
                 (long long)(r->nnz_prefix[k + 1] - r->nnz_prefix[k]), r->score[k]);
    used += (size_t)(w > 0 ? w : 0);
  }
  gs_status st = GS_OK;
  if (used + 22 > cap) {
    st = gs_error_set(err, GS_ERR_INTERNAL, "%s: cache text larger than its bound", path);
  } else {
    uint64_t h = gs_hash_fnv1a(GS_HASH_FNV_START, text, used);
    w = snprintf(text + used, cap - used, "end %016llx\n", (unsigned long long)h);
    used += (size_t)(w > 0 ? w : 0);
    st = gs_atomic_write(path, text, used, err);
  }
  gs_mem_free(text);
  return st;
}

/* mkdir -p; true when path is then a writable folder. */
static bool make_dirs(const char *path) {
  struct stat sb;
  return gs_mkdir_p(path, NULL) == GS_OK && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
         access(path, W_OK | X_OK) == 0;
}

gs_status gs_colrank_default_cache_dir(char *out, size_t cap, gs_error *err) {
  if (!out || cap == 0)
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_default_cache_dir: no buffer");
  const char *v = getenv("GNNSCALE_CACHE");
  int n = -1;
  if (v && v[0]) {
    n = snprintf(out, cap, "%s", v);
  } else if ((v = getenv("XDG_CACHE_HOME")) != NULL && v[0] == '/') {
    n = snprintf(out, cap, "%s/gnnscale", v);
  } else if ((v = getenv("HOME")) != NULL && v[0]) {
    n = snprintf(out, cap, "%s/.cache/gnnscale", v);
  } else {
    out[0] = '\0';
    return gs_error_set(err, GS_ERR_NOT_FOUND,
                        "no cache folder: GNNSCALE_CACHE, XDG_CACHE_HOME and HOME are unset");
  }
  if (n < 0 || (size_t)n >= cap) {
    out[0] = '\0';
    return gs_error_set(err, GS_ERR_INVALID, "cache folder path too long");
  }
  return GS_OK;
}

/* The dataset's name (its folder's base name, resolved for "." and ".."). */
static gs_status dataset_name(const char *dir, char *name, size_t cap, gs_error *err) {
  char buf[PATH_LEN];
  size_t len = strlen(dir);
  if (len == 0 || len >= sizeof buf)
    return gs_error_set(err, GS_ERR_INVALID, "dataset folder path empty or too long");
  memcpy(buf, dir, len + 1);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  const char *base = strrchr(buf, '/');
  base = base && base[1] ? base + 1 : buf;
  char *resolved = NULL;
  if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0) {
    resolved = realpath(buf, NULL);
    if (!resolved) return gs_error_set(err, GS_ERR_IO, "%s: %s", dir, strerror(errno));
    base = strrchr(resolved, '/');
    base = base && base[1] ? base + 1 : "root";
  }
  int n = snprintf(name, cap, "%s", base);
  free(resolved); /* from realpath's malloc, not the counting allocator */
  if (n < 0 || (size_t)n >= cap)
    return gs_error_set(err, GS_ERR_INVALID, "%s: dataset name too long", dir);
  return GS_OK;
}

gs_status gs_colrank_load_or_compute(gs_colrank *out, const char *dataset_dir, gs_colrank_method m,
                                     const char *cache_dir, gs_error *err) {
  gs_status st = GS_OK;
  col_stats s;
  memset(&s, 0, sizeof s);
  gs_colrank r;
  memset(&r, 0, sizeof r);
  char name[256], path[PATH_LEN], count_path[PATH_LEN];
  char dir[PATH_LEN], cdir[PATH_LEN], cache_path[sizeof r.cache_path], fp[128], prefix[768];
  gs_error_clear(err);
  if (!out || !dataset_dir)
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_load_or_compute: NULL argument");
  if (!method_valid(m))
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_load_or_compute: unknown method %d",
                        (int)m);
  size_t dlen = strlen(dataset_dir);
  if (dlen == 0 || dlen >= sizeof dir - 64)
    return gs_error_set(err, GS_ERR_INVALID, "gs_colrank_load_or_compute: folder path empty or "
                                             "too long");
  memcpy(dir, dataset_dir, dlen + 1);
  while (dlen > 1 && dir[dlen - 1] == '/') dir[--dlen] = '\0';
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return gs_error_set(err, GS_ERR_IO, "%s: no such folder", dir);
  GS_TRY(dataset_name(dir, name, sizeof name, err));

  /* The feature file and what identifies its content. */
  bool sparse_file = false;
  GS_TRY(gs__path_join(path, sizeof path, dir, "raw/node-feat.csv.gz", err));
  if (stat(path, &sb) != 0) {
    char sparse_path[PATH_LEN];
    GS_TRY(gs__path_join(sparse_path, sizeof sparse_path, dir, "raw/node-feat-sparse.csv.gz", err));
    if (stat(sparse_path, &sb) != 0) {
      st = gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s (and no node-feat-sparse.csv.gz)",
                        path, strerror(ENOENT));
      goto fail;
    }
    memcpy(path, sparse_path, strlen(sparse_path) + 1);
    sparse_file = true;
  }
  GS_TRY(gs__path_join(count_path, sizeof count_path, dir, "raw/num-node-list.csv", err));
  int64_t n = 0;
  GS_TRY(gs__read_count(count_path, "nodes", 1, GS__MAX_NODES, &n, err));
  GS_TRY(fingerprint_file(path, fp, sizeof fp, err));
  cache_header_prefix(prefix, sizeof prefix, m, n,
                      sparse_file ? "node-feat-sparse.csv.gz" : "node-feat.csv.gz", fp);

  /* The cache folder: NULL = default, "" = off; failing to create it only turns caching off. */
  cache_path[0] = '\0';
  bool caching = false;
  if (!cache_dir) {
    caching = gs_colrank_default_cache_dir(cdir, sizeof cdir, NULL) == GS_OK;
  } else if (cache_dir[0]) {
    caching = snprintf(cdir, sizeof cdir, "%s", cache_dir) < (int)sizeof cdir;
  }
  if (caching) caching = make_dirs(cdir);
  if (caching) {
    int k = snprintf(cache_path, sizeof cache_path, "%s/%s.%s.colrank", cdir, name,
                     gs_colrank_method_name(m));
    caching = k > 0 && (size_t)k < sizeof cache_path;
    if (!caching) cache_path[0] = '\0';
  }

  gs_colrank_cache_state state = GS_COLRANK_CACHE_NONE;
  if (caching) {
    GS_TRY(cache_read(&r, &state, cache_path, prefix, m, n, err));
    if (state == GS_COLRANK_CACHE_HIT) {
      r.cache_state = state;
      r.cache_written = false;
      memcpy(r.cache_path, cache_path, strlen(cache_path) + 1);
      *out = r;
      return GS_OK;
    }
  }

  /* Miss: stream the feature file once. */
  gs__meta meta;
  GS_TRY(gs__read_meta(dir, &meta, err));
  const int64_t meta_f = meta.num_features;
  if (meta_f > GS__MAX_FEATURES) {
    st = gs_error_set(err, GS_ERR_RANGE, "%s:%lld: num_features %lld exceeds the limit of %lld",
                      meta.path, (long long)meta.num_features_line, (long long)meta_f,
                      (long long)GS__MAX_FEATURES);
    goto fail;
  }
  if (sparse_file)
    GS_TRY(stream_sparse(&s, path, n, meta_f, err));
  else
    GS_TRY(stream_dense(&s, path, count_path, n, meta_f, meta.path, meta.num_features_line, err));
  GS_TRY(rank_from_stats(&r, m, &s, n, err));
  stats_release(&s);

  r.cache_state = state;
  r.cache_written = false;
  if (caching) {
    memcpy(r.cache_path, cache_path, strlen(cache_path) + 1);
    /* Any failure here (full disk, read-only folder, no memory for the text) only means
     * that the next call computes again. */
    r.cache_written = cache_write(&r, cache_path, prefix, NULL) == GS_OK;
  }
  *out = r;
  return GS_OK;
fail:
  stats_release(&s);
  gs_colrank_free(&r);
  return st;
}

/* ---------------------------------------------------------------- loading at resolution r */

gs_status gs_dataset_load_resolution(gs_dataset **out, const char *dir,
                                     const gs_dataset_options *opts, double r, gs_colrank_method m,
                                     const char *cache_dir, gs_error *err) {
  gs_status st = GS_OK;
  gs_colrank rank;
  memset(&rank, 0, sizeof rank);
  gs_dataset *ds = NULL;
  int64_t *cols = NULL;
  gs_error_clear(err);
  if (!out || !dir)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load_resolution: NULL argument");
  if (!(r > 0.0 && r <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_load_resolution: resolution %g is outside (0, 1]", r);
  if (opts && opts->columns)
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_dataset_load_resolution: opts->columns is set; the ranking chooses "
                        "the columns");
  gs_dataset_options o = opts ? *opts : gs_dataset_options_default();
  if (!o.load_features) return gs_dataset_load(out, dir, &o, err);

  GS_TRY(gs_colrank_load_or_compute(&rank, dir, m, cache_dir, err));
  const int64_t f = gs_colrank_columns_for(r, rank.f0);
  if (f < rank.f0) {
    cols = gs_mem_alloc((size_t)f * sizeof *cols, "colrank-tmp");
    if (!cols) {
      st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for %lld columns", dir,
                        (long long)f);
      goto fail;
    }
    memcpy(cols, rank.order, (size_t)f * sizeof *cols);
    qsort(cols, (size_t)f, sizeof *cols, gs_compare_int64);
    o.columns = cols;
    o.num_columns = f;
  }
  GS_TRY(gs_dataset_load(&ds, dir, &o, err));
  if (ds->file_features != rank.f0 || ds->x.cols != f || ds->x.nnz != rank.nnz_prefix[f]) {
    st = gs_error_set(err, GS_ERR_MISMATCH,
                      "%s: the features (%lld columns, %lld non-zeros in the %lld kept) disagree "
                      "with the ranking%s%s (%lld columns, %lld non-zeros); delete that file",
                      dir, (long long)ds->file_features, (long long)ds->x.nnz, (long long)f,
                      rank.cache_path[0] ? " in " : "", rank.cache_path, (long long)rank.f0,
                      (long long)rank.nnz_prefix[f]);
    goto fail;
  }
  gs_mem_free(cols);
  gs_colrank_free(&rank);
  *out = ds;
  return GS_OK;
fail:
  gs_dataset_free(&ds);
  gs_mem_free(cols);
  gs_colrank_free(&rank);
  return st;
}

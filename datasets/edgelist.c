/* Readers of graphs without features: Matrix Market coordinate files (Boisvert, Pozo &
 * Remington, "The Matrix Market Exchange Formats", NIST 1996) and SNAP edge lists
 * (whitespace-separated "src dst" lines with '#' comments). Either may be gzip-compressed. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "datasets/dataset.h"
#include "datasets/dataset_impl.h"

#define MAX_TOKENS 8

typedef struct {
  const char *start[MAX_TOKENS];
  int count; /* all tokens on the line, even beyond MAX_TOKENS */
} tokens;

static void split_ws(const char *line, size_t len, tokens *t) {
  const char *p = line, *end = line + len;
  t->count = 0;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end) break;
    if (t->count < MAX_TOKENS) t->start[t->count] = p;
    t->count++;
    while (p < end && *p != ' ' && *p != '\t') p++;
  }
}

static bool token_end(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* Parses token k as an integer that must fill the whole token. */
static gs_status token_int(const gs__reader *r, const tokens *t, int k, bool allow_negative,
                           int64_t *v, gs_error *err) {
  const char *p = t->start[k];
  int rc = gs__parse_int64(&p, allow_negative, v);
  if (rc == GS__NUM_OK && token_end(*p)) return GS_OK;
  char tok[48];
  size_t n = 0;
  for (const char *q = t->start[k]; !token_end(*q) && n < 40; q++)
    tok[n++] = (*q >= 32 && *q < 127) ? *q : '?';
  tok[n] = '\0';
  if (rc == GS__NUM_OVERFLOW)
    return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: field %d: '%s' does not fit in 64 bits",
                        r->path, (long long)r->line, k + 1, tok);
  return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field %d: '%s' is not a%s integer", r->path,
                      (long long)r->line, k + 1, tok, allow_negative ? "n" : " non-negative");
}

static bool word_eq(const char *s, const char *word) {
  size_t n = strlen(word);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return token_end(s[n]);
}

static gs_status push_edge(gs_dataset *ds, int64_t *cap, int64_t count, int64_t max_items,
                           int64_t u, int64_t v, gs_error *err) {
  if (count >= *cap) {
    int64_t cap_dst = *cap;
    gs_status st = gs__grow((void **)&ds->src, cap, count + 1, max_items, sizeof(int64_t),
                            "dataset-edges", err);
    if (st == GS_OK)
      st = gs__grow((void **)&ds->dst, &cap_dst, count + 1, max_items, sizeof(int64_t),
                    "dataset-edges", err);
    if (st != GS_OK) return st;
  }
  ds->src[count] = u;
  ds->dst[count] = v;
  return GS_OK;
}

static gs_status read_mtx(gs_dataset *ds, gs__reader *r, gs_error *err) {
  gs_status st = GS_OK;
  char *line;
  size_t len;
  tokens t;
  GS_TRY(gs__reader_next(r, &line, &len, err));
  if (!line) return gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file", r->path);
  split_ws(line, len, &t);
  if (t.count < 1 || strncmp(t.start[0], "%%MatrixMarket", 14) != 0 || !token_end(t.start[0][14]))
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:1: not a Matrix Market file (the first line must be "
                        "'%%%%MatrixMarket matrix coordinate <field> <symmetry>')",
                        r->path);
  if (t.count != 5)
    return gs_error_set(err, GS_ERR_PARSE, "%s:1: header has %d words, expected 5", r->path,
                        t.count);
  if (!word_eq(t.start[1], "matrix"))
    return gs_error_set(err, GS_ERR_PARSE, "%s:1: object must be 'matrix'", r->path);
  if (word_eq(t.start[2], "array"))
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:1: dense 'array' format is not read; a graph needs 'coordinate'",
                        r->path);
  if (!word_eq(t.start[2], "coordinate"))
    return gs_error_set(err, GS_ERR_PARSE, "%s:1: format must be 'coordinate'", r->path);
  int fields;
  bool real = false;
  if (word_eq(t.start[3], "pattern"))
    fields = 2;
  else if (word_eq(t.start[3], "integer"))
    fields = 3;
  else if (word_eq(t.start[3], "real") || word_eq(t.start[3], "double")) {
    fields = 3;
    real = true;
  } else
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:1: unsupported field type (expected pattern, integer or real)",
                        r->path);
  if (!word_eq(t.start[4], "general") && !word_eq(t.start[4], "symmetric"))
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:1: unsupported symmetry (expected general or symmetric)", r->path);

  /* Comments, then the size line "rows cols entries". */
  int64_t size[3];
  for (;;) {
    GS_TRY(gs__reader_next(r, &line, &len, err));
    if (!line)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: end of file before the size line", r->path,
                          (long long)r->line);
    split_ws(line, len, &t);
    if (t.count == 0 || line[0] == '%') continue;
    break;
  }
  if (t.count != 3)
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:%lld: size line has %d fields, expected 3 (rows cols entries)", r->path,
                        (long long)r->line, t.count);
  for (int k = 0; k < 3; k++) GS_TRY(token_int(r, &t, k, false, &size[k], err));
  if (size[0] != size[1])
    return gs_error_set(err, GS_ERR_INVALID,
                        "%s:%lld: the matrix is %lld x %lld; a graph needs a square matrix",
                        r->path, (long long)r->line, (long long)size[0], (long long)size[1]);
  if (size[0] < 1 || size[0] > GS__MAX_NODES)
    return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: %lld nodes is outside [1, %lld]", r->path,
                        (long long)r->line, (long long)size[0], (long long)GS__MAX_NODES);
  if (size[2] > GS__MAX_EDGES)
    return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: %lld entries exceed the limit of %lld",
                        r->path, (long long)r->line, (long long)size[2], (long long)GS__MAX_EDGES);
  const int64_t n = size[0], entries = size[2];
  ds->num_nodes = n;

  int64_t cap = 0, count = 0;
  const int64_t first = entries < ((int64_t)1 << 22) ? entries : ((int64_t)1 << 22);
  int64_t cap_dst = 0;
  GS_TRY(gs__grow((void **)&ds->src, &cap, first, entries > 0 ? entries : 1, sizeof(int64_t),
                  "dataset-edges", err));
  GS_TRY(gs__grow((void **)&ds->dst, &cap_dst, first, entries > 0 ? entries : 1, sizeof(int64_t),
                  "dataset-edges", err));
  for (;;) {
    GS_TRY(gs__reader_next(r, &line, &len, err));
    if (!line) break;
    split_ws(line, len, &t);
    if (t.count == 0 || line[0] == '%') continue;
    if (count >= entries)
      return gs_error_set(err, GS_ERR_MISMATCH,
                          "%s:%lld: more entries than the %lld of the size line", r->path,
                          (long long)r->line, (long long)entries);
    if (t.count != fields)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected %d fields, got %d", r->path,
                          (long long)r->line, fields, t.count);
    int64_t ij[2];
    for (int k = 0; k < 2; k++) {
      GS_TRY(token_int(r, &t, k, false, &ij[k], err));
      if (ij[k] < 1 || ij[k] > n)
        return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: index %lld is out of range [1, %lld]",
                            r->path, (long long)r->line, (long long)ij[k], (long long)n);
    }
    if (fields == 3) {
      if (real) {
        const char *p = t.start[2];
        float v;
        int rc = gs__parse_float(&p, &v);
        if (rc == GS__NUM_NONFINITE)
          return gs_error_set(err, GS_ERR_NUMERIC, "%s:%lld: field 3 is not a finite number",
                              r->path, (long long)r->line);
        if (rc != GS__NUM_OK || !token_end(*p))
          return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field 3 is not a number", r->path,
                              (long long)r->line);
      } else {
        int64_t v;
        GS_TRY(token_int(r, &t, 2, true, &v, err));
      }
    }
    GS_TRY(push_edge(ds, &cap, count, entries, ij[0] - 1, ij[1] - 1, err));
    count++;
  }
  if (count < entries)
    return gs_error_set(err, GS_ERR_MISMATCH,
                        "%s:%lld: file ends after %lld entries, but the size line gives %lld",
                        r->path, (long long)r->line, (long long)count, (long long)entries);
  ds->num_edge_lines = count;
  return GS_OK;
fail:
  return st;
}

/* A SNAP file whose largest id gives more than 2^20 nodes and more than this many nodes per
 * edge end is refused as sparse ids (real SNAP graphs have at most a few isolated ids). */
#define SNAP_SPARSE_MIN_NODES (INT64_C(1) << 20)
#define SNAP_SPARSE_RATIO 64

static gs_status read_snap(gs_dataset *ds, gs__reader *r, gs_error *err) {
  gs_status st = GS_OK;
  char *line;
  size_t len;
  tokens t;
  int64_t cap = 0, count = 0, max_id = -1, max_line = 0;
  for (;;) {
    GS_TRY(gs__reader_next(r, &line, &len, err));
    if (!line) break;
    split_ws(line, len, &t);
    if (t.count == 0 || t.start[0][0] == '#') continue;
    if (t.count != 2)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected 2 fields (src dst), got %d",
                          r->path, (long long)r->line, t.count);
    int64_t uv[2];
    for (int k = 0; k < 2; k++) {
      GS_TRY(token_int(r, &t, k, false, &uv[k], err));
      if (uv[k] >= GS__MAX_NODES)
        return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: node id %lld exceeds the limit of %lld",
                            r->path, (long long)r->line, (long long)uv[k],
                            (long long)GS__MAX_NODES);
      if (uv[k] > max_id) max_id = uv[k], max_line = r->line;
    }
    if (count >= GS__MAX_EDGES)
      return gs_error_set(err, GS_ERR_RANGE, "%s:%lld: more than %lld edges", r->path,
                          (long long)r->line, (long long)GS__MAX_EDGES);
    GS_TRY(push_edge(ds, &cap, count, GS__MAX_EDGES, uv[0], uv[1], err));
    count++;
  }
  if (count == 0)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: no edges in the file", r->path,
                        (long long)(r->line > 0 ? r->line : 1));
  /* The node count comes from the largest id alone, and everything after is sized by it: a
   * stray id (one edge "0 100000000") would otherwise cost gigabytes of isolated nodes. */
  if (max_id + 1 > SNAP_SPARSE_MIN_NODES && max_id + 1 > SNAP_SPARSE_RATIO * 2 * count)
    return gs_error_set(err, GS_ERR_RANGE,
                        "%s:%lld: node id %lld implies %lld nodes for %lld edge lines (at least "
                        "%lld nodes without an edge); SNAP ids must be 0-based and dense: "
                        "renumber them", r->path, (long long)max_line, (long long)max_id,
                        (long long)(max_id + 1), (long long)count,
                        (long long)(max_id + 1 - 2 * count));
  ds->num_nodes = max_id + 1;
  ds->num_edge_lines = count;
  return GS_OK;
fail:
  return st;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

gs_status gs_dataset_load_edgelist(gs_dataset **out, const char *path, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs__reader r;
  memset(&r, 0, sizeof r);
  gs_error_clear(err);
  if (!out || !path || !*path)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load_edgelist: NULL or empty path");
  if (strlen(path) >= sizeof ds->path)
    return gs_error_set(err, GS_ERR_INVALID, "gs_dataset_load_edgelist: path too long");
  GS_TRY(gs__dataset_new(&ds, err));
  snprintf(ds->path, sizeof ds->path, "%s", path);
  /* Name: the file's base name without ".gz" and its last extension. */
  const char *base = strrchr(path, '/');
  snprintf(ds->name, sizeof ds->name, "%s", base ? base + 1 : path);
  size_t nl = strlen(ds->name);
  if (nl > 3 && strcmp(ds->name + nl - 3, ".gz") == 0) ds->name[nl - 3] = '\0';
  char *dot = strrchr(ds->name, '.');
  if (dot && dot != ds->name) *dot = '\0';

  GS_TRY(gs__reader_open(&r, path, err));
  bool mtx = ends_with(path, ".mtx") || ends_with(path, ".mtx.gz");
  GS_TRY(mtx ? read_mtx(ds, &r, err) : read_snap(ds, &r, err));
  gs__reader_close(&r);
  *out = ds;
  return GS_OK;
fail:
  gs__reader_close(&r);
  gs_dataset_free(&ds);
  return st;
}

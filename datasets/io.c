/* Text input and output shared by the dataset readers and the writer: a chunked line reader
 * over zlib, number parsers that reproduce strtof exactly (Clinger's fast path, PLDI 1990,
 * in float arithmetic), a round-trip float formatter, and a gzip writer that deflates
 * chunks in parallel the way pigz does (Z_SYNC_FLUSH joins, crc32_combine). */
#include "datasets/dataset_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/mem.h"

/* ---------------------------------------------------------------- reader */

/* zlib's messages start with the path, which ours already give: the rest of msg. */
static const char *strip_path(const char *msg, const char *path) {
  size_t plen = strlen(path);
  if (strncmp(msg, path, plen) == 0 && msg[plen] == ':')
    msg += plen + (msg[plen + 1] == ' ' ? 2 : 1);
  return msg;
}

gs_status gs__reader_open(gs__reader *r, const char *path, gs_error *err) {
  memset(r, 0, sizeof *r);
  r->path = path;
  /* The type first: opening a FIFO would block until a writer comes, and a folder or a
   * device is no data file. */
  struct stat sb;
  if (stat(path, &sb) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode))
    return gs_error_set(err, GS_ERR_IO, "%s: not a regular file (%s)", path,
                        S_ISFIFO(sb.st_mode)  ? "a FIFO: it would block the read"
                        : S_ISDIR(sb.st_mode) ? "a folder"
                        : S_ISSOCK(sb.st_mode) ? "a socket"
                                               : "a device");
  errno = 0;
  r->gz = gzopen(path, "rb");
  if (!r->gz) {
    int e = errno;
    return gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s", path,
                        e ? strerror(e) : "zlib could not allocate its state");
  }
  /* zlib's own input buffer; our buffer below receives the decompressed text. */
  gzbuffer(r->gz, 1u << 18);
  /* zlib reads anything that is not gzip as plain text: a name ending in ".gz" promises
   * gzip, so plain text or random bytes under that name are refused (gzdirect looks at the
   * first bytes). An empty file is left to the callers' "empty file" message. */
  size_t plen = strlen(path);
  if (plen > 3 && strcmp(path + plen - 3, ".gz") == 0 && sb.st_size > 0 && gzdirect(r->gz)) {
    gzclose(r->gz);
    r->gz = NULL;
    return gs_error_set(err, GS_ERR_PARSE, "%s: not gzip data (the name ends in .gz but the "
                        "file does not start with the gzip magic bytes 1f 8b)", path);
  }
  r->cap = GS__READ_CHUNK;
  r->buf = gs_mem_alloc(r->cap + GS__READ_PAD, "dataset-io");
  if (!r->buf) {
    gzclose(r->gz);
    r->gz = NULL;
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for the read buffer", path);
  }
  /* Only the pad after the (still empty) text needs zeros: reader_fill zeroes it after every
   * read. Clearing the whole 1 MiB touched every page for each file opened, which for small
   * files (splits, counts, fuzz inputs) cost more than the reading. */
  memset(r->buf, 0, GS__READ_PAD);
  return GS_OK;
}

void gs__reader_close(gs__reader *r) {
  if (!r) return;
  if (r->gz) gzclose(r->gz);
  r->gz = NULL;
  GS_FREE(&r->buf);
}

/* Moves the unread tail to the front, grows the buffer when a line fills it, and reads
 * more. Sets r->eof at the end of the stream after checking that zlib saw a complete one. */
static gs_status reader_fill(gs__reader *r, gs_error *err) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len == r->cap) {
    if (r->cap >= GS__MAX_LINE)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: line longer than %zu bytes", r->path,
                          (long long)(r->line + 1), (size_t)GS__MAX_LINE);
    size_t cap = r->cap * 2;
    char *grown = gs_mem_realloc(r->buf, cap + GS__READ_PAD, "dataset-io");
    if (!grown)
      return gs_error_set(err, GS_ERR_NOMEM, "%s:%lld: out of memory for a %zu-byte line", r->path,
                          (long long)(r->line + 1), cap);
    r->buf = grown;
    r->cap = cap;
  }
  size_t want = r->cap - r->len;
  int n = gzread(r->gz, r->buf + r->len, (unsigned)want);
  if (n < 0) {
    int code = 0;
    const char *msg = strip_path(gzerror(r->gz, &code), r->path);
    if (code == Z_ERRNO)
      return gs_error_set(err, GS_ERR_IO, "%s: read error after line %lld: %s", r->path,
                          (long long)r->line, strerror(errno));
    /* zlib checks the CRC over the whole stream at its end, so no line is to blame. */
    if (strstr(msg, "incorrect data check") || strstr(msg, "incorrect length check"))
      return gs_error_set(err, GS_ERR_IO, "%s: corrupt gzip file: %s (the checksum of the "
                          "whole file does not match its data)", r->path, msg);
    return gs_error_set(err, GS_ERR_IO, "%s: corrupt gzip data after line %lld: %s", r->path,
                        (long long)r->line, msg);
  }
  if (n == 0) {
    /* gzread returns 0 both at a clean end and when the compressed stream stops early;
     * only gzerror tells them apart (Z_BUF_ERROR: "unexpected end of file"). */
    int code = 0;
    const char *msg = strip_path(gzerror(r->gz, &code), r->path);
    if (code != Z_OK)
      return gs_error_set(err, GS_ERR_IO, "%s:%lld: %s (truncated or corrupt gzip file)", r->path,
                          (long long)(r->line + 1), msg);
    r->eof = true;
  }
  r->len += (size_t)n;
  memset(r->buf + r->len, 0, GS__READ_PAD);
  return GS_OK;
}

gs_status gs__reader_next(gs__reader *r, char **line, size_t *len, gs_error *err) {
  *line = NULL;
  *len = 0;
  for (;;) {
    char *start = r->buf + r->pos;
    char *nl = memchr(start + r->scanned, '\n', r->len - r->pos - r->scanned);
    if (nl || (r->eof && r->pos < r->len)) {
      size_t n;
      if (nl) {
        n = (size_t)(nl - start);
        r->pos += n + 1;
      } else {
        /* The last line lacks its '\n': accept it, and give the caller the terminator it
         * expects (the pad guarantees the room). */
        n = r->len - r->pos;
        start[n] = '\n';
        r->pos = r->len;
      }
      r->scanned = 0;
      r->line++;
      if (n > 0 && start[n - 1] == '\r')
        return gs_error_set(err, GS_ERR_PARSE,
                            "%s:%lld: line ends in '\\r' (Windows line ending); the format "
                            "uses '\\n' only",
                            r->path, (long long)r->line);
      *line = start;
      *len = n;
      return GS_OK;
    }
    if (r->eof) return GS_OK;
    r->scanned = r->len - r->pos;
    gs_status st = reader_fill(r, err);
    if (st != GS_OK) return st;
  }
}

/* ---------------------------------------------------------------- numbers */

int gs__parse_int64(const char **p, bool allow_negative, int64_t *value) {
  const char *s = *p;
  bool negative = false;
  if (*s == '-' && allow_negative) {
    negative = true;
    s++;
  }
  if (*s < '0' || *s > '9') return GS__NUM_BAD;
  uint64_t v = 0;
  const uint64_t limit = (uint64_t)INT64_MAX;
  while (*s >= '0' && *s <= '9') {
    uint64_t d = (uint64_t)(*s - '0');
    if (v > (limit - d) / 10) {
      while (*s >= '0' && *s <= '9') s++;
      *p = s;
      return GS__NUM_OVERFLOW;
    }
    v = v * 10 + d;
    s++;
  }
  *p = s;
  *value = negative ? -(int64_t)v : (int64_t)v;
  return GS__NUM_OK;
}

static inline bool is_delim(char c) { return c == ',' || c == '\n' || c == ' ' || c == '\t'; }

/* Powers of ten that are exact in float (5^10 < 2^24). */
static const float pow10f_exact[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                       1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

static bool starts_with_ci(const char *s, const char *word) {
  for (; *word; s++, word++)
    if ((*s | 0x20) != *word) return false;
  return true;
}

int gs__parse_float(const char **p, float *value) {
  const char *s = *p;
  const char *start = s;
  bool negative = false;
  if (*s == '-') {
    negative = true;
    s++;
  }
  uint64_t m = 0;
  int digits = 0, decimals = 0;
  while (*s >= '0' && *s <= '9') {
    if (digits < 19) m = m * 10 + (uint64_t)(*s - '0');
    digits++;
    s++;
  }
  if (*s == '.') {
    s++;
    while (*s >= '0' && *s <= '9') {
      if (digits < 19) m = m * 10 + (uint64_t)(*s - '0');
      digits++;
      decimals++;
      s++;
    }
  }
  if (digits > 0 && digits < 19 && is_delim(*s)) {
    float v;
    if (decimals == 0) {
      v = (float)m; /* an exact integer, rounded once: what strtof does */
      *value = negative ? -v : v;
      *p = s;
      return GS__NUM_OK;
    }
    if (m < ((uint64_t)1 << 24) && decimals <= 10) {
      v = (float)m / pow10f_exact[decimals];
      *value = negative ? -v : v;
      *p = s;
      return GS__NUM_OK;
    }
  }
  /* Slow path: find the token, allow only decimal syntax (no hex, no spaces), and let
   * strtof decide. */
  const char *end = start;
  while (!is_delim(*end) && *end != '\0') end++;
  if (end == start) return GS__NUM_BAD;
  const char *t = start;
  if (*t == '-' || *t == '+') t++;
  if (starts_with_ci(t, "nan") || starts_with_ci(t, "inf")) {
    errno = 0;
    char *stop = NULL;
    strtof(start, &stop);
    return stop == end ? GS__NUM_NONFINITE : GS__NUM_BAD;
  }
  for (const char *c = start; c < end; c++)
    if (!strchr("0123456789.+-eE", *c)) return GS__NUM_BAD;
  char *stop = NULL;
  errno = 0;
  float v = strtof(start, &stop);
  if (stop != end) return GS__NUM_BAD;
  if (!isfinite(v)) return GS__NUM_NONFINITE;
  *value = v;
  *p = end;
  return GS__NUM_OK;
}

void gs__token_excerpt(const char *s, char *out, size_t out_size) {
  size_t n = 0;
  /* Every line ends in '\n' (the reader guarantees it), so this stops inside the line. */
  while (n + 1 < out_size && n < 40 && s[n] != ',' && s[n] != '\n') {
    char c = s[n];
    out[n] = (c >= 32 && c < 127) ? c : '?';
    n++;
  }
  out[n] = '\0';
}

int64_t gs__count_fields(const char *line, size_t len) {
  int64_t fields = 1;
  const char *p = line, *end = line + len;
  while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
    fields++;
    p++;
  }
  return fields;
}

size_t gs__format_int64(int64_t v, char *out) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  size_t k = 0;
  if (v < 0) out[k++] = '-';
  while (n) out[k++] = tmp[--n];
  return k;
}

static const double pow10d[11] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};

size_t gs__format_float(float v, char *out) {
  if (v == 0.0f) {
    out[0] = '0';
    return 1;
  }
  double a = fabs((double)v);
  if (a < 16777216.0 && a == floor(a)) return gs__format_int64((int64_t)v, out);
  /* The fewest decimals d such that the integer k = round(v * 10^d) gives back v as
   * (float)k / 10^d; that quotient is what strtof returns for the text "k / 10^d", so the
   * text written below reads back exactly. */
  for (int d = 1; d <= 10 && a * pow10d[d] < 16777216.0; d++) {
    int64_t k = llrint((double)v * pow10d[d]);
    if ((float)k / pow10f_exact[d] != v) continue;
    char digits[24];
    size_t nd = gs__format_int64(k < 0 ? -k : k, digits);
    size_t n = 0;
    if (k < 0) out[n++] = '-';
    if (nd <= (size_t)d) {
      out[n++] = '0';
      out[n++] = '.';
      for (size_t z = nd; z < (size_t)d; z++) out[n++] = '0';
      memcpy(out + n, digits, nd);
      n += nd;
    } else {
      memcpy(out + n, digits, nd - (size_t)d);
      n += nd - (size_t)d;
      out[n++] = '.';
      memcpy(out + n, digits + nd - (size_t)d, (size_t)d);
      n += (size_t)d;
    }
    return n;
  }
  int n = snprintf(out, GS__FLOAT_CHARS, "%.9g", (double)v);
  if (memchr(out, 'e', (size_t)n)) {
    if (a >= 1.0) {
      n = snprintf(out, GS__FLOAT_CHARS, "%.0f", (double)v); /* large floats are integers */
    } else {
      /* Enough decimals for 9 significant digits after the leading zeros. */
      int prec = 9 + (int)ceil(-log10(a));
      if (prec > 50) prec = 50;
      n = snprintf(out, GS__FLOAT_CHARS, "%.*f", prec, (double)v);
    }
  }
  return (size_t)n;
}

/* ---------------------------------------------------------------- arrays */

int64_t gs_dataset_grow_capacity(int64_t capacity, int64_t need, int64_t max_items) {
  int64_t cap = capacity > 0 ? capacity : 1024;
  while (cap < need) cap = cap > INT64_MAX / 2 ? need : cap * 2;
  if (cap > max_items) cap = max_items;
  if (cap < need) cap = need;
  return cap;
}

gs_status gs__grow(void **array, int64_t *capacity, int64_t need, int64_t max_items, size_t elem,
                   const char *tag, gs_error *err) {
  if (need <= *capacity && *array) return GS_OK;
  const int64_t cap = gs_dataset_grow_capacity(*capacity, need, max_items);
  if ((uint64_t)cap > (uint64_t)SIZE_MAX / elem)
    return gs_error_set(err, GS_ERR_NOMEM, "%s: %lld items do not fit in memory", tag,
                        (long long)cap);
  void *grown = gs_mem_realloc(*array, (size_t)cap * elem, tag);
  if (!grown)
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for %lld items", tag, (long long)cap);
  *array = grown;
  *capacity = cap;
  return GS_OK;
}

gs_status gs__check_width(const char *path, int64_t max_col, int64_t max_col_line,
                          int64_t entries, gs_error *err) {
  if (max_col + 1 <= 2 * entries + 1024) return GS_OK;
  return gs_error_set(err, GS_ERR_RANGE,
                      "%s:%lld: column %lld implies %lld feature columns for %lld entries (at "
                      "least %lld columns without an entry); fix the column, or give "
                      "num_features in META.txt if this is meant",
                      path, (long long)max_col_line, (long long)max_col, (long long)(max_col + 1),
                      (long long)entries, (long long)(max_col + 1 - entries));
}

gs_status gs__path_join(char *out, size_t cap, const char *a, const char *b, gs_error *err) {
  int n = snprintf(out, cap, "%s/%s", a, b);
  if (n < 0 || (size_t)n >= cap)
    return gs_error_set(err, GS_ERR_INVALID, "%s/%s: path too long", a, b);
  return GS_OK;
}

gs_status gs__dataset_new(gs_dataset **out, gs_error *err) {
  gs_dataset *ds = gs_mem_calloc(1, sizeof *ds, "dataset");
  if (!ds) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for a dataset");
  *out = ds;
  return GS_OK;
}

/* ---------------------------------------------------------------- writer */

/* Target text per chunk: big enough that restarting the deflate window costs nothing
 * measurable, small enough that a group of chunks stays a few MiB. */
#define GZ_CHUNK_TEXT ((size_t)1 << 20)
#define GZ_GROUP 8
/* Above this much text (by the rows' bounds) the level drops to 1: on real-valued text
 * (random digits) level 6 takes about 9 times as long as level 1 for a file only 20%
 * smaller, which would make writing a generated graph of ogbn-arxiv's shape take half a
 * minute instead of a few seconds. Sparse 0/1 text compresses well at either level. */
#define GZ_FAST_ABOVE ((uint64_t)128 << 20)

typedef struct {
  char *text;         /* [text_cap] */
  unsigned char *out; /* [out_cap] */
  size_t text_len, out_len;
  uLong crc;
  int status; /* zlib code */
} gz_chunk;

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

gs_status gs__write_gz_rows(const char *path, int64_t nrows, gs__row_bound_fn bound,
                            gs__format_rows_fn fn, const void *ctx, int level, gs_error *err) {
  gs_status st = GS_OK;
  gs_atomic_file out;
  memset(&out, 0, sizeof out);
  FILE *f = NULL;
  int64_t *starts = NULL; /* [nchunks + 1] first row of each chunk */
  int64_t starts_cap = 0, nchunks = 0;
  gz_chunk chunks[GZ_GROUP];
  memset(chunks, 0, sizeof chunks);

  /* Plan chunks of about GZ_CHUNK_TEXT bytes of text (by the rows' upper bounds); the text
   * buffers are then sized by the largest chunk. */
  size_t text_cap = 1, acc = 0;
  uint64_t total_bound = 0;
  GS_TRY(gs__grow((void **)&starts, &starts_cap, 2, INT64_MAX / 16, sizeof(int64_t),
                  "dataset-write", err));
  starts[0] = 0;
  for (int64_t i = 0; i < nrows; i++) {
    size_t b = bound(ctx, i);
    if (acc > 0 && acc + b > GZ_CHUNK_TEXT) {
      if (acc > text_cap) text_cap = acc;
      nchunks++;
      GS_TRY(gs__grow((void **)&starts, &starts_cap, nchunks + 2, INT64_MAX / 16, sizeof(int64_t),
                      "dataset-write", err));
      starts[nchunks] = i;
      acc = 0;
    }
    acc += b;
    total_bound += b;
  }
  if (total_bound > GZ_FAST_ABOVE && level > 1) level = 1;
  if (acc > text_cap) text_cap = acc;
  nchunks++; /* the last (possibly empty) chunk ends the stream */
  starts[nchunks] = nrows;
  if (text_cap > (size_t)UINT32_MAX / 2) {
    st = gs_error_set(err, GS_ERR_RANGE, "%s: a single row is too long to write", path);
    goto fail;
  }
  size_t out_cap = text_cap + text_cap / 1000 + 1024; /* above deflateBound plus a flush */
  for (int c = 0; c < GZ_GROUP; c++) {
    chunks[c].text = gs_mem_alloc(text_cap, "dataset-write");
    chunks[c].out = gs_mem_alloc(out_cap, "dataset-write");
    if (!chunks[c].text || !chunks[c].out) {
      st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for the compressor", path);
      goto fail;
    }
  }
  GS_TRY(gs_atomic_open(&out, path, err));
  f = out.f;

  /* gzip header: deflate, no flags, mtime 0, no extra flags, OS unix. */
  static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  fwrite(header, 1, sizeof header, f);
  uLong crc = crc32(0L, Z_NULL, 0);
  uint64_t total = 0;

  for (int64_t first = 0; first < nchunks; first += GZ_GROUP) {
    int group = (int)(nchunks - first < GZ_GROUP ? nchunks - first : GZ_GROUP);
    /* Dynamic: chunks differ in cost, and each result lands in its own slot, so the
     * schedule cannot change the bytes written. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < group; c++) {
      gz_chunk *ch = &chunks[c];
      int64_t k = first + c;
      int64_t begin = starts[k], end = starts[k + 1];
      ch->text_len = begin < end ? fn(ctx, begin, end, ch->text) : 0;
      ch->crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)ch->text, (uInt)ch->text_len);
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      /* Raw deflate (negative window bits): the gzip wrapper is written once around all
       * chunks. Every chunk but the last ends with a sync flush (byte-aligned, not final). */
      ch->status = deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      if (ch->status == Z_OK) {
        zs.next_in = (Bytef *)ch->text;
        zs.avail_in = (uInt)ch->text_len;
        zs.next_out = ch->out;
        zs.avail_out = (uInt)out_cap;
        int flush = (k == nchunks - 1) ? Z_FINISH : Z_SYNC_FLUSH;
        int r = deflate(&zs, flush);
        /* A flush is complete only if output room was left over (zlib's contract). */
        bool done = flush == Z_FINISH ? r == Z_STREAM_END
                                      : (r == Z_OK && zs.avail_in == 0 && zs.avail_out > 0);
        ch->status = done ? Z_OK : Z_BUF_ERROR;
        ch->out_len = out_cap - zs.avail_out;
        deflateEnd(&zs);
      }
    }
    for (int c = 0; c < group; c++) {
      if (chunks[c].status != Z_OK) {
        st = gs_error_set(err, GS_ERR_INTERNAL, "%s: deflate failed (zlib code %d)", path,
                          chunks[c].status);
        goto fail;
      }
      if (fwrite(chunks[c].out, 1, chunks[c].out_len, f) != chunks[c].out_len) {
        st = gs_error_set(err, GS_ERR_IO, "%s: write error: %s", path, strerror(errno));
        goto fail;
      }
      crc = crc32_combine(crc, chunks[c].crc, (z_off_t)chunks[c].text_len);
      total += chunks[c].text_len;
    }
  }
  unsigned char trailer[8];
  put_le32(trailer, (uint32_t)crc);
  put_le32(trailer + 4, (uint32_t)(total & 0xffffffffu));
  fwrite(trailer, 1, sizeof trailer, f);
  GS_TRY(gs_atomic_close(&out, GS_OK, err));
  for (int c = 0; c < GZ_GROUP; c++) {
    gs_mem_free(chunks[c].text);
    gs_mem_free(chunks[c].out);
  }
  gs_mem_free(starts);
  return GS_OK;

fail:
  gs_atomic_close(&out, st, err);
  for (int c = 0; c < GZ_GROUP; c++) {
    gs_mem_free(chunks[c].text);
    gs_mem_free(chunks[c].out);
  }
  gs_mem_free(starts);
  return st;
}

gs_status gs__value_error(const gs__reader *r, const char *tok_start, int64_t field, int rc,
                          gs_error *err) {
  char tok[48];
  gs__token_excerpt(tok_start, tok, sizeof tok);
  if (rc == GS__NUM_NONFINITE)
    return gs_error_set(err, GS_ERR_NUMERIC, "%s:%lld: field %lld: '%s' is not a finite number",
                        r->path, (long long)r->line, (long long)field, tok);
  if (tok[0] == '\0')
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field %lld is empty", r->path,
                        (long long)r->line, (long long)field);
  return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: field %lld: '%s' is not a number", r->path,
                      (long long)r->line, (long long)field, tok);
}

gs_status gs__dense_open(gs__dense_reader *d, const char *path, const char *count_path,
                         int64_t n, int64_t meta_f, const char *meta_path, int64_t meta_line,
                         gs_error *err) {
  gs_status st = GS_OK;
  memset(d, 0, sizeof *d);
  d->count_path = count_path;
  d->n = n;
  GS_TRY(gs__reader_open(&d->r, path, err));
  GS_TRY(gs__reader_next(&d->r, &d->line, &d->len, err));
  if (!d->line) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s:1: empty file (expected %lld feature rows)", path,
                      (long long)n);
    goto fail;
  }
  d->f = gs__count_fields(d->line, d->len);
  if (d->f > GS__MAX_FEATURES) {
    st = gs_error_set(err, GS_ERR_RANGE, "%s:1: %lld fields exceed the limit of %lld features",
                      path, (long long)d->f, (long long)GS__MAX_FEATURES);
    goto fail;
  }
  if (meta_f >= 0 && meta_f != d->f) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s:1: %lld fields, but %s:%lld gives num_features %lld",
                      path, (long long)d->f, meta_path, (long long)meta_line, (long long)meta_f);
    goto fail;
  }
  return GS_OK;
fail:
  gs__reader_close(&d->r);
  return st;
}

gs_status gs__dense_row(gs__dense_reader *d, gs__dense_value_fn fn, void *ctx, bool *got,
                        gs_error *err) {
  gs__reader *r = &d->r;
  const char *path = r->path;
  const int64_t F = d->f;
  *got = false;
  /* The first line was read by gs__dense_open; later ones are read here, after the caller
   * has finished the previous row. */
  if (d->row > 0) {
    gs_status st = gs__reader_next(r, &d->line, &d->len, err);
    if (st != GS_OK) return st;
  }
  if (!d->line) {
    if (d->row < d->n)
      return gs_error_set(err, GS_ERR_MISMATCH,
                          "%s:%lld: file ends after %lld feature rows, but %s gives %lld nodes",
                          path, (long long)r->line, (long long)d->row, d->count_path,
                          (long long)d->n);
    return GS_OK;
  }
  if (d->row >= d->n)
    return gs_error_set(err, GS_ERR_MISMATCH,
                        "%s:%lld: more feature rows than the %lld nodes given by %s", path,
                        (long long)r->line, (long long)d->n, d->count_path);
  /* "0,0,0,0," as one little- or big-endian word: zeros dominate these files, and a word
   * compare skips four of them at once. */
  uint64_t zeros4;
  memcpy(&zeros4, "0,0,0,0,", 8);
  const char *p = d->line;
  const int64_t i = d->row;
  int64_t c = 0;
  for (;;) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (w == zeros4) {
      p += 8;
      c += 4;
      continue;
    }
    if (p[0] == '0' && (p[1] == ',' || p[1] == '\n')) {
      p++;
    } else {
      float v;
      if (p[0] == '1' && (p[1] == ',' || p[1] == '\n')) {
        v = 1.0f;
        p++;
      } else {
        const char *tok = p;
        int rc = gs__parse_float(&p, &v);
        if (rc != GS__NUM_OK || (*p != ',' && *p != '\n')) {
          if (rc == GS__NUM_OK || rc == GS__NUM_BAD) {
            int64_t fields = gs__count_fields(d->line, d->len);
            if (fields != F)
              return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected %lld fields, got %lld",
                                  path, (long long)r->line, (long long)F, (long long)fields);
            rc = GS__NUM_BAD;
          }
          return gs__value_error(r, tok, c + 1, rc, err);
        }
      }
      if (v != 0.0f && c < F) {
        gs_status st = fn(ctx, i, c, v, err);
        if (st != GS_OK) return st;
      }
    }
    c++;
    if (*p == '\n') break;
    p++;
  }
  if (c != F)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: expected %lld fields, got %lld", path,
                        (long long)r->line, (long long)F, (long long)c);
  d->row++;
  *got = true;
  return GS_OK;
}

void gs__dense_close(gs__dense_reader *d) { gs__reader_close(&d->r); }

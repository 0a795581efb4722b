/* Declarations shared by the files of datasets/ only: a chunked line reader over zlib (plain
 * files pass through gzopen's transparent mode), exact number parsers, a fast float
 * formatter, and a gzip writer that deflates chunks in parallel (pigz's scheme) and replaces
 * the destination by rename(2). */
#ifndef GS_DATASET_IMPL_H
#define GS_DATASET_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "core/runtime.h"
#include "core/status.h"
#include "datasets/dataset.h"

/* Sizes beyond these are rejected before anything is allocated: they are far above the
 * largest public node-classification graphs (ogbn-papers100M: 1.1e8 nodes, 1.6e9 edges), so
 * a count file that exceeds them is corrupt, not big. */
#define GS__MAX_NODES ((int64_t)1 << 32)
#define GS__MAX_EDGES ((int64_t)1 << 36)
#define GS__MAX_FEATURES ((int64_t)1 << 24)

/* Bytes read from zlib per call, and the longest line accepted (a dense feature line of a
 * 16M-column file would still fit). */
#define GS__READ_CHUNK ((size_t)1 << 20)
#define GS__MAX_LINE ((size_t)1 << 30)
/* Readable bytes kept after the data, so that the tokenizer may load 8 bytes at a time. */
#define GS__READ_PAD 16

typedef struct {
  gzFile gz;
  const char *path; /* as given by the caller; used in messages */
  char *buf;        /* [cap + GS__READ_PAD], gs_mem_alloc */
  size_t cap;
  size_t len;     /* bytes of data in buf */
  size_t pos;     /* start of the next line */
  size_t scanned; /* bytes after pos already known to hold no '\n' */
  int64_t line;   /* 1-based number of the line last returned (0 before the first) */
  bool eof;
} gs__reader;

/* Opens path (gzip or plain). GS_ERR_IO "path: cannot open: reason" when it cannot. */
gs_status gs__reader_open(gs__reader *r, const char *path, gs_error *err);

/* Returns the next line in *line (without its '\n', length *len); the byte line[*len] is
 * '\n' even for a last line that had none, and GS__READ_PAD further bytes are readable.
 * At end of file *line is NULL. Fails with GS_ERR_IO on a read error or a truncated gzip
 * stream, and with GS_ERR_PARSE on a line that ends in '\r' or is longer than GS__MAX_LINE. */
gs_status gs__reader_next(gs__reader *r, char **line, size_t *len, gs_error *err);

/* Closes the file and frees the buffer. Safe on a reader that failed to open or was zeroed. */
void gs__reader_close(gs__reader *r);

/* Result of the number parsers. */
enum { GS__NUM_OK = 0, GS__NUM_BAD = 1, GS__NUM_OVERFLOW = 2, GS__NUM_NONFINITE = 3 };

/* Parses a decimal integer at *p (an optional '-' only when allow_negative) and advances *p
 * past its digits; the caller checks the delimiter. GS__NUM_BAD when no digit is there,
 * GS__NUM_OVERFLOW beyond int64. */
int gs__parse_int64(const char **p, bool allow_negative, int64_t *value);

/* Parses a real number at *p that ends at one of the bytes ',', '\n', ' ', '\t' and advances
 * *p to that delimiter. The value is exactly what strtof gives: plain decimals whose digits
 * fit in 24 bits with at most 10 decimals are converted as m / 10^d in float arithmetic
 * (both exact, one correctly rounded division: Clinger's fast path); anything else goes to
 * strtof. GS__NUM_BAD for text that is not a number (also hex floats and leading spaces),
 * GS__NUM_NONFINITE for nan, inf or overflow. */
int gs__parse_float(const char **p, float *value);

/* Quotes the token starting at s (up to a delimiter, at most 40 bytes) into out. */
void gs__token_excerpt(const char *s, char *out, size_t out_size);

/* Number of comma-separated fields of a line of length len. */
int64_t gs__count_fields(const char *line, size_t len);

/* Writes a float so that strtof reads back the same float, without exponent notation:
 * the fewest decimals that round-trip when that is 10 or fewer and the digits fit 24 bits,
 * else "%.9g" (or "%.0f"/"%.*f" where %g would use an exponent). Returns the length; out
 * needs GS__FLOAT_CHARS bytes. */
#define GS__FLOAT_CHARS 64
size_t gs__format_float(float v, char *out);

/* Writes a decimal integer; returns the length (at most 20 characters, no terminator). */
size_t gs__format_int64(int64_t v, char *out);

/* An upper bound on the bytes of the text of row i. */
typedef size_t (*gs__row_bound_fn)(const void *ctx, int64_t row);

/* Formats rows [begin, end) into out (room for the sum of their bounds) and returns the
 * number of bytes written. */
typedef size_t (*gs__format_rows_fn)(const void *ctx, int64_t begin, int64_t end, char *out);

/* Writes nrows rows formatted by fn as one single-member gzip stream at `level` (header with
 * no name and mtime 0) to path, through a temporary file in the same folder and rename(2).
 * Rows are grouped into chunks of about 1 MiB of text (by their bounds), which are formatted
 * and deflated in parallel (OpenMP) and joined with Z_SYNC_FLUSH boundaries and a combined
 * CRC, so the bytes do not depend on the thread count. Files whose text may exceed 128 MiB
 * are deflated at level 1 whatever `level` says (see GZ_FAST_ABOVE). GS_ERR_IO on any file
 * error. */
gs_status gs__write_gz_rows(const char *path, int64_t nrows, gs__row_bound_fn bound,
                            gs__format_rows_fn fn, const void *ctx, int level, gs_error *err);

/* META.txt values the readers check; -1 (and line 0) when absent. */
typedef struct {
  bool present;
  char path[4352];
  int64_t nodes, edges, num_features, num_classes;
  int64_t nodes_line, edges_line, num_features_line, num_classes_line;
} gs__meta;

/* Reads dir/META.txt when it exists ("key: value" per line; keys repeat with '+' for
 * continuation lines, which need nothing here). GS_ERR_PARSE or GS_ERR_RANGE with file:line. */
gs_status gs__read_meta(const char *dir, gs__meta *meta, gs_error *err);

/* Reads a one-line count file (num-node-list.csv, num-edge-list.csv) holding a value in
 * [min, max]; `what` names it in messages ("nodes"). */
gs_status gs__read_count(const char *path, const char *what, int64_t min, int64_t max,
                         int64_t *value, gs_error *err);

/* Grows an array of elem-byte items (gs_mem_alloc'd, may be NULL) so that it holds at least
 * `need` items: doubles the capacity but never beyond max_items (need <= max_items). Lets a
 * reader trust a count file only as far as the data bears it out. */
gs_status gs__grow(void **array, int64_t *capacity, int64_t need, int64_t max_items, size_t elem,
                   const char *tag, gs_error *err);

/* Writes "a/b" into out (size cap); GS_ERR_INVALID "path too long" when it does not fit. */
/* Without META the feature width is the largest column + 1 and the first layer is sized by
 * it, so one stray column id must not make millions of columns: a width beyond twice the
 * entries (lines) plus 1024 is GS_ERR_RANGE naming the line of the largest column. */
gs_status gs__check_width(const char *path, int64_t max_col, int64_t max_col_line,
                          int64_t entries, gs_error *err);

gs_status gs__path_join(char *out, size_t cap, const char *a, const char *b, gs_error *err);

/* Sets err for a bad field (1-based) of the reader's current line from a parser result rc:
 * GS_ERR_NUMERIC for GS__NUM_NONFINITE, else GS_ERR_PARSE ("field k is empty" or "'tok' is
 * not a number"). Returns the status set. */
gs_status gs__value_error(const gs__reader *r, const char *tok_start, int64_t field, int rc,
                          gs_error *err);

/* A dense feature file (node-feat.csv.gz) read row by row: n lines of exactly f numbers. */
typedef struct {
  gs__reader r;
  const char *count_path; /* the file that gave n; used in messages */
  int64_t n;              /* rows expected */
  int64_t f;              /* fields per line, from the first line */
  int64_t row;            /* rows returned so far */
  char *line;             /* the current line, NULL at end of file */
  size_t len;
} gs__dense_reader;

/* Receives each non-zero value of a row: col in [0, f). */
typedef gs_status (*gs__dense_value_fn)(void *ctx, int64_t row, int64_t col, float v,
                                        gs_error *err);

/* Opens path and takes the width f from its first line, checked against the limit and
 * against META's num_features meta_f (from meta_path:meta_line) when meta_f >= 0. On failure
 * the reader is closed; gs__dense_close stays safe either way. */
gs_status gs__dense_open(gs__dense_reader *d, const char *path, const char *count_path,
                         int64_t n, int64_t meta_f, const char *meta_path, int64_t meta_line,
                         gs_error *err);

/* Parses the next row and passes its non-zeros to fn in column order; *got is false at the
 * end of the file (after checking that n rows were read). Errors name file and line. The
 * "0,0,0,0," word skip keeps zeros cheap. */
gs_status gs__dense_row(gs__dense_reader *d, gs__dense_value_fn fn, void *ctx, bool *got,
                        gs_error *err);

/* Closes the file. */
void gs__dense_close(gs__dense_reader *d);

/* Allocates an empty dataset (every pointer NULL). */
gs_status gs__dataset_new(gs_dataset **out, gs_error *err);

#endif

/* Small files, described once: a file written beside its final path and renamed into place
 * (so an interrupted write leaves the old file or none, never half of one), a reader of
 * line-oriented text files that numbers lines for messages ("profile.txt:4: ..."), and
 * mkdir -p. Used by the dataset writer, the column-ranking cache, the machine profile, the
 * search result and the planner's accuracy files. */
#ifndef GS_FILE_H
#define GS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

/* Longest path the helpers accept. */
#define GS_FILE_PATH_MAX 4352

/* ---- atomic writes ---- */

typedef struct {
  FILE *f;                            /* write the content here */
  const char *path;                   /* the final path (borrowed) */
  char tmp[GS_FILE_PATH_MAX + 16];    /* "<path>.tmp.XXXXXX" beside it */
} gs_atomic_file;

/* Creates the temporary file beside path, readable by others as umask allows (0666 & ~umask),
 * and opens a->f on it. Errors: GS_ERR_IO ("<path>: cannot create a temporary file: ..."), the
 * path too long. On failure nothing is left behind. */
gs_status gs_atomic_open(gs_atomic_file *a, const char *path, gs_error *err);

/* Finishes the write begun by gs_atomic_open. With st GS_OK: flushes, fsyncs, closes and
 * renames the temporary file onto the path, and returns GS_OK or GS_ERR_IO ("<path>: write
 * failed: ..."). With st a failure (the caller's own, already in err), or when any step
 * fails: closes and removes the temporary file and returns the failure. Always leaves a->f
 * NULL. */
gs_status gs_atomic_close(gs_atomic_file *a, gs_status st, gs_error *err);

/* Writes len bytes of data to path atomically (gs_atomic_open + gs_atomic_close). */
gs_status gs_atomic_write(const char *path, const void *data, size_t len, gs_error *err);

/* ---- line-oriented text ---- */

typedef struct {
  FILE *f;
  const char *path; /* borrowed, for messages */
  long line;        /* number of the line last read, 1-based */
  char *buf;        /* caller's buffer */
  size_t cap;
} gs_line_reader;

/* Opens path for reading lines of at most cap - 2 characters into the caller's buffer buf.
 * Errors: GS_ERR_NOT_FOUND or GS_ERR_IO ("<path>: cannot open: <reason>"). */
gs_status gs_line_open(gs_line_reader *r, const char *path, char *buf, size_t cap,
                       gs_error *err);

/* The next line that is neither blank nor a comment (first non-blank character '#'), trimmed
 * of spaces, tabs and the line end, into *line (inside the buffer; NULL at the end of the
 * file). Errors: GS_ERR_PARSE ("<path>:<n>: line longer than <k> characters"), GS_ERR_IO
 * ("<path>:<n>: read failed"). */
gs_status gs_line_next(gs_line_reader *r, char **line, gs_error *err);

/* Splits a line of the form "key = value" in place into its trimmed key and value. Errors:
 * GS_ERR_PARSE ("<path>:<n>: expected \"key = value\", got \"<line>\""). */
gs_status gs_line_key_value(gs_line_reader *r, char *line, char **key, char **value,
                            gs_error *err);

/* Closes the file (NULL-safe, repeatable). */
void gs_line_close(gs_line_reader *r);

/* Trims spaces, tabs, '\r' and '\n' from both ends of s in place; returns the new start. */
char *gs_trim(char *s);

/* ---- folders ---- */

/* mkdir -p path (mode 0755 & ~umask for the folders it makes). GS_ERR_IO ("<folder>: cannot
 * create folder: <reason>") when a part cannot be made or is not a folder. */
gs_status gs_mkdir_p(const char *path, gs_error *err);

/* mkdir -p of the folder that holds path ("a/b/c.txt" makes a/b; "c.txt" nothing). */
gs_status gs_mkdir_parent(const char *path, gs_error *err);

#endif

/* The results file of a sweep: JSON lines, one per finished run, each written so that it is
 * either whole or absent (one write() with O_APPEND, then fsync), so a sweep killed at any
 * moment (SIGKILL included) resumes from the runs the file holds. */
#ifndef GS_RESULTS_H
#define GS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
  int fd;
  char path[4096];
  int64_t lines;          /* whole lines found when opened */
  int64_t dropped_bytes;  /* bytes of a partial last line removed when opened */
  int64_t bad_lines;      /* lines that are not results of a sweep (left in place) */
  int64_t first_bad_line; /* the first of them (1-based), 0 if none */
  char **run_ids;         /* run_id of every whole result line, in file order */
  int64_t nrun_ids;
} gs_results;

/* Opens (creating) the results file for appending and takes an exclusive lock on it, so two
 * sweeps never write one file. A last line without its newline (a write cut short by a kill
 * or a full disk) is truncated away; the run_ids of the whole lines are read. Errors:
 * GS_ERR_IO (cannot open or lock: the message says when another sweep holds it), GS_ERR_NOMEM. */
gs_status gs_results_open(gs_results *r, const char *path, gs_error *err);

/* True when run_id has a line in the file (as opened or appended since). */
bool gs_results_has(const gs_results *r, const char *run_id);

/* Appends line (which must end with '\n' and hold no other newline) with one write() and
 * fsyncs it, then remembers run_id. A short write is undone (truncated) so that no partial
 * line stays. Errors: GS_ERR_IO, GS_ERR_INVALID (not one line). */
gs_status gs_results_append(gs_results *r, const char *run_id, const char *line, size_t len,
                            gs_error *err);

/* Releases the lock and closes. NULL-safe; safe after a failed open. */
void gs_results_close(gs_results *r);

#endif

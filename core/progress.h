/* Progress lines for long work (epochs, partitioning, sweeps): redrawn in place on a
 * terminal, silent when the stream is a pipe or a file, so logs stay clean. */
#ifndef GS_PROGRESS_H
#define GS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  FILE *stream;      /* where to draw (stderr by default) */
  bool enabled;      /* false when stream is not a terminal or when quiet */
  int64_t total;     /* total steps, 0 if unknown */
  double started;    /* gs_clock_seconds() at start */
  double last_draw;  /* throttles redraws to 10 per second */
  char label[64];
} gs_progress;

/* Starts a progress line on `stream`; enabled only if the stream is a terminal and !quiet. */
void gs_progress_start(gs_progress *p, FILE *stream, const char *label, int64_t total, bool quiet);

/* Redraws "label  step/total  elapsed  detail" (at most 10 times per second). */
void gs_progress_update(gs_progress *p, int64_t step, const char *detail);

/* Clears the line. */
void gs_progress_finish(gs_progress *p);

#endif

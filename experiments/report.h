/* Reports of sweep results: test accuracy as mean ± sample std over seeds, grouped by every
 * setting but the seed, in Markdown and CSV, and gnuplot scripts with their data files for
 * accuracy against FLOPs per epoch, peak memory and epoch time (one panel per dataset and
 * setting, one line per strategy), and the cost model's predictions against measurement,
 * rendered to SVG and PNG. Lines that are not results, failed runs and repeated run_ids are
 * reported with their line numbers and left out, never averaged. */
#ifndef GS_REPORT_H
#define GS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
  int64_t lines;       /* lines read */
  int64_t results;     /* results used */
  int64_t failed;      /* lines of failed runs (skipped) */
  int64_t bad;         /* lines that are not results of a sweep (skipped) */
  int64_t repeated;    /* results whose run_id an earlier line had (skipped) */
  int64_t groups;      /* rows of the table */
  int64_t panels;      /* panels of each accuracy figure */
  int32_t rendered;    /* figures rendered by gnuplot */
} gs_report_summary;

/* Receives each skipped line's message ("RESULTS:12: not JSON: ...") as it is found. */
typedef void (*gs_report_note)(void *ctx, const char *message);

/* Reads the results file at path and writes into the folder out_dir (created if missing):
 * results.md, results.csv, panel<i>.dat, predicted.dat and for each figure F a script F.gp,
 * rendered by running `gnuplot` (the program named; NULL: write the scripts only) to F.svg and
 * F.png. Each file is written to a temporary name and renamed. Errors: GS_ERR_IO (unreadable
 * results, unwritable folder, gnuplot missing or failing), GS_ERR_INVALID (no usable result),
 * GS_ERR_NOMEM. */
gs_status gs_report_write(gs_report_summary *summary, const char *path, const char *out_dir,
                          const char *gnuplot, gs_report_note note, void *ctx, gs_error *err);

#endif

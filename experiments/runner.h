/* Runs the pending runs of a sweep: each as a child `gnnscale train --json` process (fork and
 * exec, so no OpenMP state crosses a fork), `jobs` at a time with the threads divided among
 * them, and appends each finished run's result line to the results file. Children die with the
 * sweep (PR_SET_PDEATHSIG), so a killed sweep leaves no run behind and no line half-written;
 * started again it runs what the file does not hold. */
#ifndef GS_RUNNER_H
#define GS_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "experiments/results.h"
#include "experiments/sweep.h"

typedef struct {
  const char *exe;                 /* the gnnscale program the children run */
  int jobs;                        /* runs at a time, >= 1 */
  int threads;                     /* threads of each run, >= 1 */
  const double *predicted_seconds; /* [runs] predicted seconds of each run (< 0 unknown), or
                                      NULL: for the time left on the progress line */
  FILE *progress;                  /* progress line (NULL or not a terminal: none) */
  const char *git_rev;             /* recorded in each line */
  const char *machine;
} gs_runner_options;

typedef struct {
  int64_t runs;          /* unique runs of the sweep */
  int64_t already_done;  /* found in the results file */
  int64_t ran;           /* run now */
  int64_t failed;        /* of those, ended with an error (recorded as "status":"failed") */
  double wall_seconds;
  double train_seconds;  /* sum over the runs now of epochs_run x epoch time */
  double predicted_seconds; /* sum over the runs now of their predictions (predicted_seconds
                               of the options: loading and the epochs given) */
  double recorded_predicted_seconds; /* sum over the runs now of the epoch time each run
                                        predicted and recorded x the epochs given */
} gs_runner_summary;

/* Runs every run of sw that res does not hold. Errors: GS_ERR_IO (results file, fork),
 * GS_ERR_NOMEM. A run that fails is recorded, not an error of the sweep. */
gs_status gs_runner_run(gs_runner_summary *summary, const gs_sweep *sw, gs_results *res,
                        const gs_runner_options *o, gs_error *err);

/* The result line (ending in '\n') of one finished run, from the child's stdout (the JSON of
 * `gnnscale train --json`), its wait status and its stderr; malloc'd into *line. A child that
 * failed or printed no JSON gives a "status":"failed" line with the reason. */
gs_status gs_runner_result_line(char **line, size_t *len, const gs_sweep *sw,
                                const gs_sweep_run *run, const char *child_out,
                                int wait_status, const char *child_err, double wall_seconds,
                                const gs_runner_options *o, gs_error *err);

#endif

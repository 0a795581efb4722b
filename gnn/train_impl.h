/* The epoch bookkeeping that gs_train (gnn/train.c) and gs_cluster_train (gnn/cluster.c)
 * share: the per-epoch log (allocated before the first epoch, under "train_log"), model
 * selection on validation accuracy (ties by the lower loss), early stopping, progress and the
 * medians of the result. Library-internal. */
#ifndef GS_TRAIN_IMPL_H
#define GS_TRAIN_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/flops.h"
#include "core/progress.h"
#include "core/status.h"
#include "gnn/train.h"

typedef struct {
  int32_t epochs;
  /* [epochs] seconds: the epoch, its training, its evaluation and (Cluster-GCN) its batch
   * building; kernel [category][epoch] */
  double *times, *train_times, *eval_times, *build_times, *kernel_times;
  double kernel_clock[GS_FLOPS_CATEGORIES]; /* category clocks at the epoch's start */
  double started;
  int32_t since_best;
  double best_loss_seen, best_acc_seen;
  gs_progress progress;
  gs_train_result res; /* filled as epochs run; the caller sets test_acc and train_acc */
} gs__epochs;

/* Allocates the log for opts->epochs epochs (with build_times when `build`: (4 +
 * GS_FLOPS_CATEGORIES) doubles per epoch, else 3 + GS_FLOPS_CATEGORIES) and starts the
 * progress line. Errors: GS_ERR_NOMEM. On failure everything is freed. */
gs_status gs__epochs_open(gs__epochs *e, const gs_train_options *opts, bool build,
                          gs_error *err);

/* Reads the kernel clocks at the start of an epoch. */
void gs__epochs_begin(gs__epochs *e);

/* Records epoch (1-based) whose training ran from t0 to t1 and evaluation from t1 to t2 (of
 * which `build` seconds built batches), and its training loss and validation figures.
 * Returns true when it is the best epoch so far (the caller then records its test and
 * training accuracy in e->res). */
bool gs__epochs_record(gs__epochs *e, int32_t epoch, double t0, double t1, double t2,
                       double build, double train_loss, double val_acc, double val_loss);

/* Early stopping and progress after the epoch recorded: true when patience ran out. */
bool gs__epochs_stop(const gs__epochs *e, const gs_train_options *opts);

/* Ends the progress line and fills *out with the result: the medians over the epochs run
 * (kernels' over every epoch but the first, which warms caches and thread pools), the total
 * time and the allocator's peak (flops_per_epoch left to the caller). */
void gs__epochs_finish(gs__epochs *e, gs_train_result *out);

/* Frees the log. NULL-safe for a zeroed or opened struct. */
void gs__epochs_free(gs__epochs *e);

#endif

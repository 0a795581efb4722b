/* Full-batch training of a GCN with Adam, best-validation model selection and early
 * stopping, as in Kipf & Welling (2017): each epoch is one training step (forward with
 * dropout, loss on the training nodes, backward, weight decay, Adam) and one evaluation
 * forward without dropout that scores the validation and test nodes. */
#ifndef GS_TRAIN_H
#define GS_TRAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/flops.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "gnn/adam.h"
#include "gnn/model.h"

typedef struct {
  int32_t epochs;          /* 200 */
  double lr;               /* 0.01 */
  double weight_decay;     /* 5e-4 */
  gs_decay_scope decay_scope;
  int32_t patience;        /* stop after this many epochs without a better validation
                              accuracy or loss; 0 = never stop early (default 100) */
  FILE *progress;          /* terminal progress (NULL: none) */
  const char *progress_label;
} gs_train_options;

gs_train_options gs_train_options_default(void);

typedef struct {
  int32_t epochs_run;
  int32_t best_epoch;      /* 1-based epoch whose validation accuracy was best */
  double best_val_acc;
  double best_val_loss;
  double test_acc;         /* at best_epoch */
  double train_acc;        /* at best_epoch */
  double final_train_loss;
  double epoch_seconds_median; /* train step + evaluation */
  double train_seconds_median;
  double eval_seconds_median;
  /* Cluster-GCN: seconds per epoch spent building and binding batches (reading their parts,
   * inducing and normalising the subgraph, preparing the features, rebuilding Xᵀ), training
   * and evaluation together, the median over the epochs; 0 for full-batch training. */
  double build_seconds_median;
  double total_seconds;
  /* Seconds per epoch spent in the kernels of each category (core/flops.h), the median over
   * every epoch but the first (which warms caches and thread pools); the rest of the epoch
   * (memsets, loop and accuracy bookkeeping) is about epoch_seconds minus their sum. */
  double kernel_seconds_median[GS_FLOPS_CATEGORIES];
  int64_t peak_bytes;      /* counting allocator's high-water mark during training */
  int64_t flops_per_epoch; /* from the model layout plus loss and optimiser */
} gs_train_result;

/* Trains m on the nodes of ds's split. The graph and features are those m was built with.
 * Errors: GS_ERR_INVALID when the split has no training or validation nodes, GS_ERR_NUMERIC
 * when the loss becomes NaN or infinite. Allocates only before the first epoch. */
gs_status gs_train(gs_train_result *result, gs_model *m, const gs_dataset *ds,
                   const gs_train_options *opts, gs_error *err);

/* One training step at `epoch` (1-based; it picks the dropout masks and Adam's bias
 * correction): forward with dropout, softmax cross-entropy over ds's training nodes,
 * backward, weight decay on the weights in opts->decay_scope, one Adam step with opts->lr.
 * *loss receives the training loss before the update; the model's gradient block holds the
 * gradient that was applied (weight decay included). GS_ERR_NUMERIC when the loss is not
 * finite (the parameters are then left unchanged). The trainer's epoch calls it, and so does
 * bench/step_dump.c, which compares it with PyTorch. */
gs_status gs_train_step(gs_model *m, const gs_dataset *ds, const gs_train_options *opts,
                        int32_t epoch, double *loss, gs_error *err);

/* FLOPs the trainer adds per epoch to the layout's: loss and gradient on the training nodes,
 * weight decay and Adam. */
int64_t gs_train_extra_flops(const gs_model_layout *layout, int64_t train_nodes,
                             gs_decay_scope scope, double weight_decay);

#endif

/* The training loop (see train.h). Model selection: the epoch with the best validation
 * accuracy, ties broken by the lower validation loss; its test accuracy is reported. */
#include "gnn/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "gnn/loss.h"

gs_train_options gs_train_options_default(void) {
  gs_train_options o = {.epochs = 200, .lr = 0.01, .weight_decay = 5e-4,
                        .decay_scope = GS_DECAY_FIRST, .patience = 100, .progress = NULL,
                        .progress_label = "train"};
  return o;
}

int64_t gs_train_extra_flops(const gs_model_layout *layout, int64_t train_nodes,
                             gs_decay_scope scope, double weight_decay) {
  int64_t decayed = 0;
  if (weight_decay != 0.0) {
    int32_t layers = scope == GS_DECAY_ALL ? layout->depth : 1;
    for (int32_t l = 0; l < layers; l++) decayed += layout->layer[l].weights;
  }
  return 5 * train_nodes * layout->shape.classes + 2 * decayed + 10 * layout->params;
}

gs_status gs_train_step(gs_model *m, const gs_dataset *ds, const gs_train_options *opts,
                        int32_t epoch, double *loss, gs_error *err) {
  const gs_model_layout *L = gs_model_layout_of(m);
  const float *logits = NULL;
  float *dlogits = gs_model_dlogits(m);
  gs_status st = gs_model_forward(m, true, epoch, &logits, err);
  if (st != GS_OK) return st;
  double l = gs_softmax_xent(dlogits, logits, ds->labels, ds->train, ds->num_train,
                             L->shape.nodes, L->shape.classes);
  *loss = l;
  if (!isfinite(l))
    return gs_error_set(err, GS_ERR_NUMERIC, "training loss became %g at epoch %d", l, epoch);
  gs_model_zero_grad(m);
  st = gs_model_backward(m, dlogits, epoch, err);
  if (st != GS_OK) return st;
  gs_model_apply_decay(m, opts->weight_decay, opts->decay_scope);
  gs_adam_config adam = gs_adam_default();
  adam.lr = opts->lr;
  gs_adam_step(gs_model_params(m), gs_model_grads(m), gs_model_adam_m(m), gs_model_adam_v(m),
               L->params, epoch, &adam);
  return GS_OK;
}

gs_status gs_train(gs_train_result *result, gs_model *m, const gs_dataset *ds,
                   const gs_train_options *opts, gs_error *err) {
  gs_status st = GS_OK;
  double *times = NULL, *train_times = NULL, *eval_times = NULL, *kernel_times = NULL;
  const gs_model_layout *L = gs_model_layout_of(m);
  const int64_t c = L->shape.classes;
  if (ds->num_train < 1 || ds->num_valid < 1)
    return gs_error_set(err, GS_ERR_INVALID,
                        "split '%s' needs training and validation nodes (has %lld and %lld)",
                        ds->split_name, (long long)ds->num_train, (long long)ds->num_valid);
  if (opts->epochs < 1) return gs_error_set(err, GS_ERR_INVALID, "epochs must be at least 1");
  if (!(opts->lr > 0.0) || !isfinite(opts->lr))
    return gs_error_set(err, GS_ERR_INVALID, "learning rate %g must be positive", opts->lr);
  if (!(opts->weight_decay >= 0.0) || !isfinite(opts->weight_decay))
    return gs_error_set(err, GS_ERR_INVALID, "weight decay %g must be >= 0", opts->weight_decay);

  int32_t epochs = opts->epochs;
  times = gs_mem_alloc((size_t)epochs * sizeof *times, "train_log");
  train_times = gs_mem_alloc((size_t)epochs * sizeof *train_times, "train_log");
  eval_times = gs_mem_alloc((size_t)epochs * sizeof *eval_times, "train_log");
  /* [category][epoch]: seconds each category's kernels took in each epoch */
  kernel_times = gs_mem_alloc((size_t)epochs * GS_FLOPS_CATEGORIES * sizeof *kernel_times,
                              "train_log");
  if (!times || !train_times || !eval_times || !kernel_times) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for the training log");
    goto fail;
  }
  gs_train_result res;
  memset(&res, 0, sizeof res);
  res.best_val_acc = -1.0;
  res.best_val_loss = INFINITY;
  gs_progress progress;
  gs_progress_start(&progress, opts->progress, opts->progress_label, epochs, opts->progress == NULL);
  int32_t since_best = 0;
  double best_loss_seen = INFINITY, best_acc_seen = -1.0;
  const double started = gs_clock_seconds();
  double kernel_clock[GS_FLOPS_CATEGORIES]; /* category clocks at the epoch's start */

  for (int32_t epoch = 1; epoch <= epochs; epoch++) {
    for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
      kernel_clock[i] = gs_flops_seconds((gs_flops_category)i);
    double t0 = gs_clock_seconds();
    const float *logits = NULL;
    double loss = 0.0;
    GS_TRY(gs_train_step(m, ds, opts, epoch, &loss, err));
    double t1 = gs_clock_seconds();

    GS_TRY(gs_model_forward(m, false, epoch, &logits, err));
    double val_loss = gs_softmax_xent(NULL, logits, ds->labels, ds->valid, ds->num_valid,
                                      L->shape.nodes, c);
    double val_acc = gs_accuracy(logits, ds->labels, ds->valid, ds->num_valid, c);
    double t2 = gs_clock_seconds();
    train_times[epoch - 1] = t1 - t0;
    eval_times[epoch - 1] = t2 - t1;
    times[epoch - 1] = t2 - t0;
    res.epochs_run = epoch;
    res.final_train_loss = loss;
    for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
      kernel_times[i * epochs + epoch - 1] =
          gs_flops_seconds((gs_flops_category)i) - kernel_clock[i];

    if (val_acc > res.best_val_acc || (val_acc == res.best_val_acc && val_loss < res.best_val_loss)) {
      res.best_val_acc = val_acc;
      res.best_val_loss = val_loss;
      res.best_epoch = epoch;
      res.test_acc = ds->num_test > 0 ? gs_accuracy(logits, ds->labels, ds->test, ds->num_test, c) : 0.0;
      res.train_acc = gs_accuracy(logits, ds->labels, ds->train, ds->num_train, c);
    }
    /* Early stopping: patience counts epochs with neither a better accuracy nor loss. */
    if (val_acc > best_acc_seen || val_loss < best_loss_seen) {
      since_best = 0;
      if (val_acc > best_acc_seen) best_acc_seen = val_acc;
      if (val_loss < best_loss_seen) best_loss_seen = val_loss;
    } else {
      since_best++;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "loss %.4f  val %.2f%%  best %.2f%% @%d", loss, 100 * val_acc,
             100 * res.best_val_acc, res.best_epoch);
    gs_progress_update(&progress, epoch, detail);
    if (opts->patience > 0 && since_best >= opts->patience) break;
  }
  gs_progress_finish(&progress);
  res.total_seconds = gs_clock_seconds() - started;
  res.epoch_seconds_median = gs_median(times, res.epochs_run);
  res.train_seconds_median = gs_median(train_times, res.epochs_run);
  res.eval_seconds_median = gs_median(eval_times, res.epochs_run);
  /* Category medians over every epoch but the first (which warms caches and thread pools). */
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++) {
    double *log = kernel_times + i * epochs;
    res.kernel_seconds_median[i] =
        res.epochs_run > 1 ? gs_median(log + 1, res.epochs_run - 1) : log[0];
  }
  res.peak_bytes = gs_mem_peak();
  res.flops_per_epoch = L->train_flops.total + L->eval_flops.total +
                        gs_train_extra_flops(L, ds->num_train, opts->decay_scope, opts->weight_decay);
  *result = res;
fail:
  gs_mem_free(times);
  gs_mem_free(train_times);
  gs_mem_free(eval_times);
  gs_mem_free(kernel_times);
  return st;
}

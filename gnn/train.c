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
#include "gnn/train_impl.h"

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

gs_status gs__epochs_open(gs__epochs *e, const gs_train_options *opts, bool build,
                          gs_error *err) {
  memset(e, 0, sizeof *e);
  const int32_t epochs = opts->epochs;
  e->epochs = epochs;
  e->times = gs_mem_alloc((size_t)epochs * sizeof *e->times, "train_log");
  e->train_times = gs_mem_alloc((size_t)epochs * sizeof *e->train_times, "train_log");
  e->eval_times = gs_mem_alloc((size_t)epochs * sizeof *e->eval_times, "train_log");
  e->kernel_times = gs_mem_alloc((size_t)epochs * GS_FLOPS_CATEGORIES * sizeof *e->kernel_times,
                                 "train_log");
  if (build) e->build_times = gs_mem_alloc((size_t)epochs * sizeof *e->build_times, "train_log");
  if (!e->times || !e->train_times || !e->eval_times || !e->kernel_times ||
      (build && !e->build_times)) {
    gs__epochs_free(e);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory for the training log");
  }
  e->res.best_val_acc = -1.0;
  e->res.best_val_loss = INFINITY;
  e->best_loss_seen = INFINITY;
  e->best_acc_seen = -1.0;
  gs_progress_start(&e->progress, opts->progress, opts->progress_label, epochs,
                    opts->progress == NULL);
  e->started = gs_clock_seconds();
  return GS_OK;
}

void gs__epochs_begin(gs__epochs *e) {
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
    e->kernel_clock[i] = gs_flops_seconds((gs_flops_category)i);
}

bool gs__epochs_record(gs__epochs *e, int32_t epoch, double t0, double t1, double t2,
                       double build, double train_loss, double val_acc, double val_loss) {
  gs_train_result *res = &e->res;
  e->train_times[epoch - 1] = t1 - t0;
  e->eval_times[epoch - 1] = t2 - t1;
  e->times[epoch - 1] = t2 - t0;
  if (e->build_times) e->build_times[epoch - 1] = build;
  res->epochs_run = epoch;
  res->final_train_loss = train_loss;
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
    e->kernel_times[i * e->epochs + epoch - 1] =
        gs_flops_seconds((gs_flops_category)i) - e->kernel_clock[i];
  const bool best =
      val_acc > res->best_val_acc || (val_acc == res->best_val_acc && val_loss < res->best_val_loss);
  if (best) {
    res->best_val_acc = val_acc;
    res->best_val_loss = val_loss;
    res->best_epoch = epoch;
  }
  /* Early stopping: patience counts epochs with neither a better accuracy nor loss. */
  if (val_acc > e->best_acc_seen || val_loss < e->best_loss_seen) {
    e->since_best = 0;
    if (val_acc > e->best_acc_seen) e->best_acc_seen = val_acc;
    if (val_loss < e->best_loss_seen) e->best_loss_seen = val_loss;
  } else {
    e->since_best++;
  }
  char detail[128];
  snprintf(detail, sizeof detail, "loss %.4f  val %.2f%%  best %.2f%% @%d", train_loss,
           100 * val_acc, 100 * res->best_val_acc, res->best_epoch);
  gs_progress_update(&e->progress, epoch, detail);
  return best;
}

bool gs__epochs_stop(const gs__epochs *e, const gs_train_options *opts) {
  return opts->patience > 0 && e->since_best >= opts->patience;
}

void gs__epochs_finish(gs__epochs *e, gs_train_result *out) {
  gs_progress_finish(&e->progress);
  gs_train_result res = e->res;
  const int32_t run = res.epochs_run;
  res.total_seconds = gs_clock_seconds() - e->started;
  res.epoch_seconds_median = gs_median(e->times, run);
  res.train_seconds_median = gs_median(e->train_times, run);
  res.eval_seconds_median = gs_median(e->eval_times, run);
  res.build_seconds_median = e->build_times ? gs_median(e->build_times, run) : 0.0;
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++) {
    double *log = e->kernel_times + i * e->epochs;
    res.kernel_seconds_median[i] = run > 1 ? gs_median(log + 1, run - 1) : log[0];
  }
  res.peak_bytes = gs_mem_peak();
  *out = res;
}

void gs__epochs_free(gs__epochs *e) {
  gs_mem_free(e->times);
  gs_mem_free(e->train_times);
  gs_mem_free(e->eval_times);
  gs_mem_free(e->kernel_times);
  gs_mem_free(e->build_times);
  e->times = e->train_times = e->eval_times = e->kernel_times = e->build_times = NULL;
}

gs_status gs_train(gs_train_result *result, gs_model *m, const gs_dataset *ds,
                   const gs_train_options *opts, gs_error *err) {
  gs_status st = GS_OK;
  gs__epochs e;
  memset(&e, 0, sizeof e);
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
  GS_TRY(gs__epochs_open(&e, opts, false, err));
  for (int32_t epoch = 1; epoch <= opts->epochs; epoch++) {
    gs__epochs_begin(&e);
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
    if (gs__epochs_record(&e, epoch, t0, t1, t2, 0.0, loss, val_acc, val_loss)) {
      e.res.test_acc =
          ds->num_test > 0 ? gs_accuracy(logits, ds->labels, ds->test, ds->num_test, c) : 0.0;
      e.res.train_acc = gs_accuracy(logits, ds->labels, ds->train, ds->num_train, c);
    }
    if (gs__epochs_stop(&e, opts)) break;
  }
  gs_train_result res;
  gs__epochs_finish(&e, &res);
  res.flops_per_epoch = L->train_flops.total + L->eval_flops.total +
                        gs_train_extra_flops(L, ds->num_train, opts->decay_scope, opts->weight_decay);
  *result = res;
fail:
  gs__epochs_free(&e);
  return st;
}

/* gnnscale train: train a GCN over one or more seeds and report test accuracy (mean ± std),
 * the median epoch time and peak memory, as text or as one JSON object (--json). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "gnn/model.h"
#include "gnn/train.h"

#define MAX_SEEDS 1000

static void train_usage(FILE *f) {
  fputs(
      "usage: gnnscale train --data DIR [options]\n"
      "  --data DIR            dataset folder (datasets/data/cora) or edge-list file\n"
      "  --split NAME          split folder (default: public, else the first)\n"
      "  --depth L             GCN layers (default 2)\n"
      "  --width H             hidden width (default 16)\n"
      "  --epochs N            maximum epochs (default 200)\n"
      "  --lr X                Adam learning rate (default 0.01)\n"
      "  --weight-decay X      L2 on weights (default 5e-4)\n"
      "  --decay first|all     layers whose weights decay (default first, as Kipf & Welling)\n"
      "  --dropout X           dropout rate before every layer (default 0.5)\n"
      "  --patience N          stop after N epochs without a better validation accuracy or\n"
      "                        loss; 0 = never (default 100)\n"
      "  --residual            residual connections on hidden layers (depth >= 3)\n"
      "  --layernorm           LayerNorm before each hidden ReLU\n"
      "  --order auto|transform|aggregate   layer product order (default auto: fewer FLOPs)\n"
      "  --features rownorm|raw|binary      feature preprocessing (default rownorm)\n"
      "  --norm sym|row|none   adjacency normalisation (default sym: D^-1/2 (A+I) D^-1/2)\n"
      "  --seed S              first seed (default 0)\n"
      "  --seeds K             train K seeds S..S+K-1 and report mean ± std (default 1)\n"
      "  --threads T           threads (default 0: all cores)\n"
      "  --json                print one JSON object on stdout\n"
      "  --quiet               no progress line\n",
      f);
}

typedef struct {
  uint64_t seed;
  gs_train_result r;
} seed_run;

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int gs_cmd_train(int argc, char **argv) {
  const char *data = NULL, *split = NULL;
  gs_model_config cfg = gs_model_config_default();
  gs_train_options topt = gs_train_options_default();
  gs_featprep prep = GS_FEATPREP_ROWNORM;
  gs_norm norm = GS_NORM_SYM;
  int64_t seeds = 1, seed0 = 0, threads = 0, v = 0;
  double x = 0;
  bool json = false, quiet = false;
  gs_args a;
  gs_args_init(&a, argc, argv, 2);
  const char *opt;
  while ((opt = gs_args_next(&a))) {
    if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
      train_usage(stdout);
      return 0;
    } else if (!strcmp(opt, "--data")) data = gs_args_value(&a);
    else if (!strcmp(opt, "--split")) split = gs_args_value(&a);
    else if (!strcmp(opt, "--depth")) { if (gs_args_int(&a, 1, GS_MAX_LAYERS, &v)) cfg.depth = (int32_t)v; }
    else if (!strcmp(opt, "--width")) { if (gs_args_int(&a, 1, 1 << 20, &v)) cfg.width = v; }
    else if (!strcmp(opt, "--epochs")) { if (gs_args_int(&a, 1, 1000000, &v)) topt.epochs = (int32_t)v; }
    else if (!strcmp(opt, "--lr")) { if (gs_args_double(&a, 1e-12, 10.0, &x)) topt.lr = x; }
    else if (!strcmp(opt, "--weight-decay")) { if (gs_args_double(&a, 0.0, 10.0, &x)) topt.weight_decay = x; }
    else if (!strcmp(opt, "--dropout")) { if (gs_args_double(&a, 0.0, 0.99, &x)) cfg.dropout = (float)x; }
    else if (!strcmp(opt, "--patience")) { if (gs_args_int(&a, 0, 1000000, &v)) topt.patience = (int32_t)v; }
    else if (!strcmp(opt, "--seed")) { if (gs_args_int(&a, 0, INT64_MAX / 2, &v)) seed0 = v; }
    else if (!strcmp(opt, "--seeds")) { if (gs_args_int(&a, 1, MAX_SEEDS, &v)) seeds = v; }
    else if (!strcmp(opt, "--threads")) { if (gs_args_int(&a, 0, 1024, &v)) threads = v; }
    else if (!strcmp(opt, "--residual")) cfg.residual = true;
    else if (!strcmp(opt, "--layernorm")) cfg.norm = true;
    else if (!strcmp(opt, "--json")) json = true;
    else if (!strcmp(opt, "--quiet")) quiet = true;
    else if (!strcmp(opt, "--decay")) {
      const char *s = gs_args_value(&a);
      if (s && !strcmp(s, "first")) topt.decay_scope = GS_DECAY_FIRST;
      else if (s && !strcmp(s, "all")) topt.decay_scope = GS_DECAY_ALL;
      else if (s) gs_args_fail(&a, "option --decay: '%s' is not first or all", s);
    } else if (!strcmp(opt, "--order")) {
      const char *s = gs_args_value(&a);
      if (s && !strcmp(s, "auto")) cfg.order = GS_ORDER_AUTO;
      else if (s && !strcmp(s, "transform")) cfg.order = GS_ORDER_TRANSFORM_FIRST;
      else if (s && !strcmp(s, "aggregate")) cfg.order = GS_ORDER_AGGREGATE_FIRST;
      else if (s) gs_args_fail(&a, "option --order: '%s' is not auto, transform or aggregate", s);
    } else if (!strcmp(opt, "--features")) {
      const char *s = gs_args_value(&a);
      if (s && !gs_cli_parse_featprep(s, &prep))
        gs_args_fail(&a, "option --features: '%s' is not rownorm, raw or binary", s);
    } else if (!strcmp(opt, "--norm")) {
      const char *s = gs_args_value(&a);
      if (s && !gs_cli_parse_norm(s, &norm)) gs_args_fail(&a, "option --norm: '%s' is not sym, row or none", s);
    } else {
      gs_args_fail(&a, "unknown option '%s'", opt);
    }
  }
  if (!a.failed && !data) gs_args_fail(&a, "--data DIR is required (for example --data datasets/data/cora)");
  if (a.failed) {
    fprintf(stderr, "gnnscale train: %s\n", a.error);
    train_usage(stderr);
    return 2;
  }

  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_model *m = NULL;
  seed_run *runs = NULL;
  int exit_code = 1;
  GS_TRY(gs_runtime_init((int)threads, &err));
  double t_load = gs_clock_seconds();
  GS_TRY(gs_cli_load(&ds, &g, data, split, prep, norm, &err));
  t_load = gs_clock_seconds() - t_load;
  if (ds->x.kind == GS_FEATURES_NONE || !ds->labels || ds->num_train == 0) {
    st = gs_error_set(&err, GS_ERR_INVALID,
                      "%s has no features, labels or split: training needs all three", data);
    goto fail;
  }
  runs = calloc((size_t)seeds, sizeof *runs);
  if (!runs) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  bool show = !quiet && !json;
  const gs_graph_stats gst = gs_graph_stats_of(g);
  if (show) {
    printf("dataset %s: %lld nodes, %lld non-zeros in A_hat, %lld features (%s, %.2f%% non-zero), "
           "%d classes, split %s %lld/%lld/%lld (loaded in %.2f s)\n",
           ds->name, (long long)ds->num_nodes, (long long)gst.nnz, (long long)ds->x.cols,
           ds->x.kind == GS_FEATURES_SPARSE ? "sparse" : "dense",
           100.0 * (double)ds->x.nnz / ((double)ds->x.rows * (double)ds->x.cols), ds->num_classes,
           ds->split_name, (long long)ds->num_train, (long long)ds->num_valid,
           (long long)ds->num_test, t_load);
  }
  int64_t model_params = 0;
  for (int64_t s = 0; s < seeds; s++) {
    cfg.seed = (uint64_t)(seed0 + s);
    gs_mem_reset_peak();
    GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, &err));
    const gs_model_layout *L = gs_model_layout_of(m);
    model_params = L->params;
    if (show && s == 0) {
      printf("model: GCN depth %d, width %lld, dropout %.2f%s%s, %lld parameters, layer order",
             (int)cfg.depth, (long long)cfg.width, (double)cfg.dropout,
             L->residual_mode ? ", residual" : "", cfg.norm ? ", layernorm" : "",
             (long long)L->params);
      for (int32_t l = 0; l < L->depth; l++)
        printf(" %s", L->layer[l].aggregate_first ? "(AH)W" : "A(HW)");
      printf("; %d threads\n", gs_runtime_threads());
    }
    char label[64];
    snprintf(label, sizeof label, "seed %lld", (long long)cfg.seed);
    topt.progress = quiet || json ? NULL : stderr;
    topt.progress_label = label;
    st = gs_train(&runs[s].r, m, ds, &topt, &err);
    gs_model_free(&m);
    if (st != GS_OK) goto fail;
    runs[s].seed = cfg.seed;
    const gs_train_result *r = &runs[s].r;
    if (show)
      printf("seed %-4lld test %.2f%%  val %.2f%%  best epoch %d of %d  epoch %.2f ms "
             "(train %.2f, eval %.2f)\n",
             (long long)cfg.seed, 100 * r->test_acc, 100 * r->best_val_acc, r->best_epoch,
             r->epochs_run, 1e3 * r->epoch_seconds_median, 1e3 * r->train_seconds_median,
             1e3 * r->eval_seconds_median);
  }
  /* Summary over seeds: sample standard deviation, median of the per-seed epoch medians. */
  double mean = 0, var = 0, peak = 0;
  double *med = calloc((size_t)seeds, sizeof *med);
  if (!med) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int64_t s = 0; s < seeds; s++) {
    mean += runs[s].r.test_acc;
    med[s] = runs[s].r.epoch_seconds_median;
    if ((double)runs[s].r.peak_bytes > peak) peak = (double)runs[s].r.peak_bytes;
  }
  mean /= (double)seeds;
  for (int64_t s = 0; s < seeds; s++) var += (runs[s].r.test_acc - mean) * (runs[s].r.test_acc - mean);
  double std = seeds > 1 ? sqrt(var / (double)(seeds - 1)) : 0.0;
  qsort(med, (size_t)seeds, sizeof *med, compare_double);
  double epoch_median = seeds % 2 ? med[seeds / 2] : 0.5 * (med[seeds / 2 - 1] + med[seeds / 2]);
  free(med);
  int64_t rss = gs_mem_peak_rss();
  if (json) {
    printf("{\"command\":\"train\",\"dataset\":");
    gs_json_string(stdout, ds->name);
    printf(",\"split\":");
    gs_json_string(stdout, ds->split_name);
    printf(",\"nodes\":%lld,\"adj_nnz\":%lld,\"features\":%lld,\"classes\":%d,"
           "\"depth\":%d,\"width\":%lld,\"dropout\":%g,\"residual\":%s,\"layernorm\":%s,"
           "\"params\":%lld,\"threads\":%d,\"epochs\":%d,\"lr\":%g,\"weight_decay\":%g,"
           "\"load_seconds\":%.4f,\"runs\":[",
           (long long)ds->num_nodes, (long long)gst.nnz, (long long)ds->x.cols, ds->num_classes,
           (int)cfg.depth, (long long)cfg.width, (double)cfg.dropout,
           cfg.residual ? "true" : "false", cfg.norm ? "true" : "false", (long long)model_params,
           gs_runtime_threads(), (int)topt.epochs, topt.lr, topt.weight_decay, t_load);
    for (int64_t s = 0; s < seeds; s++) {
      const gs_train_result *r = &runs[s].r;
      printf("%s{\"seed\":%llu,\"test_acc\":%.6f,\"val_acc\":%.6f,\"val_loss\":%.6f,"
             "\"train_acc\":%.6f,\"best_epoch\":%d,\"epochs_run\":%d,\"epoch_ms\":%.4f,"
             "\"train_ms\":%.4f,\"eval_ms\":%.4f,\"peak_bytes\":%lld,\"flops_per_epoch\":%lld}",
             s ? "," : "", (unsigned long long)runs[s].seed, r->test_acc, r->best_val_acc,
             r->best_val_loss, r->train_acc, r->best_epoch, r->epochs_run,
             1e3 * r->epoch_seconds_median, 1e3 * r->train_seconds_median,
             1e3 * r->eval_seconds_median, (long long)r->peak_bytes, (long long)r->flops_per_epoch);
    }
    printf("],\"test_acc_mean\":%.6f,\"test_acc_std\":%.6f,\"epoch_ms_median\":%.4f,"
           "\"peak_bytes\":%.0f,\"peak_rss_bytes\":%lld}\n",
           mean, std, 1e3 * epoch_median, peak, (long long)rss);
  } else {
    char b1[32], b2[32];
    printf("test accuracy %.2f ± %.2f %% over %lld seed%s; epoch time median %.2f ms; "
           "peak memory %s counted, %s RSS\n",
           100 * mean, 100 * std, (long long)seeds, seeds > 1 ? "s" : "", 1e3 * epoch_median,
           gs_format_bytes((int64_t)peak, b1, sizeof b1), gs_format_bytes(rss, b2, sizeof b2));
  }
  exit_code = 0;
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("train", &err);
  free(runs);
  gs_model_free(&m);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return exit_code;
}

/* gnnscale train --batching cluster: Cluster-GCN training over the partition-ordered store
 * (partitioning first when the parts are not stored yet), each batch read from the store,
 * with the predicted batch peak beside the measured one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "gnn/cluster.h"
#include "scaling/cluster_cost.h"

int gs_cli_train_cluster(const gs_cli_cluster_run *a) {
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_store_reader *src = NULL;
  gs_cluster *c = NULL;
  gs_model *m = NULL;
  gs_train_result *res = NULL;
  gs_cli_partition pr;
  gs_model_config cfg = a->cfg;
  gs_train_options topt = a->topt;
  const bool show = !a->quiet && !a->json;
  GS_TRY(gs_runtime_init(a->threads, &err));
  const double t_partition = gs_clock_seconds();
  GS_TRY(gs_cli_partition_ensure(&pr, a->data, a->split, a->parts, a->seed0, a->mem,
                                 a->mem_counted, &err));
  const bool partitioned = !(pr.reused && pr.ordered_reused);
  const double partition_wall = gs_clock_seconds() - t_partition;
  char pb1[32], pb2[32];
  if (show && partitioned)
    printf("partition: %d parts (seed %lld) in %.2f s (METIS %.2f s on %.1f%% of the entries, "
           "ordered store %.2f s), edge cut %.2f%%, balance %.3f; peak RSS %s (predicted %s)\n",
           a->parts, (long long)a->seed0, partition_wall, pr.report.metis_seconds,
           100.0 * (pr.metis_kept > 0 ? pr.metis_kept : 1.0), pr.ordered_seconds,
           100.0 * (double)pr.report.edge_cut / (double)(pr.report.edges ? pr.report.edges : 1),
           pr.report.balance, gs_format_bytes(pr.peak_rss, pb1, sizeof pb1),
           gs_format_bytes(pr.rss_before + pr.cost.peak_bytes, pb2, sizeof pb2));
  /* Training's own peak RSS from here (the partition step's was measured above). */
  if (partitioned) gs_mem_reset_peak_rss();
  /* Everything from here is what the cost model prices (gs_cluster_cost_estimate). */
  const int64_t rss_before = gs_mem_current_rss();
  const int64_t mem_base = gs_mem_current();
  gs_mem_reset_peak();
  double t_load = gs_clock_seconds();
  GS_TRY(gs_store_reader_open(&src, pr.ordered_path, &err));
  t_load = gs_clock_seconds() - t_load;
  const gs_store_info *oinfo = gs_store_reader_info(src);
  if (oinfo->feature_kind == GS_FEATURES_NONE || oinfo->num_classes < 1 || oinfo->num_train == 0) {
    st = gs_error_set(&err, GS_ERR_INVALID,
                      "%s has no features, labels or split: training needs all three", a->data);
    goto fail;
  }
  gs_cluster_capacity cap;
  GS_TRY(gs_cluster_capacity_of_store(&cap, src, a->clusters_per_batch, &err));
  gs_cluster_options co = gs_cluster_options_default();
  co.clusters_per_batch = a->clusters_per_batch;
  co.diag_lambda = a->diag_lambda;
  co.norm = a->norm;
  co.eval_full = a->eval_full;
  co.eval_spill = a->eval_full && a->eval_spill;
  const gs_cluster_eval eval = !a->eval_full ? GS_CLUSTER_EVAL_BATCHES
                               : co.eval_spill ? GS_CLUSTER_EVAL_SPILL
                                               : GS_CLUSTER_EVAL_FULL;
  /* Every preparation works row by row, so each batch prepares its own rows; AUTO decides
   * from the stored features' statistics, gathered part by part. */
  GS_TRY(gs_cluster_new_store(&c, src, &cap, a->prep, &co, &err));
  const gs_model_shape shape =
      gs_cluster_shape_of(&cap, oinfo->file_features, oinfo->feature_kind == GS_FEATURES_SPARSE,
                          oinfo->num_classes, a->norm);
  gs_cluster_cost pred;
  GS_TRY(gs_cluster_cost_estimate(&pred, &cfg, oinfo, &cap, a->norm, eval, topt.epochs,
                                  &err));
  /* The epoch time from the machine profile, with this partition's cut. */
  gs_profile profile;
  char profile_note[4096 + 512];
  gs_cluster_time ptime;
  GS_TRY(gs_cli_load_profile(&profile, a->profile_path, profile_note, sizeof profile_note, &err));
  gs_cost_options copt = gs_cost_options_default();
  copt.model = cfg;
  copt.decay_scope = topt.decay_scope;
  copt.weight_decay = topt.weight_decay;
  copt.epochs = topt.epochs;
  GS_TRY(gs_cluster_cost_time(&ptime, cfg.depth, cfg.width, &copt, oinfo, a->norm,
                              gs_cluster_prep(c, NULL), cap.parts, cap.clusters_per_batch,
                              pr.report.edge_cut, &profile, &err));
  if (a->eval_full)
    GS_TRY(gs_cluster_cost_time_eval_full(&ptime, cfg.depth, cfg.width, &copt, oinfo, a->norm,
                                          gs_cluster_prep(c, NULL), &profile, &err));
  if (co.eval_spill)
    GS_TRY(gs_cluster_cost_time_eval_spill(&ptime, cfg.depth, cfg.width, oinfo->graph.nodes,
                                           &profile, &err));
  res = calloc((size_t)a->seeds, sizeof *res);
  if (!res) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if (show)
    printf("dataset %s: %lld nodes in %d parts, %d per batch: batches of at most %lld nodes and "
           "%lld entries of A_hat, read from the store per batch (store opened and checked in "
           "%.2f s)\n",
           oinfo->name, (long long)oinfo->graph.nodes, cap.parts, cap.clusters_per_batch,
           (long long)cap.nodes, (long long)cap.entries, t_load);
  if (show) {
    gs_feature_stats fs;
    const gs_featprep prep = gs_cluster_prep(c, &fs);
    printf("features: %s, applied to each batch's rows", gs_featprep_name(prep));
    if (a->prep == GS_FEATPREP_AUTO) {
      char why[256];
      gs_featprep_explain(&fs, why, sizeof why);
      printf(" (auto: %s)", why);
    }
    printf("\n");
  }
  for (int64_t s = 0; s < a->seeds; s++) {
    cfg.seed = (uint64_t)(a->seed0 + s);
    GS_TRY(gs_model_new_capacity(&m, &cfg, &shape, &err));
    if (show && s == 0)
      printf("model: GCN depth %d, width %lld, dropout %.2f, %lld parameters; %d threads\n",
             (int)cfg.depth, (long long)cfg.width, (double)cfg.dropout,
             (long long)gs_model_layout_of(m)->params, gs_runtime_threads());
    char label[32];
    snprintf(label, sizeof label, "seed %lld", (long long)cfg.seed);
    topt.progress = show && isatty(1) ? stderr : NULL;
    topt.progress_label = label;
    GS_TRY(gs_cluster_train(&res[s], m, c, &topt, &err));
    gs_model_free(&m);
    if (show)
      printf("seed %-4lld test %.2f%%  val %.2f%%  best epoch %d of %d  epoch %.2f ms (train %.2f, "
             "eval %.2f; batches built and bound in %.2f)\n",
             (long long)cfg.seed, 100 * res[s].test_acc, 100 * res[s].best_val_acc,
             res[s].best_epoch, res[s].epochs_run, 1e3 * res[s].epoch_seconds_median,
             1e3 * res[s].train_seconds_median, 1e3 * res[s].eval_seconds_median,
             1e3 * res[s].build_seconds_median);
  }
  const int64_t counted = gs_mem_peak() - mem_base;
  const int64_t rss_peak = gs_mem_phase_peak_rss();
  const int64_t rss_pred = rss_before + pred.peak_bytes;
  double mean = 0, var = 0;
  double *ep = malloc((size_t)a->seeds * sizeof *ep);
  for (int64_t s = 0; s < a->seeds; s++) mean += res[s].test_acc / (double)a->seeds;
  for (int64_t s = 0; s < a->seeds; s++) {
    var += (res[s].test_acc - mean) * (res[s].test_acc - mean);
    if (ep) ep[s] = res[s].epoch_seconds_median;
  }
  const double sd = a->seeds > 1 ? sqrt(var / (double)(a->seeds - 1)) : 0.0;
  double epoch_median = 0;
  if (ep) {
    for (int64_t i = 1; i < a->seeds; i++) /* insertion sort: few seeds */
      for (int64_t j = i; j > 0 && ep[j - 1] > ep[j]; j--) {
        double t = ep[j];
        ep[j] = ep[j - 1];
        ep[j - 1] = t;
      }
    epoch_median = a->seeds % 2 ? ep[a->seeds / 2]
                                : 0.5 * (ep[a->seeds / 2 - 1] + ep[a->seeds / 2]);
    free(ep);
  }
  char b1[32], b2[32], b3[32], b4[32];
  if (a->json) {
    printf("{\"command\":\"train\",\"batching\":\"cluster\",\"dataset\":");
    gs_json_string(stdout, oinfo->name);
    printf(",\"features_prep\":\"%s\"", gs_featprep_name(gs_cluster_prep(c, NULL)));
    printf(",\"eval\":\"%s\",\"eval_bytes_predicted\":%lld",
           co.eval_spill ? "spill" : a->eval_full ? "full" : "batches", (long long)pred.eval_bytes);
    printf(",\"parts\":%d,\"clusters_per_batch\":%d,\"diag_lambda\":%g,\"depth\":%d,\"width\":%lld,"
           "\"batch_nodes_max\":%lld,\"batch_entries_max\":%lld,\"edge_cut\":%lld,\"balance\":%.6f,"
           "\"runs\":[",
           cap.parts, cap.clusters_per_batch, a->diag_lambda, (int)cfg.depth, (long long)cfg.width,
           (long long)cap.nodes, (long long)cap.entries, (long long)pr.report.edge_cut,
           pr.report.balance);
    for (int64_t s = 0; s < a->seeds; s++) {
      printf("%s{\"seed\":%lld,\"test_acc\":%.6f,\"val_acc\":%.6f,\"best_epoch\":%d,\"epochs\":%d,"
             "\"epoch_ms\":%.4f,\"train_ms\":%.4f,\"eval_ms\":%.4f,\"build_ms\":%.4f",
             s ? "," : "", (long long)(a->seed0 + s), res[s].test_acc, res[s].best_val_acc,
             res[s].best_epoch, res[s].epochs_run, 1e3 * res[s].epoch_seconds_median,
             1e3 * res[s].train_seconds_median, 1e3 * res[s].eval_seconds_median,
             1e3 * res[s].build_seconds_median);
      gs_json_category_ms(",\"kernel_ms\"", res[s].kernel_seconds_median);
      printf("}");
    }
    printf("],\"test_acc_mean\":%.6f,\"test_acc_std\":%.6f,\"epoch_ms_median\":%.4f,"
           "\"load_seconds\":%.4f,\"partitioned_in_process\":%s,\"peak_counted_bytes\":%lld,"
           "\"peak_rss_bytes\":%lld,\"process_peak_rss_bytes\":%lld,\"partition_seconds\":%.4f,"
           "\"partition_peak_rss_bytes\":%lld,\"partition_predicted_peak_rss_bytes\":%lld,"
           "\"metis_sampled_fraction\":%.6f,\"metis_seconds\":%.4f,"
           "\"predicted\":{\"peak_counted_bytes\":%lld,\"peak_rss_bytes\":%lld,"
           "\"dataset_bytes\":%lld,\"batch_state_bytes\":%lld,\"model_bytes\":%lld,"
           "\"epoch_ms\":%.4f,\"train_ms\":%.4f,\"eval_ms\":%.4f,\"batches\":%d,"
           "\"batch_build_ms\":%.4f,\"epoch_entries\":%.0f,\"profile\":",
           mean, sd, 1e3 * epoch_median, t_load, partitioned ? "true" : "false",
           (long long)counted, (long long)rss_peak, (long long)gs_mem_peak_rss(),
           partitioned ? partition_wall : 0.0, (long long)(partitioned ? pr.peak_rss : 0),
           (long long)(partitioned ? pr.rss_before + pr.cost.peak_bytes : 0),
           partitioned ? pr.metis_kept : 0.0, partitioned ? pr.report.metis_seconds : 0.0,
           (long long)pred.peak_bytes, (long long)rss_pred, (long long)pred.dataset_bytes,
           (long long)pred.state_bytes, (long long)pred.model_bytes, 1e3 * ptime.seconds_per_epoch,
           1e3 * ptime.seconds_train, 1e3 * ptime.seconds_eval, ptime.batches,
           1e3 * ptime.seconds_build, ptime.epoch_entries);
    gs_json_string(stdout, profile_note);
    printf(",\"build_ms\":%.4f", 1e3 * ptime.seconds_build_epoch);
    if (!a->eval_full) gs_json_category_ms(",\"kernel_ms\"", ptime.seconds_category);
    printf("}}\n");
  } else {
    printf("test accuracy %.2f ± %.2f %% over %lld seed%s; epoch time median %.2f ms; peak memory "
           "%s counted, %s RSS\n",
           100 * mean, 100 * sd, (long long)a->seeds, a->seeds > 1 ? "s" : "", 1e3 * epoch_median,
           gs_format_bytes(counted, b1, sizeof b1), gs_format_bytes(rss_peak, b2, sizeof b2));
    if (partitioned)
      printf("note: this process partitioned the graph first (peak RSS %s above); the peak RSS "
             "here is training's own, the process's %s\n",
             gs_format_bytes(pr.peak_rss, pb1, sizeof pb1),
             gs_format_bytes(gs_mem_peak_rss(), pb2, sizeof pb2));
    printf("predicted: peak %s counted (measured %s, %+.1f%%), RSS %s (measured %s, %+.1f%%)\n",
           gs_format_bytes(pred.peak_bytes, b3, sizeof b3), gs_format_bytes(counted, b1, sizeof b1),
           counted ? 100.0 * (double)(pred.peak_bytes - counted) / (double)counted : 0.0,
           gs_format_bytes(rss_pred, b4, sizeof b4), gs_format_bytes(rss_peak, b2, sizeof b2),
           rss_peak > 0 ? 100.0 * (double)(rss_pred - rss_peak) / (double)rss_peak : 0.0);
    printf("predicted epoch %.2f ms (measured %.2f ms, %+.1f%%): %d batches, each built in "
           "%.3f ms and bound in %.3f ms, trained %.3f ms and evaluated %.3f ms; from %s\n",
           1e3 * ptime.seconds_per_epoch, 1e3 * epoch_median,
           epoch_median > 0 ? 100.0 * (ptime.seconds_per_epoch / epoch_median - 1.0) : 0.0,
           ptime.batches, 1e3 * ptime.seconds_build, 1e3 * ptime.seconds_bind,
           1e3 * ptime.batch.seconds_train, 1e3 * ptime.batch.seconds_eval, profile_note);
  }
fail:
  free(res);
  gs_model_free(&m);
  gs_cluster_free(&c);
  gs_store_reader_free(&src);
  if (st != GS_OK) return gs_cli_fail("train", &err);
  return 0;
}

/* gnnscale info: what a dataset holds, as the reader and the graph builder see it. */
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/runtime.h"

int gs_cmd_info(int argc, char **argv) {
  const char *data = NULL, *split = NULL;
  bool json = false;
  int64_t threads = 0;
  const gs_option options[] = {
      GS_OPTS_DATA(&data, &split),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&threads),
      GS_OPT_JSON(&json),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "info", "--data DIR|FILE [options]", options,
                            GS_CLI_ROWS(options), argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!data) return gs_cli_reject(&cli, "--data DIR is required");
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  int64_t *class_counts = NULL;
  int exit_code = 1;
  GS_TRY(gs_runtime_init((int)threads, &err));
  GS_TRY(gs_cli_load(&ds, &g, data, split, GS_FEATPREP_RAW, GS_NORM_SYM, &err));
  gs_graph_stats s = gs_graph_stats_of(g);
  int64_t unlabelled = 0;
  if (ds->num_classes > 0) {
    class_counts = calloc((size_t)ds->num_classes, sizeof *class_counts);
    if (!class_counts) {
      st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
      goto fail;
    }
    for (int64_t i = 0; i < ds->num_nodes; i++) {
      if (ds->labels[i] < 0) unlabelled++;
      else class_counts[ds->labels[i]]++;
    }
  }
  double density = ds->x.kind == GS_FEATURES_NONE
                       ? 0.0
                       : (double)ds->x.nnz / ((double)ds->x.rows * (double)ds->x.cols);
  const char *kind = ds->x.kind == GS_FEATURES_SPARSE ? "sparse"
                     : ds->x.kind == GS_FEATURES_DENSE ? "dense"
                                                        : "none";
  if (json) {
    printf("{\"command\":\"info\",\"dataset\":");
    gs_json_string(stdout, ds->name);
    printf(",\"nodes\":%lld,\"edge_lines\":%lld,\"duplicate_lines\":%lld,\"self_loop_lines\":%lld,"
           "\"symmetric_entries\":%lld,\"adj_nnz\":%lld,\"isolated_nodes\":%lld,"
           "\"degree_min_nonisolated\":null,\"degree_mean\":%.4f,\"degree_median\":%lld,"
           "\"degree_max\":%lld,\"features\":%lld,\"feature_storage\":\"%s\","
           "\"feature_nnz\":%lld,\"feature_density\":%.6f,\"classes\":%d,\"unlabelled\":%lld,"
           "\"class_counts\":[",
           (long long)s.nodes, (long long)s.edge_lines, (long long)s.duplicate_lines,
           (long long)s.self_loop_lines, (long long)s.symmetric_entries, (long long)s.nnz,
           (long long)s.isolated_nodes, s.mean_degree, (long long)s.median_degree,
           (long long)s.max_degree, (long long)ds->x.cols, kind, (long long)ds->x.nnz, density,
           ds->num_classes, (long long)unlabelled);
    for (int32_t c = 0; c < ds->num_classes; c++) printf("%s%lld", c ? "," : "", (long long)class_counts[c]);
    printf("],\"split\":");
    gs_json_string(stdout, ds->split_name);
    printf(",\"train\":%lld,\"valid\":%lld,\"test\":%lld}\n", (long long)ds->num_train,
           (long long)ds->num_valid, (long long)ds->num_test);
  } else {
    printf("dataset        %s (%s)\n", ds->name, ds->path);
    printf("nodes          %lld\n", (long long)s.nodes);
    printf("edge lines     %lld (%lld duplicate, %lld self loops)\n", (long long)s.edge_lines,
           (long long)s.duplicate_lines, (long long)s.self_loop_lines);
    printf("edges          %lld directed entries after symmetrising (%lld undirected), "
           "%lld non-zeros in A_hat with self loops\n",
           (long long)s.symmetric_entries, (long long)(s.symmetric_entries / 2), (long long)s.nnz);
    printf("degree         mean %.2f, median %lld, max %lld; %lld isolated nodes\n", s.mean_degree,
           (long long)s.median_degree, (long long)s.max_degree, (long long)s.isolated_nodes);
    printf("features       %lld columns, %s, %lld non-zeros (%.3f%% dense)\n", (long long)ds->x.cols,
           kind, (long long)ds->x.nnz, 100.0 * density);
    if (ds->num_classes > 0) {
      printf("classes        %d:", ds->num_classes);
      for (int32_t c = 0; c < ds->num_classes; c++) printf(" %lld", (long long)class_counts[c]);
      printf("\n");
      if (unlabelled) printf("unlabelled     %lld nodes\n", (long long)unlabelled);
    }
    if (ds->split_name[0])
      printf("split          %s: train %lld, valid %lld, test %lld\n", ds->split_name,
             (long long)ds->num_train, (long long)ds->num_valid, (long long)ds->num_test);
  }
  exit_code = 0;
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("info", &err);
  free(class_counts);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return exit_code;
}

/* gnnscale info: what a dataset holds, as the reader and the graph builder see it. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "datasets/store.h"

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
  int32_t *store_labels = NULL;
  int exit_code = 1;
  GS_TRY(gs_runtime_init((int)threads, &err));
  /* What is printed, from the store's header and labels (a dataset folder: the store is built
   * on first use) or from the loaded data (an edge-list file). */
  gs_graph_stats s;
  char name[256], where[4352], split_name[128];
  int64_t cols = 0, fnnz = 0, ntrain = 0, nvalid = 0, ntest = 0, n = 0;
  gs_feature_kind fkind = GS_FEATURES_NONE;
  int32_t classes = 0;
  const int32_t *labels = NULL;
  struct stat sb;
  if (stat(data, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    gs_store_outcome oc;
    gs_store_info info;
    char note[1200];
    GS_TRY(gs_store_ensure(where, sizeof where, data, split, false, &oc, note, sizeof note, &err));
    if (note[0]) fprintf(stderr, "gnnscale info: %s\n", note);
    if (oc == GS_STORE_TEXT_ONLY) goto from_text;
    GS_TRY(gs_store_read_info(&info, where, &err));
    GS_TRY(gs_store_read_section((void **)&store_labels, NULL, where, GS_STORE_LABELS, "info", &err));
    s = info.graph;
    snprintf(name, sizeof name, "%s", info.name);
    snprintf(split_name, sizeof split_name, "%s", info.split_name);
    cols = info.file_features;
    fkind = info.feature_kind;
    fnnz = info.feature_nnz;
    classes = info.num_classes;
    labels = store_labels;
    n = s.nodes;
    ntrain = info.num_train;
    nvalid = info.num_valid;
    ntest = info.num_test;
  } else {
  from_text:
    GS_TRY(gs_cli_load(&ds, &g, data, split, GS_FEATPREP_RAW, GS_NORM_SYM, &err));
    s = gs_graph_stats_of(g);
    snprintf(name, sizeof name, "%s", ds->name);
    snprintf(where, sizeof where, "%s", ds->path);
    snprintf(split_name, sizeof split_name, "%s", ds->split_name);
    cols = ds->x.cols;
    fkind = ds->x.kind;
    fnnz = ds->x.nnz;
    classes = ds->labels ? ds->num_classes : 0;
    labels = ds->labels;
    n = ds->num_nodes;
    ntrain = ds->num_train;
    nvalid = ds->num_valid;
    ntest = ds->num_test;
  }
  int64_t unlabelled = 0;
  if (classes > 0 && labels) {
    class_counts = calloc((size_t)classes, sizeof *class_counts);
    if (!class_counts) {
      st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
      goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
      if (labels[i] < 0) unlabelled++;
      else class_counts[labels[i]]++;
    }
  }
  double density = fkind == GS_FEATURES_NONE ? 0.0 : (double)fnnz / ((double)n * (double)cols);
  const char *kind = fkind == GS_FEATURES_SPARSE ? "sparse"
                     : fkind == GS_FEATURES_DENSE ? "dense"
                                                  : "none";
  if (json) {
    printf("{\"command\":\"info\",\"dataset\":");
    gs_json_string(stdout, name);
    printf(",\"nodes\":%lld,\"edge_lines\":%lld,\"duplicate_lines\":%lld,\"self_loop_lines\":%lld,"
           "\"symmetric_entries\":%lld,\"adj_nnz\":%lld,\"isolated_nodes\":%lld,"
           "\"degree_min_nonisolated\":null,\"degree_mean\":%.4f,\"degree_median\":%lld,"
           "\"degree_max\":%lld,\"features\":%lld,\"feature_storage\":\"%s\","
           "\"feature_nnz\":%lld,\"feature_density\":%.6f,\"classes\":%d,\"unlabelled\":%lld,"
           "\"class_counts\":[",
           (long long)s.nodes, (long long)s.edge_lines, (long long)s.duplicate_lines,
           (long long)s.self_loop_lines, (long long)s.symmetric_entries, (long long)s.nnz,
           (long long)s.isolated_nodes, s.mean_degree, (long long)s.median_degree,
           (long long)s.max_degree, (long long)cols, kind, (long long)fnnz, density, classes, (long long)unlabelled);
    for (int32_t c = 0; c < classes; c++) printf("%s%lld", c ? "," : "", (long long)class_counts[c]);
    printf("],\"split\":");
    gs_json_string(stdout, split_name);
    printf(",\"train\":%lld,\"valid\":%lld,\"test\":%lld}\n", (long long)ntrain,
           (long long)nvalid, (long long)ntest);
  } else {
    printf("dataset        %s (%s)\n", name, where);
    printf("nodes          %lld\n", (long long)s.nodes);
    printf("edge lines     %lld (%lld duplicate, %lld self loops)\n", (long long)s.edge_lines,
           (long long)s.duplicate_lines, (long long)s.self_loop_lines);
    printf("edges          %lld directed entries after symmetrising (%lld undirected), "
           "%lld non-zeros in A_hat with self loops\n",
           (long long)s.symmetric_entries, (long long)(s.symmetric_entries / 2), (long long)s.nnz);
    printf("degree         mean %.2f, median %lld, max %lld; %lld isolated nodes\n", s.mean_degree,
           (long long)s.median_degree, (long long)s.max_degree, (long long)s.isolated_nodes);
    printf("features       %lld columns, %s, %lld non-zeros (%.3f%% dense)\n", (long long)cols,
           kind, (long long)fnnz, 100.0 * density);
    if (class_counts) {
      printf("classes        %d:", classes);
      for (int32_t c = 0; c < classes; c++) printf(" %lld", (long long)class_counts[c]);
      printf("\n");
      if (unlabelled) printf("unlabelled     %lld nodes\n", (long long)unlabelled);
    }
    if (split_name[0])
      printf("split          %s: train %lld, valid %lld, test %lld\n", split_name,
             (long long)ntrain, (long long)nvalid, (long long)ntest);
  }
  exit_code = 0;
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("info", &err);
  free(class_counts);
  gs_mem_free(store_labels);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return exit_code;
}

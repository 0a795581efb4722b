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

/* What info prints, from the store's header and labels (a dataset folder: the store is built
 * on first use) or from the loaded data (an edge-list file). */
typedef struct {
  gs_graph_stats s;
  char name[256], where[4352], split_name[128];
  int64_t n, cols, fnnz, ntrain, nvalid, ntest;
  gs_feature_kind fkind;
  int32_t classes;
  const int32_t *labels; /* [n] or NULL; borrowed from the store's section or the dataset */
  int64_t *class_counts; /* [classes] or NULL, calloc'd */
  int64_t unlabelled;
} info_summary;

/* From the graph store of a dataset folder; *text_only when the folder has no store and gets
 * none (read the text files instead). */
static gs_status summarise_store(info_summary *o, int32_t **labels, bool *text_only,
                                 const char *data, const char *split, gs_error *err) {
  gs_store_outcome oc;
  gs_store_info info;
  char note[1200];
  gs_status st = gs_store_ensure(o->where, sizeof o->where, data, split, false, &oc, note,
                                 sizeof note, err);
  if (st != GS_OK) return st;
  if (note[0]) fprintf(stderr, "gnnscale info: %s\n", note);
  *text_only = oc == GS_STORE_TEXT_ONLY;
  if (*text_only) return GS_OK;
  st = gs_store_read_info(&info, o->where, err);
  if (st == GS_OK)
    st = gs_store_read_section((void **)labels, NULL, o->where, GS_STORE_LABELS, "info", err);
  if (st != GS_OK) return st;
  o->s = info.graph;
  snprintf(o->name, sizeof o->name, "%s", info.name);
  snprintf(o->split_name, sizeof o->split_name, "%s", info.split_name);
  o->cols = info.file_features;
  o->fkind = info.feature_kind;
  o->fnnz = info.feature_nnz;
  o->classes = info.num_classes;
  o->labels = *labels;
  o->n = o->s.nodes;
  o->ntrain = info.num_train;
  o->nvalid = info.num_valid;
  o->ntest = info.num_test;
  return GS_OK;
}

/* From the loaded data and its graph. */
static void summarise_data(info_summary *o, const gs_dataset *ds, const gs_graph *g) {
  o->s = gs_graph_stats_of(g);
  snprintf(o->name, sizeof o->name, "%s", ds->name);
  snprintf(o->where, sizeof o->where, "%s", ds->path);
  snprintf(o->split_name, sizeof o->split_name, "%s", ds->split_name);
  o->cols = ds->x.cols;
  o->fkind = ds->x.kind;
  o->fnnz = ds->x.nnz;
  o->classes = ds->labels ? ds->num_classes : 0;
  o->labels = ds->labels;
  o->n = ds->num_nodes;
  o->ntrain = ds->num_train;
  o->nvalid = ds->num_valid;
  o->ntest = ds->num_test;
}

static gs_status count_classes(info_summary *o, gs_error *err) {
  if (o->classes <= 0 || !o->labels) return GS_OK;
  o->class_counts = calloc((size_t)o->classes, sizeof *o->class_counts);
  if (!o->class_counts) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  for (int64_t i = 0; i < o->n; i++) {
    if (o->labels[i] < 0) o->unlabelled++;
    else o->class_counts[o->labels[i]]++;
  }
  return GS_OK;
}

static double feature_density(const info_summary *o) {
  return o->fkind == GS_FEATURES_NONE ? 0.0
                                      : (double)o->fnnz / ((double)o->n * (double)o->cols);
}

static const char *feature_storage(const info_summary *o) {
  return o->fkind == GS_FEATURES_SPARSE ? "sparse" : o->fkind == GS_FEATURES_DENSE ? "dense"
                                                                                    : "none";
}

static void print_json(const info_summary *o) {
  const gs_graph_stats *s = &o->s;
  printf("{\"command\":\"info\",\"dataset\":");
  gs_json_string(stdout, o->name);
  printf(",\"nodes\":%lld,\"edge_lines\":%lld,\"duplicate_lines\":%lld,\"self_loop_lines\":%lld,"
         "\"symmetric_entries\":%lld,\"adj_nnz\":%lld,\"isolated_nodes\":%lld,"
         "\"degree_min_nonisolated\":null,\"degree_mean\":%.4f,\"degree_median\":%lld,"
         "\"degree_max\":%lld,\"features\":%lld,\"feature_storage\":\"%s\","
         "\"feature_nnz\":%lld,\"feature_density\":%.6f,\"classes\":%d,\"unlabelled\":%lld,"
         "\"class_counts\":[",
         (long long)s->nodes, (long long)s->edge_lines, (long long)s->duplicate_lines,
         (long long)s->self_loop_lines, (long long)s->symmetric_entries, (long long)s->nnz,
         (long long)s->isolated_nodes, s->mean_degree, (long long)s->median_degree,
         (long long)s->max_degree, (long long)o->cols, feature_storage(o), (long long)o->fnnz,
         feature_density(o), o->classes, (long long)o->unlabelled);
  for (int32_t c = 0; o->class_counts && c < o->classes; c++)
    printf("%s%lld", c ? "," : "", (long long)o->class_counts[c]);
  printf("],\"split\":");
  gs_json_string(stdout, o->split_name);
  printf(",\"train\":%lld,\"valid\":%lld,\"test\":%lld}\n", (long long)o->ntrain,
         (long long)o->nvalid, (long long)o->ntest);
}

static void print_text(const info_summary *o) {
  const gs_graph_stats *s = &o->s;
  printf("dataset        %s (%s)\n", o->name, o->where);
  printf("nodes          %lld\n", (long long)s->nodes);
  printf("edge lines     %lld (%lld duplicate, %lld self loops)\n", (long long)s->edge_lines,
         (long long)s->duplicate_lines, (long long)s->self_loop_lines);
  printf("edges          %lld directed entries after symmetrising (%lld undirected), "
         "%lld non-zeros in A_hat with self loops\n",
         (long long)s->symmetric_entries, (long long)(s->symmetric_entries / 2),
         (long long)s->nnz);
  printf("degree         mean %.2f, median %lld, max %lld; %lld isolated nodes\n", s->mean_degree,
         (long long)s->median_degree, (long long)s->max_degree, (long long)s->isolated_nodes);
  printf("features       %lld columns, %s, %lld non-zeros (%.3f%% dense)\n", (long long)o->cols,
         feature_storage(o), (long long)o->fnnz, 100.0 * feature_density(o));
  if (o->class_counts) {
    printf("classes        %d:", o->classes);
    for (int32_t c = 0; c < o->classes; c++) printf(" %lld", (long long)o->class_counts[c]);
    printf("\n");
    if (o->unlabelled) printf("unlabelled     %lld nodes\n", (long long)o->unlabelled);
  }
  if (o->split_name[0])
    printf("split          %s: train %lld, valid %lld, test %lld\n", o->split_name,
           (long long)o->ntrain, (long long)o->nvalid, (long long)o->ntest);
}

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
  int32_t *store_labels = NULL;
  info_summary o;
  memset(&o, 0, sizeof o);
  struct stat sb;
  bool text_only = !(stat(data, &sb) == 0 && S_ISDIR(sb.st_mode));
  GS_TRY(gs_runtime_init((int)threads, &err));
  if (!text_only) GS_TRY(summarise_store(&o, &store_labels, &text_only, data, split, &err));
  if (text_only) {
    GS_TRY(gs_cli_load(&ds, &g, data, split, GS_FEATPREP_RAW, GS_NORM_SYM, &err));
    summarise_data(&o, ds, g);
  }
  GS_TRY(count_classes(&o, &err));
  if (json) print_json(&o);
  else print_text(&o);
fail:
  free(o.class_counts);
  gs_mem_free(store_labels);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st == GS_OK ? 0 : gs_cli_fail("info", &err);
}

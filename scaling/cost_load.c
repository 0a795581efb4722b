/* The cost model's counts of a dataset folder, read without its feature matrix: what
 * `gnnscale train` prices a run from before loading it, and what a sweep prices its runs from. */
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "datasets/colrank.h"
#include "scaling/cost.h"

gs_status gs_cost_data_load(gs_cost_data *out, int64_t **prefix, const char *dir,
                            const char *split, gs_norm norm, gs_cost_data_check check,
                            gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_colrank rank;
  memset(&rank, 0, sizeof rank);
  int64_t *p = NULL;
  gs_dataset_options o = gs_dataset_options_default();
  o.split = split;
  o.load_features = false;
  GS_TRY(gs_dataset_load(&ds, dir, &o, err));
  if (check) GS_TRY(check(ds, dir, err));
  if (!ds->labels || ds->num_train == 0 || ds->num_classes < 1) {
    st = gs_error_set(err, GS_ERR_INVALID, "%s has no labels or split: training needs both", dir);
    goto fail;
  }
  GS_TRY(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, norm, err));
  GS_TRY(gs_colrank_load_or_compute(&rank, dir, GS_COLRANK_DF, NULL, err));
  p = malloc((size_t)(rank.f0 + 1) * sizeof *p);
  if (!p) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  memcpy(p, rank.nnz_prefix, (size_t)(rank.f0 + 1) * sizeof *p);
  gs_cost_data d = gs_cost_data_counts(ds, g);
  d.file_features = rank.f0;
  d.feature_nnz = p[rank.f0];
  d.column_nnz_prefix = p;
  *out = d;
  *prefix = p;
  p = NULL;
fail:
  free(p);
  gs_colrank_free(&rank);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}


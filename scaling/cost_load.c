/* The cost model's counts of a dataset folder, read without its feature matrix (from its binary
 * store's header, or from the text): what `gnnscale train` prices a run from before loading
 * it, and what a sweep prices its runs from. */
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "core/mem.h"
#include "datasets/colrank.h"
#include "datasets/store.h"
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


gs_status gs_cost_data_open(gs_cost_data *out, int64_t **prefix, char *store_path,
                            size_t store_path_cap, char *note, size_t note_cap, const char *dir,
                            const char *split, gs_norm norm, gs_cost_data_check check,
                            gs_cost_store_check check_store, gs_error *err) {
  gs_status st = GS_OK;
  gs_store_outcome oc;
  gs_store_info info;
  int64_t *column_nnz = NULL, *counted = NULL, *p = NULL;
  GS_TRY(gs_store_ensure(store_path, store_path_cap, dir, split, false, &oc, note, note_cap,
                         err));
  if (oc == GS_STORE_TEXT_ONLY) {
    store_path[0] = '\0';
    return gs_cost_data_load(out, prefix, dir, split, norm, check, err);
  }
  GS_TRY(gs_store_read_info(&info, store_path, err));
  if (check_store) GS_TRY(check_store(&info, dir, err));
  GS_TRY(gs_store_read_section((void **)&column_nnz, NULL, store_path, GS_STORE_COLUMN_NNZ,
                               "store-io", err));
  gs_cost_data d;
  GS_TRY(gs_cost_data_of_store(&d, &counted, &info, column_nnz, norm, err));
  /* A malloc'd copy, as gs_cost_data_load gives: nothing stays in the counting allocator. */
  p = malloc((size_t)(info.file_features + 1) * sizeof *p);
  if (!p) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  memcpy(p, counted, (size_t)(info.file_features + 1) * sizeof *p);
  d.column_nnz_prefix = p;
  *out = d;
  *prefix = p;
  p = NULL;
fail:
  free(p);
  gs_mem_free(counted);
  gs_mem_free(column_nnz);
  return st;
}

/* Cora's counts for tests of the cost model and its users (rules, planner, search): META.txt
 * and the graph built from it, 2708 nodes, 10858 edge lines, 10556 directed entries, 1433
 * columns with 49216 non-zeros, 7 classes, split 140/500/1000. No column prefix (non-zeros
 * proportional to the columns kept); the loader's default CSR threshold. */
#ifndef GS_TEST_COUNTS_H
#define GS_TEST_COUNTS_H

#include "scaling/cost.h"

static inline gs_cost_data gs_test_cora_counts(void) {
  gs_cost_data d = gs_cost_data_default();
  d.nodes = 2708;
  d.edge_lines = 10858;
  d.self_loop_lines = 0;
  d.symmetric_entries = 10556;
  d.adj_nnz = 10556 + 2708;
  d.max_degree = 168;
  d.file_features = 1433;
  d.feature_nnz = 49216;
  d.classes = 7;
  d.num_train = 140;
  d.num_valid = 500;
  d.num_test = 1000;
  return d;
}

#endif

/* Tests of datasets/store: cora written to a store and loaded back gives the same graph (Â
 * bitwise), features, labels, split and statistics; the header alone gives the counts; a
 * flipped byte in the header or in a section, a truncated file, an old version and a store of
 * other text are refused or rebuilt, never trusted; gs_store_open builds once and then loads. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/status.h"
#include "datasets/colrank.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "datasets/store_partition.h"
#include "sparse/graph.h"
#include "sparse/partition.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_store_suite(void);

/* Loads cora from text, writes its store into the scratch folder, returns the text dataset
 * and its graph. */
static void write_cora_store(gs_dataset **ds, gs_graph **g, const char *path) {
  gs_error err;
  gs_dataset_options o = gs_dataset_options_default();
  GS_ASSERT_OK(gs_dataset_load(ds, gs_test_data("cora"), &o, &err), err);
  GS_ASSERT_OK(gs_dataset_graph_new(g, *ds, GS_NORM_SYM, &err), err);
  GS_ASSERT_OK(gs_store_write(path, *ds, *g, 42, NULL, NULL, 0, 0, &err), err);
}

START_TEST(test_store_round_trip_cora) {
  gs_test_make_tmp();
  const char *path = gs_test_path("cora.store");
  gs_dataset *ds = NULL, *back = NULL;
  gs_graph *g = NULL, *g2 = NULL;
  gs_error err;
  write_cora_store(&ds, &g, path);
  GS_ASSERT_OK(gs_store_load(&back, path, &err), err);
  ck_assert_ptr_null(back->src);
  ck_assert_int_eq(back->num_nodes, ds->num_nodes);
  ck_assert_int_eq(back->num_classes, ds->num_classes);
  ck_assert_str_eq(back->split_name, ds->split_name);
  ck_assert_mem_eq(back->labels, ds->labels, (size_t)ds->num_nodes * sizeof(int32_t));
  ck_assert_int_eq(back->num_train, ds->num_train);
  ck_assert_mem_eq(back->train, ds->train, (size_t)ds->num_train * sizeof(int64_t));
  ck_assert_mem_eq(back->test, ds->test, (size_t)ds->num_test * sizeof(int64_t));
  ck_assert_int_eq(back->x.kind, ds->x.kind);
  ck_assert_int_eq(back->x.nnz, ds->x.nnz);
  ck_assert_mem_eq(back->x.sparse.col, ds->x.sparse.col, (size_t)ds->x.nnz * sizeof(int64_t));
  ck_assert_mem_eq(back->x.sparse.val, ds->x.sparse.val, (size_t)ds->x.nnz * sizeof(float));
  /* The graph built from the stored adjacency is Â itself, bit for bit, with the text's
   * edge-line statistics. */
  GS_ASSERT_OK(gs_dataset_graph_new(&g2, back, GS_NORM_SYM, &err), err);
  const gs_csr *a = gs_graph_csr(g), *b = gs_graph_csr(g2);
  ck_assert_int_eq(a->nnz, b->nnz);
  ck_assert_mem_eq(a->rowptr, b->rowptr, (size_t)(a->nrows + 1) * sizeof(int64_t));
  ck_assert_mem_eq(a->col, b->col, (size_t)a->nnz * sizeof(int64_t));
  ck_assert_mem_eq(a->val, b->val, (size_t)a->nnz * sizeof(float));
  gs_graph_stats s1 = gs_graph_stats_of(g), s2 = gs_graph_stats_of(g2);
  ck_assert_int_eq(s1.edge_lines, s2.edge_lines);
  ck_assert_int_eq(s1.duplicate_lines, s2.duplicate_lines);
  ck_assert_int_eq(s1.self_loop_lines, s2.self_loop_lines);
  ck_assert_int_eq(s1.max_degree, s2.max_degree);
  ck_assert_int_eq(s1.median_degree, s2.median_degree);
  ck_assert_int_eq(s1.isolated_nodes, s2.isolated_nodes);
  /* The header alone. */
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  ck_assert_int_eq(info.graph.nodes, 2708);
  ck_assert_int_eq(info.graph.symmetric_entries, s1.symmetric_entries);
  ck_assert_int_eq(info.file_features, 1433);
  ck_assert_int_eq(info.num_classes, 7);
  ck_assert_int_eq(info.section_bytes[GS_STORE_COLUMN_NNZ], 1433 * 8);
  ck_assert(info.source_fingerprint == 42);
  /* The stored column counts rank the columns as the features themselves do. */
  int64_t *counts = NULL;
  GS_ASSERT_OK(gs_store_read_section((void **)&counts, NULL, path, GS_STORE_COLUMN_NNZ, "test",
                                     &err), err);
  gs_colrank from_counts, from_x;
  GS_ASSERT_OK(gs_colrank_counts(&from_counts, counts, 1433, 2708, &err), err);
  GS_ASSERT_OK(gs_colrank_features(&from_x, &ds->x, GS_COLRANK_DF, &err), err);
  ck_assert_mem_eq(from_counts.order, from_x.order, 1433 * sizeof(int64_t));
  ck_assert_mem_eq(from_counts.nnz_prefix, from_x.nnz_prefix, 1434 * sizeof(int64_t));
  gs_colrank_free(&from_counts);
  gs_colrank_free(&from_x);
  gs_mem_free(counts);
  gs_graph_free(&g);
  gs_graph_free(&g2);
  gs_dataset_free(&ds);
  gs_dataset_free(&back);
  gs_test_clean_tmp();
}
END_TEST

/* Every kind of damage is refused with a message that says which. */
START_TEST(test_store_refuses_damage) {
  gs_test_make_tmp();
  const char *path = gs_test_path("cora.store");
  gs_dataset *ds = NULL, *back = NULL;
  gs_graph *g = NULL;
  gs_error err;
  write_cora_store(&ds, &g, path);
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  const int64_t before = gs_mem_current();

  /* A byte of the label section (far from the header): the header reads, the load fails. */
  const long label_at = (long)(info.file_bytes - info.section_bytes[GS_STORE_COLUMN_NNZ] - 4096);
  gs_test_flip_byte(path, label_at);
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  ck_assert_int_eq(gs_store_load(&back, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "checksum mismatch"), "%s", err.msg);
  ck_assert_ptr_null(back);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_test_flip_byte(path, label_at);
  GS_ASSERT_OK(gs_store_load(&back, path, &err), err);
  gs_dataset_free(&back);

  /* The header: its checksum. */
  gs_test_flip_byte(path, 200);
  ck_assert_int_eq(gs_store_read_info(&info, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "header checksum mismatch"), "%s", err.msg);
  gs_test_flip_byte(path, 200);

  /* The version (byte 8): refused by name. */
  gs_test_flip_byte(path, 8);
  ck_assert_int_eq(gs_store_read_info(&info, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "this program reads version 1"), "%s", err.msg);
  gs_test_flip_byte(path, 8);

  /* Truncated. */
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  ck_assert_int_eq(truncate(path, info.file_bytes - 100), 0);
  ck_assert_int_eq(gs_store_load(&back, path, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);

  /* Not a store at all, and no file. */
  gs_test_write_plain("junk.store", "nodes: 5\n");
  ck_assert_int_eq(gs_store_read_info(&info, gs_test_path("junk.store"), &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "not a gnnscale store"), "%s", err.msg);
  ck_assert_int_eq(gs_store_read_info(&info, gs_test_path("none.store"), &err), GS_ERR_IO);
  ck_assert_int_eq(gs_mem_current(), before);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  gs_test_clean_tmp();
}
END_TEST

/* Writes a tiny dataset folder: a 5-node path with a duplicate line and a self loop. */
static void write_tiny(const char *feat) {
  gs_test_mkdir("tiny");
  gs_test_mkdir("tiny/raw");
  gs_test_mkdir("tiny/split");
  gs_test_mkdir("tiny/split/s");
  gs_test_write_plain("tiny/raw/num-node-list.csv", "5\n");
  gs_test_write_plain("tiny/raw/num-edge-list.csv", "6\n");
  gs_test_write_gz("tiny/raw/edge.csv.gz", "0,1\n1,2\n2,3\n3,4\n0,1\n2,2\n");
  gs_test_write_gz("tiny/raw/node-label.csv.gz", "0\n1\n0\n1\n0\n");
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", feat);
  gs_test_write_gz("tiny/split/s/train.csv.gz", "0\n1\n");
  gs_test_write_gz("tiny/split/s/valid.csv.gz", "2\n");
  gs_test_write_gz("tiny/split/s/test.csv.gz", "3\n4\n");
}

/* gs_store_open builds the store on first use, loads it afterwards, rebuilds it when the text
 * changes or the store is damaged, and refuses a damaged store with no text beside it. */
START_TEST(test_store_open_builds_loads_rebuilds) {
  gs_test_make_tmp();
  write_tiny("1,0\n0,1\n1,1\n0,0\n2,0\n");
  const char *dir = gs_test_path("tiny");
  gs_dataset *ds = NULL;
  gs_error err;
  gs_store_outcome oc;
  char note[512];
  GS_ASSERT_OK(gs_store_open(&ds, dir, NULL, false, &oc, note, sizeof note, &err), err);
  ck_assert_int_eq(oc, GS_STORE_BUILT);
  ck_assert_int_eq(ds->store_stats.duplicate_lines, 1);
  ck_assert_int_eq(ds->store_stats.self_loop_lines, 1);
  ck_assert_int_eq(ds->store_stats.symmetric_entries, 8);
  ck_assert_int_eq(ds->adj_rowptr[5], 8);
  gs_dataset_free(&ds);
  GS_ASSERT_OK(gs_store_open(&ds, dir, "s", false, &oc, note, sizeof note, &err), err);
  ck_assert_int_eq(oc, GS_STORE_LOADED);
  ck_assert_int_eq(ds->x.nnz, 5);
  gs_dataset_free(&ds);
  /* Other features: the fingerprint changes (size), the store is rebuilt with them. */
  gs_test_write_gz("tiny/raw/node-feat.csv.gz", "1,0\n0,1\n1,1\n0,0\n2,3.5\n");
  GS_ASSERT_OK(gs_store_open(&ds, dir, NULL, false, &oc, note, sizeof note, &err), err);
  ck_assert_int_eq(oc, GS_STORE_REBUILT);
  ck_assert_msg(strstr(note, "other text"), "%s", note);
  ck_assert_int_eq(ds->x.nnz, 6);
  gs_dataset_free(&ds);
  /* A damaged store is rebuilt. */
  const char *store = gs_test_path("tiny/gnnscale.store");
  gs_test_flip_byte(store, 100);
  GS_ASSERT_OK(gs_store_open(&ds, dir, NULL, false, &oc, note, sizeof note, &err), err);
  ck_assert_int_eq(oc, GS_STORE_REBUILT);
  ck_assert_msg(strstr(note, "checksum"), "%s", note);
  gs_dataset_free(&ds);
  /* A damaged section behind a sound header is found by its checksum and rebuilt. */
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, store, &err), err);
  gs_test_flip_byte(store, 4096 + 8);
  GS_ASSERT_OK(gs_store_open(&ds, dir, NULL, false, &oc, note, sizeof note, &err), err);
  ck_assert_int_eq(oc, GS_STORE_REBUILT);
  ck_assert_msg(strstr(note, "adjacency row pointers: checksum mismatch"), "%s", note);
  gs_dataset_free(&ds);
  /* Without text a damaged store is refused. */
  gs_test_remove_tree(gs_test_path("tiny/raw"));
  gs_test_flip_byte(store, 100);
  ck_assert_int_eq(gs_store_open(&ds, dir, NULL, false, &oc, note, sizeof note, &err),
                   GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "no text"), "%s", err.msg);
  ck_assert_ptr_null(ds);
  gs_test_clean_tmp();
}
END_TEST

/* The adjacency builder checks what it is given. */
START_TEST(test_graph_from_adjacency_rejects_bad_rows) {
  gs_graph *g = NULL;
  gs_error err;
  int64_t rowptr[4] = {0, 1, 3, 4};
  uint32_t self_loop[4] = {1, 0, 1, 1};   /* row 1 holds 1 */
  uint32_t unsorted[4] = {1, 2, 0, 1};    /* row 1 descending */
  uint32_t out_of_range[4] = {1, 0, 2, 7};
  uint32_t good[4] = {1, 0, 2, 1};
  ck_assert_int_eq(gs_graph_new_adjacency(&g, 3, rowptr, self_loop, GS_NORM_SYM, NULL, &err),
                   GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "row 1"), "%s", err.msg);
  ck_assert_int_eq(gs_graph_new_adjacency(&g, 3, rowptr, unsorted, GS_NORM_SYM, NULL, &err),
                   GS_ERR_RANGE);
  ck_assert_int_eq(gs_graph_new_adjacency(&g, 3, rowptr, out_of_range, GS_NORM_SYM, NULL, &err),
                   GS_ERR_RANGE);
  ck_assert_msg(strstr(err.msg, "row 2"), "%s", err.msg);
  ck_assert_ptr_null(g);
  GS_ASSERT_OK(gs_graph_new_adjacency(&g, 3, rowptr, good, GS_NORM_ROW, NULL, &err), err);
  ck_assert_int_eq(gs_graph_nnz(g), 7);
  ck_assert_int_eq(gs_graph_stats_of(g).max_degree, 2);
  gs_graph_free(&g);
}
END_TEST


/* A partition is kept and found again only for its parts, seed and graph; the partition-ordered
 * store puts each part's nodes together and keeps every node's label, features, split and
 * neighbours (through original_id). */
START_TEST(test_store_parts_and_ordered_store) {
  gs_test_make_tmp();
  const char *path = gs_test_path("cora.store");
  gs_dataset *text = NULL, *ds = NULL, *ord = NULL;
  gs_graph *g = NULL;
  gs_error err;
  write_cora_store(&text, &g, path);
  GS_ASSERT_OK(gs_store_load(&ds, path, &err), err);
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  const int64_t n = ds->num_nodes;
  int32_t *part = malloc((size_t)n * sizeof *part), *back = NULL;
  gs_partition_report r, r2;
  GS_ASSERT_OK(gs_partition_kway(part, &r, n, ds->adj_rowptr, ds->adj_col, 6, 3, &err), err);
  const char *pp = gs_test_path("p.parts");
  GS_ASSERT_OK(gs_store_parts_write(pp, part, &r, 3, info.graph_key, &err), err);
  GS_ASSERT_OK(gs_store_parts_read(&back, &r2, pp, n, 6, 3, info.graph_key, &err), err);
  ck_assert_mem_eq(back, part, (size_t)n * sizeof *part);
  ck_assert_int_eq(r2.edge_cut, r.edge_cut);
  gs_mem_free(back);
  back = NULL;
  ck_assert_int_eq(gs_store_parts_read(&back, &r2, pp, n, 6, 4, info.graph_key, &err),
                   GS_ERR_MISMATCH);
  ck_assert_int_eq(gs_store_parts_read(&back, &r2, pp, n, 7, 3, info.graph_key, &err),
                   GS_ERR_MISMATCH);
  ck_assert_int_eq(gs_store_parts_read(&back, &r2, pp, n, 6, 3, info.graph_key ^ 1, &err),
                   GS_ERR_MISMATCH);
  ck_assert_msg(strstr(err.msg, "another graph"), "%s", err.msg);
  ck_assert_int_eq(gs_store_parts_read(&back, &r2, gs_test_path("none.parts"), n, 6, 3,
                                       info.graph_key, &err), GS_ERR_NOT_FOUND);
  ck_assert_ptr_null(back);

  const char *op = gs_test_path("ordered.store");
  GS_ASSERT_OK(gs_store_write_ordered(op, ds, part, 6, 3, info.graph_key, &err), err);
  /* Written streamed from the file, without the loaded store: the same bytes, in at most the
   * bytes it is priced at. */
  const char *op2 = gs_test_path("ordered2.store");
  gs_mem_reset_peak();
  const int64_t base = gs_mem_current();
  char src[4096];
  snprintf(src, sizeof src, "%s", gs_test_path("cora.store"));
  GS_ASSERT_OK(gs_store_write_ordered_stream(op2, src, part, 6, 3, info.graph_key, &err), err);
  ck_assert_int_le(gs_mem_peak() - base, gs_store_write_ordered_stream_bytes(&info, 6));
  ck_assert_int_eq(gs_mem_current(), base);
  size_t len1 = 0, len2 = 0;
  char *b1 = gs_test_read_file(op, &len1), *b2 = gs_test_read_file(op2, &len2);
  ck_assert_int_eq(len1, len2);
  ck_assert_mem_eq(b1, b2, len1);
  free(b1);
  free(b2);
  GS_ASSERT_OK(gs_store_load(&ord, op, &err), err);
  ck_assert_int_eq(ord->parts, 6);
  ck_assert_int_eq(ord->part_start[6], n);
  int64_t *newid = malloc((size_t)n * sizeof *newid);
  for (int32_t p = 0; p < 6; p++)
    for (int64_t k = ord->part_start[p]; k < ord->part_start[p + 1]; k++) {
      const int64_t i = ord->original_id[k];
      ck_assert_int_eq(part[i], p);
      ck_assert_int_eq(ord->labels[k], ds->labels[i]);
      newid[i] = k;
    }
  for (int64_t k = 0; k < n; k++) {
    const int64_t i = ord->original_id[k];
    const int64_t len = ds->adj_rowptr[i + 1] - ds->adj_rowptr[i];
    ck_assert_int_eq(ord->adj_rowptr[k + 1] - ord->adj_rowptr[k], len);
    ck_assert_int_eq(ord->x.sparse.rowptr[k + 1] - ord->x.sparse.rowptr[k],
                     ds->x.sparse.rowptr[i + 1] - ds->x.sparse.rowptr[i]);
    /* Every old neighbour j of i is a new neighbour newid[j] of k (rows sorted: search). */
    for (int64_t q = ds->adj_rowptr[i]; q < ds->adj_rowptr[i + 1]; q++) {
      const uint32_t want = (uint32_t)newid[ds->adj_col[q]];
      bool found = false;
      for (int64_t t = ord->adj_rowptr[k]; t < ord->adj_rowptr[k + 1] && !found; t++)
        found = ord->adj_col[t] == want;
      ck_assert(found);
    }
  }
  for (int64_t k = 0; k < ord->num_test; k++)
    ck_assert_int_ge(ord->labels[ord->test[k]], 0);
  ck_assert_int_eq(ord->num_train, ds->num_train);
  free(newid);
  free(part);
  gs_dataset_free(&ord);
  gs_dataset_free(&ds);
  gs_dataset_free(&text);
  gs_graph_free(&g);
  gs_test_clean_tmp();
}
END_TEST

/* METIS on the store streamed from its file gives the parts it gives on the loaded store, whole
 * or sampled, with the cut measured on the whole graph, in exactly the counted bytes
 * gs_store_partition_cost_of prices; a memory budget gives the largest entry budget that fits,
 * and one too small for a sample of an edge per node is refused. */
START_TEST(test_store_partition_streamed) {
  gs_test_make_tmp();
  const char *path = gs_test_path("cora.store");
  gs_dataset *text = NULL, *ds = NULL;
  gs_graph *g = NULL;
  gs_error err;
  write_cora_store(&text, &g, path);
  GS_ASSERT_OK(gs_store_load(&ds, path, &err), err);
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, path, &err), err);
  const int64_t n = ds->num_nodes, E = info.graph.symmetric_entries;
  int32_t *want = malloc((size_t)n * sizeof *want), *got = NULL;
  gs_partition_report r, rw;
  double kept = 0.0;
  for (int sampled = 0; sampled < 2; sampled++) {
    const int64_t budget = sampled ? E / 2 : E;
    GS_ASSERT_OK(gs_partition_kway_sampled(want, &rw, n, ds->adj_rowptr, ds->adj_col, 6, 3, budget,
                                           NULL, &err), err);
    gs_mem_reset_peak();
    const int64_t base = gs_mem_current();
    GS_ASSERT_OK(gs_store_partition(&got, &r, &kept, path, 6, 3, budget, &err), err);
    const int64_t peak = gs_mem_peak() - base;
    ck_assert_mem_eq(got, want, (size_t)n * sizeof *got);
    ck_assert_int_eq(r.edge_cut, rw.edge_cut);
    ck_assert_int_eq(r.edges, rw.edges);
    ck_assert_int_eq(r.largest_part, rw.largest_part);
    ck_assert_int_eq(r.metis_edge_cut, rw.metis_edge_cut);
    ck_assert(sampled ? kept < 0.55 && kept > 0.3 : kept == 1.0);
    /* the partition's phases priced at the entries METIS really saw */
    gs_store_partition_cost c;
    gs_store_partition_cost_of(&c, &info, 6, sampled ? (int64_t)(kept * (double)E + 0.5) : E);
    int64_t priced = c.sample_bytes;
    if (c.metis_counted_bytes > priced) priced = c.metis_counted_bytes;
    if (sampled && c.measure_bytes > priced) priced = c.measure_bytes;
    ck_assert_int_eq(peak, priced); /* the assignment is in every phase */
    ck_assert_int_eq(gs_mem_current() - base, (int64_t)sizeof(int32_t) * n); /* the result */
    gs_mem_free(got);
    got = NULL;
  }
  /* A budget in bytes: the largest entry budget whose priced peak fits (on cora the ordered
   * store's buffers outweigh METIS: counts of a larger graph, where METIS is the peak). */
  gs_store_info big = info;
  big.graph.nodes = 1000000;
  big.graph.symmetric_entries = 40000000;
  const int64_t E2 = big.graph.symmetric_entries;
  gs_store_partition_cost c;
  gs_store_partition_cost_of(&c, &big, 6, E2 / 3);
  const int64_t b = c.peak_bytes;
  ck_assert_int_eq(b, c.metis_counted_bytes + c.metis_bytes);
  const int64_t k = gs_store_partition_entries_for(&big, 6, b, false);
  ck_assert_int_eq(k, E2 / 3);
  gs_store_partition_cost_of(&c, &big, 6, E2);
  ck_assert_int_eq(gs_store_partition_entries_for(&big, 6, c.peak_bytes, false), E2);
  ck_assert_int_eq(gs_store_partition_entries_for(&big, 6, 1000, false), 0);
  /* Fewer entries than a sample keeping about an edge per node: refused, saying so. */
  ck_assert_int_eq(gs_store_partition(&got, &r, NULL, path, 6, 3, n / 4, &err), GS_ERR_BUDGET);
  ck_assert_msg(strstr(err.msg, "one edge per node"), "%s", err.msg);
  ck_assert_ptr_null(got);
  free(want);
  gs_dataset_free(&ds);
  gs_dataset_free(&text);
  gs_graph_free(&g);
  gs_test_clean_tmp();
}
END_TEST

Suite *gs_store_suite(void) {
  Suite *s = suite_create("store");
  TCase *t = tcase_create("store");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_store_round_trip_cora);
  tcase_add_test(t, test_store_refuses_damage);
  tcase_add_test(t, test_store_open_builds_loads_rebuilds);
  tcase_add_test(t, test_graph_from_adjacency_rejects_bad_rows);
  tcase_add_test(t, test_store_parts_and_ordered_store);
  tcase_add_test(t, test_store_partition_streamed);
  suite_add_tcase(s, t);
  return s;
}

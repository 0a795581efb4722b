/* The work of building and binding Cluster-GCN batches (gnn/cluster.c), counted in bytes as
 * the cost model prices it, and the rates one thread does it at. Building a batch is serial:
 * pread copies of each part's rows, labels and features out of the page cache, then element
 * loops (the reader's checks, rebasing, the row kernel that induces and normalises the batch,
 * the features' preparation, the split lists); binding rebuilds Xᵀ by a counting sort. None of
 * it runs at STREAM bandwidth: a profile measured copy at 120 GB/s (2 threads, from cache)
 * while the builder moved its counted bytes at about 6 GB/s. So each kind of work has its own
 * rate, measured by running these loops (the row kernel, the preparation and the transpose
 * themselves) on a generated batch larger than the cache: gs_build_work_measure, a phase of
 * `gnnscale calibrate`. */
#ifndef GS_BUILD_WORK_H
#define GS_BUILD_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "gnn/cluster.h"
#include "scaling/profile.h"
#include "sparse/graph.h"

/* Bytes of some building and binding, by the rate each is priced at. */
typedef struct {
  double copied; /* pread copies (read and written: twice the bytes landed) */
  double looped; /* the element loops: checks, rebasing, the row kernel, preparation, lists */
  double bound;  /* the counting sort of Xᵀ */
} gs_build_bytes;

/* The bytes of work w (counted by gs_cluster_work_done, or priced by the cost model) on a
 * store of `features` columns (sparse or dense) and `parts` parts, normalised by norm, its
 * features prepared (prepared: rownorm, l2 or binary; raw features are not touched):
 * - copied: the row pointers (8 per node and one more per part), entries (4), labels (4) and
 *   features (CSR: 8 per row and 12 per entry; dense: 4 per value), twice each;
 * - looped: the reader's checks (the row pointers, entries, labels and feature columns read
 *   once more; sparse row pointers rebased, read and written); per batch the row kernel (the
 *   part bases cleared, 8 per part; the rows' pointers and entries read; the kept columns and
 *   row pointers written, 8 each; the node scales, 8; each kept value filled, 12, and 4 more
 *   for Âᵀ under row normalisation) and the split lists (a marker byte and 8 per node);
 *   preparation reading and writing each feature value (4 + 4, and the row pointers of CSR);
 * - bound: per batch bound, the column counts cleared, summed and shifted (40 per column), the
 *   row pointers read (8 per node), each entry's column read twice, its value read and its
 *   column, value and position written into Xᵀ (20 per entry).
 * Pure. */
gs_build_bytes gs_build_work_bytes(const gs_cluster_work *w, int64_t features, bool sparse,
                                   gs_norm norm, bool prepared, int32_t parts);

/* Seconds one thread takes for those bytes at the profile's build rates (build_copy_gbs,
 * build_loop_gbs, bind_gbs). A profile without them (written before they were measured: 0)
 * prices all three at a thread's share of its STREAM copy bandwidth, about 3 times too fast;
 * `gnnscale calibrate` measures them. Pure. */
double gs_build_work_seconds(const gs_build_bytes *b, const gs_profile *p);

/* The three rates measured, GB/s of gs_build_work_bytes' counts. */
typedef struct {
  double copy_gbs, loop_gbs, bind_gbs;
  int64_t source_bytes; /* the generated store's arrays the batches are read from */
  int64_t batch_nodes, batch_entries, batch_feature_nnz; /* one batch */
  int32_t epochs;       /* passes over the batches timed (the best is kept) */
} gs_build_rates;

/* Measures the build rates on one thread within about `seconds`: a generated graph of 8 parts
 * (10 neighbours per node, 8 of them inside its part; 24 sparse feature entries per node over
 * 4096 columns; 8 classes) whose arrays span about source_bytes (at least 4 MiB), built into
 * batches of 2 parts at a time (a quarter of the graph each) as the store-backed builder
 * does: pread's copies by memcpy, the reader's checks, rebasing, gs_graph_induce_rows, l2
 * preparation (gs_features_prepare), the split lists, then gs_input_transpose_into. Each
 * stage's rate is its counted bytes over its seconds in a pass over the 4 batches, the best
 * over the passes that fit in the budget (at least one). clock may be NULL (gs_clock_seconds).
 * Allocates its arrays through the counting allocator and frees them. Errors: GS_ERR_NOMEM,
 * GS_ERR_INTERNAL (a generated batch failed its checks), GS_ERR_NUMERIC (a stage took no
 * time by the clock). */
gs_status gs_build_work_measure(gs_build_rates *out, int64_t source_bytes, double seconds,
                                gs_profile_clock clock, void *clock_ctx, gs_error *err);

#endif

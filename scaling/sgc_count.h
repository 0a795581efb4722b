/* SGC's Â^K X non-zeros for a planner: its storage (CSR below GS_SGC_SPARSE_BELOW non-zeros,
 * gs_model_sgc_csr) and so its bytes and FLOPs depend on them, and a plan's grid asks for many
 * K and column counts. One pass of K_max propagation steps (gs_model_smoothed_column_nnz) gives
 * every column's count after every step; ranked by the columns' document frequency (the
 * columns a run at resolution r keeps, gs_colrank), their prefix sums answer any K <= K_max
 * and any number of top columns. A K beyond the pass starts a new one, to twice the K counted
 * (so a grid that walks K upwards costs at most about twice its largest K in steps).
 *
 * Where Â^K X is dense for every number of top columns (at least GS_SGC_SPARSE_BELOW
 * non-zeros) and the features are non-negative, it stays so for every larger K: Â has its
 * self loops, so a non-zero of Â^K X stays non-zero in Â^(K+1) X (a sum of non-negative
 * terms, one of them Â_ii·(Â^K X)_ij > 0). Unless CSR is forced (which prices the exact count),
 * larger K are then answered with the count at that K, a lower bound that prices the same
 * dense storage, and no further pass runs (a plan's grid runs K up to 128).
 *
 * Exactness: at all columns the count is the training run's (the same features, the same
 * blocks, the same kernel). A run keeping fewer columns prepares (rownorm, l2) its own subset,
 * which scales rows by positive factors: the non-zero pattern of Â^K X over those columns is
 * the same whenever no sum cancels to exactly zero, as for non-negative features (every
 * bundled dataset). */
#ifndef GS_SCALING_SGC_COUNT_H
#define GS_SCALING_SGC_COUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "sparse/graph.h"
#include "datasets/dataset.h"

typedef struct {
  const gs_graph *g;     /* borrowed, the graph SGC propagates over */
  const gs_features *x;  /* borrowed: all f0 columns, prepared as the training run prepares them */
  int64_t *order;        /* [f0] the columns by document frequency, best first (owned) */
  int32_t hops;          /* counted for K = 1 .. hops (0: nothing yet) */
  int64_t *prefix;       /* [hops][f0 + 1]: non-zeros of the first f ranked columns of Â^K X */
  bool nonnegative;      /* every feature value >= 0 */
  bool exact;            /* count every K (CSR forced: the count is the storage's size) */
  int32_t dense_from;    /* > 0: Â^K X dense for every column prefix from this K (above) */
  int32_t passes;        /* propagation passes run */
  int64_t steps;         /* propagation steps run (each 2·nnz(Â)·f0 FLOPs) */
  double flops;          /* FLOPs of those steps */
  double seconds;        /* wall seconds they took (for the caller's note, never a test's) */
} gs_sgc_counter;

/* Ranks x's columns (GS_COLRANK_DF) and counts nothing yet; exact: count every K asked (no
 * shortcut where Â^K X is dense). g and x are borrowed until gs_sgc_counter_release.
 * Errors: GS_ERR_INVALID (no features), GS_ERR_NOMEM. */
gs_status gs_sgc_counter_init(gs_sgc_counter *c, const gs_graph *g, const gs_features *x,
                              bool exact, gs_error *err);

void gs_sgc_counter_release(gs_sgc_counter *c);

/* *nnz = non-zeros of Â^hops X over the `features` highest-ranked columns; ctx is a
 * gs_sgc_counter (the signature of gs_cost_data.smoothed_count). Errors: GS_ERR_INVALID (hops
 * < 1 or above GS_MAX_LAYERS, features outside 1 .. f0), those of the propagation. */
gs_status gs_sgc_counter_count(void *ctx, int32_t hops, int64_t features, int64_t *nnz,
                               gs_error *err);

#endif

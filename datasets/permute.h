/* Renumbering of a dataset's nodes, so that every array indexed by node (feature rows,
 * labels, edge endpoints, split ids) follows one permutation, and the Reverse Cuthill-McKee
 * order of its graph (sparse/reorder.h; Cuthill & McKee 1969, George 1971) that gives
 * neighbours nearby numbers and so improves the cache hits of aggregation (DESIGN.md §4, θ). */
#ifndef GS_PERMUTE_H
#define GS_PERMUTE_H

#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"

/* Renumbers the nodes of ds in place so that new node i is old node order[i] (order has
 * ds->num_nodes entries, order[new] = old, as gs_reorder_rcm gives it):
 * - feature row i becomes old row order[i] (dense: moved in place along the permutation's
 *   cycles with one row of workspace; CSR: rebuilt into new arrays, then the old freed);
 * - labels[i] becomes old labels[order[i]];
 * - every edge line keeps its position, its endpoints mapped to their new ids;
 * - train, valid and test ids are mapped, then sorted ascending again.
 * Names, split name, kept_columns and counts are unchanged. Permuting by the inverse
 * permutation restores ds exactly.
 *
 * Errors, with ds left untouched: GS_ERR_INVALID for NULL arguments, a dataset whose arrays
 * disagree with num_nodes, or an order that is not a permutation of [0, n) (the message names
 * the first bad index: "order[17] = 2708 is out of range [0, 2708)" or "order[17] = 5
 * repeats order[3]"); GS_ERR_RANGE for an edge or split id outside [0, n); GS_ERR_NOMEM.
 * Cost: O(n·f) for dense features, O(n + nnz) for CSR, O(E) for edges, O(s log s) for the
 * splits. Workspace: 8n bytes (the inverse) + n/8 (visited bits) + 4n (labels) + one feature
 * row for dense features, or a second copy of the CSR arrays (8(n+1) + 12·nnz) for CSR. */
gs_status gs_dataset_permute(gs_dataset *ds, const int64_t *order, gs_error *err);

/* The RCM order of ds's graph: *order receives a new array of ds->num_nodes ids with
 * order[new] = old, to pass to gs_dataset_permute (release it with gs_mem_free; it is
 * counted under the tag "permute"). The graph is the edge lines made symmetric, with
 * duplicates and self loops removed; each connected component is numbered from its
 * lowest-degree node, so the order is deterministic. Errors: GS_ERR_INVALID (NULL arguments,
 * no nodes), GS_ERR_RANGE (an edge id outside [0, n)), GS_ERR_NOMEM; *order is set only on
 * success. Cost: O(E log(max degree) + n) time; a temporary symmetric CSR of
 * 8(n+1) + 16·E bytes (no values), plus gs_reorder_rcm's 32n bytes of workspace; all freed
 * before return. */
gs_status gs_dataset_order_rcm(int64_t **order, const gs_dataset *ds, gs_error *err);

#endif

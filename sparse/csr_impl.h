/* Declarations shared by the files of sparse/ only: the split of a CSR matrix's rows into
 * per-thread ranges of equal work, and the row kernel that gs_csr_spmm and the row
 * aggregation of gs_graph_aggregate both run. */
#ifndef GS_CSR_IMPL_H
#define GS_CSR_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sparse/csr.h"

/* Below this many multiply-adds (nnz·k) a product runs on one thread: a parallel region
 * costs a few microseconds, more than the work it would share. */
#define GS__SPMM_PARALLEL_MIN ((int64_t)1 << 15)

/* First row of part `part` out of `parts`, so that every part holds about the same
 * nnz + rows (a row costs its entries plus the write of its output row). Part `parts` starts
 * at nrows. Depends only on the matrix and `parts`, O(log nrows). */
int64_t gs__csr_part_start(const int64_t *rowptr, int64_t nrows, int64_t part, int64_t parts);

/* C[r0..r1) (row-major, k columns) = a[r0..r1) * B, or += when accumulate: each output
 * element summed in float in the row's index order, so a row's result does not depend on
 * which thread computes it. Serial; callers split rows with gs__csr_part_start. */
void gs__csr_spmm_rows(const gs_csr *a, const float *B, int64_t k, float *C, bool accumulate,
                       int64_t r0, int64_t r1);

#endif

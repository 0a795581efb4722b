/* Compressed sparse row matrices owned by gnnscale (features, and the raw arrays of the
 * normalised adjacency), and the sparse x dense products built on them. Indices are 64-bit,
 * as in GraphBLAS 7.4, so a matrix costs 8(nrows+1) + 12·nnz bytes (DESIGN.md §2). */
#ifndef GS_CSR_H
#define GS_CSR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
  int64_t nrows;
  int64_t ncols;
  int64_t nnz;
  int64_t *rowptr; /* [nrows + 1] */
  int64_t *col;    /* [nnz], ascending within a row */
  float *val;      /* [nnz] */
} gs_csr;

/* Allocates the arrays of an nrows x ncols matrix with room for nnz entries (through the
 * counting allocator under `tag`). rowptr is zeroed; col and val are uninitialised. */
gs_status gs_csr_alloc(gs_csr *m, int64_t nrows, int64_t ncols, int64_t nnz, const char *tag,
                       gs_error *err);

/* Frees the arrays and zeroes the struct. NULL-safe. */
void gs_csr_release(gs_csr *m);

/* out = transpose(a), rows sorted. Cost O(nnz + ncols). */
gs_status gs_csr_transpose(gs_csr *out, const gs_csr *a, const char *tag, gs_error *err);

/* C (a.nrows x k, row-major) = a (nrows x ncols) * B (ncols x k, row-major), or C += when
 * accumulate. Parallel over rows with OpenMP, each row summed in index order, so the result
 * is bitwise identical for any thread count. 2·nnz·k FLOPs. */
void gs_csr_spmm(const gs_csr *a, const float *B, int64_t k, float *C, bool accumulate);

/* Plain serial twin of gs_csr_spmm, accumulating in double, for tests. */
void gs_csr_spmm_reference(const gs_csr *a, const float *B, int64_t k, float *C);

/* Bytes held by the arrays of a matrix of this shape: 8(nrows+1) + 12·nnz. */
int64_t gs_csr_bytes(int64_t nrows, int64_t nnz);

#endif

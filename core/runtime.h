/* Process-wide set-up: one call fixes the thread count of OpenMP, GraphBLAS and OpenBLAS
 * together (so that BLAS never oversubscribes the cores: it runs inside OpenMP threads) and routes GraphBLAS's memory into
 * the counting allocator. Also a monotonic clock and terminal detection for progress. */
#ifndef GS_RUNTIME_H
#define GS_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"

/* Initialises GraphBLAS (once per process) and sets OpenMP and GraphBLAS to `nthreads`
 * threads (0 = the number of online cores); OpenBLAS is set to one thread, since
 * gs_dense_matmul runs it on each OpenMP thread. May be called again to change the thread count. */
gs_status gs_runtime_init(int nthreads, gs_error *err);

/* The thread count set by the last gs_runtime_init (1 before any). */
int gs_runtime_threads(void);

/* Finalises GraphBLAS. After this, gs_runtime_init may not be called again. */
void gs_runtime_finalize(void);

/* Seconds from a monotonic clock. */
double gs_clock_seconds(void);

/* True when `stream` is a terminal (progress lines are shown only then). */
bool gs_is_terminal(FILE *stream);

/* Translates a GraphBLAS GrB_Info (as int) into a gs_status with a message naming `what`. */
gs_status gs__graphblas_error(int info, const char *what, gs_error *err);

/* Evaluates a GraphBLAS call; on failure records the error and jumps to `fail`.
 * Requires `gs_status st` and `gs_error *err` in scope. */
#define GS_GRB_TRY(call)                                     \
  do {                                                       \
    int gs_grb_info_ = (int)(call);                          \
    if (gs_grb_info_ != 0 && gs_grb_info_ != 1) {            \
      st = gs__graphblas_error(gs_grb_info_, #call, err);    \
      goto fail;                                             \
    }                                                        \
  } while (0)

/* Evaluates a gs_status call; on failure jumps to `fail` (requires `gs_status st`). */
#define GS_TRY(call)            \
  do {                          \
    st = (call);                \
    if (st != GS_OK) goto fail; \
  } while (0)

#endif

/* Thread and GraphBLAS set-up, clock and terminal detection. */
#include "core/runtime.h"

#include <GraphBLAS.h>
#include <cblas.h>
#include <omp.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/memlimit.h"

static bool graphblas_ready;
static int current_threads = 1;
static int blas_ready_threads;

/* OpenBLAS maps a work buffer (GS_BLAS_BUFFER_BYTES) for each call that runs while the others
 * hold theirs, and when that mmap fails (under `ulimit -v`) it retries for ever inside
 * cblas_sgemm. So the buffers are made here, before any data: first a probe that the address
 * space has room for one per thread (else GS_ERR_NOMEM, with the limit), then rounds of one
 * product per OpenMP thread until every thread's call overlapped all the others' (checked
 * from their clocks), so that OpenBLAS holds as many buffers as gs_dense_matmul can use at
 * once and never maps again. */
static gs_status blas_warm_up(int nthreads, gs_error *err) {
  if (nthreads <= blas_ready_threads) return GS_OK;
  gs_status st = gs_memlimit_blas_reserve(nthreads, err);
  if (st != GS_OK) return st;
  /* Plain malloc: a transient buffer that must not move the counting allocator's peak. */
  enum { DIM = 256, MAX_ROUNDS = 12 };
  float *buf = calloc((size_t)nthreads * 3 * DIM * DIM, sizeof *buf);
  if (!buf) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for the BLAS warm-up");
  double start[1024], end[1024];
  for (int round = 0; round < MAX_ROUNDS; round++) {
    const int dim = round < 2 ? DIM / 4 : DIM;
#pragma omp parallel num_threads(nthreads)
    {
      const int t = omp_get_thread_num();
      float *a = buf + (size_t)t * 3 * DIM * DIM, *b = a + DIM * DIM, *c = b + DIM * DIM;
#pragma omp barrier
      start[t] = omp_get_wtime();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, dim, dim, 1.0f, a, dim, b, dim,
                  0.0f, c, dim);
      end[t] = omp_get_wtime();
    }
    double last_start = start[0], first_end = end[0];
    for (int t = 1; t < nthreads; t++) {
      if (start[t] > last_start) last_start = start[t];
      if (end[t] < first_end) first_end = end[t];
    }
    if (last_start < first_end) break;
  }
  free(buf);
  blas_ready_threads = nthreads;
  return GS_OK;
}

gs_status gs_runtime_init(int nthreads, gs_error *err) {
  if (nthreads < 0 || nthreads > 1024)
    return gs_error_set(err, GS_ERR_INVALID, "thread count %d is out of range (0 to 1024)",
                        nthreads);
  if (nthreads == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = online > 0 ? (int)online : 1;
  }
#ifdef __GLIBC__
  /* A fixed mmap threshold: glibc otherwise raises it to the size of each large block freed
   * (up to 32 MiB), after which blocks of that size come from the heap and freed ones stay
   * resident. Fixed, every buffer of 128 KiB or more is mapped and unmapped on its own, so the
   * process's resident bytes follow the counting allocator (measured on amazon-photo 2x64:
   * peak RSS 82 -> 74 MiB, 55 MiB counted). */
  static bool malloc_tuned;
  if (!malloc_tuned) {
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    malloc_tuned = true;
  }
#endif
  if (!graphblas_ready) {
    GrB_Info info = GxB_init(GrB_NONBLOCKING, gs__mem_malloc_graphblas, gs__mem_calloc_graphblas,
                             gs__mem_realloc_graphblas, gs__mem_free_graphblas);
    if (info != GrB_SUCCESS) return gs__graphblas_error((int)info, "GxB_init", err);
    graphblas_ready = true;
  }
  GrB_Info info = GxB_Global_Option_set(GxB_NTHREADS, nthreads);
  if (info != GrB_SUCCESS) return gs__graphblas_error((int)info, "GxB_set(GxB_NTHREADS)", err);
  omp_set_num_threads(nthreads);
  /* OpenBLAS stays single-threaded: gs_dense_matmul splits products over OpenMP threads. */
  openblas_set_num_threads(1);
  current_threads = nthreads;
  return blas_warm_up(nthreads, err);
}

int gs_runtime_threads(void) { return current_threads; }

void gs_runtime_finalize(void) {
  if (graphblas_ready) GrB_finalize();
  graphblas_ready = false;
}

double gs_clock_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool gs_is_terminal(FILE *stream) { return isatty(fileno(stream)) == 1; }

gs_status gs__graphblas_error(int info, const char *what, gs_error *err) {
  gs_status st = info == GrB_OUT_OF_MEMORY ? GS_ERR_NOMEM : GS_ERR_GRAPHBLAS;
  return gs_error_set(err, st, "%s failed with GraphBLAS status %d", what, info);
}

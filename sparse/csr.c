/* CSR matrices with 64-bit indices (the layout of GraphBLAS 7.4, DESIGN.md §2) and the sparse x
 * dense product C = A·B, the memory-bandwidth-bound kernel of GCN aggregation (DESIGN.md §4):
 * rows split over threads in ranges of equal work, each output row summed in float in index
 * order and vectorised over the k columns, so results are bitwise identical for any thread
 * count. A serial twin accumulating in double serves the tests. */
#include "sparse/csr.h"

#include <omp.h>
#include <string.h>

#include "core/mem.h"
#include "core/runtime.h"
#include "sparse/csr_impl.h"

int64_t gs_csr_bytes(int64_t nrows, int64_t nnz) { return 8 * (nrows + 1) + 12 * nnz; }

gs_status gs_csr_alloc(gs_csr *m, int64_t nrows, int64_t ncols, int64_t nnz, const char *tag,
                       gs_error *err) {
  gs_status st = GS_OK;
  int64_t *rowptr = NULL, *col = NULL;
  float *val = NULL;
  if (!m) return gs_error_set(err, GS_ERR_INVALID, "gs_csr_alloc: NULL matrix");
  /* 12·nnz and 8(nrows+1) must fit in int64 and size_t with room to spare. */
  if (nrows < 0 || ncols < 0 || nnz < 0 || nrows > INT64_MAX / 64 || nnz > INT64_MAX / 64)
    return gs_error_set(err, GS_ERR_RANGE,
                        "gs_csr_alloc: shape %lld x %lld with %lld entries is out of range",
                        (long long)nrows, (long long)ncols, (long long)nnz);
  rowptr = gs_mem_calloc((size_t)nrows + 1, sizeof *rowptr, tag);
  col = gs_mem_alloc((size_t)nnz * sizeof *col, tag);
  val = gs_mem_alloc((size_t)nnz * sizeof *val, tag);
  if (!rowptr || !col || !val) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for a %lld x %lld CSR matrix with %lld entries",
                      (long long)nrows, (long long)ncols, (long long)nnz);
    goto fail;
  }
  m->nrows = nrows;
  m->ncols = ncols;
  m->nnz = nnz;
  m->rowptr = rowptr;
  m->col = col;
  m->val = val;
  return GS_OK;
fail:
  gs_mem_free(rowptr);
  gs_mem_free(col);
  gs_mem_free(val);
  return st;
}

void gs_csr_release(gs_csr *m) {
  if (!m) return;
  gs_mem_free(m->rowptr);
  gs_mem_free(m->col);
  gs_mem_free(m->val);
  memset(m, 0, sizeof *m);
}

gs_status gs_csr_transpose(gs_csr *out, const gs_csr *a, const char *tag, gs_error *err) {
  gs_status st = GS_OK;
  gs_csr t = {0};
  if (!out || !a) return gs_error_set(err, GS_ERR_INVALID, "gs_csr_transpose: NULL matrix");
  GS_TRY(gs_csr_alloc(&t, a->ncols, a->nrows, a->nnz, tag, err));
  /* Count the entries of each column, then place them row by row: each row of the transpose
   * receives its entries in increasing original row, so its columns come out sorted. */
  for (int64_t p = 0; p < a->nnz; p++) t.rowptr[a->col[p] + 1]++;
  for (int64_t j = 0; j < t.nrows; j++) t.rowptr[j + 1] += t.rowptr[j];
  for (int64_t i = 0; i < a->nrows; i++) {
    for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++) {
      int64_t q = t.rowptr[a->col[p]]++;
      t.col[q] = i;
      t.val[q] = a->val[p];
    }
  }
  /* The cursors now hold the ends of the rows: shift them back to the starts. */
  for (int64_t j = t.nrows; j > 0; j--) t.rowptr[j] = t.rowptr[j - 1];
  t.rowptr[0] = 0;
  *out = t;
  return GS_OK;
fail:
  return st;
}

int64_t gs__csr_part_start(const int64_t *rowptr, int64_t nrows, int64_t part, int64_t parts) {
  if (part <= 0) return 0;
  if (part >= parts) return nrows;
  /* Work before row r is w(r) = rowptr[r] + r, strictly increasing; find the first row
   * whose w(r) reaches part/parts of the total. The target is computed without overflow. */
  int64_t total = rowptr[nrows] + nrows;
  int64_t target = total / parts * part + total % parts * part / parts;
  int64_t lo = 0, hi = nrows;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (rowptr[mid] + mid < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Software prefetch distance in entries: the row of B that entry p + dist gathers is requested
 * while entry p is summed, about 1 to 4 KiB ahead. Rows of B are read in random order and
 * without the hint the gathers barely overlap: on the arxiv shape (2 cores, Zen 4) the hint
 * makes the kernel about 5 times faster at k = 16 and twice as fast at k = 256. */
static inline int64_t prefetch_distance(int64_t k) {
  int64_t d = 1024 / k;
  return d < 8 ? 8 : d > 64 ? 64 : d;
}

/* One block of W columns, W a compile-time constant so that the accumulator lives in vector
 * registers: c[c0 .. c0+W) = [c +] sum over the row of val[p] * B[col[p], c0 .. c0+W), summed
 * in index order. The first block of a row also prefetches the row of B (all k columns) that
 * entry p + dist will need; later blocks find their rows in L1 or L2. */
#define GS__ROW_BLOCK(W)                                                           \
  do {                                                                             \
    float acc[W];                                                                  \
    if (accumulate) {                                                              \
      _Pragma("omp simd") for (int j = 0; j < (W); j++) acc[j] = c[c0 + j];         \
    } else {                                                                       \
      _Pragma("omp simd") for (int j = 0; j < (W); j++) acc[j] = 0.0f;            \
    }                                                                              \
    for (int64_t p = p0; p < p1; p++) {                                            \
      if (c0 == 0 && p + dist < pend) {                                            \
        const float *q = B + col[p + dist] * k;                                    \
        for (int64_t o = 0; o < k; o += 16) __builtin_prefetch(q + o, 0, 3);       \
      }                                                                            \
      const float v = val[p];                                                      \
      const float *restrict b = B + col[p] * k + c0;                               \
      _Pragma("omp simd") for (int j = 0; j < (W); j++) acc[j] += v * b[j];         \
    }                                                                              \
    _Pragma("omp simd") for (int j = 0; j < (W); j++) c[c0 + j] = acc[j];         \
  } while (0)

/* The body of a row kernel whose widest block is WIDE columns (32 for 16 SSE registers, 64
 * for 16 AVX registers), then blocks of 16 and 8, then a remainder narrower than 8 as one
 * block of its own constant width: class counts such as 7 and 15 end there, and summed in
 * place through memory they were slow (Coauthor CS, 2 threads, median of 21: k = 15 took
 * 1.29 ms, k = 16 0.58 ms; with the block, k = 15 takes 0.86 ms and k = 7 0.57, was 0.96). Every element is summed by the same sequence of multiplies and adds whatever its
 * block, so the split never shows in the result. */
#define GS__SPMM_ROWS_BODY(WIDE)                                                   \
  const int64_t *restrict rowptr = a->rowptr;                                      \
  const int64_t *restrict col = a->col;                                            \
  const float *restrict val = a->val;                                              \
  const int64_t dist = prefetch_distance(k);                                       \
  const int64_t pend = rowptr[r1];                                                 \
  for (int64_t i = r0; i < r1; i++) {                                              \
    float *restrict c = C + i * k;                                                 \
    const int64_t p0 = rowptr[i], p1 = rowptr[i + 1];                              \
    int64_t c0 = 0;                                                                \
    for (; c0 + (WIDE) <= k; c0 += (WIDE)) GS__ROW_BLOCK(WIDE);                    \
    if ((WIDE) > 32 && c0 + 32 <= k) {                                             \
      GS__ROW_BLOCK(32);                                                           \
      c0 += 32;                                                                    \
    }                                                                              \
    if (c0 + 16 <= k) {                                                            \
      GS__ROW_BLOCK(16);                                                           \
      c0 += 16;                                                                    \
    }                                                                              \
    if (c0 + 8 <= k) {                                                             \
      GS__ROW_BLOCK(8);                                                            \
      c0 += 8;                                                                     \
    }                                                                              \
    switch (k - c0) {                                                              \
      case 7: GS__ROW_BLOCK(7); break;                                             \
      case 6: GS__ROW_BLOCK(6); break;                                             \
      case 5: GS__ROW_BLOCK(5); break;                                             \
      case 4: GS__ROW_BLOCK(4); break;                                             \
      case 3: GS__ROW_BLOCK(3); break;                                             \
      case 2: GS__ROW_BLOCK(2); break;                                             \
      case 1: GS__ROW_BLOCK(1); break;                                             \
      default: break;                                                              \
    }                                                                              \
  }

static void spmm_rows_baseline(const gs_csr *a, const float *restrict B, int64_t k,
                               float *restrict C, bool accumulate, int64_t r0, int64_t r1) {
  GS__SPMM_ROWS_BODY(32)
}

/* On x86-64 an AVX2 twin is chosen at run time (the build targets baseline x86-64, SSE2).
 * Neither twin fuses multiply and add (no FMA: ISO C mode compiles with fp-contract off), so
 * both give the same bits; in any case one process always runs the same twin on every thread,
 * which is what makes results independent of the thread count. */
#if defined(__x86_64__) && defined(__GNUC__)
#define GS__HAVE_AVX2_TWIN 1
__attribute__((target("avx2"))) static void spmm_rows_avx2(const gs_csr *a,
                                                           const float *restrict B, int64_t k,
                                                           float *restrict C, bool accumulate,
                                                           int64_t r0, int64_t r1) {
  GS__SPMM_ROWS_BODY(64)
}
#else
#define GS__HAVE_AVX2_TWIN 0
#endif

void gs__csr_spmm_rows(const gs_csr *a, const float *B, int64_t k, float *C, bool accumulate,
                       int64_t r0, int64_t r1) {
  if (r0 >= r1 || k <= 0) return;
#if GS__HAVE_AVX2_TWIN
  if (__builtin_cpu_supports("avx2")) {
    spmm_rows_avx2(a, B, k, C, accumulate, r0, r1);
    return;
  }
#endif
  spmm_rows_baseline(a, B, k, C, accumulate, r0, r1);
}

void gs_csr_spmm(const gs_csr *a, const float *B, int64_t k, float *C, bool accumulate) {
  if (!a || a->nrows <= 0 || k <= 0) return;
  const int64_t work = (a->nnz + a->nrows) * k;
  const int64_t parts = work < GS__SPMM_PARALLEL_MIN ? 1 : (int64_t)omp_get_max_threads();
  if (parts <= 1) {
    gs__csr_spmm_rows(a, B, k, C, accumulate, 0, a->nrows);
    return;
  }
#pragma omp parallel for schedule(static) num_threads((int)parts)
  for (int64_t t = 0; t < parts; t++) {
    const int64_t r0 = gs__csr_part_start(a->rowptr, a->nrows, t, parts);
    const int64_t r1 = gs__csr_part_start(a->rowptr, a->nrows, t + 1, parts);
    gs__csr_spmm_rows(a, B, k, C, accumulate, r0, r1);
  }
}

void gs_csr_spmm_reference(const gs_csr *a, const float *B, int64_t k, float *C) {
  for (int64_t i = 0; i < a->nrows; i++) {
    for (int64_t j = 0; j < k; j++) {
      double sum = 0.0;
      for (int64_t p = a->rowptr[i]; p < a->rowptr[i + 1]; p++)
        sum += (double)a->val[p] * (double)B[a->col[p] * k + j];
      C[i * k + j] = (float)sum;
    }
  }
}

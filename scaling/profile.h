/* The machine profile of the cost model (DESIGN.md §4): sgemm rates measured on the dense
 * product shapes of a GCN layer, STREAM bandwidth (McCalpin's copy and triad), the effective
 * bandwidth of a sparse x dense product with random neighbours, and per-call overheads.
 * Measured once by `gnnscale calibrate`, kept as a `key = value` text file, and read back by
 * the predictor, which charges each kernel max(FLOPs / rate, bytes / bandwidth) + overhead,
 * scaled per kernel category by the fit of scaling/calibrate.h. */
#ifndef GS_PROFILE_H
#define GS_PROFILE_H

#include <stdint.h>

#include "core/flops.h"
#include "core/status.h"

/* The (in, out) widths of the dense products measured, in ascending order of their harmonic
 * mean 2·in·out / (in + out), which sets the FLOPs per byte of a tall-skinny product:
 * (16, 7) an output layer, (128, 16) a narrow hidden layer, (64, 64), (128, 256) and
 * (256, 256) wide hidden layers. Usable as array initialisers. */
#define GS_PROFILE_SHAPES 5
#define GS_PROFILE_SHAPE_IN \
  { 16, 128, 64, 128, 256 }
#define GS_PROFILE_SHAPE_OUT \
  { 7, 16, 64, 256, 256 }

/* The three products of a layer with n nodes, in row-major cblas terms (C is m x n, the sum
 * runs over k). For a shape (in, out):
 *   GS_PROFILE_NN  forward        Z (n x out) = H (n x in) · W (in x out)   m=n, n=out, k=in
 *   GS_PROFILE_TN  weight grad    dW (in x out) = Hᵀ · dZ (n x out)         m=in, n=out, k=n
 *   GS_PROFILE_NT  input grad     dH (n x in) = dZ (n x out) · Wᵀ           m=n, n=in, k=out */
typedef enum { GS_PROFILE_NN = 0, GS_PROFILE_TN = 1, GS_PROFILE_NT = 2 } gs_profile_op;
#define GS_PROFILE_OPS 3

/* Row counts: products with few rows run from cache, with many rows from memory. */
typedef enum { GS_PROFILE_ROWS_SMALL = 0, GS_PROFILE_ROWS_LARGE = 1 } gs_profile_rows;

#define GS_PROFILE_MACHINE_MAX 128

/* The gather curve: the trainer's row kernel (gs_csr_spmm, 8 random neighbours per row) timed
 * with a gathered operand B of each of these sizes, at row widths 16 and 128 floats. The
 * rate of a sparse product then follows from the size of what it gathers, from L2-resident
 * to several times the largest cache, instead of from a cache-miss guess. */
#define GS_PROFILE_GATHER_SIZES 5
#define GS_PROFILE_GATHER_BYTES \
  { 1LL << 18, 1LL << 20, 1LL << 22, 1LL << 24, 1LL << 26 }
#define GS_PROFILE_GATHER_WIDTHS 2
#define GS_PROFILE_GATHER_K \
  { 16, 128 }

/* Every figure is measured with `threads` threads. Rates exclude the per-call overhead,
 * which the predictor adds once per call. All numbers are positive and finite. */
typedef struct {
  int threads;                          /* threads of OpenMP and OpenBLAS while measuring */
  char machine[GS_PROFILE_MACHINE_MAX]; /* CPU model and core count, for people only */
  double measure_seconds;               /* wall time the measurement took */
  int64_t llc_bytes;                    /* largest cache found (array sizes follow it) */

  /* sgemm GFLOP/s, [op][rows][shape]: the median of repeated calls of each product with
   * sgemm_rows[GS_PROFILE_ROWS_SMALL][shape] rows (4096: operands in cache, a Cora-sized
   * graph) and sgemm_rows[GS_PROFILE_ROWS_LARGE][shape] rows (tall operands spanning 2 to 4
   * times the largest cache, as the budget allows, so narrow shapes get more rows: about
   * 65536 for 256x256 and 1.4 million for 16x7 with 32 MiB). "Rows" is the long dimension:
   * m for NN and NT, k for TN. */
  int64_t sgemm_rows[2][GS_PROFILE_SHAPES];
  double sgemm_gflops[GS_PROFILE_OPS][2][GS_PROFILE_SHAPES];
  double sgemm_gflops_peak; /* C = A·B, all 1024 x 1024: the compute roof */

  double bandwidth_gbs; /* STREAM triad a = b + s·c, best of several, 24 B/elem */
  double copy_gbs;      /* STREAM copy c = b, best of several, 16 B/elem */
  /* A row-parallel CSR product C (n x 16) = A·B, int64 indices, 4 random neighbours per row
   * and B of 4 x the largest cache, in GB/s of the DESIGN.md §4 byte count with θ = 1:
   * 8(n+1) + 12m + 4·m·16 + 4·n·16. The bandwidth of SpMM when every neighbour row misses. */
  double spmm_random_gbs;
  /* The gather curve, [width][size], in GB/s of the same byte count (θ = 1 form) with
   * 8 neighbours per row: B of GS_PROFILE_GATHER_BYTES, k of GS_PROFILE_GATHER_K. */
  double gather_gbs[GS_PROFILE_GATHER_WIDTHS][GS_PROFILE_GATHER_SIZES];

  double call_overhead_s; /* one tiny sgemm (8 x 8 x 8), median */
  double spmm_overhead_s; /* one tiny row-parallel OpenMP kernel (a 64-row SpMM) */

  /* The kernel fit (scaling/calibrate.h): the trainer's own kernels timed in short training
   * runs on generated graphs, per category of core/flops.h. The cost model prices a category
   * as kernel_scale · (its roofline time from the figures above) + kernel_call_s per call
   * + kernel_entry_s per sparse entry walked. Unfitted: scale 1, the others 0 (the roofline
   * alone). Scales are positive, the others >= 0. */
  double kernel_scale[GS_FLOPS_CATEGORIES];
  double kernel_call_s[GS_FLOPS_CATEGORIES];
  double kernel_entry_s[GS_FLOPS_CATEGORIES];
} gs_profile;

/* A conservative profile for an unmeasured machine (1 thread, 10 GB/s, 20 GFLOP/s), so the
 * predictor runs before calibration. Its `machine` reads "default (not measured)". */
gs_profile gs_profile_default(void);

/* Measures the profile of this machine with `threads` threads (0 = every online core) in
 * about `seconds_budget` seconds (3 is a good default: 2.2 to 2.7 s here). The operands
 * shrink to fit the budget but always stay 2 to 4 times larger than the largest cache, so
 * budgets under about 2 s are overrun (a 1 s budget takes 1.5 s on a quiet 2-core EPYC VM
 * with 32 MiB of L3, 2.4 s on a loaded one). Sets the thread count of every library through
 * gs_runtime_init for the duration and restores the previous one. The overhead figures
 * depend on OMP_WAIT_POLICY (passive threads make each parallel region cost 50 µs, not 1.5). One buffer of 12 x the largest cache (384 MiB here) comes from the counting allocator
 * and is freed before returning. Not to be called inside an OpenMP region. Errors:
 * GS_ERR_INVALID (threads out of range, budget under 0.2 s or not finite), GS_ERR_NOMEM,
 * GS_ERR_NUMERIC (a figure came out non-positive or non-finite), GS_ERR_INTERNAL (a product
 * failed its check). *out is written only on success. */
gs_status gs_profile_measure(gs_profile *out, int threads, double seconds_budget, gs_error *err);

/* Writes the profile as `key = value` lines (with a comment header) to `path`, through a
 * temporary file in the same folder that is renamed over `path`, so a reader never sees a
 * half-written file. Numbers are written with the fewest digits that read back exactly.
 * Errors: GS_ERR_INVALID (a field non-positive or non-finite), GS_ERR_IO. */
gs_status gs_profile_save(const gs_profile *p, const char *path, gs_error *err);

/* Reads a file written by gs_profile_save. Blank lines and lines starting with '#' are
 * skipped; every other line must be `key = value`, each known key exactly once. Errors name
 * the file and line ("p.txt:7: ..."): GS_ERR_NOT_FOUND or GS_ERR_IO (cannot open),
 * GS_ERR_PARSE (no '=', unknown or repeated key, not a number, line too long, missing key),
 * GS_ERR_NUMERIC (nan or inf), GS_ERR_RANGE (zero or negative). *p is written only on
 * success. */
gs_status gs_profile_load(gs_profile *p, const char *path, gs_error *err);

/* The sgemm rate in GFLOP/s predicted for C (m x n) = op(A) · op(B) summed over k, as
 * cblas_sgemm's m, n, k. gs_profile_sgemm_rate_op reads the table of `op`, whose rows are m
 * (NN, NT) or k (TN) and whose widths are the other two dimensions. gs_profile_sgemm_rate
 * guesses the op from the shape: TN when k is the longest dimension, NN otherwise. The rate
 * is interpolated log-log in the harmonic mean of the widths between the measured shapes
 * (proportionally below the narrowest, whose products are bandwidth-bound; flat above the
 * widest), then log-log in the rows between the small and large row counts (flat outside).
 * Dimensions <= 0 give the peak rate (such a product has no FLOPs). Pure and cheap. */
double gs_profile_sgemm_rate(const gs_profile *p, int64_t m, int64_t n, int64_t k);

/* The gather rate in GB/s of a row-parallel sparse product whose gathered operand holds
 * `operand_bytes` in rows of k floats: the gather curve interpolated log-log in the operand
 * size, then in k (flat outside the measured sizes and widths). Pure and cheap. */
double gs_profile_gather_rate(const gs_profile *p, double operand_bytes, int64_t k);
double gs_profile_sgemm_rate_op(const gs_profile *p, gs_profile_op op, int64_t m, int64_t n,
                                int64_t k);

#endif

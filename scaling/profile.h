/* The machine profile of the cost model (DESIGN.md §4): sgemm rates measured on the dense
 * product shapes of a GCN layer, STREAM bandwidth (McCalpin's copy and triad), the effective
 * bandwidth of a sparse x dense product with random neighbours, and per-call overheads.
 * Measured once by `gnnscale calibrate`, kept as a `key = value` text file, and read back by
 * the predictor, which charges each kernel max(FLOPs / rate, bytes / bandwidth) + overhead,
 * scaled per kernel category by the fit of scaling/calibrate.h. */
#ifndef GS_PROFILE_H
#define GS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
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

  /* The batch builder's rates on one thread (scaling/build_work.h), GB/s of that module's byte
   * counts: pread's copies, the element loops (checks, the row kernel, preparation), and the
   * counting sort that rebuilds Xᵀ; measured by building generated batches larger than the
   * cache with the builder's own code. 0 in a profile written before they were measured (the
   * keys may be missing from its file): the build is then priced at a thread's share of
   * copy_gbs. */
  double build_copy_gbs;
  double build_loop_gbs;
  double bind_gbs;

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

/* This machine as a profile records it: "model name" of /proc/cpuinfo and the online core
 * count ("AMD EPYC, 2 cores online"), control characters replaced by spaces. */
void gs_profile_machine(char *out, size_t size);

/* A conservative profile for an unmeasured machine (1 thread, 10 GB/s, 20 GFLOP/s), so the
 * predictor runs before calibration. Its `machine` reads "default (not measured)". */
gs_profile gs_profile_default(void);

/* A clock for the measurement: seconds from a monotonic origin. Tests pass a fake one to
 * check the budget arithmetic without timing anything. */
typedef double (*gs_profile_clock)(void *ctx);

/* The environment variable that overrides the cache size the system reports (bytes, or with
 * a K, M or G suffix): `GNNSCALE_LLC_BYTES=480M` makes any machine look like a VM whose /sys
 * reports a 480 MiB L3. The reported size is only a hint either way (see below). */
#define GS_PROFILE_LLC_ENV "GNNSCALE_LLC_BYTES"

/* How a measurement is run. */
typedef struct {
  int threads;                 /* 0 = every online core */
  double seconds;              /* the budget (>= 0.2 s) */
  int64_t llc_hint_bytes;      /* > 0: use this reported cache size instead of looking it up */
  int64_t mem_available_bytes; /* > 0: use this instead of MemAvailable and the cgroup limit */
  gs_profile_clock clock;      /* NULL: gs_clock_seconds */
  void *clock_ctx;
} gs_profile_measure_options;

/* Every online core, 3 s, the hint and free memory looked up, the real clock. */
gs_profile_measure_options gs_profile_measure_options_default(void);

/* The phases of a measurement, in the order they run. */
typedef enum {
  GS_PROFILE_PHASE_OVERHEADS = 0,
  GS_PROFILE_PHASE_SWEEP = 1,  /* bandwidth against size: where the cache really ends */
  GS_PROFILE_PHASE_STREAM = 2,
  GS_PROFILE_PHASE_SPMM = 3,
  GS_PROFILE_PHASE_GATHER = 4,
  GS_PROFILE_PHASE_PEAK = 5,
  GS_PROFILE_PHASE_BUILD = 6, /* the batch builder's rates (scaling/build_work.h) */
  GS_PROFILE_PHASE_SGEMM = 7
} gs_profile_phase;
#define GS_PROFILE_PHASES 8
#define GS_PROFILE_SWEEP_MAX 16

/* What a measurement did: the sizes it chose and why, and the phases it ran. */
typedef struct {
  int64_t llc_hint_bytes;       /* the cache size reported (or overridden) */
  char llc_hint_source[48];     /* "GNNSCALE_LLC_BYTES", "/sys", "sysconf", "default" */
  int64_t mem_available_bytes;  /* free memory seen (MemAvailable, cgroup limit less usage) */
  int64_t span_cap_bytes;       /* no phase's buffers exceed this (gs_profile_span_cap) */
  int64_t arena_bytes;          /* the one buffer all phases carve from */
  double touch_seconds;         /* first-touching it (page faults), by the options' clock */
  int sweep_count;              /* sizes of the bandwidth sweep */
  int64_t sweep_bytes[GS_PROFILE_SWEEP_MAX];
  double sweep_gbs[GS_PROFILE_SWEEP_MAX];
  bool cache_edge_seen;         /* the sweep saw the bandwidth fall */
  int64_t llc_bytes;            /* the cache size used to size arrays (profile.llc_bytes) */
  int64_t stream_array_bytes;   /* one STREAM array */
  int64_t sgemm_span_bytes;     /* the largest span of the out-of-cache sgemm operands */
  int64_t build_source_bytes;   /* the generated store the build rates were measured on */
  bool phase_run[GS_PROFILE_PHASES];
  double phase_seconds[GS_PROFILE_PHASES]; /* by the options' clock */
  double seconds;               /* the whole measurement, by the options' clock */
} gs_profile_measure_report;

/* The largest number of bytes the buffers of any one phase may span for a budget of
 * `seconds` with `mem_available` bytes free: GS_PROFILE_SPAN_PER_SECOND per second of budget
 * (at least GS_PROFILE_SPAN_MIN), and never more than a quarter of the free memory. Pure. */
#define GS_PROFILE_SPAN_PER_SECOND (160LL << 20)
#define GS_PROFILE_SPAN_MIN (96LL << 20)
int64_t gs_profile_span_cap(double seconds, int64_t mem_available);

/* The cache size reported for this machine: $GNNSCALE_LLC_BYTES when set, else the largest
 * cache under /sys/devices/system/cpu/cpu0/cache, else sysconf's level-3 (or level-2) size,
 * else 32 MiB; `source` (may be NULL, >= 48 bytes) names which. Errors: GS_ERR_INVALID (the
 * variable is set but not a size from 64 KiB to 1 TiB). */
gs_status gs_profile_llc_hint(int64_t *bytes, char *source, gs_error *err);

/* Where the cache ends, from a bandwidth sweep over `count` ascending sizes: the largest size
 * before the bandwidth first falls below the geometric mean of the best and the last one,
 * capped at `hint`; when the sweep never falls by GS_PROFILE_EDGE_RATIO (no edge seen within
 * it), the hint capped at a quarter of the largest size swept. *edge_seen says which. Pure. */
#define GS_PROFILE_EDGE_RATIO 1.5
int64_t gs_profile_cache_end(const int64_t *bytes, const double *gbs, int count, int64_t hint,
                             bool *edge_seen);

/* Measures the profile of this machine within about o->seconds: per-call overheads, a
 * bandwidth-vs-size sweep that finds where the cache really ends (the reported size is only
 * a hint: a VM's /sys may report 480 MiB), STREAM, the random-neighbour SpMM, the gather curve,
 * the compute roof and the sgemm tables. Every buffer is sized from the cache found, capped by
 * gs_profile_span_cap, so the budget holds however large the cache reported (a measured rate
 * then comes from operands 2 to 4 times the cache when the budget allows, fewer otherwise).
 * Sets the thread count of every library through gs_runtime_init for the duration and restores
 * the previous one. The overhead figures depend on OMP_WAIT_POLICY (passive threads make each
 * parallel region cost 50 us, not 1.5). One buffer (report->arena_bytes) comes from the
 * counting allocator and is freed before returning. Not to be called inside an OpenMP region.
 * `report` may be NULL. Errors: GS_ERR_INVALID (threads out of range, budget under 0.2 s or
 * not finite, a bad GNNSCALE_LLC_BYTES), GS_ERR_NOMEM, GS_ERR_NUMERIC (a figure came out
 * non-positive or non-finite), GS_ERR_INTERNAL (a product failed its check). *out is written
 * only on success. */
gs_status gs_profile_measure_with(gs_profile *out, gs_profile_measure_report *report,
                                  const gs_profile_measure_options *o, gs_error *err);

/* gs_profile_measure_with with the default options, `threads` and `seconds_budget`. */
gs_status gs_profile_measure(gs_profile *out, int threads, double seconds_budget, gs_error *err);

/* Writes the profile as `key = value` lines (with a comment header) to `path`, through a
 * temporary file in the same folder that is renamed over `path`, so a reader never sees a
 * half-written file. Numbers are written with the fewest digits that read back exactly.
 * Errors: GS_ERR_INVALID (a field non-positive or non-finite), GS_ERR_IO. */
gs_status gs_profile_save(const gs_profile *p, const char *path, gs_error *err);

/* Reads a file written by gs_profile_save. Blank lines and lines starting with '#' are
 * skipped; every other line must be `key = value`, each known key exactly once (the build
 * rates build_copy_gbs, build_loop_gbs and bind_gbs at most once: a file from before they
 * were measured lacks them, and they read as 0). Errors name
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

/* Machine profile for the cost model (DESIGN.md §4, after the roofline of Williams, Waterman
 * and Patterson 2009): sgemm rates on GCN product shapes, STREAM copy and triad (McCalpin),
 * a random-neighbour SpMM, per-call overheads; the `key = value` file that keeps them; and
 * the interpolation the predictor reads rates through. */
#include "scaling/profile.h"

#include <assert.h>
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/mem.h"
#include "core/memlimit.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "gnn/dense.h"
#include "scaling/build_work.h"
#include "sparse/csr.h"

static const int shape_in[GS_PROFILE_SHAPES] = GS_PROFILE_SHAPE_IN;
static const int shape_out[GS_PROFILE_SHAPES] = GS_PROFILE_SHAPE_OUT;
static const char *const op_names[GS_PROFILE_OPS] = {"nn", "tn", "nt"};
static const int64_t gather_bytes[GS_PROFILE_GATHER_SIZES] = GS_PROFILE_GATHER_BYTES;
static const int64_t gather_k[GS_PROFILE_GATHER_WIDTHS] = GS_PROFILE_GATHER_K;
static const char *const rows_names[2] = {"small", "large"};

/* ---------------------------------------------------------------------------------------- */
/* Defaults                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* Figures of the default profile: a modest single core, so predictions err on the slow side. */
#define DEFAULT_GFLOPS 20.0
#define DEFAULT_BANDWIDTH_GBS 10.0
#define DEFAULT_CALL_OVERHEAD_S 2e-6
#define DEFAULT_SPMM_OVERHEAD_S 5e-6
#define DEFAULT_LLC_BYTES (32LL << 20)
/* Rows of the in-cache products (a Cora-sized graph). */
#define SMALL_ROWS 4096

gs_profile gs_profile_default(void) {
  gs_profile p;
  memset(&p, 0, sizeof p);
  p.threads = 1;
  snprintf(p.machine, sizeof p.machine, "%s", "default (not measured)");
  p.measure_seconds = 1e-9; /* positive, as every number in a profile; nothing was measured */
  p.llc_bytes = DEFAULT_LLC_BYTES;
  for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
    int64_t row_bytes = 4 * (int64_t)(shape_in[s] + shape_out[s]);
    p.sgemm_rows[GS_PROFILE_ROWS_SMALL][s] = SMALL_ROWS;
    p.sgemm_rows[GS_PROFILE_ROWS_LARGE][s] = 4 * DEFAULT_LLC_BYTES / row_bytes;
  }
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int r = 0; r < 2; r++)
      for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
        /* Narrow products are bandwidth-bound: w/4 FLOP per byte (see width_of). */
        double w = 2.0 * shape_in[s] * shape_out[s] / (shape_in[s] + shape_out[s]);
        p.sgemm_gflops[op][r][s] = fmin(DEFAULT_GFLOPS, DEFAULT_BANDWIDTH_GBS * w / 4);
      }
  p.sgemm_gflops_peak = DEFAULT_GFLOPS;
  p.bandwidth_gbs = DEFAULT_BANDWIDTH_GBS;
  p.copy_gbs = DEFAULT_BANDWIDTH_GBS;
  p.spmm_random_gbs = DEFAULT_BANDWIDTH_GBS / 4;
  /* Unmeasured: twice STREAM from cache, falling to the random-neighbour rate beyond it. */
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++)
    for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++)
      p.gather_gbs[w][z] = gather_bytes[z] <= DEFAULT_LLC_BYTES / 2 ? 2.0 * DEFAULT_BANDWIDTH_GBS
                                                                    : p.spmm_random_gbs;
  p.call_overhead_s = DEFAULT_CALL_OVERHEAD_S;
  p.spmm_overhead_s = DEFAULT_SPMM_OVERHEAD_S;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    p.kernel_scale[c] = 1.0;
    p.kernel_call_s[c] = 0.0;
    p.kernel_entry_s[c] = 0.0;
  }
  return p;
}

/* ---------------------------------------------------------------------------------------- */
/* Rate interpolation                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* Harmonic mean of two widths: a tall product with widths a and b moves 4(a + b) bytes per
 * row for 2ab FLOPs, so it does width_of(a, b) / 4 FLOP per byte. */
static double width_of(double a, double b) { return 2.0 * a * b / (a + b); }

/* Bytes of all three operands of C (m x n) = A (m x k) · B (k x n). */
static double working_set(double m, double n, double k) { return 4.0 * (m * k + k * n + m * n); }

/* Working set of the measured product of shape s with `rows` rows (the same for every op). */
static double shape_working_set(int s, int64_t rows) {
  return working_set((double)rows, shape_out[s], shape_in[s]);
}

/* Linear interpolation of y over x (ascending), both given as logarithms by the caller;
 * outside the range, `below` selects proportional extrapolation (slope 1 in log-log) or flat,
 * and above the range it is flat. */
static double interp_log(const double *lx, const double *ly, int count, double x, bool below) {
  if (x <= lx[0]) return below ? ly[0] + (x - lx[0]) : ly[0];
  for (int i = 1; i < count; i++)
    if (x <= lx[i]) {
      double t = (x - lx[i - 1]) / (lx[i] - lx[i - 1]);
      return ly[i - 1] + t * (ly[i] - ly[i - 1]);
    }
  return ly[count - 1];
}

double gs_profile_sgemm_rate_op(const gs_profile *p, gs_profile_op op, int64_t m, int64_t n,
                                int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0 || (int)op < 0 || (int)op >= GS_PROFILE_OPS)
    return p->sgemm_gflops_peak;
  double a, b; /* the widths: the two dimensions that are not rows */
  if (op == GS_PROFILE_TN) {
    a = (double)m;
    b = (double)n;
  } else {
    a = (double)n;
    b = (double)k;
  }
  double lw[GS_PROFILE_SHAPES], lr[2][GS_PROFILE_SHAPES], lws[2][GS_PROFILE_SHAPES];
  for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
    lw[s] = log(width_of(shape_in[s], shape_out[s]));
    for (int r = 0; r < 2; r++) {
      lr[r][s] = log(p->sgemm_gflops[op][r][s]);
      lws[r][s] = log(shape_working_set(s, p->sgemm_rows[r][s]));
    }
  }
  double x = log(width_of(a, b));
  double rate_small = interp_log(lw, lr[GS_PROFILE_ROWS_SMALL], GS_PROFILE_SHAPES, x, true);
  double rate_large = interp_log(lw, lr[GS_PROFILE_ROWS_LARGE], GS_PROFILE_SHAPES, x, true);
  double ws_small = interp_log(lw, lws[GS_PROFILE_ROWS_SMALL], GS_PROFILE_SHAPES, x, false);
  double ws_large = interp_log(lw, lws[GS_PROFILE_ROWS_LARGE], GS_PROFILE_SHAPES, x, false);
  double ws = log(working_set((double)m, (double)n, (double)k));
  double t = ws_large > ws_small ? (ws - ws_small) / (ws_large - ws_small) : 1.0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return exp(rate_small + t * (rate_large - rate_small));
}

double gs_profile_sgemm_rate(const gs_profile *p, int64_t m, int64_t n, int64_t k) {
  gs_profile_op op = (k > m && k >= n) ? GS_PROFILE_TN : GS_PROFILE_NN;
  return gs_profile_sgemm_rate_op(p, op, m, n, k);
}

/* Log-log interpolation of y over ascending x at v, flat outside. */
static double interp_flat(const double *x, const double *y, int count, double v) {
  if (v <= x[0]) return y[0];
  if (v >= x[count - 1]) return y[count - 1];
  int i = 1;
  while (x[i] < v) i++;
  double t = (log(v) - log(x[i - 1])) / (log(x[i]) - log(x[i - 1]));
  return exp(log(y[i - 1]) + t * (log(y[i]) - log(y[i - 1])));
}

double gs_profile_gather_rate(const gs_profile *p, double operand_bytes, int64_t k) {
  double sizes[GS_PROFILE_GATHER_SIZES], at_k[GS_PROFILE_GATHER_WIDTHS],
      widths[GS_PROFILE_GATHER_WIDTHS];
  for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++) sizes[z] = (double)gather_bytes[z];
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++) {
    widths[w] = (double)gather_k[w];
    at_k[w] = interp_flat(sizes, p->gather_gbs[w], GS_PROFILE_GATHER_SIZES,
                          operand_bytes > 1.0 ? operand_bytes : 1.0);
  }
  return interp_flat(widths, at_k, GS_PROFILE_GATHER_WIDTHS, k > 1 ? (double)k : 1.0);
}

/* ---------------------------------------------------------------------------------------- */
/* The file: one table of fields drives saving, loading and validation                       */
/* ---------------------------------------------------------------------------------------- */

/* The first key of every file; a different number means a different layout. */
#define FORMAT_KEY "gnnscale_profile"
#define FORMAT_VERSION 4
#define KEY_MAX 48
#define LINE_MAX_CHARS 512
#define MAX_THREADS 1024

typedef enum {
  FIELD_FORMAT,
  FIELD_INT,
  FIELD_INT64,
  FIELD_DOUBLE,     /* positive */
  FIELD_NONNEG,     /* a double >= 0 */
  FIELD_OPTIONAL,   /* a double >= 0 that a file may lack (0 then) */
  FIELD_STRING
} field_kind;

typedef struct {
  char name[KEY_MAX];
  field_kind kind;
  size_t offset; /* into gs_profile (unused for FIELD_FORMAT) */
} field;

/* format, threads, machine, measure_seconds, llc_bytes, peak; rows and rates; 5 scalars; the
 * kernel fit's scale and call per category. */
enum {
  FIELD_COUNT = 6 + (2 + GS_PROFILE_OPS * 2) * GS_PROFILE_SHAPES + 5 + 3 +
                GS_PROFILE_GATHER_WIDTHS * GS_PROFILE_GATHER_SIZES + 3 * GS_FLOPS_CATEGORIES
};

static const char *const category_names[GS_FLOPS_CATEGORIES] = {"aggregate", "dense",
                                                                "sparse_input", "elementwise"};

/* Fills `f` (FIELD_COUNT entries) in file order. */
static void profile_fields(field *f) {
  int i = 0;
#define ADD(key, kind_, member)                 \
  do {                                          \
    snprintf(f[i].name, KEY_MAX, "%s", key);    \
    f[i].kind = kind_;                          \
    f[i].offset = offsetof(gs_profile, member); \
    i++;                                        \
  } while (0)
  ADD(FORMAT_KEY, FIELD_FORMAT, threads);
  ADD("threads", FIELD_INT, threads);
  ADD("machine", FIELD_STRING, machine);
  ADD("measure_seconds", FIELD_DOUBLE, measure_seconds);
  ADD("llc_bytes", FIELD_INT64, llc_bytes);
  ADD("sgemm_gflops_peak", FIELD_DOUBLE, sgemm_gflops_peak);
  for (int r = 0; r < 2; r++)
    for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
      snprintf(f[i].name, KEY_MAX, "sgemm_rows_%s_%dx%d", rows_names[r], shape_in[s], shape_out[s]);
      f[i].kind = FIELD_INT64;
      f[i].offset =
          offsetof(gs_profile, sgemm_rows) + sizeof(int64_t) * (size_t)(r * GS_PROFILE_SHAPES + s);
      i++;
    }
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int r = 0; r < 2; r++)
      for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
        snprintf(f[i].name, KEY_MAX, "sgemm_%s_%s_%dx%d", op_names[op], rows_names[r], shape_in[s],
                 shape_out[s]);
        f[i].kind = FIELD_DOUBLE;
        f[i].offset = offsetof(gs_profile, sgemm_gflops) +
                      sizeof(double) * (size_t)((op * 2 + r) * GS_PROFILE_SHAPES + s);
        i++;
      }
  ADD("bandwidth_gbs", FIELD_DOUBLE, bandwidth_gbs);
  ADD("copy_gbs", FIELD_DOUBLE, copy_gbs);
  ADD("spmm_random_gbs", FIELD_DOUBLE, spmm_random_gbs);
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++)
    for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++) {
      snprintf(f[i].name, KEY_MAX, "gather_gbs_k%lld_%lldKiB", (long long)gather_k[w],
               (long long)(gather_bytes[z] >> 10));
      f[i].kind = FIELD_DOUBLE;
      f[i].offset = offsetof(gs_profile, gather_gbs) +
                    sizeof(double) * (size_t)(w * GS_PROFILE_GATHER_SIZES + z);
      i++;
    }
  ADD("build_copy_gbs", FIELD_OPTIONAL, build_copy_gbs);
  ADD("build_loop_gbs", FIELD_OPTIONAL, build_loop_gbs);
  ADD("bind_gbs", FIELD_OPTIONAL, bind_gbs);
  ADD("call_overhead_s", FIELD_DOUBLE, call_overhead_s);
  ADD("spmm_overhead_s", FIELD_DOUBLE, spmm_overhead_s);
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    snprintf(f[i].name, KEY_MAX, "kernel_scale_%s", category_names[c]);
    f[i].kind = FIELD_DOUBLE;
    f[i].offset = offsetof(gs_profile, kernel_scale) + sizeof(double) * (size_t)c;
    i++;
    snprintf(f[i].name, KEY_MAX, "kernel_call_s_%s", category_names[c]);
    f[i].kind = FIELD_NONNEG;
    f[i].offset = offsetof(gs_profile, kernel_call_s) + sizeof(double) * (size_t)c;
    i++;
    snprintf(f[i].name, KEY_MAX, "kernel_entry_s_%s", category_names[c]);
    f[i].kind = FIELD_NONNEG;
    f[i].offset = offsetof(gs_profile, kernel_entry_s) + sizeof(double) * (size_t)c;
    i++;
  }
#undef ADD
  assert(i == FIELD_COUNT);
}

/* Checks one field's value in *p; on failure writes why into `why` and returns the status. */
/* Bounds of every positive profile figure (GFLOP/s, GB/s, seconds, scale factors). */
#define PLAUSIBLE_MIN 1e-9
#define PLAUSIBLE_MAX 1e9

static gs_status check_field(const gs_profile *p, const field *f, char *why, size_t why_size) {
  const char *base = (const char *)p + f->offset;
  switch (f->kind) {
    case FIELD_FORMAT:
      return GS_OK;
    case FIELD_INT: {
      int v;
      memcpy(&v, base, sizeof v);
      if (v < 1 || v > MAX_THREADS) {
        snprintf(why, why_size, "%s = %d is out of range (1 to %d)", f->name, v, MAX_THREADS);
        return GS_ERR_RANGE;
      }
      return GS_OK;
    }
    case FIELD_INT64: {
      int64_t v;
      memcpy(&v, base, sizeof v);
      if (v < 1) {
        snprintf(why, why_size, "%s = %lld must be positive", f->name, (long long)v);
        return GS_ERR_RANGE;
      }
      return GS_OK;
    }
    case FIELD_DOUBLE:
    case FIELD_NONNEG:
    case FIELD_OPTIONAL: {
      double v;
      memcpy(&v, base, sizeof v);
      if (!isfinite(v)) {
        snprintf(why, why_size, "%s = %g is not a finite number", f->name, v);
        return GS_ERR_NUMERIC;
      }
      if (f->kind == FIELD_DOUBLE && v <= 0) {
        snprintf(why, why_size, "%s = %g must be positive", f->name, v);
        return GS_ERR_RANGE;
      }
      if (v < 0) {
        snprintf(why, why_size, "%s = %g must not be negative", f->name, v);
        return GS_ERR_RANGE;
      }
      /* Rates, seconds and scales far outside any machine's (1e-300 GFLOP/s once printed a
       * 300-digit epoch time): a hand-edited or corrupt profile, refused. */
      if (v > PLAUSIBLE_MAX || (f->kind == FIELD_DOUBLE && v < PLAUSIBLE_MIN)) {
        snprintf(why, why_size, "%s = %g is outside the plausible range [%g, %g]", f->name, v,
                 f->kind == FIELD_DOUBLE ? PLAUSIBLE_MIN : 0.0, PLAUSIBLE_MAX);
        return GS_ERR_RANGE;
      }
      return GS_OK;
    }
    case FIELD_STRING: {
      size_t len = strnlen(base, GS_PROFILE_MACHINE_MAX);
      if (len == 0 || len == GS_PROFILE_MACHINE_MAX) {
        snprintf(why, why_size, "%s must hold 1 to %d characters", f->name,
                 GS_PROFILE_MACHINE_MAX - 1);
        return GS_ERR_RANGE;
      }
      for (size_t j = 0; j < len; j++)
        if ((unsigned char)base[j] < 0x20 || base[j] == 0x7f) {
          snprintf(why, why_size, "%s holds a control character", f->name);
          return GS_ERR_RANGE;
        }
      return GS_OK;
    }
  }
  return GS_OK;
}

/* Writes the shortest decimal form of v (6 to 17 significant digits) that reads back equal. */
static void format_double(char *buf, size_t size, double v) {
  for (int digits = 6; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) return;
  }
}

gs_status gs_profile_save(const gs_profile *p, const char *path, gs_error *err) {
  field fields[FIELD_COUNT];
  profile_fields(fields);
  char why[256];
  for (int i = 0; i < FIELD_COUNT; i++) {
    gs_status st = check_field(p, &fields[i], why, sizeof why);
    if (st != GS_OK) return gs_error_set(err, GS_ERR_INVALID, "%s: not saved: %s", path, why);
  }

  gs_atomic_file out;
  gs_status st = gs_atomic_open(&out, path, err);
  if (st != GS_OK) return st;
  FILE *fp = out.f;
  fprintf(fp,
          "# gnnscale machine profile (gnnscale calibrate). GFLOP/s, GB/s and seconds.\n"
          "# sgemm_<op>_<rows>_<in>x<out>: nn = H·W, tn = Hᵀ·dZ, nt = dZ·Wᵀ (scaling/profile.h)\n");
  for (int i = 0; i < FIELD_COUNT; i++) {
    const field *f = &fields[i];
    const char *base = (const char *)p + f->offset;
    char value[64];
    switch (f->kind) {
      case FIELD_FORMAT:
        fprintf(fp, "%s = %d\n", f->name, FORMAT_VERSION);
        break;
      case FIELD_INT: {
        int v;
        memcpy(&v, base, sizeof v);
        fprintf(fp, "%s = %d\n", f->name, v);
        break;
      }
      case FIELD_INT64: {
        int64_t v;
        memcpy(&v, base, sizeof v);
        fprintf(fp, "%s = %lld\n", f->name, (long long)v);
        break;
      }
      case FIELD_DOUBLE:
      case FIELD_NONNEG:
      case FIELD_OPTIONAL: {
        double v;
        memcpy(&v, base, sizeof v);
        format_double(value, sizeof value, v);
        fprintf(fp, "%s = %s\n", f->name, value);
        break;
      }
      case FIELD_STRING:
        fprintf(fp, "%s = %s\n", f->name, base);
        break;
    }
  }
  return gs_atomic_close(&out, GS_OK, err);
}

/* Parses `text` as the value of field f into *p. Returns the status and fills `why`. */
static gs_status parse_field(gs_profile *p, const field *f, const char *text, char *why,
                             size_t why_size) {
  char *base = (char *)p + f->offset;
  char *end = NULL;
  errno = 0;
  switch (f->kind) {
    case FIELD_FORMAT:
    case FIELD_INT:
    case FIELD_INT64: {
      long long v = strtoll(text, &end, 10);
      if (end == text || *end != '\0') {
        snprintf(why, why_size, "%s: expected an integer, got \"%s\"", f->name, text);
        return GS_ERR_PARSE;
      }
      if (errno == ERANGE) {
        snprintf(why, why_size, "%s: integer \"%s\" is out of range", f->name, text);
        return GS_ERR_RANGE;
      }
      if (f->kind == FIELD_FORMAT) {
        if (v != FORMAT_VERSION) {
          snprintf(why, why_size,
                   "unsupported profile format %lld (this program reads %d): run `gnnscale "
                   "calibrate` again",
                   v, FORMAT_VERSION);
          return GS_ERR_PARSE;
        }
        return GS_OK;
      }
      if (f->kind == FIELD_INT) {
        if (v < 1 || v > MAX_THREADS) {
          snprintf(why, why_size, "%s = %lld is out of range (1 to %d)", f->name, v, MAX_THREADS);
          return GS_ERR_RANGE;
        }
        int iv = (int)v;
        memcpy(base, &iv, sizeof iv);
      } else {
        int64_t lv = (int64_t)v;
        memcpy(base, &lv, sizeof lv);
      }
      break;
    }
    case FIELD_DOUBLE:
    case FIELD_NONNEG:
    case FIELD_OPTIONAL: {
      double v = strtod(text, &end);
      if (end == text || *end != '\0') {
        snprintf(why, why_size, "%s: expected a number, got \"%s\"", f->name, text);
        return GS_ERR_PARSE;
      }
      memcpy(base, &v, sizeof v);
      break;
    }
    case FIELD_STRING:
      if (strlen(text) >= GS_PROFILE_MACHINE_MAX) {
        snprintf(why, why_size, "%s is longer than %d characters", f->name,
                 GS_PROFILE_MACHINE_MAX - 1);
        return GS_ERR_RANGE;
      }
      snprintf(base, GS_PROFILE_MACHINE_MAX, "%s", text);
      break;
  }
  return check_field(p, f, why, why_size);
}

gs_status gs_profile_load(gs_profile *p, const char *path, gs_error *err) {
  field fields[FIELD_COUNT];
  profile_fields(fields);
  int seen_line[FIELD_COUNT] = {0}; /* the line that set each field, 0 = not yet */
  gs_profile q;
  memset(&q, 0, sizeof q);
  gs_status st = GS_OK;
  char line[LINE_MAX_CHARS + 2];
  char why[512];
  gs_line_reader in;
  st = gs_line_open(&in, path, line, sizeof line, err);
  if (st != GS_OK) return st;
  for (;;) {
    char *text = NULL, *key = NULL, *value = NULL;
    st = gs_line_next(&in, &text, err);
    if (st != GS_OK) goto fail;
    if (!text) break;
    st = gs_line_key_value(&in, text, &key, &value, err);
    if (st != GS_OK) goto fail;
    int index = -1;
    for (int i = 0; i < FIELD_COUNT; i++)
      if (strcmp(fields[i].name, key) == 0) index = i;
    if (index < 0) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: unknown key \"%s\"", path, in.line, key);
      goto fail;
    }
    if (seen_line[index]) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: key \"%s\" repeated (first on line %d)", path,
                        in.line, key, seen_line[index]);
      goto fail;
    }
    seen_line[index] = (int)in.line;
    gs_status fst = parse_field(&q, &fields[index], value, why, sizeof why);
    if (fst != GS_OK) {
      st = gs_error_set(err, fst, "%s:%ld: %s", path, in.line, why);
      goto fail;
    }
  }
  for (int i = 0; i < FIELD_COUNT; i++)
    if (!seen_line[i] && fields[i].kind != FIELD_OPTIONAL) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: missing key \"%s\" at end of file", path,
                        in.line, fields[i].name);
      goto fail;
    }
  gs_line_close(&in);
  *p = q;
  return GS_OK;

fail:
  gs_line_close(&in);
  return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Measurement                                                                               */
/* ---------------------------------------------------------------------------------------- */

/* Shares of the budget for STREAM, the random SpMM and the in-cache sgemm products; the
 * out-of-cache products get what is left (about half), less a reserve. */
#define SHARE_SWEEP 0.12
#define SHARE_STREAM 0.12
#define SHARE_SPMM 0.08
#define SHARE_SGEMM_SMALL 0.08
#define SHARE_RESERVE 0.10
#define SHARE_TOUCH 0.12
#define SHARE_GATHER 0.15
#define SHARE_BUILD 0.06
#define TOUCH_PROBE_BYTES ((size_t)8 << 20)
#define TOUCH_MIN_BYTES (48LL << 20)
/* Sizes in multiples of the largest cache: STREAM arrays and the SpMM's B are 4x (McCalpin's
 * rule); the out-of-cache sgemm operands span 2x to 4x, as the budget allows. All of them are
 * also capped by the workspace's span cap (gs_profile_span_cap). */
#define CACHE_MULTIPLE_MIN 2.0
#define CACHE_MULTIPLE 4.0
/* Repetitions: STREAM and SpMM keep the best, sgemm the median. */
#define STREAM_REPS_MIN 3
#define STREAM_REPS_MAX 20
#define SGEMM_REPS_MIN 2
#define SGEMM_REPS_PLAN 3
#define SGEMM_REPS_MAX 25
/* Batches of calls: at least OVERHEAD_BATCHES_MIN, more while the phase's share lasts. On
 * a loaded machine each parallel region can cost a scheduler tick, so a fixed count of
 * 4200 regions once took 11 s of a 1 s budget. */
#define OVERHEAD_BATCHES_MIN 3
#define OVERHEAD_BATCHES 21
#define OVERHEAD_CALLS 25
#define SHARE_OVERHEADS 0.04
#define PEAK_DIM 1024
#define PEAK_REPS 3
#define SPMM_WIDTH 16
#define SPMM_DEGREE 4
#define SPMM_ROWS_MIN 65536
#define SPMM_TINY_ROWS 64
/* A guess of the random SpMM's bandwidth, only to size it before it is measured. */
#define SPMM_GUESS_GBS 2.0
#define TINY_DIM 8
/* Relative error accepted when checking one element of a product against a double sum. */
#define CHECK_TOLERANCE 1e-3

/* One block from the counting allocator, touched once and carved anew by each phase: page
 * faults are slow (about 1.7 GB/s in a VM here), so first-touching every phase's buffers
 * would cost more than the measurements. */
typedef struct {
  char *base;
  size_t size;
  size_t used;
  gs_profile_clock clock; /* what every phase times with and checks its deadline against */
  void *clock_ctx;
  int64_t cap;            /* no phase's buffers span more (gs_profile_span_cap) */
} workspace;

static double now(const workspace *w) { return w->clock(w->clock_ctx); }

static double real_clock(void *ctx) {
  (void)ctx;
  return gs_clock_seconds();
}

static void *arena_take(workspace *a, size_t bytes) {
  size_t offset = (a->used + GS_MEM_ALIGN - 1) / GS_MEM_ALIGN * GS_MEM_ALIGN;
  if (offset > a->size || bytes > a->size - offset) return NULL; /* sized by plan: a bug */
  a->used = offset + bytes;
  return a->base + offset;
}

/* Evaluates a gs_status call and returns its status on failure (no cleanup needed). */
#define TRY_RETURN(call)                  \
  do {                                    \
    gs_status try_st_ = (call);           \
    if (try_st_ != GS_OK) return try_st_; \
  } while (0)

static size_t round_up(size_t bytes) {
  return (bytes + GS_MEM_ALIGN - 1) / GS_MEM_ALIGN * GS_MEM_ALIGN;
}

static int clamp_int(double v, int lo, int hi) {
  if (!(v >= lo)) return lo;
  return v > hi ? hi : (int)v;
}

/* The largest cache size listed under /sys for cpu0, or 0. */
static int64_t sys_cache_bytes(void) {
  int64_t best = 0;
  for (int i = 0; i < 16; i++) {
    char path[96], text[64];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    FILE *fp = fopen(path, "r");
    if (!fp) continue;
    if (fgets(text, sizeof text, fp)) {
      char *end = NULL;
      long long v = strtoll(text, &end, 10);
      if (end && (*end == 'K' || *end == 'k'))
        v <<= 10;
      else if (end && (*end == 'M' || *end == 'm'))
        v <<= 20;
      if (v > best) best = v;
    }
    fclose(fp);
  }
  return best;
}

/* Hints outside this range are refused (the variable) or ignored (the system's figures). */
#define HINT_MIN_BYTES (64LL << 10)
#define HINT_MAX_BYTES (1LL << 40)

gs_status gs_profile_llc_hint(int64_t *bytes, char *source, gs_error *err) {
  const char *env = getenv(GS_PROFILE_LLC_ENV);
  const char *from = "default";
  int64_t v = DEFAULT_LLC_BYTES;
  if (env && *env) {
    char *end = NULL;
    errno = 0;
    double x = strtod(env, &end);
    double unit = 1.0;
    if (end && (*end == 'K' || *end == 'k')) unit = 1024.0, end++;
    else if (end && (*end == 'M' || *end == 'm')) unit = 1048576.0, end++;
    else if (end && (*end == 'G' || *end == 'g')) unit = 1073741824.0, end++;
    if (end == env || *end != '\0' || errno == ERANGE || !(x * unit >= (double)HINT_MIN_BYTES) ||
        !(x * unit <= (double)HINT_MAX_BYTES))
      return gs_error_set(err, GS_ERR_INVALID,
                          "%s=\"%s\": expected a cache size from 64K to 1024G (bytes, or with a "
                          "K, M or G suffix)",
                          GS_PROFILE_LLC_ENV, env);
    v = (int64_t)(x * unit);
    from = GS_PROFILE_LLC_ENV;
  } else {
    int64_t sys = sys_cache_bytes();
    long l3 = -1, l2 = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    int64_t conf = l3 > 0 ? (int64_t)l3 : l2 > 0 ? (int64_t)l2 : 0;
    if (sys >= HINT_MIN_BYTES && sys <= HINT_MAX_BYTES) {
      v = sys;
      from = "/sys";
    } else if (conf >= HINT_MIN_BYTES && conf <= HINT_MAX_BYTES) {
      v = conf;
      from = "sysconf";
    }
  }
  *bytes = v;
  if (source) snprintf(source, 48, "%s", from);
  return GS_OK;
}

/* Bytes this process may still take (core/memlimit.h: the cgroup limit less its usage,
 * the address-space limit less what is mapped, MemAvailable); 0 when none could be read. */
static int64_t mem_available_bytes(void) {
  gs_memlimit lim;
  gs_memlimit_query(&lim);
  return lim.headroom == INT64_MAX ? 0 : lim.headroom;
}

int64_t gs_profile_span_cap(double seconds, int64_t mem_available) {
  double cap = fmax((double)GS_PROFILE_SPAN_MIN, seconds * (double)GS_PROFILE_SPAN_PER_SECOND);
  if (mem_available > 0) cap = fmin(cap, 0.25 * (double)mem_available);
  return (int64_t)cap;
}

int64_t gs_profile_cache_end(const int64_t *bytes, const double *gbs, int count, int64_t hint,
                             bool *edge_seen) {
  *edge_seen = false;
  if (count <= 0) return hint;
  int best = 0;
  for (int i = 1; i < count; i++)
    if (gbs[i] > gbs[best]) best = i;
  const double last = gbs[count - 1];
  if (count < 2 || !(gbs[best] >= GS_PROFILE_EDGE_RATIO * last)) {
    /* Flat: the cache ends below the first size or beyond the last one. Taking the largest
     * size swept errs towards arrays too large for any cache (they are capped anyway). */
    return hint < bytes[count - 1] ? hint : bytes[count - 1];
  }
  *edge_seen = true;
  const double threshold = sqrt(gbs[best] * last);
  int64_t end = bytes[count - 1];
  for (int i = best + 1; i < count; i++)
    if (gbs[i] < threshold) {
      end = bytes[i - 1];
      break;
    }
  return hint < end ? hint : end;
}

void gs_profile_machine(char *out, size_t size) {
  char model[GS_PROFILE_MACHINE_MAX] = "unknown CPU";
  FILE *fp = fopen("/proc/cpuinfo", "r");
  if (fp) {
    char line[512];
    while (fgets(line, sizeof line, fp))
      if (strncmp(line, "model name", 10) == 0) {
        char *colon = strchr(line, ':');
        if (colon) snprintf(model, sizeof model, "%s", gs_trim(colon + 1));
        break;
      }
    fclose(fp);
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  snprintf(out, size, "%.100s, %ld cores online", model, cores);
  for (char *c = out; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = ' ';
}

/* A cheap deterministic fill in [-0.5, 0.5) (the values only need to be ordinary floats). */
static void fill_floats(float *x, int64_t count, uint32_t salt) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++)
    x[i] = (float)(((uint32_t)i * 2654435761u + salt) >> 22) * (1.0f / 1024) - 0.5f;
}

static void touch_bytes(char *p, size_t bytes) {
  int64_t words = (int64_t)(bytes / sizeof(uint64_t));
  uint64_t *w = (uint64_t *)(void *)p;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < words; i++) w[i] = 0;
}

/* --- Where the cache ends: read bandwidth against the size read --- */

#define SWEEP_FIRST_BYTES (1LL << 20)
/* Each size is read over and over for at least this many bytes (and 3 passes), best of
 * SWEEP_REPS, so that small sizes are not timed by the parallel region's start. */
#define SWEEP_PASS_BYTES (48LL << 20)
#define SWEEP_REPS 4

/* Reads x[0..n) `passes` times inside one parallel region; each thread rereads the same
 * static block, as a cache holds it. Eight partial sums, so that the loop is bound by the
 * loads and not by one chain of additions. Returns the sum of all passes. */
static double sweep_read(const double *x, int64_t n, int passes) {
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  for (int r = 0; r < passes; r++) {
    double s[8] = {0};
#pragma omp for schedule(static) nowait
    for (int64_t i = 0; i < n / 8; i++)
      for (int j = 0; j < 8; j++) s[j] += x[8 * i + j];
    total += ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  }
  return total;
}

/* The sweep: sizes from SWEEP_FIRST_BYTES doubling up to 4 x the hint or the arena, as long
 * as `share` seconds allow (at least three sizes); sets p->llc_bytes to where the bandwidth
 * falls (gs_profile_cache_end). */
static gs_status measure_sweep(gs_profile *p, gs_profile_measure_report *r, workspace *mem,
                               int64_t hint, double share, gs_error *err) {
  const double deadline = now(mem) + share;
  int64_t top = (int64_t)fmin(CACHE_MULTIPLE * (double)hint, (double)mem->size);
  double *x = arena_take(mem, (size_t)top);
  if (!x) return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  const int64_t all = top / 8;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < all; i++) x[i] = 1.0;
  r->sweep_count = 0;
  for (int64_t size = SWEEP_FIRST_BYTES; size <= top && r->sweep_count < GS_PROFILE_SWEEP_MAX;
       size *= 2) {
    const int64_t n = size / 8;
    const int passes = clamp_int((double)SWEEP_PASS_BYTES / (double)size, 3, 1 << 20);
    /* The next size must end by the deadline at the last size's rate (three sizes at least). */
    if (r->sweep_count >= 3) {
      double gbs = r->sweep_gbs[r->sweep_count - 1];
      double cost = (SWEEP_REPS + 1.0) * (double)size * passes / (gbs * 1e9);
      if (now(mem) + cost > deadline) break;
    }
    if (sweep_read(x, n, passes) != (double)(n / 8 * 8) * passes)
      return gs_error_set(err, GS_ERR_INTERNAL, "profile: sweep check failed");
    double best = INFINITY;
    for (int rep = 0; rep < SWEEP_REPS; rep++) {
      double t0 = now(mem);
      sweep_read(x, n, passes);
      best = fmin(best, now(mem) - t0);
    }
    r->sweep_bytes[r->sweep_count] = size;
    r->sweep_gbs[r->sweep_count] = (double)size * passes / fmax(best, 1e-12) * 1e-9;
    r->sweep_count++;
  }
  p->llc_bytes = gs_profile_cache_end(r->sweep_bytes, r->sweep_gbs, r->sweep_count, hint,
                                      &r->cache_edge_seen);
  return GS_OK;
}

/* --- STREAM (McCalpin): arrays of doubles, OpenMP static, bytes as STREAM counts them --- */

static void stream_init(double *a, double *b, double *c, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    a[i] = 1.0;
    b[i] = 2.0;
    c[i] = 2.0;
  }
}

static double stream_triad(workspace *mem, double *a, const double *b, const double *c, int64_t n, double s) {
  double t0 = now(mem);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
  return now(mem) - t0;
}

static double stream_copy(workspace *mem, double *c, const double *b, int64_t n) {
  double t0 = now(mem);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) c[i] = b[i];
  return now(mem) - t0;
}

/* Elements of one STREAM array: 4 x LLC, within a third of the span cap. */
static int64_t stream_elements(int64_t llc, int64_t cap) {
  return (int64_t)fmin(CACHE_MULTIPLE * (double)llc, (double)(cap / 3)) / 8;
}

/* Triad and copy bandwidth, best of as many repetitions as `share` seconds allow. */
static gs_status measure_stream(gs_profile *p, workspace *mem, double share, gs_error *err) {
  double t_start = now(mem);
  int64_t n = stream_elements(p->llc_bytes, mem->cap);
  double *a = arena_take(mem, (size_t)n * 8);
  double *b = arena_take(mem, (size_t)n * 8);
  double *c = arena_take(mem, (size_t)n * 8);
  if (!a || !b || !c) return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  stream_init(a, b, c, n);
  /* Copy c = b leaves c = b = 2, so every triad gives a = 2 + 3·2 = 8. */
  const double scalar = 3.0;
  double warm = stream_triad(mem, a, b, c, n, scalar) + stream_copy(mem, c, b, n);
  double left = share - (now(mem) - t_start);
  int reps = clamp_int(left / warm, STREAM_REPS_MIN, STREAM_REPS_MAX);
  double best_triad = INFINITY, best_copy = INFINITY;
  for (int r = 0; r < reps; r++) {
    best_triad = fmin(best_triad, stream_triad(mem, a, b, c, n, scalar));
    best_copy = fmin(best_copy, stream_copy(mem, c, b, n));
  }
  for (int64_t i = 0; i < n; i += n / 7 + 1)
    if (a[i] != 8.0 || c[i] != 2.0)
      return gs_error_set(err, GS_ERR_INTERNAL, "profile: STREAM check failed at %lld",
                          (long long)i);
  p->bandwidth_gbs = 24.0 * (double)n / best_triad * 1e-9;
  p->copy_gbs = 16.0 * (double)n / best_copy * 1e-9;
  return GS_OK;
}

/* --- A row-parallel CSR product, the shape of gs_csr_spmm (one OpenMP loop over rows) --- */

static void spmm_rows(float *C, const int64_t *rowptr, const int64_t *col, const float *val,
                      const float *B, int64_t nrows, int64_t k) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nrows; i++) {
    float *c = C + i * k;
    for (int64_t j = 0; j < k; j++) c[j] = 0.0f;
    for (int64_t e = rowptr[i]; e < rowptr[i + 1]; e++) {
      const float *b = B + col[e] * k;
      const float v = val[e];
      for (int64_t j = 0; j < k; j++) c[j] += v * b[j];
    }
  }
}

/* Bytes of an nrows-row CSR with SPMM_DEGREE entries per row and of its n x SPMM_WIDTH C. */
static size_t spmm_a_bytes(int64_t nrows) {
  int64_t nnz = nrows * SPMM_DEGREE;
  return round_up((size_t)(nrows + 1) * 8) + round_up((size_t)nnz * 8) + round_up((size_t)nnz * 4) +
         round_up((size_t)nrows * SPMM_WIDTH * 4);
}

typedef struct {
  int64_t nrows, *rowptr, *col;
  float *val, *C;
} spmm_operands;

/* Carves a CSR with SPMM_DEGREE random columns in [0, ncols) per row (values 1) and its C. */
static bool spmm_make(spmm_operands *o, workspace *mem, int64_t nrows, int64_t ncols) {
  int64_t nnz = nrows * SPMM_DEGREE;
  o->nrows = nrows;
  o->rowptr = arena_take(mem, (size_t)(nrows + 1) * 8);
  o->col = arena_take(mem, (size_t)nnz * 8);
  o->val = arena_take(mem, (size_t)nnz * 4);
  o->C = arena_take(mem, (size_t)nrows * SPMM_WIDTH * 4);
  if (!o->rowptr || !o->col || !o->val || !o->C) return false;
  int64_t *rp = o->rowptr, *cp = o->col;
  float *vp = o->val;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i <= nrows; i++) rp[i] = i * SPMM_DEGREE;
#pragma omp parallel for schedule(static)
  for (int64_t e = 0; e < nnz; e++) {
    cp[e] = (int64_t)(gs_rng_at(11, GS_RNG_STREAM_GENERATE, (uint64_t)e) % (uint64_t)ncols);
    vp[e] = 1.0f;
  }
  return true;
}

/* Checks row i of C = A·B against a double sum. */
static bool spmm_row_ok(const spmm_operands *o, const float *B, int64_t i) {
  const int64_t k = SPMM_WIDTH;
  for (int64_t j = 0; j < k; j++) {
    double sum = 0, mag = 0;
    for (int64_t e = o->rowptr[i]; e < o->rowptr[i + 1]; e++) {
      double t = (double)o->val[e] * B[o->col[e] * k + j];
      sum += t;
      mag += fabs(t);
    }
    if (fabs(o->C[i * k + j] - sum) > CHECK_TOLERANCE * (mag + 1e-30)) return false;
  }
  return true;
}

/* Rows of B in the random SpMM: B spans CACHE_MULTIPLE x LLC, within half the span cap. */
static int64_t spmm_b_rows(int64_t llc, int64_t cap) {
  return (int64_t)fmin(CACHE_MULTIPLE * (double)llc, (double)(cap / 2)) / (4 * SPMM_WIDTH);
}

/* Rows of A (and C) at most: as many as B has, within the other half of the span cap. */
static int64_t spmm_a_rows_max(int64_t b_rows, int64_t cap) {
  const double row_bytes = 8.0 + 12.0 * SPMM_DEGREE + 4.0 * SPMM_WIDTH;
  double rows = fmin((double)b_rows, (double)(cap / 2) / row_bytes);
  return (int64_t)fmax(rows, SPMM_TINY_ROWS);
}

/* Effective bandwidth of SpMM with random neighbours (θ = 1): C (nrows x 16) = A · B with B
 * of 4 x LLC. Only the rows of A shrink with the budget, so every neighbour read still lands
 * in a B far larger than cache. */
static gs_status measure_spmm_random(gs_profile *p, workspace *mem, double share, gs_error *err) {
  double t_start = now(mem);
  const int64_t k = SPMM_WIDTH;
  int64_t b_rows = spmm_b_rows(p->llc_bytes, mem->cap);
  float *B = arena_take(mem, (size_t)(b_rows * k) * 4);
  double row_bytes = 8.0 + 12.0 * SPMM_DEGREE + 4.0 * k * SPMM_DEGREE + 4.0 * k;
  double afford = share / (STREAM_REPS_MIN + 1) * SPMM_GUESS_GBS * 1e9 / row_bytes;
  int64_t nrows = (int64_t)fmin(fmax(SPMM_ROWS_MIN, fmin((double)b_rows, afford)),
                                (double)spmm_a_rows_max(b_rows, mem->cap));
  spmm_operands o;
  if (!B || !spmm_make(&o, mem, nrows, b_rows))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  fill_floats(B, b_rows * k, 1);
  double t0 = now(mem);
  spmm_rows(o.C, o.rowptr, o.col, o.val, B, nrows, k);
  double warm = now(mem) - t0;
  if (!spmm_row_ok(&o, B, 0) || !spmm_row_ok(&o, B, nrows - 1))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: SpMM check failed");
  double left = share - (now(mem) - t_start);
  int reps = clamp_int(left / warm, STREAM_REPS_MIN, STREAM_REPS_MAX);
  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    t0 = now(mem);
    spmm_rows(o.C, o.rowptr, o.col, o.val, B, nrows, k);
    best = fmin(best, now(mem) - t0);
  }
  double n = (double)nrows, m = n * SPMM_DEGREE;
  double bytes = 8.0 * (n + 1) + 12.0 * m + 4.0 * m * k + 4.0 * n * k;
  p->spmm_random_gbs = bytes / best * 1e-9;
  return GS_OK;
}

/* --- The gather curve: the trainer's own row kernel, gs_csr_spmm --- */

#define GATHER_DEGREE 8
/* Bytes a run moves (the θ = 1 byte count): about 2 to 15 ms at 2 to 15 GB/s. */
#define GATHER_RUN_BYTES (32.0 * 1048576.0)
#define GATHER_REPS 3

/* Bytes the gather measurement needs from the arena: the largest B, and A and C for the most
 * rows (the narrowest k). */
static size_t gather_arena_bytes(void) {
  const double row_bytes = 8.0 + 12.0 * GATHER_DEGREE + 4.0 * 16 * (GATHER_DEGREE + 1);
  int64_t rows = (int64_t)(GATHER_RUN_BYTES / row_bytes);
  int64_t nnz = rows * GATHER_DEGREE;
  return round_up((size_t)gather_bytes[GS_PROFILE_GATHER_SIZES - 1]) +
         round_up((size_t)(rows + 1) * 8) + round_up((size_t)nnz * 8) +
         round_up((size_t)nnz * 4) + round_up((size_t)rows * 128 * 4);
}

/* For each width k and operand size: C (rows x k) = A·B with GATHER_DEGREE random neighbours
 * per row in a B of that size, the best of GATHER_REPS runs (after a warm-up) through
 * gs_csr_spmm, in GB/s of 8(n+1) + 12m + 4mk + 4nk. */
static gs_status measure_gather(gs_profile *p, workspace *mem, double share, gs_error *err) {
  const double deadline = now(mem) + share;
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++) {
    const int64_t k = gather_k[w];
    const double row_bytes = 8.0 + 12.0 * GATHER_DEGREE + 4.0 * (double)k * (GATHER_DEGREE + 1);
    const int64_t rows = (int64_t)(GATHER_RUN_BYTES / row_bytes);
    for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++) {
      mem->used = 0;
      const int64_t b_rows = gather_bytes[z] / (4 * k);
      gs_csr a = {.nrows = rows, .ncols = b_rows, .nnz = rows * GATHER_DEGREE};
      float *B = arena_take(mem, (size_t)(b_rows * k) * 4);
      a.rowptr = arena_take(mem, (size_t)(rows + 1) * 8);
      a.col = arena_take(mem, (size_t)a.nnz * 8);
      a.val = arena_take(mem, (size_t)a.nnz * 4);
      float *C = arena_take(mem, (size_t)(rows * k) * 4);
      if ((!B || !a.rowptr || !a.col || !a.val || !C) && z > 0) {
        /* Beyond the span cap of a short budget: flat from the largest size measured. */
        p->gather_gbs[w][z] = p->gather_gbs[w][z - 1];
        continue;
      }
      if (!B || !a.rowptr || !a.col || !a.val || !C)
        return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
      fill_floats(B, b_rows * k, 9);
      for (int64_t i = 0; i <= rows; i++) a.rowptr[i] = i * GATHER_DEGREE;
      /* Ascending columns within a row, as in Â: sorted draws. */
      for (int64_t i = 0; i < rows; i++) {
        int64_t *c = a.col + i * GATHER_DEGREE;
        for (int j = 0; j < GATHER_DEGREE; j++) {
          int64_t v = (int64_t)(gs_rng_at(13, GS_RNG_STREAM_GENERATE,
                                          (uint64_t)(i * GATHER_DEGREE + j)) %
                                (uint64_t)b_rows);
          int q = j;
          while (q > 0 && c[q - 1] > v) {
            c[q] = c[q - 1];
            q--;
          }
          c[q] = v;
        }
      }
      for (int64_t e = 0; e < a.nnz; e++) a.val[e] = 1.0f;
      gs_csr_spmm(&a, B, k, C, false);
      /* Check one row against a double sum. */
      const int64_t i = rows / 2;
      for (int64_t j = 0; j < k; j++) {
        double sum = 0, mag = 0;
        for (int64_t e = a.rowptr[i]; e < a.rowptr[i + 1]; e++) {
          sum += B[a.col[e] * k + j];
          mag += fabs(B[a.col[e] * k + j]);
        }
        if (fabs(C[i * k + j] - sum) > CHECK_TOLERANCE * (mag + 1e-30))
          return gs_error_set(err, GS_ERR_INTERNAL, "profile: gather check failed");
      }
      double best = INFINITY;
      /* One timed run once the share is spent. */
      const int reps = now(mem) > deadline ? 1 : GATHER_REPS;
      for (int r = 0; r < reps; r++) {
        double t0 = now(mem);
        gs_csr_spmm(&a, B, k, C, false);
        best = fmin(best, now(mem) - t0);
      }
      double n = (double)rows, m = (double)a.nnz;
      p->gather_gbs[w][z] = (8.0 * (n + 1) + 12.0 * m + 4.0 * m * k + 4.0 * n * k) / best * 1e-9;
    }
  }
  return GS_OK;
}

/* Median time of one call of a tiny sgemm and of a tiny row-parallel SpMM. */
static gs_status measure_overheads(gs_profile *p, workspace *mem, double share, gs_error *err) {
  float a[TINY_DIM * TINY_DIM], b[TINY_DIM * TINY_DIM], c[TINY_DIM * TINY_DIM];
  fill_floats(a, TINY_DIM * TINY_DIM, 1);
  fill_floats(b, TINY_DIM * TINY_DIM, 2);
  double times[OVERHEAD_BATCHES];
  const double deadline = now(mem) + share / 2;
  int batches = 0;
  for (int batch = 0; batch < OVERHEAD_BATCHES; batch++) {
    if (batch >= OVERHEAD_BATCHES_MIN && now(mem) > deadline) break;
    batches++;
    double t0 = now(mem);
    for (int call = 0; call < OVERHEAD_CALLS; call++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TINY_DIM, TINY_DIM, TINY_DIM, 1.0f, a,
                  TINY_DIM, b, TINY_DIM, 0.0f, c, TINY_DIM);
    times[batch] = (now(mem) - t0) / OVERHEAD_CALLS;
  }
  p->call_overhead_s = gs_median(times, batches);

  spmm_operands o;
  float *B = arena_take(mem, SPMM_TINY_ROWS * SPMM_WIDTH * sizeof(float));
  if (!B || !spmm_make(&o, mem, SPMM_TINY_ROWS, SPMM_TINY_ROWS))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  fill_floats(B, SPMM_TINY_ROWS * SPMM_WIDTH, 2);
  const double deadline2 = now(mem) + share / 2;
  batches = 0;
  for (int batch = 0; batch < OVERHEAD_BATCHES; batch++) {
    if (batch >= OVERHEAD_BATCHES_MIN && now(mem) > deadline2) break;
    batches++;
    double t0 = now(mem);
    for (int call = 0; call < OVERHEAD_CALLS; call++)
      spmm_rows(o.C, o.rowptr, o.col, o.val, B, SPMM_TINY_ROWS, SPMM_WIDTH);
    times[batch] = (now(mem) - t0) / OVERHEAD_CALLS;
  }
  p->spmm_overhead_s = gs_median(times, batches);
  if (!spmm_row_ok(&o, B, SPMM_TINY_ROWS - 1))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: tiny SpMM check failed");
  return GS_OK;
}

/* --- sgemm on the products of a GCN layer --- */

/* Inputs are never written, so values stay bounded however often the products run:
 * X (rows x in) is H, Y (rows x out) is dZ and receives Z, W (in x out) the weights,
 * V (in x out) receives dW, Z (rows x in) receives dH. */
typedef struct {
  float *X, *Y, *Z, *W, *V;
} sgemm_buffers;

static void run_sgemm(const sgemm_buffers *b, gs_profile_op op, int64_t rows, int in, int out) {
  /* Through the trainer's own product (gnn/dense.c), which splits rows over the threads. */
  switch (op) {
    case GS_PROFILE_NN: /* Y (rows x out) = X (rows x in) · W (in x out) */
      gs_dense_matmul(b->Y, b->X, b->W, rows, out, in, false, false, false);
      break;
    case GS_PROFILE_TN: /* V (in x out) = Xᵀ (in x rows) · Y (rows x out) */
      gs_dense_matmul(b->V, b->X, b->Y, in, out, rows, true, false, false);
      break;
    case GS_PROFILE_NT: /* Z (rows x in) = Y (rows x out) · Wᵀ (out x in) */
      gs_dense_matmul(b->Z, b->Y, b->W, rows, in, out, false, true, false);
      break;
  }
}

/* Checks element (0, 0) of the product just run against a double sum. */
static bool sgemm_check(const sgemm_buffers *b, gs_profile_op op, int64_t rows, int in, int out) {
  double sum = 0, mag = 0, got = 0;
  switch (op) {
    case GS_PROFILE_NN:
      for (int j = 0; j < in; j++) {
        double t = (double)b->X[j] * b->W[(int64_t)j * out];
        sum += t;
        mag += fabs(t);
      }
      got = b->Y[0];
      break;
    case GS_PROFILE_TN:
      for (int64_t r = 0; r < rows; r++) {
        double t = (double)b->X[r * in] * b->Y[r * out];
        sum += t;
        mag += fabs(t);
      }
      got = b->V[0];
      break;
    case GS_PROFILE_NT:
      for (int j = 0; j < out; j++) {
        double t = (double)b->Y[j] * b->W[j];
        sum += t;
        mag += fabs(t);
      }
      got = b->Z[0];
      break;
  }
  return fabs(got - sum) <= CHECK_TOLERANCE * (mag + 1e-30);
}

/* Runs one product (a warm-up when `warm_up`, else the first timed run), checks it, then
 * repeats it as often as `slice` seconds allow (SGEMM_REPS_MIN to SGEMM_REPS_MAX timed runs);
 * stores the median rate, with the call overhead taken out, in *gflops. */
static gs_status time_sgemm(workspace *mem, const sgemm_buffers *b, gs_profile_op op,
                            int64_t rows, int s, double slice, double deadline, double overhead,
                            bool warm_up, double *gflops, gs_error *err) {
  const int in = shape_in[s], out = shape_out[s];
  double times[SGEMM_REPS_MAX];
  double t0 = now(mem);
  run_sgemm(b, op, rows, in, out);
  double first = now(mem) - t0;
  if (!sgemm_check(b, op, rows, in, out))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: sgemm %s %dx%d with %lld rows is wrong",
                        op_names[op], in, out, (long long)rows);
  int reps = clamp_int((slice - (warm_up ? first : 0)) / first, SGEMM_REPS_MIN, SGEMM_REPS_MAX);
  int count = 0;
  if (!warm_up) times[count++] = first;
  for (; count < reps; count++) {
    /* Past the deadline, the fewest runs: an estimate that was off must not overrun. */
    if (count >= SGEMM_REPS_MIN && now(mem) > deadline) break;
    t0 = now(mem);
    run_sgemm(b, op, rows, in, out);
    times[count] = now(mem) - t0;
  }
  double t = gs_median(times, count);
  /* The predictor charges the call overhead separately; keep at least half the time. */
  t = fmax(t - overhead, 0.5 * t);
  *gflops = 2.0 * (double)rows * in * out / t * 1e-9;
  return GS_OK;
}

/* Rows of shape s for the measurement of `kind` when the large operands span `span` bytes
 * (4(in + out) per row), and the floats the tall buffers X, Z (rows x in) and Y (rows x out)
 * need for every shape at once. */
static int64_t sgemm_rows_for(int s, double span) {
  int64_t rows = (int64_t)(span / (4.0 * (shape_in[s] + shape_out[s])));
  return rows < 2 * SMALL_ROWS ? 2 * SMALL_ROWS : rows;
}

static void sgemm_floats(double span, int64_t *x_floats, int64_t *y_floats) {
  *x_floats = *y_floats = 0;
  for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
    int64_t rows = sgemm_rows_for(s, span);
    if (rows * shape_in[s] > *x_floats) *x_floats = rows * shape_in[s];
    if (rows * shape_out[s] > *y_floats) *y_floats = rows * shape_out[s];
  }
}

#define SGEMM_SQUARE (256 * 256)

/* The largest span of the out-of-cache operands: 4 x LLC, within a third of the span cap
 * (the tall buffers then hold under twice the span). */
static double sgemm_span(int64_t llc, int64_t cap) {
  return fmin(CACHE_MULTIPLE * (double)llc, (double)(cap / 3));
}

static size_t sgemm_bytes(double span) {
  int64_t xf, yf;
  sgemm_floats(span, &xf, &yf);
  size_t peak = 3 * round_up((size_t)PEAK_DIM * PEAK_DIM * 4);
  size_t tall =
      2 * round_up((size_t)xf * 4) + round_up((size_t)yf * 4) + 2 * round_up(SGEMM_SQUARE * 4);
  return peak > tall ? peak : tall;
}

/* The compute roof: C = A·B, all PEAK_DIM square (this also starts OpenBLAS's threads). */
static gs_status measure_peak(gs_profile *p, workspace *mem, gs_error *err) {
  const int d = PEAK_DIM;
  float *a = arena_take(mem, (size_t)d * d * 4);
  float *b = arena_take(mem, (size_t)d * d * 4);
  float *c = arena_take(mem, (size_t)d * d * 4);
  if (!a || !b || !c) return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  fill_floats(a, (int64_t)d * d, 3);
  fill_floats(b, (int64_t)d * d, 4);
  double times[PEAK_REPS];
  for (int r = 0; r < PEAK_REPS; r++) {
    double t0 = now(mem);
    gs_dense_matmul(c, a, b, d, d, d, false, false, false);
    times[r] = now(mem) - t0;
  }
  double sum = 0, mag = 0;
  for (int64_t j = 0; j < d; j++) {
    sum += (double)a[j] * b[j * d];
    mag += fabs((double)a[j] * b[j * d]);
  }
  if (fabs(c[0] - sum) > CHECK_TOLERANCE * (mag + 1e-30))
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: peak sgemm is wrong");
  /* The first run is a warm-up. */
  p->sgemm_gflops_peak = 2.0 * d * d * (double)d / gs_median(times + 1, PEAK_REPS - 1) * 1e-9;
  return GS_OK;
}

/* The sgemm tables: in-cache products in `small_time` seconds, then out-of-cache products
 * sized to end by `deadline`. */
static gs_status measure_sgemm(gs_profile *p, workspace *mem, double small_time, double deadline,
                               gs_error *err) {
  double span_hi = sgemm_span(p->llc_bytes, mem->cap);
  int64_t xf, yf;
  sgemm_floats(span_hi, &xf, &yf);
  sgemm_buffers b;
  b.X = arena_take(mem, (size_t)xf * 4);
  b.Z = arena_take(mem, (size_t)xf * 4);
  b.Y = arena_take(mem, (size_t)yf * 4);
  b.W = arena_take(mem, SGEMM_SQUARE * 4);
  b.V = arena_take(mem, SGEMM_SQUARE * 4);
  if (!b.X || !b.Y || !b.Z || !b.W || !b.V)
    return gs_error_set(err, GS_ERR_INTERNAL, "profile: arena too small");
  fill_floats(b.X, xf, 5);
  fill_floats(b.Y, yf, 6);
  fill_floats(b.W, SGEMM_SQUARE, 8);

  /* In-cache products: equal slices of small_time, each after a warm-up. */
  const double small_deadline = now(mem) + small_time;
  const int count = GS_PROFILE_OPS * GS_PROFILE_SHAPES;
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
      p->sgemm_rows[GS_PROFILE_ROWS_SMALL][s] = SMALL_ROWS;
      TRY_RETURN(time_sgemm(mem, &b, (gs_profile_op)op, SMALL_ROWS, s, small_time / count,
                            small_deadline, p->call_overhead_s, true,
                            &p->sgemm_gflops[op][GS_PROFILE_ROWS_SMALL][s], err));
    }

  /* Out-of-cache products, widest shape first. Each shape's operands span between 2 and 4
   * x LLC, as the time left allows for SGEMM_REPS_PLAN runs of its three ops, estimated at
   * the lesser of the in-cache rate and the roofline bandwidth · width / 4 and corrected by
   * how far the estimates of the shapes already run were off. The first run is timed too:
   * the buffers are touched and OpenBLAS is warm. */
  double est[GS_PROFILE_SHAPES]; /* seconds per byte of span, three ops, one run each */
  for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
    double w = width_of(shape_in[s], shape_out[s]);
    est[s] = 0;
    for (int op = 0; op < GS_PROFILE_OPS; op++)
      est[s] += (w / 4) / (1e9 * fmin(p->sgemm_gflops[op][GS_PROFILE_ROWS_SMALL][s],
                                      p->bandwidth_gbs * w / 4));
  }
  double spent = 0, planned = 0; /* actual and estimated seconds of the shapes done */
  for (int s = GS_PROFILE_SHAPES - 1; s >= 0; s--) {
    double correction = planned > 0 ? spent / planned : 1.0;
    double rest = 0;
    for (int t = s; t >= 0; t--) rest += est[t];
    double left = deadline - now(mem);
    double span = left / (SGEMM_REPS_PLAN * correction * rest);
    /* At least CACHE_MULTIPLE_MIN x LLC, unless the budget is spent: the budget comes first. */
    double span_lo = left > 0 ? fmin(CACHE_MULTIPLE_MIN * (double)p->llc_bytes, span_hi) : 0.0;
    span = fmax(span_lo, fmin(span_hi, span));
    int64_t rows = sgemm_rows_for(s, span);
    p->sgemm_rows[GS_PROFILE_ROWS_LARGE][s] = rows;
    double span_used = 4.0 * (double)rows * (shape_in[s] + shape_out[s]);
    double t0 = now(mem);
    for (int op = 0; op < GS_PROFILE_OPS; op++) {
      double w = width_of(shape_in[s], shape_out[s]);
      double one =
          span_used * (w / 4) /
          (1e9 * fmin(p->sgemm_gflops[op][GS_PROFILE_ROWS_SMALL][s], p->bandwidth_gbs * w / 4));
      TRY_RETURN(time_sgemm(mem, &b, (gs_profile_op)op, rows, s, one * correction * SGEMM_REPS_PLAN,
                            deadline, p->call_overhead_s, false,
                            &p->sgemm_gflops[op][GS_PROFILE_ROWS_LARGE][s], err));
    }
    spent += now(mem) - t0;
    planned += SGEMM_REPS_PLAN * est[s] * span_used;
  }
  return GS_OK;
}

gs_profile_measure_options gs_profile_measure_options_default(void) {
  gs_profile_measure_options o;
  memset(&o, 0, sizeof o);
  o.seconds = 3.0;
  return o;
}

gs_status gs_profile_measure(gs_profile *out, int threads, double seconds_budget, gs_error *err) {
  gs_profile_measure_options o = gs_profile_measure_options_default();
  o.threads = threads;
  o.seconds = seconds_budget;
  return gs_profile_measure_with(out, NULL, &o, err);
}

/* The batch builder's rates (build_work.h) on one thread, from a generated store twice the
 * cache found (the builder reads parts that a cache need not hold), within a quarter of the
 * span cap: its own arrays, not the arena's. */
static gs_status measure_build(gs_profile *p, gs_profile_measure_report *r, workspace *mem,
                               double share, gs_error *err) {
  const int64_t source = (int64_t)fmin(CACHE_MULTIPLE_MIN * (double)p->llc_bytes,
                                       (double)(mem->cap / 4));
  gs_build_rates b;
  gs_status st = gs_build_work_measure(&b, source, share, mem->clock, mem->clock_ctx, err);
  if (st != GS_OK) return st;
  p->build_copy_gbs = b.copy_gbs;
  p->build_loop_gbs = b.loop_gbs;
  p->bind_gbs = b.bind_gbs;
  r->build_source_bytes = b.source_bytes;
  return GS_OK;
}

/* Bytes of the one buffer: what the largest phase needs with a cache of `llc`, and at least
 * what the sweep reads, each within the span cap. */
static size_t arena_need(int64_t llc, int64_t hint, int64_t cap) {
  size_t stream = 3 * round_up((size_t)stream_elements(llc, cap) * 8);
  int64_t b_rows = spmm_b_rows(llc, cap);
  size_t spmm =
      round_up((size_t)b_rows * SPMM_WIDTH * 4) + spmm_a_bytes(spmm_a_rows_max(b_rows, cap));
  size_t sgemm = sgemm_bytes(sgemm_span(llc, cap));
  size_t tiny = round_up(SPMM_TINY_ROWS * SPMM_WIDTH * 4) + spmm_a_bytes(SPMM_TINY_ROWS);
  size_t gather = gather_arena_bytes() < (size_t)cap ? gather_arena_bytes() : (size_t)cap;
  size_t sweep = (size_t)fmin(CACHE_MULTIPLE * (double)hint, (double)cap);
  size_t need = stream;
  if (spmm > need) need = spmm;
  if (gather > need) need = gather;
  if (sgemm > need) need = sgemm;
  if (tiny > need) need = tiny;
  if (sweep > need) need = sweep;
  return need;
}

gs_status gs_profile_measure_with(gs_profile *out, gs_profile_measure_report *report,
                                  const gs_profile_measure_options *o, gs_error *err) {
  const double seconds_budget = o->seconds;
  if (!(seconds_budget >= 0.2) || !isfinite(seconds_budget))
    return gs_error_set(err, GS_ERR_INVALID,
                        "profile: time budget %g s is not a finite number of at least 0.2 s",
                        seconds_budget);
  gs_profile_measure_report r;
  memset(&r, 0, sizeof r);
  if (o->llc_hint_bytes > 0) {
    r.llc_hint_bytes = o->llc_hint_bytes;
    snprintf(r.llc_hint_source, sizeof r.llc_hint_source, "given");
  } else {
    gs_status hst = gs_profile_llc_hint(&r.llc_hint_bytes, r.llc_hint_source, err);
    if (hst != GS_OK) return hst;
  }
  r.mem_available_bytes = o->mem_available_bytes > 0 ? o->mem_available_bytes
                                                     : mem_available_bytes();
  r.span_cap_bytes = gs_profile_span_cap(seconds_budget, r.mem_available_bytes);
  int previous_threads = gs_runtime_threads();
  gs_status st = gs_runtime_init(o->threads, err);
  if (st != GS_OK) return st;

  workspace mem = {NULL, 0, 0, o->clock ? o->clock : real_clock, o->clock_ctx,
                   r.span_cap_bytes};
  const double start = now(&mem);
  const double deadline = start + seconds_budget * (1.0 - SHARE_RESERVE);
  gs_profile p = gs_profile_default();
  p.threads = gs_runtime_threads();
  gs_profile_machine(p.machine, sizeof p.machine);

  /* One buffer for every phase, sized for the cache the hint reports (the sweep can only
   * find a smaller one) within the span cap, and touched once. */
  const int64_t hint = r.llc_hint_bytes;
  size_t need = arena_need(hint, hint, r.span_cap_bytes);
  mem.base = gs_mem_alloc(need, "profile");
  mem.size = need;
  if (!mem.base) {
    st = gs_error_set(err, GS_ERR_NOMEM, "profile: no memory for %zu bytes of buffers", need);
    goto fail;
  }
  /* First touches cost what the page faults cost (about 1.7 GB/s in a quiet VM here, 90 MB/s
   * in a loaded one): time the first TOUCH_PROBE_BYTES and use no more of the buffer than
   * SHARE_TOUCH of the budget can touch at that rate. */
  size_t probe = need < TOUCH_PROBE_BYTES ? need : TOUCH_PROBE_BYTES;
  touch_bytes(mem.base, probe);
  double rate = (double)probe / fmax(now(&mem) - start, 1e-9);
  double affordable = fmax((double)TOUCH_MIN_BYTES, rate * seconds_budget * SHARE_TOUCH);
  if (affordable < (double)mem.cap) {
    mem.cap = (int64_t)affordable;
    r.span_cap_bytes = mem.cap;
    size_t fit = arena_need(hint, hint, mem.cap);
    if (fit < need) mem.size = fit;
  }
  r.arena_bytes = (int64_t)mem.size;
  if (mem.size > probe) touch_bytes(mem.base + probe, mem.size - probe);
  double t = now(&mem);
  r.touch_seconds = t - start;
#define PHASE(id, call)                       \
  do {                                        \
    mem.used = 0;                             \
    GS_TRY(call);                             \
    r.phase_run[id] = true;                   \
    double t_end_ = now(&mem);                \
    r.phase_seconds[id] = t_end_ - t;         \
    t = t_end_;                               \
  } while (0)
  PHASE(GS_PROFILE_PHASE_OVERHEADS, measure_overheads(&p, &mem, seconds_budget * SHARE_OVERHEADS, err));
  PHASE(GS_PROFILE_PHASE_SWEEP,
        measure_sweep(&p, &r, &mem, hint, seconds_budget * SHARE_SWEEP, err));
  r.llc_bytes = p.llc_bytes;
  r.stream_array_bytes = stream_elements(p.llc_bytes, mem.cap) * 8;
  r.sgemm_span_bytes = (int64_t)sgemm_span(p.llc_bytes, mem.cap);
  PHASE(GS_PROFILE_PHASE_STREAM, measure_stream(&p, &mem, seconds_budget * SHARE_STREAM, err));
  PHASE(GS_PROFILE_PHASE_SPMM, measure_spmm_random(&p, &mem, seconds_budget * SHARE_SPMM, err));
  PHASE(GS_PROFILE_PHASE_GATHER, measure_gather(&p, &mem, seconds_budget * SHARE_GATHER, err));
  PHASE(GS_PROFILE_PHASE_PEAK, measure_peak(&p, &mem, err));
  PHASE(GS_PROFILE_PHASE_BUILD,
        measure_build(&p, &r, &mem, seconds_budget * SHARE_BUILD, err));
  PHASE(GS_PROFILE_PHASE_SGEMM,
        measure_sgemm(&p, &mem, seconds_budget * SHARE_SGEMM_SMALL, deadline, err));
#undef PHASE
  p.measure_seconds = now(&mem) - start;
  r.seconds = p.measure_seconds;
  if (!(p.measure_seconds > 0)) p.measure_seconds = 1e-9; /* a stopped fake clock */

  /* Every figure must be usable by the predictor. */
  field fields[FIELD_COUNT];
  profile_fields(fields);
  char why[256];
  for (int i = 0; i < FIELD_COUNT; i++) {
    gs_status fst = check_field(&p, &fields[i], why, sizeof why);
    if (fst != GS_OK) {
      st = gs_error_set(err, GS_ERR_NUMERIC, "profile: measured %s", why);
      goto fail;
    }
  }
  gs_mem_free(mem.base);
  gs_runtime_init(previous_threads, NULL);
  *out = p;
  if (report) *report = r;
  return GS_OK;

fail:
  gs_mem_free(mem.base);
  gs_runtime_init(previous_threads, NULL);
  return st;
}

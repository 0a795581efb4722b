/* Tests of scaling/profile: the key = value file (round trip, every malformed case named by
 * file and line), the rate interpolation, and a quick measurement on this machine. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "scaling/build_work.h"
#include "scaling/calibrate.h"
#include "scaling/profile.h"
#include "tests/test_helpers.h"

Suite *gs_profile_suite(void);

/* Budget of the quick measurement, and the plausible ranges of what it finds. */
#define QUICK_BUDGET_S 1.0
/* A cache size as a VM reported it (480 MiB), for the huge-cache case on any machine. */
#define HUGE_CACHE_BYTES (480LL << 20)
/* What the buffers may exceed the span cap by: the fixed minimum of the sgemm operands
 * (8192 rows of the 256 x 256 product in X, Z and Y, plus W and V) and of the peak product. */
#define ARENA_SLACK_BYTES (32LL << 20)
/* calibrate must end within this factor of its budget. */
#define BUDGET_FACTOR 1.5
#define FAKE_STEP_FAST_S 1e-3
#define FAKE_STEP_SLOW_S 3e-3
/* The kernel fit's budget under the fast fake clock: planned runs of about 20 ms each by the
 * default profile's epoch estimates, so the test trains a few seconds at most. */
#define FIT_FAKE_BUDGET_S 0.5
#define BANDWIDTH_MIN_GBS 1.0
#define BANDWIDTH_MAX_GBS 200.0
#define GFLOPS_MIN 0.1
#define GFLOPS_MAX 100000.0
#define OVERHEAD_MAX_S 1e-2
#define RATE_TOLERANCE 1e-9

/* A fresh path in the temporary folder for this test; the caller unlinks it. */
static void temp_path(char *out, size_t size, const char *name) {
  const char *dir = getenv("TMPDIR");
  snprintf(out, size, "%s/gs_test_profile_%ld_%s", dir ? dir : "/tmp", (long)getpid(), name);
}

/* Files in the folder of `path` whose names start with its base name + ".tmp.". */
static int count_temporaries(const char *path) {
  char dir[512], prefix[512];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  ck_assert_ptr_nonnull(slash);
  *slash = '\0';
  snprintf(prefix, sizeof prefix, "%s.tmp.", slash + 1);
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int count = 0;
  for (struct dirent *e = readdir(d); e; e = readdir(d))
    count += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return count;
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  ck_assert_ptr_nonnull(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Reads a whole (small) file into a malloc'ed string. */
static char *read_text(const char *path) {
  FILE *fp = fopen(path, "r");
  ck_assert_ptr_nonnull(fp);
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  rewind(fp);
  char *text = malloc((size_t)size + 1);
  ck_assert_ptr_nonnull(text);
  ck_assert_int_eq(fread(text, 1, (size_t)size, fp), size);
  text[size] = '\0';
  fclose(fp);
  return text;
}

/* A profile with distinct, awkward values in every field. */
static gs_profile sample_profile(void) {
  gs_profile p = gs_profile_default();
  p.threads = 2;
  snprintf(p.machine, sizeof p.machine, "%s", "Test CPU = 2 cores, 3.1 GHz");
  p.measure_seconds = 2.875;
  p.llc_bytes = 33554432;
  p.sgemm_gflops_peak = 151.25;
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int r = 0; r < 2; r++)
      for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
        p.sgemm_rows[r][s] = r ? 100000 + 17 * s : 4096;
        p.sgemm_gflops[op][r][s] = 1.0 / 3.0 + 10.0 * op + 3.0 * r + s + 0.1;
      }
  p.bandwidth_gbs = 21.7;
  p.copy_gbs = 19.3;
  p.spmm_random_gbs = 4.1e-1;
  p.build_copy_gbs = 9.5;
  p.build_loop_gbs = 4.25;
  p.bind_gbs = 1.125;
  p.call_overhead_s = 1.234567e-7;
  p.spmm_overhead_s = 3.3e-6;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    p.kernel_scale[c] = 1.0 / 7.0 + c;
    p.kernel_call_s[c] = c == 1 ? 0.0 : 1.1e-6 * (c + 1); /* zero is a valid call time */
    p.kernel_entry_s[c] = c == 2 ? 0.0 : 3.3e-9 / (c + 1);
  }
  return p;
}

/* Saves the sample, applies `edit` (replace the first line starting with `key` by
 * `replacement`, or drop it when replacement is NULL), and returns the load status. */
static gs_status load_edited(const char *name, const char *key, const char *replacement,
                             gs_error *err, char *path, size_t path_size) {
  temp_path(path, path_size, name);
  gs_profile p = sample_profile();
  gs_error save_err;
  gs_status st = gs_profile_save(&p, path, &save_err);
  GS_ASSERT_OK(st, save_err);
  char *text = read_text(path);
  char *edited = malloc(strlen(text) + 256);
  ck_assert_ptr_nonnull(edited);
  edited[0] = '\0';
  bool done = false;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (!done && strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ' ') {
      done = true;
      if (replacement) {
        strcat(edited, replacement);
        strcat(edited, "\n");
      }
      continue;
    }
    strcat(edited, line);
    strcat(edited, "\n");
  }
  ck_assert_msg(done, "key %s not in the saved file", key);
  write_text(path, edited);
  free(text);
  free(edited);
  gs_profile q = gs_profile_default();
  return gs_profile_load(&q, path, err);
}

/* The line number of the first line of `path` starting with "key ". */
static int line_of(const char *name, const char *key) {
  char path[512];
  temp_path(path, sizeof path, name);
  gs_profile p = sample_profile();
  gs_error err;
  gs_status st = gs_profile_save(&p, path, &err);
  GS_ASSERT_OK(st, err);
  char *text = read_text(path);
  int line = 0, found = 0;
  for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
    line++;
    if (strncmp(s, key, strlen(key)) == 0 && s[strlen(key)] == ' ') {
      found = line;
      break;
    }
  }
  free(text);
  unlink(path);
  ck_assert_int_gt(found, 0);
  return found;
}

/* Asserts that err.msg starts with "path:line: " and mentions `needle`. */
static void assert_located(const gs_error *err, const char *path, int line, const char *needle) {
  char prefix[600];
  snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
  ck_assert_msg(strncmp(err->msg, prefix, strlen(prefix)) == 0, "message \"%s\" lacks \"%s\"",
                err->msg, prefix);
  ck_assert_msg(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg, needle);
}

/* Saves the sample with one line edited (as load_edited), loads it, and checks that the load
 * fails with `want` and a message naming the file, the edited line and `needle`. */
static void expect_edit_rejected(const char *name, const char *key, const char *replacement,
                                 gs_status want, const char *needle) {
  char path[512];
  gs_error err;
  int line = line_of(name, key);
  gs_status st = load_edited(name, key, replacement, &err, path, sizeof path);
  ck_assert_int_eq(st, want);
  assert_located(&err, path, line, needle);
  unlink(path);
}

START_TEST(test_profile_save_load_round_trip) {
  char path[512];
  temp_path(path, sizeof path, "round.txt");
  gs_profile p = sample_profile(), q;
  memset(&q, 0, sizeof q);
  gs_error err;
  gs_status st = gs_profile_save(&p, path, &err);
  GS_ASSERT_OK(st, err);
  st = gs_profile_load(&q, path, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_int_eq(q.threads, p.threads);
  ck_assert_str_eq(q.machine, p.machine);
  ck_assert_int_eq(q.llc_bytes, p.llc_bytes);
  ck_assert(q.measure_seconds == p.measure_seconds);
  ck_assert(q.sgemm_gflops_peak == p.sgemm_gflops_peak);
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int r = 0; r < 2; r++)
      for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
        ck_assert_int_eq(q.sgemm_rows[r][s], p.sgemm_rows[r][s]);
        ck_assert(q.sgemm_gflops[op][r][s] == p.sgemm_gflops[op][r][s]);
      }
  ck_assert(q.bandwidth_gbs == p.bandwidth_gbs);
  ck_assert(q.copy_gbs == p.copy_gbs);
  ck_assert(q.spmm_random_gbs == p.spmm_random_gbs);
  ck_assert(q.call_overhead_s == p.call_overhead_s);
  ck_assert(q.spmm_overhead_s == p.spmm_overhead_s);
  /* Saving again replaces the file in place; no temporary file is left behind. */
  st = gs_profile_save(&q, path, &err);
  GS_ASSERT_OK(st, err);
  char *text = read_text(path);
  ck_assert(strstr(text, "bandwidth_gbs = 21.7\n") != NULL);
  ck_assert(strstr(text, "sgemm_nt_large_256x256 = ") != NULL);
  free(text);
  unlink(path);
  ck_assert_int_eq(count_temporaries(path), 0);
}
END_TEST

START_TEST(test_profile_default_is_valid_and_saves) {
  char path[512];
  temp_path(path, sizeof path, "default.txt");
  gs_profile p = gs_profile_default(), q;
  gs_error err;
  gs_status st = gs_profile_save(&p, path, &err);
  GS_ASSERT_OK(st, err);
  st = gs_profile_load(&q, path, &err);
  GS_ASSERT_OK(st, err);
  ck_assert_str_eq(q.machine, "default (not measured)");
  unlink(path);
}
END_TEST

START_TEST(test_profile_save_rejects_invalid_field) {
  char path[512];
  temp_path(path, sizeof path, "invalid.txt");
  gs_profile p = sample_profile();
  p.copy_gbs = NAN;
  gs_error err;
  ck_assert_int_eq(gs_profile_save(&p, path, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "copy_gbs") != NULL);
  ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_profile_save_unwritable_folder) {
  gs_profile p = sample_profile();
  gs_error err;
  const char *path = "/nonexistent-gnnscale-folder/profile.txt";
  ck_assert_int_eq(gs_profile_save(&p, path, &err), GS_ERR_IO);
  ck_assert(strstr(err.msg, path) != NULL);
}
END_TEST

START_TEST(test_profile_load_missing_file) {
  char path[512];
  temp_path(path, sizeof path, "absent.txt");
  gs_profile p = sample_profile();
  gs_error err;
  ck_assert_int_eq(gs_profile_load(&p, path, &err), GS_ERR_NOT_FOUND);
  ck_assert(strstr(err.msg, path) != NULL);
  ck_assert(strstr(err.msg, "No such file") != NULL);
  ck_assert_int_eq(p.threads, 2); /* untouched on failure */
}
END_TEST

START_TEST(test_profile_load_bad_number) {
  expect_edit_rejected("bad.txt", "bandwidth_gbs", "bandwidth_gbs = 12.5GB",
                       GS_ERR_PARSE, "expected a number");
}
END_TEST

START_TEST(test_profile_load_bad_integer) {
  expect_edit_rejected("badint.txt", "threads", "threads = 2.5",
                       GS_ERR_PARSE, "expected an integer");
}
END_TEST

START_TEST(test_profile_load_missing_key) {
  char path[512];
  gs_error err;
  gs_status st = load_edited("missing.txt", "copy_gbs", NULL, &err, path, sizeof path);
  ck_assert_int_eq(st, GS_ERR_PARSE);
  /* The message points at the end of the file (its last line). */
  char *text = read_text(path);
  int lines = 0;
  for (char *c = text; *c; c++) lines += *c == '\n';
  free(text);
  assert_located(&err, path, lines, "missing key \"copy_gbs\"");
  unlink(path);
}
END_TEST

/* A profile written before the build rates were measured lacks their keys: it loads, with
 * the rates at 0, and the build is then priced at a thread's share of its copy bandwidth;
 * a repeated or negative build rate is refused as any key. */
START_TEST(test_profile_load_without_build_rates) {
  char path[512];
  gs_error err;
  temp_path(path, sizeof path, "old.txt");
  gs_profile p = sample_profile();
  GS_ASSERT_OK(gs_profile_save(&p, path, &err), err);
  char *text = read_text(path);
  char *kept = malloc(strlen(text) + 1);
  ck_assert_ptr_nonnull(kept);
  kept[0] = '\0';
  int dropped = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "build_", 6) == 0 || strncmp(line, "bind_gbs", 8) == 0) {
      dropped++;
      continue;
    }
    strcat(kept, line);
    strcat(kept, "\n");
  }
  ck_assert_int_eq(dropped, 3);
  write_text(path, kept);
  free(text);
  free(kept);
  gs_profile q = sample_profile();
  GS_ASSERT_OK(gs_profile_load(&q, path, &err), err);
  ck_assert(q.build_copy_gbs == 0.0 && q.build_loop_gbs == 0.0 && q.bind_gbs == 0.0);
  ck_assert(q.copy_gbs == p.copy_gbs);
  const gs_build_bytes b = {2e9, 1e9, 5e8};
  ck_assert_double_eq_tol(gs_build_work_seconds(&b, &q), 3.5 / (q.copy_gbs / q.threads),
                          1e-12);
  ck_assert_double_eq_tol(gs_build_work_seconds(&b, &p),
                          2.0 / 9.5 + 1.0 / 4.25 + 0.5 / 1.125, 1e-12);
  unlink(path);
  expect_edit_rejected("negbuild.txt", "bind_gbs", "bind_gbs = -1", GS_ERR_RANGE,
                       "must not be negative");
  expect_edit_rejected("repbuild.txt", "build_loop_gbs", "build_copy_gbs = 3", GS_ERR_PARSE,
                       "repeated");
}
END_TEST

START_TEST(test_profile_load_negative_value) {
  expect_edit_rejected("negative.txt", "call_overhead_s", "call_overhead_s = -1e-6",
                       GS_ERR_RANGE, "must be positive");
}
END_TEST

START_TEST(test_profile_load_negative_kernel_call) {
  expect_edit_rejected("negcall.txt", "kernel_call_s_aggregate", "kernel_call_s_aggregate = -2e-6",
                       GS_ERR_RANGE, "must not be negative");
  expect_edit_rejected("zeroscale.txt", "kernel_scale_dense", "kernel_scale_dense = 0",
                       GS_ERR_RANGE, "must be positive");
}
END_TEST

START_TEST(test_profile_load_zero_threads) {
  expect_edit_rejected("zero.txt", "threads", "threads = 0", GS_ERR_RANGE, "out of range");
}
END_TEST

START_TEST(test_profile_load_nan_and_inf) {
  expect_edit_rejected("nan.txt", "sgemm_nn_large_64x64", "sgemm_nn_large_64x64 = nan",
                       GS_ERR_NUMERIC, "not a finite number");
  expect_edit_rejected("inf.txt", "spmm_random_gbs", "spmm_random_gbs = inf",
                       GS_ERR_NUMERIC, "not a finite number");
}
END_TEST

START_TEST(test_profile_load_unknown_and_repeated_keys) {
  expect_edit_rejected("unknown.txt", "copy_gbs", "copy_gbps = 19.3",
                       GS_ERR_PARSE, "unknown key \"copy_gbps\"");
  expect_edit_rejected("repeat.txt", "copy_gbs", "bandwidth_gbs = 19.3", GS_ERR_PARSE, "repeated");
}
END_TEST

START_TEST(test_profile_load_line_without_equals_and_bad_format) {
  expect_edit_rejected("noeq.txt", "machine", "machine: Test CPU",
                       GS_ERR_PARSE, "expected \"key = value\"");
  expect_edit_rejected("format.txt", "gnnscale_profile", "gnnscale_profile = 1",
                       GS_ERR_PARSE, "unsupported profile format 1 (this program reads 4): run `gnnscale calibrate` again");
}
END_TEST

START_TEST(test_profile_load_long_line) {
  char path[512];
  temp_path(path, sizeof path, "long.txt");
  char text[2048];
  memset(text, 'x', sizeof text - 2);
  text[sizeof text - 2] = '\n';
  text[sizeof text - 1] = '\0';
  write_text(path, text);
  gs_profile p;
  gs_error err;
  ck_assert_int_eq(gs_profile_load(&p, path, &err), GS_ERR_PARSE);
  assert_located(&err, path, 1, "line longer than");
  unlink(path);
}
END_TEST

START_TEST(test_profile_rate_interpolates_measured_points) {
  gs_profile p = sample_profile();
  const int in[] = GS_PROFILE_SHAPE_IN, out[] = GS_PROFILE_SHAPE_OUT;
  for (int s = 0; s < GS_PROFILE_SHAPES; s++)
    for (int r = 0; r < 2; r++) {
      int64_t rows = p.sgemm_rows[r][s];
      double nn = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NN, rows, out[s], in[s]);
      double tn = gs_profile_sgemm_rate_op(&p, GS_PROFILE_TN, in[s], out[s], rows);
      double nt = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NT, rows, in[s], out[s]);
      ck_assert_double_eq_tol(nn, p.sgemm_gflops[GS_PROFILE_NN][r][s], RATE_TOLERANCE * nn);
      ck_assert_double_eq_tol(tn, p.sgemm_gflops[GS_PROFILE_TN][r][s], RATE_TOLERANCE * tn);
      ck_assert_double_eq_tol(nt, p.sgemm_gflops[GS_PROFILE_NT][r][s], RATE_TOLERANCE * nt);
      /* The shape alone picks TN when k is the longest dimension, NN otherwise. */
      ck_assert_double_eq_tol(gs_profile_sgemm_rate(&p, in[s], out[s], rows), tn,
                              RATE_TOLERANCE * tn);
      ck_assert_double_eq_tol(gs_profile_sgemm_rate(&p, rows, out[s], in[s]), nn,
                              RATE_TOLERANCE * nn);
    }
  /* Between two widths the rate lies between theirs; beyond the widest it is flat; below
   * the narrowest it falls in proportion to the width; outside the rows it is flat. */
  int64_t rows = p.sgemm_rows[1][2];
  double mid = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NN, rows, 96, 96);
  ck_assert(mid > p.sgemm_gflops[0][1][2] && mid < p.sgemm_gflops[0][1][3]);
  double wide = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NN, 1000000, 4096, 4096);
  ck_assert_double_eq_tol(wide, p.sgemm_gflops[0][1][4], RATE_TOLERANCE * wide);
  double narrow = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NN, 10000000, 1, 1);
  double w0 = 2.0 * 16 * 7 / 23;
  ck_assert_double_eq_tol(narrow, p.sgemm_gflops[0][1][0] / w0, RATE_TOLERANCE * narrow);
  double tiny = gs_profile_sgemm_rate_op(&p, GS_PROFILE_NN, 16, 64, 64);
  ck_assert_double_eq_tol(tiny, p.sgemm_gflops[0][0][2], RATE_TOLERANCE * tiny);
  ck_assert(gs_profile_sgemm_rate(&p, 0, 10, 10) == p.sgemm_gflops_peak);
}
END_TEST

START_TEST(test_profile_measure_rejects_bad_arguments) {
  gs_profile p = sample_profile();
  gs_error err;
  ck_assert_int_eq(gs_profile_measure(&p, 2, 0.01, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "budget") != NULL);
  ck_assert_int_eq(gs_profile_measure(&p, 2, NAN, &err), GS_ERR_INVALID);
  ck_assert_int_eq(gs_profile_measure(&p, -3, 1.0, &err), GS_ERR_INVALID);
  ck_assert(strstr(err.msg, "thread count") != NULL);
  ck_assert_int_eq(p.threads, 2); /* untouched on failure */
}
END_TEST

/* The budget arithmetic: a quarter of free memory, else 160 MiB per second, at least 96 MiB. */
START_TEST(test_profile_span_cap_arithmetic) {
  const int64_t MiB = 1LL << 20;
  ck_assert_int_eq(gs_profile_span_cap(1.0, 24000 * MiB), 160 * MiB);
  ck_assert_int_eq(gs_profile_span_cap(5.0, 24000 * MiB), 800 * MiB);
  ck_assert_int_eq(gs_profile_span_cap(0.2, 24000 * MiB), 96 * MiB); /* the floor */
  ck_assert_int_eq(gs_profile_span_cap(10.0, 400 * MiB), 100 * MiB); /* free memory binds */
  ck_assert_int_eq(gs_profile_span_cap(2.0, 0), 320 * MiB);          /* unknown: no bound */
}
END_TEST

/* Where the cache ends, on synthetic sweeps: the size before the bandwidth falls below the
 * geometric mean of the best and the last, capped by the hint; no edge: the hint capped at
 * the largest size swept. */
START_TEST(test_profile_cache_end_finds_the_edge) {
  const int64_t MiB = 1LL << 20;
  int64_t bytes[9];
  for (int i = 0; i < 9; i++) bytes[i] = MiB << i; /* 1 .. 256 MiB */
  /* a 32 MiB cache: 60 GB/s up to it, 12 GB/s beyond (the dip at 2 MiB is noise) */
  const double edge32[9] = {55, 40, 60, 58, 57, 59, 14, 12, 12};
  bool seen = false;
  ck_assert_int_eq(gs_profile_cache_end(bytes, edge32, 9, 508 * MiB, &seen), 32 * MiB);
  ck_assert(seen);
  /* the hint is smaller than the edge: the hint */
  ck_assert_int_eq(gs_profile_cache_end(bytes, edge32, 9, 16 * MiB, &seen), 16 * MiB);
  /* flat (all from memory, or all from a cache larger than the sweep) */
  const double flat[9] = {12, 13, 12, 12.5, 12, 12, 11.9, 12, 12.1};
  ck_assert_int_eq(gs_profile_cache_end(bytes, flat, 9, 480 * MiB, &seen), 256 * MiB);
  ck_assert(!seen);
  ck_assert_int_eq(gs_profile_cache_end(bytes, flat, 4, 480 * MiB, &seen), 8 * MiB);
  ck_assert_int_eq(gs_profile_cache_end(bytes, flat, 9, 2 * MiB, &seen), 2 * MiB);
  /* nothing swept: the hint */
  ck_assert_int_eq(gs_profile_cache_end(bytes, flat, 0, 7 * MiB, &seen), 7 * MiB);
}
END_TEST

/* The reported cache size: GNNSCALE_LLC_BYTES overrides it, with a suffix or in bytes, and a
 * bad value is refused with the variable named. */
START_TEST(test_profile_llc_hint_override) {
  const char *saved = getenv(GS_PROFILE_LLC_ENV);
  char keep[64] = "";
  if (saved) snprintf(keep, sizeof keep, "%s", saved);
  int64_t bytes = 0;
  char source[48];
  gs_error err;
  setenv(GS_PROFILE_LLC_ENV, "480M", 1);
  GS_ASSERT_OK(gs_profile_llc_hint(&bytes, source, &err), err);
  ck_assert_int_eq(bytes, 480LL << 20);
  ck_assert_str_eq(source, GS_PROFILE_LLC_ENV);
  setenv(GS_PROFILE_LLC_ENV, "33554432", 1);
  GS_ASSERT_OK(gs_profile_llc_hint(&bytes, source, &err), err);
  ck_assert_int_eq(bytes, 32LL << 20);
  setenv(GS_PROFILE_LLC_ENV, "1.5G", 1);
  GS_ASSERT_OK(gs_profile_llc_hint(&bytes, source, &err), err);
  ck_assert_int_eq(bytes, 3LL << 29);
  const char *bad[] = {"lots", "12Q", "1K", "-5M", "2048G"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv(GS_PROFILE_LLC_ENV, bad[i], 1);
    ck_assert_int_eq(gs_profile_llc_hint(&bytes, source, &err), GS_ERR_INVALID);
    ck_assert(strstr(err.msg, GS_PROFILE_LLC_ENV) != NULL);
    ck_assert(strstr(err.msg, bad[i]) != NULL);
  }
  /* A measurement refuses it too, before touching anything. */
  gs_profile p = sample_profile();
  ck_assert_int_eq(gs_profile_measure(&p, 2, 1.0, &err), GS_ERR_INVALID);
  ck_assert_int_eq(p.threads, 2);
  unsetenv(GS_PROFILE_LLC_ENV);
  GS_ASSERT_OK(gs_profile_llc_hint(&bytes, source, &err), err);
  ck_assert(bytes >= (64LL << 10));
  ck_assert(strcmp(source, GS_PROFILE_LLC_ENV) != 0);
  if (saved) setenv(GS_PROFILE_LLC_ENV, keep, 1);
}
END_TEST

/* Checks what every measurement must satisfy, whatever the machine: the sizes chosen stay
 * within the span cap, every phase ran, figures are usable and round-trip through a file. */
static void assert_measured_within_cap(const gs_profile *p, const gs_profile_measure_report *r,
                                       int64_t hint) {
  ck_assert_int_eq(r->llc_hint_bytes, hint);
  ck_assert(r->span_cap_bytes <= gs_profile_span_cap(QUICK_BUDGET_S, r->mem_available_bytes));
  /* Every buffer within the cap, beyond the fixed minimum of the sgemm operands. */
  ck_assert_int_le(r->arena_bytes, r->span_cap_bytes + ARENA_SLACK_BYTES);
  ck_assert_int_le(r->stream_array_bytes, r->span_cap_bytes / 3);
  ck_assert_int_le(r->sgemm_span_bytes, r->span_cap_bytes / 3);
  ck_assert_int_le(p->llc_bytes, hint);
  ck_assert_int_eq(p->llc_bytes, r->llc_bytes);
  ck_assert_int_ge(r->sweep_count, 3);
  for (int i = 0; i < r->sweep_count; i++) {
    ck_assert_int_le(r->sweep_bytes[i], r->arena_bytes);
    ck_assert(r->sweep_gbs[i] > 0.0 && isfinite(r->sweep_gbs[i]));
    if (i > 0) ck_assert_int_eq(r->sweep_bytes[i], 2 * r->sweep_bytes[i - 1]);
  }
  for (int ph = 0; ph < GS_PROFILE_PHASES; ph++) ck_assert_msg(r->phase_run[ph], "phase %d", ph);
  /* the large sgemm rows follow the span, the small ones are fixed */
  const int in[] = GS_PROFILE_SHAPE_IN, out[] = GS_PROFILE_SHAPE_OUT;
  for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
    ck_assert_int_eq(p->sgemm_rows[0][s], 4096);
    ck_assert_int_le(p->sgemm_rows[1][s] * 4 * (in[s] + out[s]),
                     r->sgemm_span_bytes > 8192LL * 4 * (in[s] + out[s])
                         ? r->sgemm_span_bytes
                         : 8192LL * 4 * (in[s] + out[s]));
  }
  ck_assert(p->bandwidth_gbs > 0 && isfinite(p->bandwidth_gbs));
  /* the build rates measured, on a generated store within a quarter of the cap */
  ck_assert(p->build_copy_gbs > 0 && p->build_loop_gbs > 0 && p->bind_gbs > 0);
  ck_assert_int_le(r->build_source_bytes, r->span_cap_bytes / 4 + (4LL << 20));
  ck_assert(p->sgemm_gflops_peak > 0 && isfinite(p->sgemm_gflops_peak));
  char path[512];
  temp_path(path, sizeof path, "measured.txt");
  gs_error err;
  GS_ASSERT_OK(gs_profile_save(p, path, &err), err);
  gs_profile q;
  GS_ASSERT_OK(gs_profile_load(&q, path, &err), err);
  ck_assert(q.bandwidth_gbs == p->bandwidth_gbs);
  ck_assert_int_eq(q.llc_bytes, p->llc_bytes);
  unlink(path);
}

/* A machine that reports a 480 MiB cache (as a VM's /sys did), measured for real with a 1 s
 * budget: no wall-clock assertion, only the work done. Before the cap this touched a 5.6 GiB
 * buffer and took 23 to 30 s. */
START_TEST(test_profile_measure_huge_cache_report_stays_small) {
  GS_TEST_RUNTIME(2);
  int64_t before = gs_mem_current();
  gs_profile_measure_options o = gs_profile_measure_options_default();
  o.threads = 2;
  o.seconds = QUICK_BUDGET_S;
  o.llc_hint_bytes = HUGE_CACHE_BYTES;
  gs_profile p;
  gs_profile_measure_report r;
  gs_error err;
  GS_ASSERT_OK(gs_profile_measure_with(&p, &r, &o, &err), err);
  ck_assert_int_eq(gs_mem_current(), before);
  ck_assert_int_eq(gs_runtime_threads(), 2);
  ck_assert_int_eq(p.threads, 2);
  ck_assert(strlen(p.machine) > 0);
  assert_measured_within_cap(&p, &r, HUGE_CACHE_BYTES);
  ck_assert_str_eq(r.llc_hint_source, "given");
  for (int op = 0; op < GS_PROFILE_OPS; op++)
    for (int rr = 0; rr < 2; rr++)
      for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
        double g = p.sgemm_gflops[op][rr][s];
        ck_assert_msg(isfinite(g) && g >= GFLOPS_MIN && g <= GFLOPS_MAX, "rate %g", g);
      }
  ck_assert(p.call_overhead_s > 0 && p.call_overhead_s < OVERHEAD_MAX_S);
  ck_assert(p.spmm_overhead_s > 0 && p.spmm_overhead_s < OVERHEAD_MAX_S);
  fprintf(stderr,
          "profile (480 MiB reported): cache found %.1f MiB (edge %s), buffers %.0f MiB of a "
          "%.0f MiB cap; triad %.1f GB/s, peak sgemm %.1f GFLOP/s\n",
          (double)p.llc_bytes / 1048576.0, r.cache_edge_seen ? "seen" : "not seen",
          (double)r.arena_bytes / 1048576.0, (double)r.span_cap_bytes / 1048576.0,
          p.bandwidth_gbs, p.sgemm_gflops_peak);
}
END_TEST

/* A fake clock: every read advances it by a fixed step, as if each timed operation took
 * that long. */
typedef struct {
  double t, step;
  long reads;
} fake_clock;

static double fake_now(void *ctx) {
  fake_clock *c = ctx;
  c->reads++;
  c->t += c->step;
  return c->t;
}

/* The budget arithmetic under a fake clock, fast and slow: every phase runs, and the
 * measurement ends within 1.5 x its budget by that clock, whatever the machine's real speed
 * (the slow step makes the rate estimates of the sgemm phase 40x off, which the deadlines
 * inside each phase must absorb). */
START_TEST(test_profile_measure_budget_with_fake_clock) {
  GS_TEST_RUNTIME(2);
  const double steps[2] = {FAKE_STEP_FAST_S, FAKE_STEP_SLOW_S};
  for (int i = 0; i < 2; i++) {
    fake_clock c = {0.0, steps[i], 0};
    gs_profile_measure_options o = gs_profile_measure_options_default();
    o.threads = 2;
    o.seconds = QUICK_BUDGET_S;
    o.llc_hint_bytes = HUGE_CACHE_BYTES;
    o.mem_available_bytes = 8LL << 30;
    o.clock = fake_now;
    o.clock_ctx = &c;
    gs_profile p;
    gs_profile_measure_report r;
    gs_error err;
    GS_ASSERT_OK(gs_profile_measure_with(&p, &r, &o, &err), err);
    ck_assert_int_eq(r.mem_available_bytes, 8LL << 30);
    assert_measured_within_cap(&p, &r, HUGE_CACHE_BYTES);
    ck_assert_msg(r.seconds <= BUDGET_FACTOR * QUICK_BUDGET_S,
                  "step %g: %g s by the fake clock (%ld reads; touch %g, phases %g %g %g %g %g "
                  "%g %g)", c.step, r.seconds, c.reads, r.touch_seconds, r.phase_seconds[0],
                  r.phase_seconds[1], r.phase_seconds[2], r.phase_seconds[3], r.phase_seconds[4],
                  r.phase_seconds[5], r.phase_seconds[6]);
    double sum = r.touch_seconds;
    for (int ph = 0; ph < GS_PROFILE_PHASES; ph++) sum += r.phase_seconds[ph];
    ck_assert_double_le(sum, r.seconds + 1e-9);
  }
}
END_TEST

/* The gather curve: exact at the measured points, log-log between them, flat outside. */
START_TEST(test_gather_rate_interpolates) {
  gs_profile p = gs_profile_default();
  const int64_t bytes[GS_PROFILE_GATHER_SIZES] = GS_PROFILE_GATHER_BYTES;
  const int64_t ks[GS_PROFILE_GATHER_WIDTHS] = GS_PROFILE_GATHER_K;
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++)
    for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++)
      p.gather_gbs[w][z] = (w + 1) * 16.0 / (1 << z);
  for (int w = 0; w < GS_PROFILE_GATHER_WIDTHS; w++)
    for (int z = 0; z < GS_PROFILE_GATHER_SIZES; z++)
      ck_assert_double_eq_tol(gs_profile_gather_rate(&p, (double)bytes[z], ks[w]),
                              p.gather_gbs[w][z], 1e-12);
  /* halfway (geometric) between two sizes: the geometric mean of the rates */
  double mid = sqrt((double)bytes[1] * (double)bytes[2]);
  ck_assert_double_eq_tol(gs_profile_gather_rate(&p, mid, ks[0]),
                          sqrt(p.gather_gbs[0][1] * p.gather_gbs[0][2]), 1e-9);
  /* between the widths, at a measured size */
  double kmid = sqrt((double)ks[0] * (double)ks[1]);
  ck_assert_double_eq_tol(gs_profile_gather_rate(&p, (double)bytes[0], (int64_t)kmid),
                          exp(log(16.0) + (log(kmid == 0 ? 1 : (double)(int64_t)kmid) - log(16.0)) /
                                             (log(128.0) - log(16.0)) * log(2.0)),
                          1e-9);
  /* flat outside */
  ck_assert_double_eq_tol(gs_profile_gather_rate(&p, 1.0, 1), p.gather_gbs[0][0], 1e-12);
  ck_assert_double_eq_tol(gs_profile_gather_rate(&p, 1e12, 4096), p.gather_gbs[1][4], 1e-12);
}
END_TEST

/* The kernel fit recovers an exact law, keeps its coefficients non-negative, and leaves them
 * untouched when nothing can be fitted. */
START_TEST(test_calibration_fit_recovers_law) {
  const double a[5] = {1e-3, 4e-3, 2e-2, 8e-2, 3e-2};
  const double k[5] = {6, 9, 6, 12, 3};
  const double e[5] = {1e5, 3e4, 8e5, 2e5, 6e5};
  const double zero[5] = {0};
  double y[5];
  for (int i = 0; i < 5; i++) y[i] = 2.5 * a[i] + 3e-6 * k[i] + 4e-9 * e[i];
  const double *const b3[GS_CALIBRATION_TERMS] = {a, k, e};
  double coef[GS_CALIBRATION_TERMS] = {0};
  double err = gs_calibration_fit(coef, y, b3, 5);
  ck_assert_double_eq_tol(coef[0], 2.5, 1e-9);
  ck_assert_double_eq_tol(coef[1], 3e-6, 1e-12);
  ck_assert_double_eq_tol(coef[2], 4e-9, 1e-15);
  ck_assert_double_lt(err, 1e-9);
  /* No entries (a dense category): that term gets 0. Times below the roofline's share of
   * calls: the unconstrained call time would be negative (-1e-4 exactly), so it is 0 and the
   * scale is the relative least-squares one, sum(u)/sum(u^2) with u = a/y. */
  for (int i = 0; i < 4; i++) y[i] = 3.0 * a[i] - 1e-4 * k[i];
  const double *const b2[GS_CALIBRATION_TERMS] = {a, k, zero};
  err = gs_calibration_fit(coef, y, b2, 4);
  double su = 0, suu = 0;
  for (int i = 0; i < 4; i++) {
    su += a[i] / y[i];
    suu += (a[i] / y[i]) * (a[i] / y[i]);
  }
  ck_assert_double_eq(coef[1], 0.0);
  ck_assert_double_eq(coef[2], 0.0);
  ck_assert_double_eq_tol(coef[0], su / suu, 1e-12); /* 2.738 */
  ck_assert(err > 0.0);
  /* Nothing usable: untouched. */
  const double *const bz[GS_CALIBRATION_TERMS] = {zero, zero, zero};
  coef[0] = 7.0;
  coef[1] = 8.0;
  coef[2] = 9.0;
  ck_assert_double_eq(gs_calibration_fit(coef, zero, bz, 2), 0.0);
  ck_assert_double_eq(coef[0], 7.0);
  ck_assert_double_eq(coef[1], 8.0);
  ck_assert_double_eq(coef[2], 9.0);
}
END_TEST

/* The whole fit on this machine under a fake clock: real training, budget decisions by the
 * fake clock. Every case measured, the sparse-input category only where features are sparse,
 * usable fitted figures; and the budget arithmetic: a budget that one round overruns gets one
 * round at the fewest epochs, and an ample one gets three rounds. */
static void assert_fit_usable(const gs_profile *p, const gs_calibration_point *pts,
                              const double *fit_error) {
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
    bool sparse = pts[i].what.feature_nnz_per_row > 0;
    ck_assert(pts[i].measured[GS_FLOPS_AGGREGATE] > 0.0);
    ck_assert(pts[i].measured[GS_FLOPS_DENSE] > 0.0);
    ck_assert(pts[i].measured[GS_FLOPS_ELEMENTWISE] > 0.0);
    ck_assert_int_eq(pts[i].measured[GS_FLOPS_SPARSE_INPUT] > 0.0, sparse);
    ck_assert_int_eq(pts[i].calls[GS_FLOPS_SPARSE_INPUT] > 0, sparse);
    ck_assert(pts[i].roofline[GS_FLOPS_AGGREGATE] > 0.0);
  }
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    ck_assert(p->kernel_scale[c] > 0.0 && isfinite(p->kernel_scale[c]));
    ck_assert(p->kernel_call_s[c] >= 0.0 && isfinite(p->kernel_call_s[c]));
    ck_assert(p->kernel_entry_s[c] >= 0.0 && isfinite(p->kernel_entry_s[c]));
    ck_assert(fit_error[c] >= 0.0);
  }
}

START_TEST(test_calibrate_kernels_keeps_budget) {
  gs_calibration_point pts[GS_CALIBRATION_CASES];
  double fit_error[GS_FLOPS_CATEGORIES];
  gs_calibrate_report r;
  gs_error err;
  /* Every clock read a quarter of the budget: round 1 is over budget after two runs, so the
   * rest of it runs at the fewest epochs, and no second round starts. */
  gs_profile p = gs_profile_default();
  p.threads = 2;
  fake_clock slow = {0.0, 0.25, 0};
  gs_calibrate_options o = gs_calibrate_options_default();
  o.min_epochs = 2;
  o.seconds = 1.0;
  o.clock = fake_now;
  o.clock_ctx = &slow;
  GS_ASSERT_OK(gs_calibrate_kernels(&p, &o, pts, fit_error, &r, NULL, &err), err);
  assert_fit_usable(&p, pts, fit_error);
  ck_assert_int_eq(r.rounds, 1);
  for (int i = 2; i < GS_CALIBRATION_CASES; i++) ck_assert_int_eq(r.epochs[i], 2);
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) ck_assert_int_eq(pts[i].epochs, r.epochs[i]);
  /* An ample budget by a clock that hardly moves: three rounds, and more epochs than the
   * fewest where the default profile's estimates leave room. */
  p = gs_profile_default();
  p.threads = 2;
  fake_clock fast = {0.0, 1e-6, 0};
  o.clock_ctx = &fast;
  o.seconds = FIT_FAKE_BUDGET_S;
  GS_ASSERT_OK(gs_calibrate_kernels(&p, &o, pts, fit_error, &r, NULL, &err), err);
  assert_fit_usable(&p, pts, fit_error);
  ck_assert_int_eq(r.rounds, 3);
  ck_assert(r.planned_seconds > r.floor_seconds); /* the budget bought more than the fewest */
  for (int i = 0; i < GS_CALIBRATION_CASES; i++) ck_assert_int_ge(r.epochs[i], 2);
  /* Bad options. */
  o.min_epochs = 1;
  ck_assert_int_eq(gs_calibrate_kernels(&p, &o, NULL, NULL, NULL, NULL, &err), GS_ERR_INVALID);
  o.min_epochs = 2;
  o.seconds = NAN;
  ck_assert_int_eq(gs_calibrate_kernels(&p, &o, NULL, NULL, NULL, NULL, &err), GS_ERR_INVALID);
}
END_TEST

Suite *gs_profile_suite(void) {
  Suite *s = suite_create("profile");
  TCase *file = tcase_create("file");
  tcase_add_test(file, test_profile_save_load_round_trip);
  tcase_add_test(file, test_calibration_fit_recovers_law);
  tcase_add_test(file, test_gather_rate_interpolates);
  tcase_add_test(file, test_calibrate_kernels_keeps_budget);
  tcase_add_test(file, test_profile_default_is_valid_and_saves);
  tcase_add_test(file, test_profile_save_rejects_invalid_field);
  tcase_add_test(file, test_profile_save_unwritable_folder);
  tcase_add_test(file, test_profile_load_missing_file);
  tcase_add_test(file, test_profile_load_bad_number);
  tcase_add_test(file, test_profile_load_bad_integer);
  tcase_add_test(file, test_profile_load_missing_key);
  tcase_add_test(file, test_profile_load_without_build_rates);
  tcase_add_test(file, test_profile_load_negative_value);
  tcase_add_test(file, test_profile_load_negative_kernel_call);
  tcase_add_test(file, test_profile_load_zero_threads);
  tcase_add_test(file, test_profile_load_nan_and_inf);
  tcase_add_test(file, test_profile_load_unknown_and_repeated_keys);
  tcase_add_test(file, test_profile_load_line_without_equals_and_bad_format);
  tcase_add_test(file, test_profile_load_long_line);
  suite_add_tcase(s, file);
  TCase *rate = tcase_create("rate");
  tcase_add_test(rate, test_profile_rate_interpolates_measured_points);
  tcase_add_test(rate, test_profile_span_cap_arithmetic);
  tcase_add_test(rate, test_profile_cache_end_finds_the_edge);
  suite_add_tcase(s, rate);
  TCase *measure = tcase_create("measure");
  /* The measurements run about QUICK_BUDGET_S each (no test times them); the timeout only
   * catches a hang. */
  tcase_set_timeout(measure, 300);
  tcase_add_test(measure, test_profile_measure_rejects_bad_arguments);
  tcase_add_test(measure, test_profile_measure_huge_cache_report_stays_small);
  tcase_add_test(measure, test_profile_measure_budget_with_fake_clock);
  tcase_add_test(measure, test_profile_llc_hint_override);
  suite_add_tcase(s, measure);
  return s;
}

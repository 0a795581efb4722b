/* gnnscale calibrate: measures the machine profile of the cost model (sgemm rates by shape,
 * STREAM bandwidth, random-neighbour SpMM bandwidth, per-call overheads; DESIGN.md §4) with
 * gs_profile_measure, fits the per-category kernel times to short training runs on generated
 * graphs (scaling/calibrate.h), and saves it where `plan` and `train` look for it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/file.h"
#include "core/outpath.h"
#include "core/runtime.h"
#include "datasets/colrank.h"
#include "scaling/calibrate.h"
#include "scaling/profile.h"

static const char *const phase_names[GS_PROFILE_PHASES] = {
    "overheads", "sweep", "stream", "spmm", "gather", "peak", "build", "sgemm"};

/* How the measurement sized its buffers, and where its time went. */
static void print_sizes(const gs_profile_measure_report *r) {
  printf("cache: %.1f MiB reported (%s); the bandwidth sweep %s %.1f MiB (",
         (double)r->llc_hint_bytes / 1048576.0, r->llc_hint_source,
         r->cache_edge_seen ? "falls after" : "saw no edge: using", (double)r->llc_bytes / 1048576.0);
  for (int i = 0; i < r->sweep_count; i++)
    printf("%s%lld MiB %.1f", i ? ", " : "", (long long)(r->sweep_bytes[i] >> 20), r->sweep_gbs[i]);
  printf(" GB/s)\n");
  printf("buffers: %.0f MiB (cap %.0f MiB from the budget and %.0f MiB free), touched in %.2f s;"
         " phases:", (double)r->arena_bytes / 1048576.0, (double)r->span_cap_bytes / 1048576.0,
         (double)r->mem_available_bytes / 1048576.0, r->touch_seconds);
  for (int i = 0; i < GS_PROFILE_PHASES; i++)
    printf(" %s %.2f s", phase_names[i], r->phase_seconds[i]);
  printf("\n");
}

/* The rate measurements' part of a calibration budget: a third, from 0.2 to 3 s. */
#define RATES_SECONDS_MAX 3.0
#define FIT_SECONDS_MIN 0.1
#define SAVE_MARGIN_S 0.05
/* The smallest --seconds that holds the kernel fit within 1.5 x the budget (1.23 x at 2 s). */
#define FIT_BUDGET_MIN_S 2.0
static double rates_seconds(double total) {
  return fmax(0.2, fmin(RATES_SECONDS_MAX, total / 3.0));
}

gs_status gs_cli_default_profile_path(char *out, size_t cap, gs_error *err) {
  char dir[4096];
  gs_status st = gs_colrank_default_cache_dir(dir, sizeof dir, err);
  if (st != GS_OK) return st;
  int n = snprintf(out, cap, "%s/profile.txt", dir);
  if (n < 0 || (size_t)n >= cap)
    return gs_error_set(err, GS_ERR_INVALID, "%s/profile.txt: path too long", dir);
  return GS_OK;
}

int gs_cmd_calibrate(int argc, char **argv) {
  const char *out = NULL;
  int64_t threads = 0;
  double seconds = 20.0;
  int64_t fit_epochs = 3;
  bool fit = true;
  bool json = false;
  const gs_option options[] = {
      GS_OPT_SECTION("measurement"),
      GS_OPT_THREADS(&threads),
      GS_OPT_DOUBLE("seconds", "S", 1.0, 3600.0, &seconds,
                    "time budget of the whole calibration (default 20, at least 1): a third\n"
                    "for the rate measurements (at most 3 s), the rest for the kernel\n"
                    "fit, which trains 8 small GCNs on generated graphs, up to three\n"
                    "rounds; it ends within 1.5 x S; at least 2 s with the fit"),
      GS_OPT_INT("fit-epochs", "N", 2, 10000, &fit_epochs,
                 "epochs of each kernel-fit training run at least (default 3)"),
      GS_OPT_FLAG("fit", &fit, "skip the kernel fit: epoch times from the roofline alone"),
      GS_OPT_SECTION("output"),
      GS_OPT_STRING("out", "FILE", &out,
                    "where to save the profile (default: $GNNSCALE_CACHE/profile.txt,\n"
                    "else ~/.cache/gnnscale/profile.txt; the folder is created)"),
      GS_OPT_JSON(&json),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "calibrate", "[options]", options, GS_CLI_ROWS(options), argc,
                            argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  /* The kernel fit cannot go below 8 cases x 3 epochs (about 1.9 s on the development VM), so a
   * smaller budget with the fit would overrun 1.5 x S (2.3 x at S = 1): refuse it up front. */
  if (fit && seconds < FIT_BUDGET_MIN_S) {
    fprintf(stderr,
            "gnnscale calibrate: option --seconds: %g s is too short for the kernel fit (it "
            "trains 8 small GCNs, about 2 s at the least); give --seconds %g or more, or "
            "--no-fit for a rates-only profile\n",
            seconds, FIT_BUDGET_MIN_S);
    return 2;
  }
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  char path[4096];
  gs_profile p;
  if (out) snprintf(path, sizeof path, "%s", out);
  else GS_TRY(gs_cli_default_profile_path(path, sizeof path, &err));
  /* Checked before the measurement (35 s), not after it. */
  GS_TRY(gs_outpath_check_file(path, &err));
  GS_TRY(gs_mkdir_parent(path, &err));
  GS_TRY(gs_runtime_init((int)threads, &err));
  const double t_start = gs_clock_seconds();
  gs_profile_measure_options mo = gs_profile_measure_options_default();
  mo.threads = (int)threads;
  mo.seconds = fit ? rates_seconds(seconds) : seconds;
  gs_profile_measure_report rep;
  GS_TRY(gs_profile_measure_with(&p, &rep, &mo, &err));
  gs_calibration_point points[GS_CALIBRATION_CASES];
  double fit_error[GS_FLOPS_CATEGORIES] = {0};
  double fit_seconds = 0.0;
  gs_calibrate_report fit_report;
  memset(&fit_report, 0, sizeof fit_report);
  if (fit) {
    gs_calibrate_options fo = gs_calibrate_options_default();
    fo.min_epochs = (int32_t)fit_epochs;
    /* What the rate measurements left of the budget, less a margin for saving. */
    fo.seconds = fmax(FIT_SECONDS_MIN, seconds - (gs_clock_seconds() - t_start) - SAVE_MARGIN_S);
    GS_TRY(gs_calibrate_kernels(&p, &fo, points, fit_error, &fit_report,
                                !json && gs_is_terminal(stderr) ? stderr : NULL, &err));
    fit_seconds = fit_report.seconds;
  }
  GS_TRY(gs_profile_save(&p, path, &err));
  static const char *const categories[GS_FLOPS_CATEGORIES] = {"aggregate", "dense",
                                                              "sparse_input", "elementwise"};
  static const int in[GS_PROFILE_SHAPES] = GS_PROFILE_SHAPE_IN;
  static const int outw[GS_PROFILE_SHAPES] = GS_PROFILE_SHAPE_OUT;
  static const char *const ops[GS_PROFILE_OPS] = {"nn", "tn", "nt"};
  if (json) {
    printf("{\"command\":\"calibrate\",\"file\":");
    gs_json_string(stdout, path);
    printf(",\"machine\":");
    gs_json_string(stdout, p.machine);
    printf(",\"threads\":%d,\"measure_seconds\":%.3f,\"llc_bytes\":%lld,\"sgemm_gflops_peak\":%.4g,"
           "\"bandwidth_gbs\":%.4g,\"copy_gbs\":%.4g,\"spmm_random_gbs\":%.4g,"
           "\"build_copy_gbs\":%.4g,\"build_loop_gbs\":%.4g,\"bind_gbs\":%.4g,"
           "\"call_overhead_s\":%.4g,\"spmm_overhead_s\":%.4g,\"sgemm\":[",
           p.threads, p.measure_seconds, (long long)p.llc_bytes, p.sgemm_gflops_peak,
           p.bandwidth_gbs, p.copy_gbs, p.spmm_random_gbs, p.build_copy_gbs, p.build_loop_gbs,
           p.bind_gbs, p.call_overhead_s, p.spmm_overhead_s);
    bool first = true;
    for (int op = 0; op < GS_PROFILE_OPS; op++)
      for (int r = 0; r < 2; r++)
        for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
          printf("%s{\"op\":\"%s\",\"rows\":%lld,\"in\":%d,\"out\":%d,\"gflops\":%.4g}",
                 first ? "" : ",", ops[op], (long long)p.sgemm_rows[r][s], in[s], outw[s],
                 p.sgemm_gflops[op][r][s]);
          first = false;
        }
    printf("],\"budget_seconds\":%.3f,\"llc_reported_bytes\":%lld,\"llc_reported_by\":",
           seconds, (long long)rep.llc_hint_bytes);
    gs_json_string(stdout, rep.llc_hint_source);
    printf(",\"cache_edge_seen\":%s,\"span_cap_bytes\":%lld,\"buffer_bytes\":%lld,"
           "\"touch_seconds\":%.3f,\"sweep\":[",
           rep.cache_edge_seen ? "true" : "false", (long long)rep.span_cap_bytes,
           (long long)rep.arena_bytes, rep.touch_seconds);
    for (int i = 0; i < rep.sweep_count; i++)
      printf("%s{\"bytes\":%lld,\"gbs\":%.4g}", i ? "," : "", (long long)rep.sweep_bytes[i],
             rep.sweep_gbs[i]);
    printf("],\"phase_seconds\":{");
    for (int i = 0; i < GS_PROFILE_PHASES; i++)
      printf("%s\"%s\":%.3f", i ? "," : "", phase_names[i], rep.phase_seconds[i]);
    printf("}");
    printf(",\"kernel_fit\":{\"fitted\":%s,\"seconds\":%.3f,\"rounds\":%d", fit ? "true" : "false",
           fit_seconds, fit_report.rounds);
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
      printf(",\"%s\":{\"scale\":%.4g,\"call_s\":%.4g,\"entry_s\":%.4g,\"mean_abs_error\":%.4g}",
             categories[c], p.kernel_scale[c], p.kernel_call_s[c], p.kernel_entry_s[c],
             fit_error[c]);
    if (fit) {
      printf(",\"cases\":[");
      for (int i = 0; i < GS_CALIBRATION_CASES; i++) {
        const gs_calibration_point *pt = &points[i];
        printf("%s{\"nodes\":%lld,\"edges\":%lld,\"features\":%lld,\"sparse\":%s,\"epochs\":%d,"
               "\"depth\":%d,\"width\":%lld,\"residual_norm\":%s",
               i ? "," : "", (long long)pt->what.nodes, (long long)pt->what.edges,
               (long long)pt->what.features, pt->what.feature_nnz_per_row > 0 ? "true" : "false",
               (int)pt->epochs, (int)pt->what.depth, (long long)pt->what.width,
               pt->what.residual_norm ? "true" : "false");
        for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
          printf(",\"%s\":{\"measured_ms\":%.4f,\"roofline_ms\":%.4f,\"calls\":%lld,"
                 "\"entries\":%.0f}",
                 categories[c], 1e3 * pt->measured[c], 1e3 * pt->roofline[c],
                 (long long)pt->calls[c], pt->entries[c]);
        printf("}");
      }
      printf("]");
    }
    printf("},\"seconds\":%.3f}\n", gs_clock_seconds() - t_start);
  } else {
    printf("machine: %s, %d threads, largest cache %.1f MiB; measured in %.2f s\n", p.machine,
           p.threads, (double)p.llc_bytes / 1048576.0, p.measure_seconds);
    print_sizes(&rep);
    printf("sgemm peak (1024^3): %.2f GFLOP/s\n", p.sgemm_gflops_peak);
    printf("sgemm GFLOP/s by shape (in x out), small rows / large rows:\n");
    printf("  %-9s %12s %12s %12s\n", "shape", "NN forward", "TN weight", "NT input");
    for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
      char shape[32];
      snprintf(shape, sizeof shape, "%dx%d", in[s], outw[s]);
      printf("  %-9s", shape);
      for (int op = 0; op < GS_PROFILE_OPS; op++)
        printf("  %5.1f/%5.1f", p.sgemm_gflops[op][0][s], p.sgemm_gflops[op][1][s]);
      printf("   (rows %lld / %lld)\n", (long long)p.sgemm_rows[0][s], (long long)p.sgemm_rows[1][s]);
    }
    printf("bandwidth: STREAM triad %.2f GB/s, copy %.2f GB/s; random-neighbour SpMM %.2f GB/s\n",
           p.bandwidth_gbs, p.copy_gbs, p.spmm_random_gbs);
    printf("batch build, 1 thread: copies %.2f GB/s, element loops %.2f GB/s, Xt rebuilt %.2f "
           "GB/s\n", p.build_copy_gbs, p.build_loop_gbs, p.bind_gbs);
    printf("overheads: sgemm call %.2f us, parallel kernel %.2f us\n", 1e6 * p.call_overhead_s,
           1e6 * p.spmm_overhead_s);
    if (fit) {
      printf("kernel fit (%.1f s, %d round%s; scale x roofline + time per call + time per sparse "
             "entry):\n",
             fit_seconds, fit_report.rounds, fit_report.rounds == 1 ? "" : "s");
      for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
        printf("  %-12s scale %6.3f  call %7.2f us  entry %6.3f ns  (mean |error| %.1f%% over "
               "%d cases)\n",
               categories[c], p.kernel_scale[c], 1e6 * p.kernel_call_s[c],
               1e9 * p.kernel_entry_s[c], 100 * fit_error[c], GS_CALIBRATION_CASES);
    } else {
      printf("kernel fit skipped (--no-fit): epoch times come from the roofline alone\n");
    }
    printf("saved to %s (calibration took %.1f s of a %.1f s budget)\n", path,
           gs_clock_seconds() - t_start, seconds);
  }
  return 0;
fail:
  return gs_cli_fail("calibrate", &err);
}

gs_status gs_cli_load_profile(gs_profile *p, const char *path, char *note, size_t cap,
                              gs_error *err) {
  char def[4096];
  struct stat sb;
  if (!path && gs_cli_default_profile_path(def, sizeof def, NULL) == GS_OK && stat(def, &sb) == 0)
    path = def;
  if (!path) {
    *p = gs_profile_default();
    snprintf(note, cap, "%s: rough; run `gnnscale calibrate` to measure this machine", p->machine);
    return GS_OK;
  }
  gs_status st = gs_profile_load(p, path, err);
  if (st != GS_OK) return st;
  snprintf(note, cap, "%s (%s, %d threads)", path, p->machine, p->threads);
  return GS_OK;
}

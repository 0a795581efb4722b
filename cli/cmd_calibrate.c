/* gnnscale calibrate: measures the machine profile of the cost model (sgemm rates by shape,
 * STREAM bandwidth, random-neighbour SpMM bandwidth, per-call overheads; DESIGN.md §4) with
 * gs_profile_measure, fits the per-category kernel times to short training runs on generated
 * graphs (scaling/calibrate.h), and saves it where `plan` and `train` look for it. */
#include <errno.h>
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
  double seconds = 3.0;
  int64_t fit_epochs = 12;
  bool fit = true;
  bool json = false;
  const gs_option options[] = {
      GS_OPT_SECTION("measurement"),
      GS_OPT_THREADS(&threads),
      GS_OPT_DOUBLE("seconds", "S", 0.2, 3600.0, &seconds,
                    "time budget of the rate measurements (default 3)"),
      GS_OPT_INT("fit-epochs", "N", 2, 10000, &fit_epochs,
                 "epochs of each kernel-fit training run (default 12; the fit\n"
                 "trains 8 small GCNs on generated graphs, three rounds, about 25 s)"),
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
  GS_TRY(gs_profile_measure(&p, (int)threads, seconds, &err));
  gs_calibration_point points[GS_CALIBRATION_CASES];
  double fit_error[GS_FLOPS_CATEGORIES] = {0};
  double fit_seconds = 0.0;
  if (fit) {
    double t0 = gs_clock_seconds();
    GS_TRY(gs_calibrate_kernels(&p, (int32_t)fit_epochs, points, fit_error,
                                !json && gs_is_terminal(stderr) ? stderr : NULL, &err));
    fit_seconds = gs_clock_seconds() - t0;
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
           "\"call_overhead_s\":%.4g,\"spmm_overhead_s\":%.4g,\"sgemm\":[",
           p.threads, p.measure_seconds, (long long)p.llc_bytes, p.sgemm_gflops_peak,
           p.bandwidth_gbs, p.copy_gbs, p.spmm_random_gbs, p.call_overhead_s, p.spmm_overhead_s);
    bool first = true;
    for (int op = 0; op < GS_PROFILE_OPS; op++)
      for (int r = 0; r < 2; r++)
        for (int s = 0; s < GS_PROFILE_SHAPES; s++) {
          printf("%s{\"op\":\"%s\",\"rows\":%lld,\"in\":%d,\"out\":%d,\"gflops\":%.4g}",
                 first ? "" : ",", ops[op], (long long)p.sgemm_rows[r][s], in[s], outw[s],
                 p.sgemm_gflops[op][r][s]);
          first = false;
        }
    printf("],\"kernel_fit\":{\"fitted\":%s,\"seconds\":%.3f", fit ? "true" : "false",
           fit_seconds);
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
    printf("}}\n");
  } else {
    printf("machine: %s, %d threads, largest cache %.1f MiB; measured in %.2f s\n", p.machine,
           p.threads, (double)p.llc_bytes / 1048576.0, p.measure_seconds);
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
    printf("overheads: sgemm call %.2f us, parallel kernel %.2f us\n", 1e6 * p.call_overhead_s,
           1e6 * p.spmm_overhead_s);
    if (fit) {
      printf("kernel fit (%.1f s; scale x roofline + time per call + time per sparse entry):\n",
             fit_seconds);
      for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
        printf("  %-12s scale %6.3f  call %7.2f us  entry %6.3f ns  (mean |error| %.1f%% over "
               "%d cases)\n",
               categories[c], p.kernel_scale[c], 1e6 * p.kernel_call_s[c],
               1e9 * p.kernel_entry_s[c], 100 * fit_error[c], GS_CALIBRATION_CASES);
    } else {
      printf("kernel fit skipped (--no-fit): epoch times come from the roofline alone\n");
    }
    printf("saved to %s\n", path);
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

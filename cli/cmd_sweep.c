/* gnnscale sweep: expand a sweep file (docs/SWEEPS.md) into its unique runs, price them with the
 * cost model (--dry-run lists them and the totals), refuse a sweep whose runs do not fit
 * --mem, and run the pending ones J at a time, appending one JSON line per run to the results
 * file; a sweep started again resumes where the file ends. This file only parses and prints:
 * the work is in experiments/. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/version.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "experiments/results.h"
#include "experiments/runner.h"
#include "experiments/sweep.h"

/* "host, CPU model, N cores online" for the results. */
static void machine_name(char *out, size_t cap) {
  struct utsname u;
  char cpu[256] = "unknown CPU";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
        const char *v = strchr(line, ':') + 1;
        while (*v == ' ') v++;
        snprintf(cpu, sizeof cpu, "%s", v);
        cpu[strcspn(cpu, "\n")] = '\0';
        break;
      }
    fclose(f);
  }
  snprintf(out, cap, "%s, %s, %ld cores online", uname(&u) == 0 ? u.nodename : "unknown host",
           cpu, sysconf(_SC_NPROCESSORS_ONLN));
}

/* The help text of this program's train command, read by running it (so the check sees the
 * options of the binary that will run, whatever was merged since this file was written). */
static char *train_help(const char *exe) {
  char cmd[PATH_MAX + 64];
  snprintf(cmd, sizeof cmd, "'%s' train --help", exe);
  FILE *p = popen(cmd, "r");
  if (!p) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (buf) {
    size_t got;
    while ((got = fread(buf + len, 1, cap - 1 - len, p)) > 0) len += got;
    buf[len] = '\0';
  }
  pclose(p);
  return buf;
}

/* The pricer's probe hook: loads a run's data as its `train` will (the columns the model
 * uses, the preprocessing, the family's adjacency) and reads the probe of it that `train`,
 * `plan` or an earlier sweep cached, or runs and caches it, with the thread count of each run,
 * so that the children read the same probe and predict the same epoch time. The load is timed:
 * it is the part of a run that its epochs do not price. */
typedef struct {
  const gs_profile *profile;
  const char *note;
  bool verbose; /* say each probe that ran */
} sweep_probe_ctx;

static gs_status sweep_probe(gs_sweep_probe_answer *out, void *vctx,
                             const gs_sweep_probe_request *req, gs_error *err) {
  const sweep_probe_ctx *c = vctx;
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_cli_prediction *pred = calloc(1, sizeof *pred);
  if (!pred) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  const double t0 = gs_clock_seconds();
  /* As the run's train loads it: RCM renumbers edge lines, which only the text has. */
  if (req->reorder_rcm && req->features >= req->data->file_features)
    GS_TRY(gs_cli_load(&ds, &g, req->dir, req->split, req->prep, req->norm, err));
  else
    GS_TRY(gs_cli_load_columns(&ds, &g, req->dir, req->split, req->features,
                               req->data->file_features, req->prep, req->norm, err));
  if (req->reorder_rcm) GS_TRY(gs_cli_reorder_rcm(ds, &g, req->norm, err));
  const double load = gs_clock_seconds() - t0;
  gs_cli_prediction_init(pred, c->profile, c->note);
  GS_TRY(gs_cli_prediction_probe(pred, ds, g, req->data, &req->model, &req->train, req->norm,
                                 err));
  gs_mem_reset_peak();
  out->profile = pred->profile;
  out->source = pred->source;
  out->load_seconds = load;
  if (c->verbose && !pred->probe.from_cache)
    fprintf(stderr, "gnnscale sweep: probed %s (%s, %lld features, %d thread%s) in %.1f s%s%s\n",
            req->dir, gs_model_family_name(req->model.family), (long long)req->features,
            gs_runtime_threads(), gs_runtime_threads() > 1 ? "s" : "", pred->probe.seconds,
            pred->probe.path[0] ? ", saved to " : "", pred->probe.path);
fail:
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  free(pred);
  return st;
}

static void default_out(char *out, size_t cap, const char *file) {
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  size_t n = strlen(base);
  if (n > 6 && !strcmp(base + n - 6, ".sweep")) n -= 6;
  snprintf(out, cap, "%.*s.jsonl", (int)n, base);
}

static void print_dry_run(const gs_sweep *sw, const gs_sweep_prediction *pred,
                          const bool *done, bool json, int jobs) {
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  double total = 0, pending_total = 0, load_total = 0;
  int64_t pending = 0, unpriced = 0, max_rss = 0, by_source[3] = {0, 0, 0}, with_flags = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!pred[i].ok) unpriced++;
    if (pred[i].ok && pred[i].unpriced_flags) with_flags++;
    if (pred[i].ok) by_source[pred[i].source]++;
    if (pred[i].ok && pred[i].run_seconds > 0) total += pred[i].run_seconds;
    if (pred[i].ok && pred[i].run_seconds > 0) load_total += pred[i].load_seconds;
    if (!done[i]) {
      pending++;
      if (pred[i].ok && pred[i].run_seconds > 0) pending_total += pred[i].run_seconds;
    }
    if (pred[i].ok && pred[i].peak_rss_bytes > max_rss) max_rss = pred[i].peak_rss_bytes;
  }
  if (json) {
    printf("{\"command\":\"sweep\",\"dry_run\":true,\"sweep\":");
    gs_json_string(stdout, gs_sweep_name(sw));
    printf(",\"combinations\":%lld,\"runs\":%lld,\"pending\":%lld,\"done\":%lld,"
           "\"unpriced\":%lld,\"predicted_seconds\":%.3f,\"predicted_load_seconds\":%.3f,"
           "\"predicted_pending_seconds\":%.3f,\"predicted_wall_seconds\":%.3f,"
           "\"priced_by\":{\"probe\":%lld,\"profile\":%lld,\"default\":%lld},"
           "\"priced_without_flags\":%lld,\"max_predicted_peak_rss_bytes\":%lld,\"list\":[",
           (long long)gs_sweep_combinations(sw), (long long)n, (long long)pending,
           (long long)(n - pending), (long long)unpriced, total, load_total, pending_total,
           pending_total / jobs, (long long)by_source[GS_PREDICTION_PROBE],
           (long long)by_source[GS_PREDICTION_PROFILE], (long long)by_source[GS_PREDICTION_DEFAULT],
           (long long)with_flags, (long long)max_rss);
    for (int64_t i = 0; i < n; i++) {
      printf("%s{\"run_id\":\"%s\",\"done\":%s,\"config\":", i ? "," : "", runs[i].run_id,
             done[i] ? "true" : "false");
      gs_json_string(stdout, runs[i].canonical);
      if (pred[i].ok)
        printf(",\"depth\":%d,\"width\":%lld,\"features\":%lld,\"flops_per_epoch\":%lld,"
               "\"peak_bytes\":%lld,\"peak_rss_bytes\":%lld,\"epoch_ms\":%.4f,"
               "\"load_seconds\":%.3f,\"run_seconds\":%.3f,\"source\":\"%s\","
               "\"family_priced\":%s,\"unpriced_flags\":%d}",
               pred[i].depth, (long long)pred[i].width, (long long)pred[i].features,
               (long long)pred[i].flops_per_epoch, (long long)pred[i].peak_bytes,
               (long long)pred[i].peak_rss_bytes, 1e3 * pred[i].epoch_seconds,
               pred[i].load_seconds, pred[i].run_seconds,
               gs_prediction_source_name(pred[i].source),
               pred[i].family_priced ? "true" : "false", pred[i].unpriced_flags);
      else {
        printf(",\"error\":");
        gs_json_string(stdout, pred[i].error);
        printf("}");
      }
    }
    printf("]}\n");
    return;
  }
  printf("%-16s %-4s %5s %7s %6s %12s %10s %10s %9s  %s\n", "run_id", "done", "depth", "width",
         "feat", "FLOPs/epoch", "peak RSS", "epoch ms", "run s", "configuration");
  for (int64_t i = 0; i < n; i++) {
    char b[32];
    if (pred[i].ok)
      printf("%-16s %-4s %5d %7lld %6lld %12.4g %10s %10.2f %9.1f  %s%s%s\n", runs[i].run_id,
             done[i] ? "yes" : "", pred[i].depth, (long long)pred[i].width,
             (long long)pred[i].features, (double)pred[i].flops_per_epoch,
             gs_format_bytes(pred[i].peak_rss_bytes, b, sizeof b), 1e3 * pred[i].epoch_seconds,
             pred[i].run_seconds, runs[i].canonical,
             pred[i].family_priced ? "" : " (priced as a GCN)",
             pred[i].unpriced_flags ? " (priced without its flag. settings)" : "");
    else
      printf("%-16s %-4s cannot be priced: %s  %s\n", runs[i].run_id, done[i] ? "yes" : "",
             pred[i].error, runs[i].canonical);
  }
  char b[32];
  printf("%lld runs (%lld combinations of the axes), %lld done, %lld to run; predicted "
         "%.1f s for those (%.1f s for all, of which %.1f s loading data; the epochs given at "
         "most, runs may stop early), about %.1f s of wall time with %d job%s; largest "
         "predicted peak RSS %s\n",
         (long long)n, (long long)gs_sweep_combinations(sw), (long long)(n - pending),
         (long long)pending, pending_total, total, load_total, pending_total / jobs, jobs,
         jobs > 1 ? "s" : "", gs_format_bytes(max_rss, b, sizeof b));
  printf("epoch times: %lld run%s through a probe of its data (as train records), %lld from the "
         "machine profile alone, %lld from the defaults (nothing measured)\n",
         (long long)by_source[GS_PREDICTION_PROBE], by_source[GS_PREDICTION_PROBE] == 1 ? "" : "s",
         (long long)by_source[GS_PREDICTION_PROFILE], (long long)by_source[GS_PREDICTION_DEFAULT]);
  if (with_flags)
    printf("%lld run%s priced without their flag.NAME settings (passed to train as they are; "
           "the cost model does not know them)\n", (long long)with_flags,
           with_flags == 1 ? "" : "s");
}

/* 0 when the runs to do fit mem with `jobs` at a time (the jobs largest together), else prints
 * why to stderr and returns 1. */
static int check_memory(const gs_sweep *sw, const gs_sweep_prediction *pred, const bool *done,
                        int64_t mem, int jobs) {
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  int64_t *peaks = calloc((size_t)(n > 0 ? n : 1), sizeof *peaks);
  if (!peaks) return 1;
  int64_t m = 0, over = 0, worst = -1;
  for (int64_t i = 0; i < n; i++)
    if (!done[i] && pred[i].ok) {
      peaks[m++] = pred[i].peak_rss_bytes;
      if (pred[i].peak_rss_bytes > mem) over++;
      if (worst < 0 || pred[i].peak_rss_bytes > pred[worst].peak_rss_bytes) worst = i;
    }
  qsort(peaks, (size_t)m, sizeof *peaks, gs_compare_int64);
  int64_t together = 0;
  for (int64_t i = m - 1; i >= 0 && i >= m - jobs; i--) together += peaks[i];
  free(peaks);
  if (together <= mem) return 0;
  char b1[32], b2[32], b3[32];
  if (over > 0)
    fprintf(stderr, "gnnscale sweep: %lld run%s would not fit --mem %s: the largest, %s (%s), "
            "is predicted at %s of peak RSS\n", (long long)over, over > 1 ? "s" : "",
            gs_format_bytes(mem, b1, sizeof b1), runs[worst].run_id, runs[worst].canonical,
            gs_format_bytes(pred[worst].peak_rss_bytes, b2, sizeof b2));
  else
    fprintf(stderr, "gnnscale sweep: with --jobs %d the %d largest runs together are predicted "
            "at %s of peak RSS, over --mem %s (use fewer jobs)\n", jobs, jobs,
            gs_format_bytes(together, b3, sizeof b3), gs_format_bytes(mem, b1, sizeof b1));
  return 1;
}

int gs_cmd_sweep(int argc, char **argv) {
  const char *file = NULL, *out = NULL, *profile_path = NULL;
  int64_t jobs = 1, threads = 0, mem = -1;
  bool dry_run = false, json = false, quiet = false, probe = true;
  const gs_option options[] = {
      GS_OPT_SECTION("sweep"),
      GS_OPT_STRING("out", "RESULTS.jsonl", &out,
                    "results file, one JSON line per run; runs it already holds are\n"
                    "not run again (default: FILE's name, .sweep replaced by .jsonl)"),
      GS_OPT_INT("jobs", "J", 1, 256, &jobs,
                 "runs at a time, the threads divided among them (default 1)"),
      GS_OPT_THREADS(&threads),
      GS_OPT_FLAG("dry-run", &dry_run,
                  "list the runs with their predicted memory and time, and the\n"
                  "totals; run nothing"),
      GS_OPT_SIZE("mem", "B", 1, &mem,
                  "refuse a sweep whose runs would not fit B of peak RSS (with\n"
                  "--jobs J, the J largest together), e.g. 4GiB"),
      GS_OPT_STRING("profile", "FILE", &profile_path,
                    "machine profile for the predicted times (default: calibrate's)"),
      GS_OPT_FLAG("probe", &probe,
                  "price epoch times as each run's train does: through a probe of\n"
                  "the data it trains on (cached; loads each dataset at each\n"
                  "feature count once; default on; --no-probe: the profile alone)"),
      GS_OPT_JSON(&json),
      GS_OPT_FLAG("quiet", &quiet, "no progress line"),
  };
  /* The sweep file comes first: FILE [options]. */
  int first = 2;
  if (argc > 2 && argv[2][0] != '-') file = argv[first++];
  gs_cli cli;
  int status = gs_cli_parse(&cli, "sweep", "FILE [options]  (FILE: a sweep file, docs/SWEEPS.md)",
                            options, GS_CLI_ROWS(options), argc, argv, first);
  if (status != GS_CLI_CONTINUE) return status;
  if (!file) return gs_cli_reject(&cli, "a sweep FILE is required (e.g. examples/smoke.sweep)");
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  int exit_code = 1;
  gs_sweep *sw = NULL;
  gs_sweep_pricer *pricer = NULL;
  gs_sweep_prediction *pred = NULL;
  bool *done = NULL;
  double *seconds = NULL;
  char *help = NULL;
  gs_results res;
  memset(&res, 0, sizeof res);
  res.fd = -1;
  gs_profile profile;
  char profile_note[4096 + 512], out_buf[PATH_MAX], exe[PATH_MAX], machine[512];

  GS_TRY(gs_runtime_init((int)threads, &err));
  const int total_threads = gs_runtime_threads();
  const int run_threads = total_threads / (int)jobs > 0 ? total_threads / (int)jobs : 1;
  const int64_t rss_before = gs_mem_current_rss();
  GS_TRY(gs_sweep_load(&sw, file, &err));
  const int64_t sweep_bytes = gs_mem_current_rss() - rss_before;
  if (!out) {
    default_out(out_buf, sizeof out_buf, file);
    out = out_buf;
  }
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  GS_TRY(gs_cli_load_profile(&profile, profile_path, profile_note, sizeof profile_note, &err));
  /* Price every run. The resident bytes a train process holds besides its counted buffers are
   * taken as this process's after pricing (runtime, libraries, first-use buffers), less the
   * sweep's own tables. */
  GS_TRY(gs_sweep_pricer_new(&pricer, gs_sweep_data_root(sw), &profile, 0, &err));
  pred = calloc((size_t)(n > 0 ? n : 1), sizeof *pred);
  done = calloc((size_t)(n > 0 ? n : 1), sizeof *done);
  seconds = calloc((size_t)(n > 0 ? n : 1), sizeof *seconds);
  if (!pred || !done || !seconds) {
    st = gs_error_set(&err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int64_t i = 0; i < n; i++) GS_TRY(gs_sweep_price(&pred[i], pricer, &runs[i], &err));
  const int64_t resident = gs_mem_current_rss() - (sweep_bytes > 0 ? sweep_bytes : 0);
  /* Then the epoch times as each run's `train` predicts and records them: through the probe of
   * the data it trains on, with the threads it will have (the memory above is measured before
   * any data is loaded for that). */
  if (probe) {
    GS_TRY(gs_runtime_init(run_threads, &err));
    sweep_probe_ctx ctx = {&profile, profile_note, !quiet && !json};
    gs_sweep_pricer_set_probe(pricer, sweep_probe, &ctx);
    for (int64_t i = 0; i < n; i++) GS_TRY(gs_sweep_price(&pred[i], pricer, &runs[i], &err));
    gs_sweep_pricer_set_probe(pricer, NULL, NULL);
  }
  int64_t unpriced = 0, data_errors = 0;
  for (int64_t i = 0; i < n; i++) {
    if (pred[i].ok) pred[i].peak_rss_bytes += resident;
    else unpriced++;
    if (pred[i].data_error) data_errors++;
    seconds[i] = pred[i].ok ? pred[i].run_seconds : -1;
  }
  /* Runs already in the results file (read without locking or repairing it for a dry run). */
  if (dry_run) {
    if (access(out, F_OK) == 0) {
      GS_TRY(gs_results_open(&res, out, &err));
      for (int64_t i = 0; i < n; i++) done[i] = gs_results_has(&res, runs[i].run_id);
      gs_results_close(&res);
    }
    print_dry_run(sw, pred, done, json, (int)jobs);
    exit_code = 0;
    if (mem > 0 && check_memory(sw, pred, done, mem, (int)jobs)) exit_code = 1;
    if (unpriced > data_errors)
      fprintf(stderr, "gnnscale sweep: %lld run%s cannot be priced (listed above): train "
              "rejects such models too, so a sweep records them as failed runs\n",
              (long long)(unpriced - data_errors), unpriced - data_errors > 1 ? "s" : "");
    if (data_errors > 0) {
      fprintf(stderr, "gnnscale sweep: %lld run%s cannot load their dataset (listed above)\n",
              (long long)data_errors, data_errors > 1 ? "s" : "");
      exit_code = 1;
    }
    goto done;
  }
  /* A dataset that does not load is a mistake in the sweep file: refuse before any run. A model
   * the rules reject is a result (a depth past the limit, say): its run fails and says so. */
  for (int64_t i = 0; i < n && data_errors > 0; i++)
    if (pred[i].data_error) {
      st = gs_error_set(&err, GS_ERR_INVALID, "%s: run %s (%s): %s (%lld such runs; --dry-run "
                        "lists them)", file, runs[i].run_id, runs[i].canonical, pred[i].error,
                        (long long)data_errors);
      goto fail;
    }
  if (unpriced > 0 && !json)
    fprintf(stderr, "gnnscale sweep: note: %lld run%s cannot be priced (the rules reject the "
            "model; --dry-run lists them): they will be recorded as failed\n",
            (long long)unpriced, unpriced > 1 ? "s" : "");
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) {
    st = gs_error_set(&err, GS_ERR_IO, "cannot find this program (/proc/self/exe)");
    goto fail;
  }
  exe[len] = '\0';
  help = train_help(exe);
  if (!help) {
    st = gs_error_set(&err, GS_ERR_IO, "cannot run %s train --help", exe);
    goto fail;
  }
  GS_TRY(gs_sweep_check_support(sw, help, &err));
  GS_TRY(gs_results_open(&res, out, &err));
  for (int64_t i = 0; i < n; i++) done[i] = gs_results_has(&res, runs[i].run_id);
  if (mem > 0 && check_memory(sw, pred, done, mem, (int)jobs)) goto done;
  if (res.dropped_bytes > 0)
    fprintf(stderr, "gnnscale sweep: %s: cut a partial last line (%lld bytes) left by an "
            "interrupted write; its run will be done again\n", out, (long long)res.dropped_bytes);
  if (res.bad_lines > 0)
    fprintf(stderr, "gnnscale sweep: %s: %lld line%s (the first on line %lld) %s not a sweep "
            "result; left as they are\n", out, (long long)res.bad_lines,
            res.bad_lines > 1 ? "s" : "", (long long)res.first_bad_line,
            res.bad_lines > 1 ? "are" : "is");
  machine_name(machine, sizeof machine);
  gs_runner_options ro;
  ro.exe = exe;
  ro.jobs = (int)jobs;
  ro.threads = run_threads;
  ro.predicted_seconds = seconds;
  ro.progress = quiet || json ? NULL : stderr;
  ro.git_rev = GS_GIT_REVISION;
  ro.machine = machine;
  gs_runner_summary sum;
  st = gs_runner_run(&sum, sw, &res, &ro, &err);
  if (st != GS_OK) goto fail;
  if (json) {
    printf("{\"command\":\"sweep\",\"dry_run\":false,\"sweep\":");
    gs_json_string(stdout, file);
    printf(",\"out\":");
    gs_json_string(stdout, out);
    printf(",\"runs\":%lld,\"already_done\":%lld,\"ran\":%lld,\"failed\":%lld,"
           "\"jobs\":%d,\"threads_per_run\":%d,\"wall_seconds\":%.3f,\"train_seconds\":%.3f,"
           "\"predicted_seconds\":%.3f,\"recorded_predicted_seconds\":%.3f}\n",
           (long long)sum.runs, (long long)sum.already_done, (long long)sum.ran,
           (long long)sum.failed, ro.jobs, ro.threads, sum.wall_seconds, sum.train_seconds,
           sum.predicted_seconds, sum.recorded_predicted_seconds);
  } else {
    printf("sweep %s: %lld runs, %lld already in %s, ran %lld (%lld failed) in %.1f s with %d "
           "job%s of %d thread%s, against %.1f s predicted (loading the data and the epochs "
           "given); training took %.1f s (epochs run x epoch time), against %.1f s that the runs "
           "themselves predicted for the epochs given\n",
           file, (long long)sum.runs, (long long)sum.already_done, out, (long long)sum.ran,
           (long long)sum.failed, sum.wall_seconds, ro.jobs, ro.jobs > 1 ? "s" : "", ro.threads,
           ro.threads > 1 ? "s" : "", sum.predicted_seconds, sum.train_seconds,
           sum.recorded_predicted_seconds);
  }
  exit_code = sum.failed > 0 ? 1 : 0;
  if (sum.failed > 0)
    fprintf(stderr, "gnnscale sweep: %lld run%s failed; their lines in %s say why\n",
            (long long)sum.failed, sum.failed > 1 ? "s" : "", out);
done:
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("sweep", &err);
  gs_results_close(&res);
  free(help);
  free(pred);
  free(done);
  free(seconds);
  gs_sweep_pricer_free(&pricer);
  gs_sweep_free(&sw);
  return exit_code;
}

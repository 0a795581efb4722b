/* gnnscale report: tables (Markdown, CSV) and gnuplot figures (SVG, PNG, with their data and
 * scripts) of a sweep's results file. Skipped lines are listed with their line numbers. This
 * file only parses and prints: the work is in experiments/report.c. */
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "experiments/report.h"

static void report_usage(FILE *f) {
  fputs(
      "usage: gnnscale report RESULTS.jsonl --out DIR [options]\n"
      "  RESULTS.jsonl         results file of `gnnscale sweep`\n"
      "  --out DIR             folder for results.md, results.csv, the figures (.svg, .png),\n"
      "                        their data (.dat) and gnuplot scripts (.gp)\n"
      "  --gnuplot PROGRAM     gnuplot to render with (default gnuplot)\n"
      "  --no-render           write data and scripts only\n"
      "  --json                print one JSON object on stdout\n",
      f);
}

static void print_note(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "gnnscale report: %s\n", message);
}

int gs_cmd_report(int argc, char **argv) {
  const char *file = NULL, *out = NULL, *gnuplot = "gnuplot";
  bool json = false, render = true;
  gs_args a;
  gs_args_init(&a, argc, argv, 2);
  const char *opt;
  while ((opt = gs_args_next(&a))) {
    if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
      report_usage(stdout);
      return 0;
    } else if (!strcmp(opt, "--out")) out = gs_args_value(&a);
    else if (!strcmp(opt, "--gnuplot")) gnuplot = gs_args_value(&a);
    else if (!strcmp(opt, "--json") || !strcmp(opt, "--no-render")) {
      if (a.pending_value) gs_args_fail(&a, "option %s takes no value", opt);
      else if (!strcmp(opt, "--json")) json = true;
      else render = false;
    } else if (opt[0] != '-' && !file) file = a.argv[a.index - 1];
    else if (opt[0] != '-') gs_args_fail(&a, "one results file only ('%s' is a second)", opt);
    else gs_args_fail(&a, "unknown option '%s'", opt);
  }
  if (!a.failed && !file) gs_args_fail(&a, "a RESULTS.jsonl file is required");
  if (!a.failed && !out) gs_args_fail(&a, "--out DIR is required");
  if (a.failed) {
    fprintf(stderr, "gnnscale report: %s\n", a.error);
    report_usage(stderr);
    return 2;
  }
  gs_error err;
  gs_error_clear(&err);
  gs_report_summary s;
  gs_status st = gs_report_write(&s, file, out, render ? gnuplot : NULL, print_note, NULL, &err);
  if (st != GS_OK) return gs_cli_fail("report", &err);
  if (json) {
    printf("{\"command\":\"report\",\"results\":");
    gs_json_string(stdout, file);
    printf(",\"out\":");
    gs_json_string(stdout, out);
    printf(",\"lines\":%lld,\"used\":%lld,\"failed\":%lld,\"bad\":%lld,\"repeated\":%lld,"
           "\"groups\":%lld,\"panels\":%lld,\"figures\":%d}\n",
           (long long)s.lines, (long long)s.results, (long long)s.failed, (long long)s.bad,
           (long long)s.repeated, (long long)s.groups, (long long)s.panels, s.rendered);
  } else {
    printf("report of %s in %s: %lld results in %lld groups (%lld panels per figure), %d figures "
           "(SVG and PNG); %lld lines left out (%lld failed runs, %lld not results, %lld "
           "repeated)\n",
           file, out, (long long)s.results, (long long)s.groups, (long long)s.panels, s.rendered,
           (long long)(s.failed + s.bad + s.repeated), (long long)s.failed, (long long)s.bad,
           (long long)s.repeated);
  }
  return 0;
}

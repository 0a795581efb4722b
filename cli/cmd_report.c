/* gnnscale report: tables (Markdown, CSV) and gnuplot figures (SVG, PNG, with their data and
 * scripts) of a sweep's results file. Skipped lines are listed with their line numbers. This
 * file only parses and prints: the work is in experiments/report.c. */
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "experiments/report.h"

static void print_note(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "gnnscale report: %s\n", message);
}

int gs_cmd_report(int argc, char **argv) {
  const char *file = NULL, *out = NULL, *gnuplot = "gnuplot";
  bool json = false, render = true;
  const gs_option options[] = {
      GS_OPT_SECTION("report"),
      GS_OPT_STRING("out", "DIR", &out,
                    "folder for results.md, results.csv, the figures (.svg, .png),\n"
                    "their data (.dat) and gnuplot scripts (.gp)"),
      GS_OPT_STRING("gnuplot", "PROGRAM", &gnuplot, "gnuplot to render with (default gnuplot)"),
      GS_OPT_FLAG("render", &render, "render the figures (--no-render: data and scripts only)"),
      GS_OPT_JSON(&json),
  };
  int first = 2;
  if (argc > 2 && argv[2][0] != '-') file = argv[first++];
  gs_cli cli;
  int status = gs_cli_parse(&cli, "report", "RESULTS.jsonl --out DIR [options]", options,
                            GS_CLI_ROWS(options), argc, argv, first);
  if (status != GS_CLI_CONTINUE) return status;
  if (!file) return gs_cli_reject(&cli, "a RESULTS.jsonl file is required");
  if (!out) return gs_cli_reject(&cli, "--out DIR is required");
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

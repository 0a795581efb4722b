/* gnnscale convert: writes (or rebuilds) the binary graph store beside a dataset's text
 * (datasets/store.h), and says what it holds and what it took. */
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "datasets/store.h"

int gs_cmd_convert(int argc, char **argv) {
  const char *data = NULL, *split = NULL;
  bool json = false;
  int64_t threads = 0;
  const gs_option options[] = {
      GS_OPTS_DATA(&data, &split),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&threads),
      GS_OPT_JSON(&json),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "convert", "--data DIR [options]\n  writes DIR/" GS_STORE_FILE
                            " (the binary graph store), rebuilding it if present",
                            options, GS_CLI_ROWS(options), argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!data) return gs_cli_reject(&cli, "--data DIR is required");
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  char path[4352], note[1200];
  gs_store_outcome oc;
  gs_store_info info;
  GS_TRY(gs_runtime_init((int)threads, &err));
  const double t0 = gs_clock_seconds();
  GS_TRY(gs_store_ensure(path, sizeof path, data, split, true, &oc, note, sizeof note, &err));
  if (oc == GS_STORE_TEXT_ONLY) {
    st = gs_error_set(&err, GS_ERR_IO, "%s", note);
    goto fail;
  }
  const double seconds = gs_clock_seconds() - t0;
  GS_TRY(gs_store_read_info(&info, path, &err));
  char b1[32], b2[32];
  if (json) {
    printf("{\"command\":\"convert\",\"store\":");
    gs_json_string(stdout, path);
    printf(",\"version\":%d,\"bytes\":%lld,\"nodes\":%lld,\"symmetric_entries\":%lld,"
           "\"features\":%lld,\"classes\":%d,\"seconds\":%.3f,\"peak_counted_bytes\":%lld,"
           "\"peak_rss_bytes\":%lld}\n",
           info.version, (long long)info.file_bytes, (long long)info.graph.nodes,
           (long long)info.graph.symmetric_entries, (long long)info.file_features,
           info.num_classes, seconds, (long long)gs_mem_peak(), (long long)gs_mem_peak_rss());
  } else {
    printf("%s: %s, format version %d: %lld nodes, %lld adjacency entries, %lld features, "
           "%d classes, split %s\n",
           path, gs_format_bytes(info.file_bytes, b1, sizeof b1), info.version,
           (long long)info.graph.nodes, (long long)info.graph.symmetric_entries,
           (long long)info.file_features, info.num_classes,
           info.split_name[0] ? info.split_name : "(none)");
    printf("built in %.2f s from the text; peak %s counted, %s RSS\n", seconds,
           gs_format_bytes(gs_mem_peak(), b1, sizeof b1),
           gs_format_bytes(gs_mem_peak_rss(), b2, sizeof b2));
  }
  return 0;
fail:
  return gs_cli_fail("convert", &err);
}

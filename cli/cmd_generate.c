/* gnnscale generate: write a seeded synthetic graph (power-law degrees, planted classes,
 * dense features) in the datasets layout, for scale runs; never for accuracy claims. */
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/runtime.h"
#include "datasets/generate.h"

/* --preset arxiv: the shape of ogbn-arxiv. Options after it override it (parsed in order). */
static bool parse_preset(const char *value, void *target, char *why, size_t cap) {
  gs_generate_options *o = target;
  if (strcmp(value, "arxiv") != 0) {
    snprintf(why, cap, "unknown preset '%s' (known: arxiv)", value);
    return false;
  }
  o->nodes = 169343;
  o->edges = 1166243;
  o->features = 128;
  o->classes = 40;
  return true;
}

int gs_cmd_generate(int argc, char **argv) {
  gs_generate_options o = gs_generate_options_default();
  const char *out = NULL, *name = NULL;
  bool json = false;
  int64_t threads = 0;
  const gs_option options[] = {
      GS_OPT_SECTION("graph"),
      GS_OPT_CUSTOM("preset", "arxiv", parse_preset, &o,
                    "the shape of ogbn-arxiv: 169343 nodes, 1166243 edges, 128 features,\n"
                    "40 classes (options given after it override it)"),
      GS_OPT_INT("nodes", "N", 1, INT32_MAX, &o.nodes, "nodes (default 10000)"),
      GS_OPT_INT("edges", "E", 0, INT64_MAX / 64, &o.edges,
                 "undirected edges, each written once (default 50000)"),
      GS_OPT_INT("features", "F", 0, 1 << 20, &o.features, "dense feature width (default 64)"),
      GS_OPT_INT("classes", "C", 1, INT32_MAX, &o.classes, "classes (default 8)"),
      GS_OPT_INT("seed", "S", 0, INT64_MAX, &o.seed, "seed (default 1)"),
      GS_OPT_DOUBLE("p-in", "X", 0.0, 1.0, &o.p_in,
                    "probability that an edge stays within a class (default 0.8)"),
      GS_OPT_DOUBLE("degree-exponent", "X", 2.0001, 100.0, &o.degree_exponent,
                    "power-law exponent of expected degrees, > 2 (default 2.5)"),
      GS_OPT_SECTION("output"),
      GS_OPT_STRING("out", "DIR", &out,
                    "folder to write (datasets layout; files written then renamed)"),
      GS_OPT_STRING("name", "NAME", &name,
                    "dataset name written to META.txt (default: the folder's name)"),
      GS_OPT_JSON(&json),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&threads),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "generate", "--out DIR [--preset arxiv] [options]", options,
                            GS_CLI_ROWS(options), argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!out) return gs_cli_reject(&cli, "--out DIR is required");
  if (!name) {
    const char *slash = strrchr(out, '/');
    name = slash && slash[1] ? slash + 1 : out;
  }
  o.name = name;
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  int exit_code = 1;
  GS_TRY(gs_runtime_init((int)threads, &err));
  double t0 = gs_clock_seconds();
  GS_TRY(gs_dataset_generate(&ds, &o, &err));
  double t1 = gs_clock_seconds();
  GS_TRY(gs_dataset_write(ds, out, &err));
  double t2 = gs_clock_seconds();
  if (json)
    printf("{\"command\":\"generate\",\"out\":\"%s\",\"nodes\":%lld,\"edges\":%lld,\"features\":%lld,"
           "\"classes\":%d,\"seed\":%llu,\"generate_seconds\":%.3f,\"write_seconds\":%.3f}\n",
           out, (long long)o.nodes, (long long)o.edges, (long long)o.features, (int)o.classes,
           (unsigned long long)o.seed, t1 - t0, t2 - t1);
  else
    printf("wrote %s: %lld nodes, %lld edges, %lld features, %d classes, seed %llu "
           "(generated in %.2f s, written in %.2f s)\n",
           out, (long long)o.nodes, (long long)o.edges, (long long)o.features, (int)o.classes,
           (unsigned long long)o.seed, t1 - t0, t2 - t1);
  exit_code = 0;
fail:
  if (st != GS_OK) exit_code = gs_cli_fail("generate", &err);
  gs_dataset_free(&ds);
  return exit_code;
}

/* gnnscale generate: write a seeded synthetic graph (power-law degrees, planted classes,
 * dense features) in the datasets layout, for scale runs; never for accuracy claims. */
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/runtime.h"
#include "datasets/generate.h"

static void generate_usage(FILE *f) {
  fputs(
      "usage: gnnscale generate --out DIR [--preset arxiv] [options]\n"
      "  --out DIR         folder to write (datasets layout; files written then renamed)\n"
      "  --preset arxiv    the shape of ogbn-arxiv: 169343 nodes, 1166243 edges, 128 features,\n"
      "                    40 classes (options given after it override it)\n"
      "  --nodes N         nodes (default 10000)\n"
      "  --edges E         undirected edges, each written once (default 50000)\n"
      "  --features F      dense feature width (default 64)\n"
      "  --classes C       classes (default 8)\n"
      "  --seed S          seed (default 1)\n"
      "  --name NAME       dataset name written to META.txt (default: the folder's name)\n"
      "  --p-in X          probability that an edge stays within a class (default 0.8)\n"
      "  --degree-exponent X  power-law exponent of expected degrees, > 2 (default 2.5)\n"
      "  --threads T       threads (default 0: all cores)\n"
      "  --json            print a JSON summary\n",
      f);
}

int gs_cmd_generate(int argc, char **argv) {
  gs_generate_options o = gs_generate_options_default();
  const char *out = NULL, *name = NULL;
  bool json = false;
  int64_t v = 0, threads = 0;
  double x = 0;
  gs_args a;
  gs_args_init(&a, argc, argv, 2);
  const char *opt;
  while ((opt = gs_args_next(&a))) {
    if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
      generate_usage(stdout);
      return 0;
    } else if (!strcmp(opt, "--out")) out = gs_args_value(&a);
    else if (!strcmp(opt, "--name")) name = gs_args_value(&a);
    else if (!strcmp(opt, "--preset")) {
      const char *p = gs_args_value(&a);
      if (p && !strcmp(p, "arxiv")) {
        o.nodes = 169343;
        o.edges = 1166243;
        o.features = 128;
        o.classes = 40;
      } else if (p) {
        gs_args_fail(&a, "option --preset: unknown preset '%s' (known: arxiv)", p);
      }
    } else if (!strcmp(opt, "--nodes")) { if (gs_args_int(&a, 1, INT32_MAX, &v)) o.nodes = v; }
    else if (!strcmp(opt, "--edges")) { if (gs_args_int(&a, 0, INT64_MAX / 64, &v)) o.edges = v; }
    else if (!strcmp(opt, "--features")) { if (gs_args_int(&a, 0, 1 << 20, &v)) o.features = v; }
    else if (!strcmp(opt, "--classes")) { if (gs_args_int(&a, 1, INT32_MAX, &v)) o.classes = (int32_t)v; }
    else if (!strcmp(opt, "--seed")) { if (gs_args_int(&a, 0, INT64_MAX, &v)) o.seed = (uint64_t)v; }
    else if (!strcmp(opt, "--p-in")) { if (gs_args_double(&a, 0.0, 1.0, &x)) o.p_in = x; }
    else if (!strcmp(opt, "--degree-exponent")) { if (gs_args_double(&a, 2.0001, 100.0, &x)) o.degree_exponent = x; }
    else if (!strcmp(opt, "--threads")) gs_args_int(&a, 0, 1024, &threads);
    else if (!strcmp(opt, "--json")) json = true;
    else gs_args_fail(&a, "unknown option '%s'", opt);
  }
  if (!a.failed && !out) gs_args_fail(&a, "--out DIR is required");
  if (a.failed) {
    fprintf(stderr, "gnnscale generate: %s\n", a.error);
    generate_usage(stderr);
    return 2;
  }
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

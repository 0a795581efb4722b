/* gnnscale generate: write a seeded synthetic graph (power-law degrees, planted classes,
 * dense features) in the datasets layout, for scale runs; never for accuracy claims. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/outpath.h"
#include "core/runtime.h"
#include "core/tempfile.h"
#include "datasets/generate.h"
#include "datasets/store.h"

/* --preset arxiv: the shape of ogbn-arxiv. Options after it override it (parsed in order). */
static bool parse_preset(const char *value, void *target, char *why, size_t cap) {
  gs_generate_options *o = target;
  if (strcmp(value, "arxiv") == 0) {
    o->nodes = 169343;
    o->edges = 1166243;
    o->features = 128;
    o->classes = 40;
    return true;
  }
  if (strcmp(value, "products") == 0) { /* ogbn-products */
    o->nodes = 2449029;
    o->edges = 61859140;
    o->features = 100;
    o->classes = 47;
    return true;
  }
  snprintf(why, cap, "unknown preset '%s' (known: arxiv, products)", value);
  return false;
}

/* The output folder: new, empty, or (with --force) an existing dataset folder. */
static gs_status check_out(const char *out, bool force, gs_error *err) {
  gs_status st = gs_outpath_check_dir(out, force, err);
  if (st != GS_OK || !gs_outpath_dir_nonempty(out)) return st;
  char meta[PATH_MAX + 32], raw[PATH_MAX + 32], store[PATH_MAX + 32];
  snprintf(meta, sizeof meta, "%s/META.txt", out);
  snprintf(raw, sizeof raw, "%s/raw", out);
  snprintf(store, sizeof store, "%s/" GS_STORE_FILE, out);
  struct stat sb;
  if (stat(meta, &sb) != 0 && stat(raw, &sb) != 0 && stat(store, &sb) != 0)
    return gs_error_set(err, GS_ERR_INVALID, "%s holds no META.txt, raw/ or store: not a dataset folder, "
                        "so --force does not replace it", out);
  return GS_OK;
}

/* Writes ds so that out holds exactly the new dataset or (on failure or a signal) what it
 * held before: a new folder is registered for removal while it is written; an existing one
 * is written beside (`built`, "OUT.tmp.XXXXXX") and swapped into place. */
static gs_status write_whole(const gs_dataset *ds, const char *out, char *built, size_t cap,
                             gs_error *err) {
  struct stat sb;
  if (stat(out, &sb) != 0) {
    gs_temp_register(out);
    gs_status st = gs_dataset_write(ds, out, err);
    if (st != GS_OK) gs_temp_remove(out);
    gs_temp_forget(out);
    return st;
  }
  char trimmed[PATH_MAX + 1];
  snprintf(trimmed, sizeof trimmed, "%s", out);
  for (size_t n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--) trimmed[n - 1] = '\0';
  snprintf(built, cap, "%s.tmp.XXXXXX", trimmed);
  if (!mkdtemp(built)) {
    gs_status st = gs_error_set(err, GS_ERR_IO, "%s: cannot create a folder beside it: %s", out,
                                strerror(errno));
    built[0] = '\0';
    return st;
  }
  gs_temp_register(built);
  gs_status st = gs_dataset_write(ds, built, err);
  if (st == GS_OK) st = gs_outpath_swap_in(built, out, err);
  if (st == GS_OK) {
    gs_temp_forget(built);
    built[0] = '\0';
  }
  return st;
}

/* Writes ds (generated in adjacency form) as a binary store alone (DIR/gnnscale.store, no
 * text: fingerprint 0); the store file itself is written atomically. */
static gs_status write_store(const gs_dataset *ds, const char *out, gs_error *err) {
  char path[PATH_MAX + 32];
  if (mkdir(out, 0755) != 0 && errno != EEXIST)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot create: %s", out, strerror(errno));
  gs_status st = gs_store_path(path, sizeof path, out, err);
  if (st == GS_OK) st = gs_store_write(path, ds, NULL, 0, NULL, NULL, 0, 0, err);
  return st;
}

int gs_cmd_generate(int argc, char **argv) {
  gs_generate_options o = gs_generate_options_default();
  const char *out = NULL, *name = NULL;
  bool json = false, force = false;
  int64_t threads = 0;
  enum { FORMAT_CSV, FORMAT_STORE } format = FORMAT_CSV;
  static const gs_option_choice format_choices[] = {
      {"csv", FORMAT_CSV}, {"store", FORMAT_STORE}, {NULL, 0}};
  const gs_option options[] = {
      GS_OPT_SECTION("graph"),
      GS_OPT_CUSTOM("preset", "arxiv|products", parse_preset, &o,
                    "the shape of ogbn-arxiv: 169343 nodes, 1166243 edges, 128 features,\n"
                    "40 classes; or of ogbn-products: 2449029 nodes, 61859140 edges, 100\n"
                    "features, 47 classes (options given after it override it)"),
      GS_OPT_INT("nodes", "N", 1, INT32_MAX, &o.nodes, "nodes (default 10000)"),
      GS_OPT_INT("edges", "E", 0, INT64_MAX / 64, &o.edges,
                 "undirected edges, each written once (default 50000)"),
      GS_OPT_INT("features", "F", 1, 1 << 20, &o.features, "dense feature width (default 64)"),
      GS_OPT_INT("classes", "C", 1, INT32_MAX, &o.classes, "classes (default 8)"),
      GS_OPT_INT("seed", "S", 0, INT64_MAX, &o.seed, "seed (default 1)"),
      GS_OPT_DOUBLE("p-in", "X", 0.0, 1.0, &o.p_in,
                    "probability that an edge stays within a class (default 0.8)"),
      GS_OPT_DOUBLE("degree-exponent", "X", 2.0001, 100.0, &o.degree_exponent,
                    "power-law exponent of expected degrees, > 2 (default 2.5)"),
      GS_OPT_SECTION("output"),
      GS_OPT_STRING("out", "DIR", &out,
                    "folder to write (datasets layout; files written then renamed)"),
      GS_OPT_ENUM("format", "csv|store", format_choices, &format,
                  "csv: the gzip-CSV datasets layout (default); store: only the binary\n"
                  "graph store DIR/" GS_STORE_FILE ", no text (faster, smaller)"),
      GS_OPT_STRING("name", "NAME", &name,
                    "dataset name written to META.txt (default: the folder's name)"),
      GS_OPT_JSON(&json),
      GS_OPT_FLAG("force", &force, "replace DIR when it is not empty (a dataset folder only: it\n"
                  "must hold META.txt or raw/); the new folder is written beside it first"),
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
  char built[PATH_MAX + 32] = "";
  GS_TRY(check_out(out, force, &err));
  GS_TRY(gs_runtime_init((int)threads, &err));
  double t0 = gs_clock_seconds();
  o.adjacency = format == FORMAT_STORE; /* straight into the store's form: no edge lines */
  GS_TRY(gs_dataset_generate(&ds, &o, &err));
  double t1 = gs_clock_seconds();
  if (format == FORMAT_STORE) GS_TRY(write_store(ds, out, &err));
  else GS_TRY(write_whole(ds, out, built, sizeof built, &err));
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
  if (built[0]) {
    gs_temp_remove(built);
    gs_temp_forget(built);
  }
  gs_dataset_free(&ds);
  return exit_code;
}

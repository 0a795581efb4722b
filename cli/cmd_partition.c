/* gnnscale partition: METIS k-way parts of a dataset's graph for Cluster-GCN, kept beside the
 * data (the assignment and a partition-ordered store) and reused while P, the seed and the
 * graph stay the same. */
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "datasets/store.h"
#include "sparse/partition.h"

/* Whether the partition-ordered store at path was made from the store with graph_key with
 * these parts and seed. */
static bool ordered_is_current(const char *path, uint64_t graph_key, int32_t parts, int64_t seed) {
  gs_store_info info;
  gs_error ignored;
  return gs_store_read_info(&info, path, &ignored) == GS_OK && info.source_fingerprint == graph_key &&
         info.parts == parts && info.partition_seed == seed;
}

gs_status gs_cli_partition_ensure(gs_cli_partition *out, const char *data, const char *split,
                                  int32_t parts, int64_t seed, int64_t mem, bool mem_counted,
                                  gs_error *err) {
  gs_status st = GS_OK;
  int32_t *part = NULL;
  char note[1200];
  gs_store_outcome oc;
  gs_cli_partition *pr = out;
  memset(pr, 0, sizeof *pr);
  double t0 = gs_clock_seconds();
  GS_TRY(gs_store_ensure(pr->store, sizeof pr->store, data, split, false, &oc, note, sizeof note,
                         err));
  if (note[0]) fprintf(stderr, "gnnscale: %s\n", note);
  if (oc == GS_STORE_TEXT_ONLY) {
    st = gs_error_set(err, GS_ERR_IO, "partitioning keeps its result beside the data: %s", note);
    goto fail;
  }
  pr->store_seconds = gs_clock_seconds() - t0;
  GS_TRY(gs_store_read_info(&pr->info, pr->store, err));
  GS_TRY(gs_store_parts_path(pr->parts_path, sizeof pr->parts_path, data, parts, seed, false, err));
  GS_TRY(gs_store_parts_path(pr->ordered_path, sizeof pr->ordered_path, data, parts, seed, true,
                             err));
  /* METIS's entry budget: from the memory budget, less what is resident now. */
  pr->rss_before = gs_mem_current_rss();
  pr->max_entries = GS_PARTITION_METIS_ENTRIES;
  if (mem > 0) {
    const int64_t in_use = !mem_counted && pr->rss_before > gs_mem_current() ? pr->rss_before
                                                                             : gs_mem_current();
    const int64_t room = mem - in_use;
    pr->max_entries = gs_store_partition_entries_for(&pr->info, parts, room, mem_counted);
    if (pr->max_entries < 1) {
      gs_store_partition_cost least;
      gs_store_partition_cost_of(&least, &pr->info, parts, pr->info.graph.nodes);
      char b1[32], b2[32], b3[32];
      st = gs_error_set(err, GS_ERR_BUDGET,
                        "%s: partitioning into %d parts needs more than the %s budget: %s of it "
                        "is in use, and even METIS on a sample of about one edge per node is "
                        "priced at %s (%lld nodes)",
                        data, parts, gs_format_bytes(mem, b1, sizeof b1),
                        gs_format_bytes(pr->rss_before, b2, sizeof b2),
                        gs_format_bytes(least.peak_bytes, b3, sizeof b3),
                        (long long)pr->info.graph.nodes);
      goto fail;
    }
  }
  gs_store_partition_cost_of(&pr->cost, &pr->info, parts, pr->max_entries);
  gs_error rerr;
  gs_error_clear(&rerr);
  gs_status rst = gs_store_parts_read(&part, &pr->report, pr->parts_path, pr->info.graph.nodes,
                                      parts, seed, pr->info.graph_key, &rerr);
  pr->ordered_reused = ordered_is_current(pr->ordered_path, pr->info.graph_key, parts, seed);
  if (rst == GS_OK && pr->ordered_reused) {
    pr->reused = true; /* nothing to do */
    goto fail;
  }
  gs_mem_reset_peak_rss(); /* the step's own peak from here */
  if (rst == GS_OK) {
    pr->reused = true;
  } else {
    if (rst != GS_ERR_NOT_FOUND) fprintf(stderr, "gnnscale: %s; partitioning again\n", rerr.msg);
    gs_mem_free(part);
    part = NULL;
    t0 = gs_clock_seconds();
    st = gs_store_partition(&part, &pr->report, &pr->metis_kept, pr->store, parts, (uint64_t)seed,
                            pr->max_entries, err);
    if (st != GS_OK) {
      gs_error_prefix(err, "%s: ", data);
      goto fail;
    }
    pr->partition_seconds = gs_clock_seconds() - t0;
    GS_TRY(gs_store_parts_write(pr->parts_path, part, &pr->report, seed, pr->info.graph_key, err));
    pr->ordered_reused = false;
  }
  if (!pr->ordered_reused) {
    t0 = gs_clock_seconds();
    GS_TRY(gs_store_write_ordered_stream(pr->ordered_path, pr->store, part, parts, seed,
                                         pr->info.graph_key, err));
    pr->ordered_seconds = gs_clock_seconds() - t0;
  }
  pr->peak_rss = gs_mem_peak_rss();
fail:
  gs_mem_free(part);
  return st;
}

int gs_cmd_partition(int argc, char **argv) {
  const char *data = NULL, *split = NULL;
  bool json = false;
  int64_t threads = 0, parts = 0, seed = 0, mem = 0;
  const gs_option options[] = {
      GS_OPTS_DATA(&data, &split),
      GS_OPT_SECTION("partition"),
      GS_OPT_INT("parts", "P", 1, INT32_MAX, &parts,
                 "number of parts (METIS k-way on the symmetrised graph without self loops)"),
      GS_OPT_INT("seed", "S", 0, INT32_MAX, &seed, "METIS's seed (default 0)"),
      GS_OPT_SIZE("mem", "SIZE", 1, &mem,
                  "peak RSS budget of the step, e.g. 2GiB: METIS gets the largest sample of the "
                  "edges whose priced peak fits (default: a sample above 32M entries)"),
      GS_OPT_SECTION("run"),
      GS_OPT_THREADS(&threads),
      GS_OPT_JSON(&json),
  };
  gs_cli cli;
  int status = gs_cli_parse(&cli, "partition",
                            "--data DIR --parts P [options]\n"
                            "  kept beside the data as gnnscale-P<P>-s<S>.parts and a "
                            "partition-ordered store\n  gnnscale-P<P>-s<S>.store, reused while "
                            "P, S and the graph stay the same",
                            options, GS_CLI_ROWS(options), argc, argv, 2);
  if (status != GS_CLI_CONTINUE) return status;
  if (!data) return gs_cli_reject(&cli, "--data DIR is required");
  if (parts == 0) return gs_cli_reject(&cli, "--parts P is required");
  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_cli_partition pr;
  GS_TRY(gs_runtime_init((int)threads, &err));
  GS_TRY(gs_cli_partition_ensure(&pr, data, split, (int32_t)parts, seed, mem, false, &err));
  const gs_partition_report r = pr.report;
  const gs_store_info info = pr.info;
  const char *how = pr.reused ? "reused" : "computed";
  const char *parts_path = pr.parts_path, *ordered_path = pr.ordered_path;
  const bool ordered_reused = pr.ordered_reused;
  const double store_seconds = pr.store_seconds, load_seconds = pr.load_seconds;
  const double partition_seconds = pr.partition_seconds, ordered_seconds = pr.ordered_seconds;
  char b1[32], b2[32], b3[32];
  if (json) {
    printf("{\"command\":\"partition\",\"dataset\":");
    gs_json_string(stdout, info.name);
    printf(",\"parts\":%lld,\"seed\":%lld,\"partition\":\"%s\",\"nodes\":%lld,\"edges\":%lld,"
           "\"edge_cut\":%lld,\"metis_edge_cut\":%lld,\"balance\":%.6f,\"largest_part\":%lld,"
           "\"smallest_part\":%lld,\"isolated_nodes\":%lld,\"metis_seconds\":%.4f,"
           "\"metis_peak_bytes\":%lld,\"store_seconds\":%.4f,\"load_seconds\":%.4f,"
           "\"partition_seconds\":%.4f,\"ordered_store_seconds\":%.4f,"
           "\"metis_sampled_fraction\":%.6f,\"parts_file\":",
           (long long)parts, (long long)seed, how, (long long)r.nodes, (long long)r.edges,
           (long long)r.edge_cut, (long long)r.metis_edge_cut, r.balance,
           (long long)r.largest_part, (long long)r.smallest_part, (long long)r.isolated_nodes,
           r.metis_seconds, (long long)r.metis_peak_bytes, store_seconds, load_seconds,
           partition_seconds, ordered_seconds, pr.metis_kept);
    gs_json_string(stdout, parts_path);
    printf(",\"ordered_store\":");
    gs_json_string(stdout, ordered_path);
    printf(",\"peak_rss_bytes\":%lld,\"memory_budget_bytes\":%lld,\"metis_max_entries\":%lld,"
           "\"predicted\":{\"peak_rss_bytes\":%lld,\"peak_counted_bytes\":%lld,"
           "\"metis_bytes\":%lld,\"metis_counted_bytes\":%lld,\"ordered_bytes\":%lld}}\n",
           (long long)gs_mem_peak_rss(), (long long)mem, (long long)pr.max_entries,
           (long long)(pr.rss_before + pr.cost.peak_bytes), (long long)pr.cost.counted_peak_bytes,
           (long long)pr.cost.metis_bytes, (long long)pr.cost.metis_counted_bytes,
           (long long)pr.cost.ordered_bytes);
  } else {
    printf("%s: %lld parts (seed %lld), %s: %lld nodes, %lld edges\n", info.name,
           (long long)parts, (long long)seed, how, (long long)r.nodes, (long long)r.edges);
    printf("edge cut       %lld edges (%.2f%%; METIS reports %lld)\n", (long long)r.edge_cut,
           r.edges ? 100.0 * (double)r.edge_cut / (double)r.edges : 0.0,
           (long long)r.metis_edge_cut);
    printf("balance        %.4f (parts of %lld to %lld nodes; %lld isolated nodes dealt to the "
           "smallest parts)\n",
           r.balance, (long long)r.smallest_part, (long long)r.largest_part,
           (long long)r.isolated_nodes);
    printf("METIS          %.3f s, peak memory +%s%s\n", r.metis_seconds,
           r.metis_peak_bytes >= 0 ? gs_format_bytes(r.metis_peak_bytes, b1, sizeof b1) : "?",
           !strcmp(how, "reused") ? " (when it was computed)" : "");
    if (pr.metis_kept > 0.0 && pr.metis_kept < 1.0)
      printf("sampled        METIS saw %.1f%% of the adjacency entries (its budget %lld%s: its "
             "memory grows with them); cut and balance above are of the whole graph\n",
             100.0 * pr.metis_kept, (long long)pr.max_entries,
             mem > 0 ? ", from --mem" : "");
    printf("times          store %.2f s, load %.2f s, partition %.2f s, ordered store %.2f s%s\n",
           store_seconds, load_seconds, partition_seconds, ordered_seconds,
           ordered_reused ? " (reused)" : "");
    printf("files          %s, %s; peak %s counted, %s RSS\n", parts_path, ordered_path,
           gs_format_bytes(gs_mem_peak(), b2, sizeof b2),
           gs_format_bytes(gs_mem_peak_rss(), b3, sizeof b3));
    if (!(pr.reused && ordered_reused)) {
      char b4[32], b5[32], b6[32];
      const int64_t pred = pr.rss_before + pr.cost.peak_bytes;
      printf("predicted      peak %s RSS (%s resident before, %s counted, METIS's own %s "
             "modelled%s%s)\n",
             gs_format_bytes(pred, b4, sizeof b4), gs_format_bytes(pr.rss_before, b5, sizeof b5),
             gs_format_bytes(pr.cost.counted_peak_bytes, b6, sizeof b6),
             gs_format_bytes(pr.cost.metis_bytes, b1, sizeof b1), mem > 0 ? "; budget " : "",
             mem > 0 ? gs_format_bytes(mem, b2, sizeof b2) : "");
    }
  }
  return 0;
fail:
  return gs_cli_fail("partition", &err);
}

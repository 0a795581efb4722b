/* gnnscale: train graph neural networks, scale them and plan their cost. This file only
 * dispatches to the subcommands. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/runtime.h"
#include "core/tempfile.h"

static void usage(FILE *f) {
  fputs(
      "usage: gnnscale <command> [options]\n"
      "\n"
      "commands:\n"
      "  train   train a GCN on a dataset and report accuracy, epoch time and memory\n"
      "  info    describe a dataset: nodes, edges, self loops, degrees, features, splits\n"
      "  plan    the largest scaled GCN that fits a memory (and time or FLOP) budget\n"
      "  calibrate measure this machine for the cost model (sgemm, bandwidth) and save it\n"
      "  search  find the GNN's compound-scaling constants alpha, beta, gamma by training\n"
      "  generate  write a seeded synthetic graph (e.g. of ogbn-arxiv's shape) for scale runs\n"
      "  convert write the binary graph store beside a dataset (built on first use anyway)\n"
      "  partition  METIS parts of a dataset's graph for Cluster-GCN, kept beside the data\n"
      "  sweep   run the trainings a sweep file describes, resumably, one JSON line each\n"
      "  report  tables and plots (gnuplot) of a sweep's results\n"
      "\n"
      "Run 'gnnscale <command> --help' for the options of a command.\n",
      f);
}

/* OpenBLAS (pthread build) and GCC's OpenMP each keep their own threads, which spin after a
 * call while waiting for more work; on a machine with as many threads as cores the two pools
 * then steal each other's cores between an sgemm and the next OpenMP kernel (seen as
 * sched_yield in a profile). Shorter spins measured on the arxiv-shaped epoch: 2.47 s ->
 * 1.87 s. Both libraries read these variables only when they are loaded, so the program sets
 * defaults (never overriding the user's) and re-executes itself once. */
static void tune_thread_waiting(char **argv) {
  if (getenv("GNNSCALE_NO_REEXEC")) return;
  bool changed = false;
  if (!getenv("OPENBLAS_THREAD_TIMEOUT")) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    changed = true;
  }
  /* OpenBLAS runs single-threaded inside our OpenMP threads (gs_runtime_init), so its own
   * pool is never used; but each pool thread maps a 128 MiB work buffer when the library
   * loads and, under `ulimit -v`, retries that mapping for ever (a hang at start and at exit).
   * One thread: no pool. */
  if (!getenv("OPENBLAS_NUM_THREADS")) {
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    changed = true;
  }
  if (!getenv("GOMP_SPINCOUNT") && !getenv("OMP_WAIT_POLICY")) {
    setenv("GOMP_SPINCOUNT", "20000", 0);
    changed = true;
  }
  if (!changed) return;
  setenv("GNNSCALE_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);
  /* If the re-exec fails, carry on with the libraries' defaults. */
}

int main(int argc, char **argv) {
  tune_thread_waiting(argv);
  gs_temp_install_handlers();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  int status;
  if (!strcmp(cmd, "train")) status = gs_cmd_train(argc, argv);
  else if (!strcmp(cmd, "info")) status = gs_cmd_info(argc, argv);
  else if (!strcmp(cmd, "plan")) status = gs_cmd_plan(argc, argv);
  else if (!strcmp(cmd, "generate")) status = gs_cmd_generate(argc, argv);
  else if (!strcmp(cmd, "calibrate")) status = gs_cmd_calibrate(argc, argv);
  else if (!strcmp(cmd, "search")) status = gs_cmd_search(argc, argv);
  else if (!strcmp(cmd, "convert")) status = gs_cmd_convert(argc, argv);
  else if (!strcmp(cmd, "partition")) status = gs_cmd_partition(argc, argv);
  else if (!strcmp(cmd, "sweep")) status = gs_cmd_sweep(argc, argv);
  else if (!strcmp(cmd, "report")) status = gs_cmd_report(argc, argv);
  else if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  } else {
    fprintf(stderr, "gnnscale: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
  }
  gs_runtime_finalize();
  return status;
}

/* gnnscale: train graph neural networks, scale them and plan their cost. This file only
 * dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/runtime.h"

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
      "\n"
      "Run 'gnnscale <command> --help' for the options of a command.\n",
      f);
}

int main(int argc, char **argv) {
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

/* Synthetic node-classification graphs of any size, for scaling runs where no real graph of
 * the wanted shape is at hand (the shapes of ogbn-arxiv and ogbn-products, 5M nodes and 100M
 * edges). The graph is a degree-corrected stochastic block model in the Chung-Lu form (Chung &
 * Lu, PNAS 2002; Karrer & Newman 2011): each node has a class (its planted community, uniform
 * over C) and a power-law weight; an edge joins a node drawn by weight to a node drawn by
 * weight inside the same class with probability p_in, else over all nodes, so that a share
 * p_in + (1 - p_in)/C of the edges stay inside a class (homophily, as in citation graphs).
 * Features are a random per-class centroid plus Gaussian noise: a node's own features are a
 * weak signal that averaging over its mostly same-class neighbours (what a GCN layer does)
 * strengthens. */
#ifndef GS_GENERATE_H
#define GS_GENERATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"

typedef struct {
  int64_t nodes;    /* N, in [1, 2^31 - 1] */
  int64_t edges;    /* undirected edges wanted, each written once; <= N(N-1)/2 */
  int64_t features; /* dense feature width (0 = no features) */
  int32_t classes;  /* C, in [1, N] */
  uint64_t seed;
  int64_t train_per_class; /* split: per class, this many training nodes (default 20) */
  int64_t valid_per_class; /* then this many validation nodes (default 30); rest = test */
  const char *split;       /* split name (default "random-20-30") */
  const char *name;        /* dataset name (default "synthetic") */
  double p_in;             /* probability that an edge stays inside a class (default 0.8) */
  double degree_exponent;  /* gamma of the power law of expected degrees, > 2 (default 2.5) */
  double centroid_scale;   /* standard deviation of class-centroid entries (default 0.15) */
  double noise;            /* standard deviation of the per-node noise (default 1.0) */
  bool adjacency;          /* hold the graph as the store does (adj_rowptr, adj_col and
                              store_stats) instead of edge lines (default false) */
} gs_generate_options;

/* Defaults: 10,000 nodes, 50,000 edges, 64 features, 8 classes, seed 1, and the values
 * given above. */
gs_generate_options gs_generate_options_default(void);

/* Generates a dataset (*out, free with gs_dataset_free). Deterministic: the result is a pure
 * function of the options, whatever the thread count, because every random number is
 * gs_rng_at(seed, GS_RNG_STREAM_GENERATE-derived stream, index).
 *
 * The graph holds exactly opts->edges distinct undirected edges without self-loops: as edge
 * lines (src < dst, ascending), or with opts->adjacency as the symmetric adjacency a store
 * holds (the same edges). Expected degrees follow a power law (weights w = (1-u)^(-1/(gamma-1)),
 * capped at N), drawn from alias tables (O(1) per end); candidates are drawn in rounds with
 * 12.5% to spare, radix-sorted and deduplicated, and the surplus dropped at evenly spaced
 * ranks. When more than half of all node pairs are wanted, the edges are instead a uniform
 * random subset of all pairs (the weighted draw would stall), without degree skew. Each
 * node's class is uniform in [0, C); its features are the class centroid plus noise, rounded
 * to 4 decimals so that the written text is short and reads back bit for bit. The split
 * takes, per class in random order, train_per_class nodes, then valid_per_class, and puts the
 * rest in test (as the random-20-30 split of the bundled datasets).
 *
 * Errors: GS_ERR_INVALID for a zero or negative size, a bad probability, exponent or name;
 * GS_ERR_RANGE for sizes beyond the limits above or features needing more than 32 GiB;
 * GS_ERR_NOMEM. Cost: O(E + N F) time; memory at the peak 16 bytes per candidate edge
 * (1.125 E) plus 44 bytes per node, then the graph (16 bytes per edge as lines, 8 as an
 * adjacency) beside 8 bytes per remaining key, then the 4 N F bytes of features. */
gs_status gs_dataset_generate(gs_dataset **out, const gs_generate_options *opts, gs_error *err);

#endif

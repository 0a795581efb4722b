/* Graph partitioning for Cluster-GCN (Chiang et al., KDD 2019): METIS k-way
 * (METIS_PartGraphKway, Karypis & Kumar 1998) on the symmetrised graph without self loops,
 * wrapped so that its failures, signals and untyped options never reach the caller, and the
 * quality of any partition (edge cut, balance) recomputed from the assignment itself. */
#ifndef GS_PARTITION_H
#define GS_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/status.h"

/* What a partition is, as recomputed from the assignment (gs_partition_measure), plus what
 * METIS said and cost when it made it. */
typedef struct {
  int32_t parts;
  int64_t nodes;
  int64_t edge_cut;        /* undirected edges whose ends lie in different parts */
  int64_t edges;           /* undirected edges in all */
  int64_t largest_part;    /* nodes */
  int64_t smallest_part;
  double balance;          /* largest_part / (nodes / parts): 1 is perfect */
  int64_t isolated_nodes;  /* nodes without neighbours, placed by us, not by METIS */
  int64_t metis_edge_cut;  /* METIS's own objective value (-1 when not from METIS) */
  double metis_seconds;    /* wall time of the METIS call */
  int64_t metis_peak_bytes;/* rise of the process's peak RSS during the call (VmHWM after
                              resetting it); -1 when the kernel does not let us measure it */
} gs_partition_report;

/* Largest adjacency METIS takes in this build: idx_t is 32-bit. */
#define GS_PARTITION_MAX_ENTRIES ((int64_t)INT32_MAX)

/* Splits the n nodes of the symmetric adjacency (rowptr [n + 1], col [rowptr[n]], no self
 * loops, as in the binary store) into `parts` parts: part[i] in [0, parts). Nodes with
 * neighbours are partitioned by METIS_PartGraphKway (edge-cut objective, default options,
 * METIS_OPTION_SEED from seed, 0-based numbering); isolated nodes, which METIS would place
 * arbitrarily, are then dealt one at a time to the currently smallest part (lowest index
 * on ties), which keeps the balance. Deterministic for a given seed. report (may be NULL)
 * gets gs_partition_measure's figures and METIS's cut, time and peak memory.
 * Errors, before METIS is called: GS_ERR_INVALID for parts < 2 ("1 part is the whole graph:
 * use full batching"), parts >= n, a graph without edges, or fewer nodes with neighbours than
 * parts; GS_ERR_RANGE for more than GS_PARTITION_MAX_ENTRIES adjacency entries or n above
 * INT32_MAX; GS_ERR_METIS for a METIS failure (its code named); GS_ERR_NOMEM. Memory: the
 * 32-bit copy METIS needs and its bookkeeping, gs_partition_kway_bytes, under "partition", plus METIS's own
 * (malloc, not counted: hence metis_peak_bytes). */
gs_status gs_partition_kway(int32_t *part, gs_partition_report *report, int64_t n,
                            const int64_t *rowptr, const uint32_t *col, int32_t parts,
                            uint64_t seed, gs_error *err);

/* METIS's memory grows with its input, so a graph of more entries than this is partitioned
 * through a sample of its edges (gs_partition_kway_sampled) when no memory budget says
 * otherwise (gs_partition_metis_bytes prices METIS's own memory for a budget). */
#define GS_PARTITION_METIS_ENTRIES ((int64_t)32000000)

/* METIS's own memory (malloc'd inside METIS_PartGraphKway, beyond the arrays it is given) for
 * a graph of `nodes` vertices and `entries` adjacency entries into `parts` parts: a linear fit
 * a·nodes + b·entries of the rise of peak RSS during the call, measured on generated graphs at
 * three sizes and several sample rates, with a margin (bench/RESULTS.md §7b.3); the constants
 * are in partition.c beside what they were fitted on. */
int64_t gs_partition_metis_bytes(int64_t nodes, int64_t entries, int32_t parts);

/* Counting-allocator bytes gs_partition_kway holds around the METIS call for n nodes,
 * `entries` adjacency entries and `parts` parts: sub_of 8n, xadj 4(n + 1), adjncy 4·entries,
 * METIS's output 4n and the part sizes 8·parts (twice: measuring the result). */
int64_t gs_partition_kway_bytes(int64_t n, int64_t entries, int32_t parts);

/* The symmetric edge sample METIS partitions when the adjacency is over its entry budget:
 * edge {u, v} is kept with probability min(1, max(rate, floor / min(deg u, deg v))), decided
 * by a hash of the pair and the seed, so that every node keeps about `floor` of its edges at
 * least (low-degree nodes are not cut loose and placed blindly) and the decision is the same
 * from both ends, in memory or streamed from a store. */
typedef struct {
  double rate, floor;
  uint64_t key;  /* of the seed */
  int64_t nodes; /* the pair's hash index is a·nodes + b */
} gs_partition_sample;

/* Bins of the histogram of the entries' smaller end degree from which the sample is sized:
 * bin d counts entries whose smaller end has degree d, the last bin every degree from
 * GS_PARTITION_DEGREE_BINS - 1 up (priced as that degree: an upper bound on what it keeps). */
#define GS_PARTITION_DEGREE_BINS 4096

static inline int64_t gs_partition_degree_bin(int64_t di, int64_t dj) {
  const int64_t d = di < dj ? di : dj;
  return d < GS_PARTITION_DEGREE_BINS - 1 ? d : GS_PARTITION_DEGREE_BINS - 1;
}

/* Expected entries the sample (rate, floor) keeps, from the histogram (an upper bound). */
double gs_partition_sample_expected(const int64_t *hist, double rate, double floor);

/* The sample of at most about max_entries entries (expected, from the histogram): floor 3 and
 * the largest rate that fits; when floor 3 alone keeps too many, rate 0 and the largest floor
 * down to 1 that fits. Errors: GS_ERR_BUDGET when even floor 1 (about one edge per node) keeps
 * more than max_entries, naming both. */
gs_status gs_partition_sample_choose(gs_partition_sample *out, const int64_t *hist,
                                     int64_t max_entries, int64_t nodes, uint64_t seed,
                                     gs_error *err);

/* Whether the sample keeps the entry (i, j) of ends of degree di and dj (symmetric). */
static inline bool gs_partition_sample_keeps(const gs_partition_sample *s, int64_t i, int64_t j,
                                             int64_t di, int64_t dj) {
  const int64_t a = i < j ? i : j, b = i < j ? j : i, dmin = di < dj ? di : dj;
  double p = s->floor / (double)(dmin > 0 ? dmin : 1);
  if (p < s->rate) p = s->rate;
  if (p >= 1.0) return true;
  const uint64_t z = gs_rng_at_key(s->key, (uint64_t)a * (uint64_t)s->nodes + (uint64_t)b);
  return (double)(z >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* As gs_partition_kway, but when the adjacency has more than max_entries entries METIS runs
 * on the sample gs_partition_sample_choose sizes for max_entries (about that many entries).
 * The report's cut, sizes and balance are measured on the whole graph; METIS's figures are its
 * run on the sample. *kept (may be NULL) gets the share of entries METIS saw (1 without
 * sampling). Memory: the histogram, then the sample's CSR, 8(n + 1) + 4·kept entries, under
 * "partition", then gs_partition_kway's. Errors: those of gs_partition_kway and
 * gs_partition_sample_choose, GS_ERR_NOMEM. */
gs_status gs_partition_kway_sampled(int32_t *part, gs_partition_report *report, int64_t n,
                                    const int64_t *rowptr, const uint32_t *col, int32_t parts,
                                    uint64_t seed, int64_t max_entries, double *kept,
                                    gs_error *err);

/* Recomputes the report of an assignment from scratch (edge cut counted over each undirected
 * edge once, part sizes, balance, isolated nodes); METIS fields set to -1 / 0. Errors:
 * GS_ERR_RANGE for a part id outside [0, parts) (naming the node), GS_ERR_INVALID. */
gs_status gs_partition_measure(gs_partition_report *report, const int32_t *part, int64_t n,
                               const int64_t *rowptr, const uint32_t *col, int32_t parts,
                               gs_error *err);

#endif

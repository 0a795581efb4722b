/* Graph partitioning for Cluster-GCN (Chiang et al., KDD 2019): METIS k-way
 * (METIS_PartGraphKway, Karypis & Kumar 1998) on the symmetrised graph without self loops,
 * wrapped so that its failures, signals and untyped options never reach the caller, and the
 * quality of any partition (edge cut, balance) recomputed from the assignment itself. */
#ifndef GS_PARTITION_H
#define GS_PARTITION_H

#include <stdint.h>

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
 * 32-bit copy METIS needs, 4(n+1) + 4·entries bytes under "partition", plus METIS's own
 * (malloc, not counted: hence metis_peak_bytes). */
gs_status gs_partition_kway(int32_t *part, gs_partition_report *report, int64_t n,
                            const int64_t *rowptr, const uint32_t *col, int32_t parts,
                            uint64_t seed, gs_error *err);

/* METIS's memory grows with its input (about 53 bytes per adjacency entry measured: +1.0 GiB
 * for 500,000 nodes and 20M entries), so a graph of more entries than this is partitioned
 * through a sample of its edges (gs_partition_kway_sampled): about 1.7 GiB for METIS. */
#define GS_PARTITION_METIS_ENTRIES ((int64_t)32000000)

/* As gs_partition_kway, but when the adjacency has more than max_entries entries METIS runs
 * on a symmetric sample of the edges: edge {u, v} kept with probability max(s, 3 / min(deg u,
 * deg v)), s = max_entries / entries, decided by a hash of the pair and the seed (so about
 * max_entries entries, and every node keeps about 3 of its edges at least). The report's
 * cut, sizes and balance are measured on the whole graph; METIS's figures are its run on the
 * sample. *kept (may be NULL) gets the share of entries METIS saw (1 without sampling).
 * Memory: the sample's CSR, 8(n + 1) + 4·kept entries, under "partition", then
 * gs_partition_kway's. Errors: those of gs_partition_kway, GS_ERR_NOMEM. */
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

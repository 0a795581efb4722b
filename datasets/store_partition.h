/* METIS k-way parts of a binary store's graph without loading the store: the adjacency is
 * streamed from the file (checked against its CRC on the way), METIS is given the whole graph
 * or, above an entry budget, the symmetric edge sample of sparse/partition.h built in the same
 * streaming passes, and the cut is measured on the whole graph streamed again. Only the row
 * pointers, the sample and METIS's copy of it are ever held, so the step fits a memory budget
 * that the loaded store alone would exceed; its peak is priced from the counts
 * (gs_store_partition_cost_of) and the entry budget chosen for a memory budget
 * (gs_store_partition_entries_for). */
#ifndef GS_STORE_PARTITION_H
#define GS_STORE_PARTITION_H

#include <stdint.h>

#include "core/status.h"
#include "datasets/store.h"
#include "sparse/partition.h"

/* What partitioning a store and writing its partition-ordered store cost, phase by phase:
 * counting-allocator bytes of each phase, METIS's own (gs_partition_metis_bytes, an RSS
 * model), and the step's peak. The file handle is counted in every phase. */
typedef struct {
  int64_t metis_entries;       /* entries METIS is priced on: all, or the entry budget */
  bool sampled;                /* the adjacency is over the entry budget */
  int64_t sample_bytes;        /* the row pointers, histogram, read buffer and the sample */
  int64_t metis_counted_bytes; /* around the METIS call: the sample (or the whole adjacency),
                                  the assignment and gs_partition_kway_bytes */
  int64_t metis_bytes;         /* METIS's own, modelled */
  int64_t measure_bytes;       /* the assignment, row pointers and read buffer */
  int64_t ordered_bytes;       /* the assignment and gs_store_write_ordered_stream_bytes */
  int64_t counted_peak_bytes;  /* the largest counted phase */
  int64_t peak_bytes;          /* the largest phase with METIS's own memory added to its own */
} gs_store_partition_cost;

/* Prices partitioning the store info describes into `parts` parts with METIS given at most
 * max_entries entries (the sample's entries taken as max_entries, the sampled graph's nodes as
 * all n: upper bounds). */
void gs_store_partition_cost_of(gs_store_partition_cost *out, const gs_store_info *info,
                                int32_t parts, int64_t max_entries);

/* The largest METIS entry budget whose priced peak (gs_store_partition_cost_of: peak_bytes, or
 * counted_peak_bytes alone when counted_only) is at most `bytes`: all the entries when the
 * whole graph fits, else the budget of the sample; 0 when even a sample of one entry per node
 * does not fit (the node terms alone exceed it). */
int64_t gs_store_partition_entries_for(const gs_store_info *info, int32_t parts, int64_t bytes,
                                       bool counted_only);

/* Partitions the graph of the store at path into `parts` parts (gs_partition_kway's rules,
 * isolated nodes dealt to the smallest parts), streaming it: METIS on the whole adjacency when
 * it has at most max_entries entries, else on the sample gs_partition_sample_choose sizes for
 * max_entries (the same parts gs_partition_kway_sampled gives on the loaded store). *part gets
 * the assignment (gs_mem_alloc'd [n]); report the cut, sizes and balance on the whole graph
 * and METIS's own figures; *kept (may be NULL) the share of entries METIS saw. Memory: as
 * priced by gs_store_partition_cost_of with the sample's actual entries. Errors: those of
 * gs_store_file_open, GS_ERR_PARSE (a section's checksum), those of gs_partition_kway and
 * gs_partition_sample_choose, GS_ERR_NOMEM. */
gs_status gs_store_partition(int32_t **part, gs_partition_report *report, double *kept,
                             const char *path, int32_t parts, uint64_t seed, int64_t max_entries,
                             gs_error *err);

#endif

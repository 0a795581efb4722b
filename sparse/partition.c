/* METIS k-way partitioning behind gnnscale's conventions (partition.h): sizes checked before
 * anything is allocated, a 32-bit copy of the adjacency for METIS's idx_t, options indexed by
 * METIS_OPTION_* after METIS_SetDefaultOptions, METIS's status translated, and the partition's
 * quality recomputed from the assignment rather than taken from METIS. */
#include "sparse/partition.h"

#include <metis.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"

_Static_assert(IDXTYPEWIDTH == 32, "gnnscale expects Debian's METIS with 32-bit idx_t");

/* METIS's own memory: the rise of peak RSS during METIS_PartGraphKway (8 parts, 1 thread) on
 * generated graphs of 200k nodes (the whole 8M entries and samples of 4.65M and 2.48M), 1M
 * nodes (samples of 4.34M and 8.32M) and 5M nodes (samples of 21.4M and 26.6M entries),
 * fitted by least squares: 31.12 bytes per node and 58.11 per entry, within -4.5% .. +14.8%
 * of the seven (bench/RESULTS.md §7b.3). Priced 10% above the fit: at 5M nodes the cost per
 * entry still rises with the entries (62 to 67 bytes between the two samples), and a budget
 * sized by the price must hold. */
#define METIS_BYTES_PER_NODE (1.10 * 31.12)
#define METIS_BYTES_PER_ENTRY (1.10 * 58.11)
#define METIS_BYTES_PER_PART 0.0
#define METIS_BYTES_FIXED 0.0

gs_status gs_partition_measure(gs_partition_report *report, const int32_t *part, int64_t n,
                               const int64_t *rowptr, const uint32_t *col, int32_t parts,
                               gs_error *err) {
  if (!report || !part || !rowptr || n < 1 || parts < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_partition_measure: bad argument");
  int64_t *size = gs_mem_calloc((size_t)parts, sizeof *size, "partition");
  if (!size) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for %d part sizes", parts);
  gs_partition_report r;
  memset(&r, 0, sizeof r);
  r.parts = parts;
  r.nodes = n;
  for (int64_t i = 0; i < n; i++) {
    if (part[i] < 0 || part[i] >= parts) {
      gs_mem_free(size);
      return gs_error_set(err, GS_ERR_RANGE, "node %lld is in part %d, outside [0, %d)",
                          (long long)i, part[i], parts);
    }
    size[part[i]]++;
    if (rowptr[i + 1] == rowptr[i]) r.isolated_nodes++;
    for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++)
      if ((int64_t)col[q] > i) {
        r.edges++;
        r.edge_cut += part[col[q]] != part[i];
      }
  }
  r.largest_part = 0;
  r.smallest_part = n;
  for (int32_t p = 0; p < parts; p++) {
    if (size[p] > r.largest_part) r.largest_part = size[p];
    if (size[p] < r.smallest_part) r.smallest_part = size[p];
  }
  r.balance = (double)r.largest_part * (double)parts / (double)n;
  r.metis_edge_cut = -1;
  r.metis_peak_bytes = -1;
  gs_mem_free(size);
  *report = r;
  return GS_OK;
}

static const char *metis_status_name(int rc) {
  switch (rc) {
    case METIS_ERROR_INPUT: return "METIS_ERROR_INPUT";
    case METIS_ERROR_MEMORY: return "METIS_ERROR_MEMORY";
    case METIS_ERROR: return "METIS_ERROR";
    default: return "an unknown status";
  }
}

gs_status gs_partition_kway(int32_t *part, gs_partition_report *report, int64_t n,
                            const int64_t *rowptr, const uint32_t *col, int32_t parts,
                            uint64_t seed, gs_error *err) {
  gs_status st = GS_OK;
  idx_t *xadj = NULL, *adjncy = NULL, *sub_part = NULL;
  int64_t *sub_of = NULL, *size = NULL; /* [n] METIS vertex of each node (-1 isolated); [parts] */
  if (!part || !rowptr || n < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_partition_kway: bad argument");
  if (parts < 2)
    return gs_error_set(err, GS_ERR_INVALID,
                        "%d part: the whole graph is one batch; use full batching instead", parts);
  if (parts >= n)
    return gs_error_set(err, GS_ERR_INVALID,
                        "%d parts for %lld nodes: a partition needs fewer parts than nodes", parts,
                        (long long)n);
  const int64_t entries = rowptr[n];
  if (n > INT32_MAX)
    return gs_error_set(err, GS_ERR_RANGE,
                        "%lld nodes: METIS's idx_t is 32-bit in this build (at most %d)",
                        (long long)n, INT32_MAX);
  if (entries > GS_PARTITION_MAX_ENTRIES)
    return gs_error_set(err, GS_ERR_RANGE,
                        "%lld adjacency entries: METIS's idx_t is 32-bit in this build (at most "
                        "%lld); partition a smaller graph",
                        (long long)entries, (long long)GS_PARTITION_MAX_ENTRIES);
  if (entries == 0)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the graph has no edges: every partition cuts nothing, so there is "
                        "nothing for METIS to do");
  /* METIS sees only the nodes with neighbours (renumbered densely). */
  sub_of = gs_mem_alloc((size_t)n * sizeof *sub_of, "partition");
  size = gs_mem_calloc((size_t)parts, sizeof *size, "partition");
  if (!sub_of || !size) goto nomem;
  idx_t m = 0;
  for (int64_t i = 0; i < n; i++) sub_of[i] = rowptr[i + 1] > rowptr[i] ? m++ : -1;
  if (m < parts) {
    st = gs_error_set(err, GS_ERR_INVALID,
                      "%d parts but only %d nodes have neighbours (%lld isolated)", parts, (int)m,
                      (long long)(n - m));
    goto fail;
  }
  /* Sized for n rather than m so that what is held follows from the counts alone
   * (gs_partition_kway_bytes). */
  xadj = gs_mem_alloc((size_t)(n + 1) * sizeof *xadj, "partition");
  adjncy = gs_mem_alloc((size_t)entries * sizeof *adjncy, "partition");
  sub_part = gs_mem_alloc((size_t)n * sizeof *sub_part, "partition");
  if (!xadj || !adjncy || !sub_part) goto nomem;
  xadj[0] = 0;
  for (int64_t i = 0, k = 0; i < n; i++) {
    if (sub_of[i] < 0) continue;
    for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) adjncy[q] = (idx_t)sub_of[col[q]];
    xadj[++k] = (idx_t)rowptr[i + 1];
  }

  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_NUMBERING] = 0;
  options[METIS_OPTION_SEED] = (idx_t)(seed % (uint64_t)INT32_MAX);
  idx_t nvtxs = m, ncon = 1, nparts = parts, objval = 0;
  const bool measured = gs_mem_reset_peak_rss();
  const int64_t rss_before = gs_mem_current_rss();
  const double t0 = gs_clock_seconds();
  // part = METIS k-way partition of (xadj, adjncy), minimising the edge cut
  int rc = METIS_PartGraphKway(&nvtxs, &ncon, xadj, adjncy, NULL, NULL, NULL, &nparts, NULL,
                               NULL, options, &objval, sub_part);
  const double seconds = gs_clock_seconds() - t0;
  const int64_t hwm = gs_mem_phase_peak_rss();
  if (rc != METIS_OK) {
    st = gs_error_set(err, rc == METIS_ERROR_MEMORY ? GS_ERR_NOMEM : GS_ERR_METIS,
                      "METIS_PartGraphKway failed with %s (%d) on %d nodes, %lld entries, %d parts",
                      metis_status_name(rc), rc, (int)m, (long long)entries, parts);
    goto fail;
  }
  for (int64_t i = 0; i < n; i++)
    if (sub_of[i] >= 0) {
      part[i] = (int32_t)sub_part[sub_of[i]];
      size[part[i]]++;
    }
  /* Isolated nodes, one at a time, to the smallest part. */
  for (int64_t i = 0; i < n; i++) {
    if (sub_of[i] >= 0) continue;
    int32_t best = 0;
    for (int32_t p = 1; p < parts; p++)
      if (size[p] < size[best]) best = p;
    part[i] = best;
    size[best]++;
  }
  if (report) {
    GS_TRY(gs_partition_measure(report, part, n, rowptr, col, parts, err));
    report->metis_edge_cut = objval;
    report->metis_seconds = seconds;
    report->metis_peak_bytes = measured && hwm >= 0 && rss_before >= 0
                                   ? (hwm > rss_before ? hwm - rss_before : 0)
                                   : -1;
  }
  goto fail; /* success: the same cleanup */
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "out of memory copying %lld adjacency entries for METIS",
                    (long long)entries);
fail:
  gs_mem_free(xadj);
  gs_mem_free(adjncy);
  gs_mem_free(sub_part);
  gs_mem_free(sub_of);
  gs_mem_free(size);
  return st;
}

int64_t gs_partition_metis_bytes(int64_t nodes, int64_t entries, int32_t parts) {
  return (int64_t)(METIS_BYTES_PER_NODE * (double)nodes + METIS_BYTES_PER_ENTRY * (double)entries +
                   METIS_BYTES_PER_PART * (double)parts + METIS_BYTES_FIXED);
}

int64_t gs_partition_kway_bytes(int64_t n, int64_t entries, int32_t parts) {
  return 8 * n + 4 * (n + 1) + 4 * entries + 4 * n + 16 * (int64_t)parts;
}

double gs_partition_sample_expected(const int64_t *hist, double rate, double floor) {
  double kept = (double)hist[0]; /* degree 0 has no entries; kept whole for safety */
  for (int64_t d = 1; d < GS_PARTITION_DEGREE_BINS; d++) {
    if (!hist[d]) continue;
    double p = floor / (double)d;
    if (p < rate) p = rate;
    kept += (double)hist[d] * (p < 1.0 ? p : 1.0);
  }
  return kept;
}

gs_status gs_partition_sample_choose(gs_partition_sample *out, const int64_t *hist,
                                     int64_t max_entries, int64_t nodes, uint64_t seed,
                                     gs_error *err) {
  const double target = (double)max_entries;
  gs_partition_sample s = {.rate = 0.0, .floor = 3.0, .nodes = nodes,
                           .key = gs_rng_key(seed, gs_rng_stream(GS_RNG_STREAM_SAMPLE, 0, 0))};
  const double at_one = gs_partition_sample_expected(hist, 0.0, 1.0);
  if (at_one > target)
    return gs_error_set(err, GS_ERR_BUDGET,
                        "METIS can take %lld adjacency entries within the budget, but a sample "
                        "that keeps about one edge per node needs %.0f",
                        (long long)max_entries, at_one);
  /* Bisection on the one parameter left free (monotone in both): 60 halvings. */
  double lo = 0.0, hi;
  double *free_param;
  if (gs_partition_sample_expected(hist, 0.0, 3.0) <= target) {
    free_param = &s.rate;
    hi = 1.0;
  } else {
    free_param = &s.floor;
    lo = 1.0;
    hi = 3.0;
  }
  for (int it = 0; it < 60; it++) {
    *free_param = 0.5 * (lo + hi);
    if (gs_partition_sample_expected(hist, s.rate, s.floor) <= target)
      lo = *free_param;
    else
      hi = *free_param;
  }
  *free_param = lo;
  *out = s;
  return GS_OK;
}

gs_status gs_partition_kway_sampled(int32_t *part, gs_partition_report *report, int64_t n,
                                    const int64_t *rowptr, const uint32_t *col, int32_t parts,
                                    uint64_t seed, int64_t max_entries, double *kept,
                                    gs_error *err) {
  gs_status st = GS_OK;
  int64_t *srow = NULL, *hist = NULL;
  uint32_t *scol = NULL;
  if (!part || !rowptr || !col || n < 1 || max_entries < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_partition_kway_sampled: bad argument");
  const int64_t entries = rowptr[n];
  if (kept) *kept = 1.0;
  if (entries <= max_entries)
    return gs_partition_kway(part, report, n, rowptr, col, parts, seed, err);
  hist = gs_mem_calloc(GS_PARTITION_DEGREE_BINS, sizeof *hist, "partition");
  srow = gs_mem_calloc((size_t)n + 1, sizeof *srow, "partition");
  if (!hist || !srow) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for the sampled graph");
    goto fail;
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++)
      hist[gs_partition_degree_bin(rowptr[i + 1] - rowptr[i],
                                   rowptr[col[q] + 1] - rowptr[col[q]])]++;
  gs_partition_sample sample;
  GS_TRY(gs_partition_sample_choose(&sample, hist, max_entries, n, seed, err));
  for (int pass = 0; pass < 2; pass++) {
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
      const int64_t di = rowptr[i + 1] - rowptr[i];
      for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) {
        const int64_t j = col[q];
        if (!gs_partition_sample_keeps(&sample, i, j, di, rowptr[j + 1] - rowptr[j])) continue;
        if (pass == 0)
          srow[i + 1]++;
        else
          scol[at++] = (uint32_t)j;
      }
    }
    if (pass == 0) {
      for (int64_t i = 0; i < n; i++) srow[i + 1] += srow[i];
      scol = gs_mem_alloc((size_t)(srow[n] > 0 ? srow[n] : 1) * sizeof *scol, "partition");
      if (!scol) {
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for the sampled graph");
        goto fail;
      }
    }
  }
  gs_mem_free(hist);
  hist = NULL;
  gs_partition_report sampled;
  GS_TRY(gs_partition_kway(part, &sampled, n, srow, scol, parts, seed, err));
  if (kept) *kept = (double)srow[n] / (double)entries;
  gs_mem_free(srow);
  gs_mem_free(scol);
  srow = NULL;
  scol = NULL;
  if (report) { /* the quality on the whole graph; METIS's own figures from its run */
    GS_TRY(gs_partition_measure(report, part, n, rowptr, col, parts, err));
    report->metis_edge_cut = sampled.metis_edge_cut;
    report->metis_seconds = sampled.metis_seconds;
    report->metis_peak_bytes = sampled.metis_peak_bytes;
  }
fail:
  gs_mem_free(hist);
  gs_mem_free(srow);
  gs_mem_free(scol);
  return st;
}

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

/* Peak resident bytes (VmHWM of /proc/self/status), or -1. */
static int64_t peak_rss_now(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) break;
  fclose(f);
  return kb < 0 ? -1 : (int64_t)kb * 1024;
}

/* Resets VmHWM to the current resident size (Linux >= 4.0); false when not allowed. */
static bool reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

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
  xadj = gs_mem_alloc((size_t)(m + 1) * sizeof *xadj, "partition");
  adjncy = gs_mem_alloc((size_t)entries * sizeof *adjncy, "partition");
  sub_part = gs_mem_alloc((size_t)m * sizeof *sub_part, "partition");
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
  const bool measured = reset_peak_rss();
  const int64_t rss_before = gs_mem_current_rss();
  const double t0 = gs_clock_seconds();
  // part = METIS k-way partition of (xadj, adjncy), minimising the edge cut
  int rc = METIS_PartGraphKway(&nvtxs, &ncon, xadj, adjncy, NULL, NULL, NULL, &nparts, NULL,
                               NULL, options, &objval, sub_part);
  const double seconds = gs_clock_seconds() - t0;
  const int64_t hwm = peak_rss_now();
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

gs_status gs_partition_kway_sampled(int32_t *part, gs_partition_report *report, int64_t n,
                                    const int64_t *rowptr, const uint32_t *col, int32_t parts,
                                    uint64_t seed, int64_t max_entries, double *kept,
                                    gs_error *err) {
  gs_status st = GS_OK;
  int64_t *srow = NULL;
  uint32_t *scol = NULL;
  if (!part || !rowptr || !col || n < 1 || max_entries < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_partition_kway_sampled: bad argument");
  const int64_t entries = rowptr[n];
  if (kept) *kept = 1.0;
  if (entries <= max_entries)
    return gs_partition_kway(part, report, n, rowptr, col, parts, seed, err);
  /* Edge {u, v} is kept with probability max(s, k / min(deg u, deg v)) (capped at 1), decided
   * by a hash of the pair: symmetric, deterministic, and every node keeps about k of its
   * edges at least, so that low-degree nodes are not cut loose and placed blindly. */
  const double s = (double)max_entries / (double)entries, k = 3.0;
  const uint64_t key = gs_rng_key(seed, gs_rng_stream(GS_RNG_STREAM_SAMPLE, 0, 0));
  srow = gs_mem_calloc((size_t)n + 1, sizeof *srow, "partition");
  if (!srow) return gs_error_set(err, GS_ERR_NOMEM, "out of memory for the sampled graph");
  for (int pass = 0; pass < 2; pass++) {
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
      const int64_t di = rowptr[i + 1] - rowptr[i];
      for (int64_t q = rowptr[i]; q < rowptr[i + 1]; q++) {
        const int64_t j = col[q], dj = rowptr[j + 1] - rowptr[j];
        const int64_t a = i < j ? i : j, b = i < j ? j : i, dmin = di < dj ? di : dj;
        double p = k / (double)(dmin > 0 ? dmin : 1);
        if (p < s) p = s;
        const double u = (double)(gs_rng_at_key(key, (uint64_t)a * (uint64_t)n + (uint64_t)b) >> 11) *
                         (1.0 / 9007199254740992.0);
        if (u >= p) continue;
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
  gs_mem_free(srow);
  gs_mem_free(scol);
  return st;
}

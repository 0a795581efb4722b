/* METIS on a store's graph, streamed (store_partition.h): the row pointers read whole (8 bytes
 * a node), the columns streamed in 4 MiB chunks, three passes when sampling (the histogram of
 * smaller-end degrees, with the section's CRC; the sample's row counts; its columns), the row
 * pointers dropped while METIS runs and read again to measure the cut on the whole graph. */
#include "datasets/store_partition.h"

#include <string.h>
#include <zlib.h>

#include "core/mem.h"
#include "core/runtime.h"

/* Adjacency entries per read of the column section. */
#define CHUNK_ENTRIES ((int64_t)1 << 20)

/* The read buffer: a chunk, or the whole column section when smaller. */
static int64_t chunk_entries(const gs_store_info *info) {
  const int64_t E = info->graph.symmetric_entries;
  return E < CHUNK_ENTRIES ? (E > 0 ? E : 1) : CHUNK_ENTRIES;
}

static int64_t chunk_bytes(const gs_store_info *info) {
  return chunk_entries(info) * (int64_t)sizeof(uint32_t);
}

void gs_store_partition_cost_of(gs_store_partition_cost *out, const gs_store_info *info,
                                int32_t parts, int64_t max_entries) {
  memset(out, 0, sizeof *out);
  const int64_t n = info->graph.nodes, E = info->graph.symmetric_entries;
  const int64_t handle = gs_store_file_bytes(), rows = 8 * (n + 1), assign = 4 * n;
  out->sampled = E > max_entries;
  out->metis_entries = out->sampled ? max_entries : E;
  const int64_t K = out->metis_entries;
  if (out->sampled) {
    const int64_t hist = 8 * (int64_t)GS_PARTITION_DEGREE_BINS;
    out->sample_bytes = handle + rows + hist + chunk_bytes(info) + rows + 4 * K;
    out->metis_counted_bytes = handle + rows + 4 * K + assign + gs_partition_kway_bytes(n, K, parts);
  } else { /* the whole adjacency loaded, then METIS's copy of it */
    out->sample_bytes = handle + rows + 4 * (E > 0 ? E : 1);
    out->metis_counted_bytes = out->sample_bytes + assign + gs_partition_kway_bytes(n, E, parts);
  }
  out->metis_bytes = gs_partition_metis_bytes(n, K, parts);
  out->measure_bytes = handle + assign + rows + chunk_bytes(info) + 8 * (int64_t)parts;
  out->ordered_bytes = assign + gs_store_write_ordered_stream_bytes(info, parts);
  const int64_t phases[4] = {out->sample_bytes, out->metis_counted_bytes, out->measure_bytes,
                             out->ordered_bytes};
  for (int k = 0; k < 4; k++)
    if (phases[k] > out->counted_peak_bytes) out->counted_peak_bytes = phases[k];
  out->peak_bytes = out->counted_peak_bytes;
  if (out->metis_counted_bytes + out->metis_bytes > out->peak_bytes)
    out->peak_bytes = out->metis_counted_bytes + out->metis_bytes;
}

int64_t gs_store_partition_entries_for(const gs_store_info *info, int32_t parts, int64_t bytes,
                                       bool counted_only) {
  gs_store_partition_cost c;
  const int64_t E = info->graph.symmetric_entries;
  gs_store_partition_cost_of(&c, info, parts, E);
  if ((counted_only ? c.counted_peak_bytes : c.peak_bytes) <= bytes) return E;
  /* The priced peak rises with the budget: the largest that fits, by bisection. */
  int64_t lo = 0, hi = E;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    gs_store_partition_cost_of(&c, info, parts, mid);
    if ((counted_only ? c.counted_peak_bytes : c.peak_bytes) <= bytes)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* What a pass over the columns does with each entry (i, j). */
typedef enum { PASS_HISTOGRAM, PASS_COUNT, PASS_FILL, PASS_MEASURE } pass_kind;

typedef struct {
  const int64_t *rowptr;
  int64_t *hist;                   /* PASS_HISTOGRAM */
  const gs_partition_sample *smp;  /* PASS_COUNT, PASS_FILL */
  int64_t *srow;                   /* PASS_COUNT: counts at i + 1; PASS_FILL: cursors */
  uint32_t *scol;                  /* PASS_FILL */
  const int32_t *part;             /* PASS_MEASURE */
  int64_t edges, cut;              /* PASS_MEASURE */
} pass_state;

/* Streams the column section once through buf, row by row, doing `kind` for every entry;
 * with check, the section's CRC is verified at the end. */
static gs_status stream_pass(const gs_store_file *f, pass_kind kind, pass_state *ps, uint32_t *buf,
                             bool check, gs_error *err) {
  const gs_store_info *info = gs_store_file_info(f);
  const int64_t n = info->graph.nodes, E = info->graph.symmetric_entries;
  const int64_t *rowptr = ps->rowptr;
  uLong crc = crc32_z(0L, Z_NULL, 0);
  int64_t i = 0;
  const int64_t chunk = chunk_entries(info);
  for (int64_t q0 = 0; q0 < E; q0 += chunk) {
    const int64_t len = E - q0 < chunk ? E - q0 : chunk;
    gs_status st = gs_store_file_read(f, GS_STORE_ADJ_COL, (uint64_t)q0 * 4, buf, (size_t)len * 4, err);
    if (st != GS_OK) return st;
    if (check) crc = crc32_z(crc, (const Bytef *)buf, (size_t)len * 4);
    for (int64_t t = 0; t < len; t++) {
      const int64_t q = q0 + t, j = buf[t];
      while (rowptr[i + 1] <= q) i++;
      if (j >= n)
        return gs_error_set(err, GS_ERR_RANGE, "%s: adjacency entry %lld: node %lld outside [0, %lld)",
                            gs_store_file_path(f), (long long)q, (long long)j, (long long)n);
      switch (kind) {
        case PASS_HISTOGRAM:
          ps->hist[gs_partition_degree_bin(rowptr[i + 1] - rowptr[i], rowptr[j + 1] - rowptr[j])]++;
          break;
        case PASS_COUNT:
          if (gs_partition_sample_keeps(ps->smp, i, j, rowptr[i + 1] - rowptr[i], rowptr[j + 1] - rowptr[j]))
            ps->srow[i + 1]++;
          break;
        case PASS_FILL:
          if (gs_partition_sample_keeps(ps->smp, i, j, rowptr[i + 1] - rowptr[i], rowptr[j + 1] - rowptr[j]))
            ps->scol[ps->srow[i]++] = (uint32_t)j;
          break;
        case PASS_MEASURE:
          if (j > i) {
            ps->edges++;
            ps->cut += ps->part[i] != ps->part[j];
          }
          break;
      }
    }
  }
  if (check && (uint32_t)crc != info->section_crc[GS_STORE_ADJ_COL])
    return gs_error_set(err, GS_ERR_PARSE, "%s: section adjacency columns: checksum mismatch (corrupt)",
                        gs_store_file_path(f));
  return GS_OK;
}

/* The row pointers, read whole and checked (CRC, order, ends). */
static gs_status read_rowptr(int64_t **out, const gs_store_file *f, gs_error *err) {
  const gs_store_info *info = gs_store_file_info(f);
  const int64_t n = info->graph.nodes;
  void *p = NULL;
  gs_status st = gs_store_read_section(&p, NULL, gs_store_file_path(f), GS_STORE_ADJ_ROWPTR,
                                       "partition", err);
  if (st != GS_OK) return st;
  int64_t *r = p;
  bool ok = r[0] == 0 && r[n] == info->graph.symmetric_entries;
  for (int64_t i = 0; i < n && ok; i++) ok = r[i + 1] >= r[i];
  if (!ok) {
    gs_mem_free(r);
    return gs_error_set(err, GS_ERR_MISMATCH, "%s: adjacency row pointers out of order",
                        gs_store_file_path(f));
  }
  *out = r;
  return GS_OK;
}

/* The report of part on the whole graph, streamed: as gs_partition_measure. */
static gs_status measure(gs_partition_report *r, const gs_store_file *f, const int32_t *part,
                         int32_t parts, uint32_t *buf, gs_error *err) {
  gs_status st = GS_OK;
  const int64_t n = gs_store_file_info(f)->graph.nodes;
  int64_t *rowptr = NULL, *size = NULL;
  GS_TRY(read_rowptr(&rowptr, f, err));
  size = gs_mem_calloc((size_t)parts, sizeof *size, "partition");
  if (!size) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for %d part sizes", parts);
    goto fail;
  }
  pass_state ps = {.rowptr = rowptr, .part = part};
  GS_TRY(stream_pass(f, PASS_MEASURE, &ps, buf, false, err));
  memset(r, 0, sizeof *r);
  r->parts = parts;
  r->nodes = n;
  r->edges = ps.edges;
  r->edge_cut = ps.cut;
  for (int64_t i = 0; i < n; i++) {
    size[part[i]]++;
    r->isolated_nodes += rowptr[i + 1] == rowptr[i];
  }
  r->largest_part = 0;
  r->smallest_part = n;
  for (int32_t p = 0; p < parts; p++) {
    if (size[p] > r->largest_part) r->largest_part = size[p];
    if (size[p] < r->smallest_part) r->smallest_part = size[p];
  }
  r->balance = (double)r->largest_part * (double)parts / (double)n;
  r->metis_edge_cut = -1;
  r->metis_peak_bytes = -1;
fail:
  gs_mem_free(rowptr);
  gs_mem_free(size);
  return st;
}

gs_status gs_store_partition(int32_t **part_out, gs_partition_report *report, double *kept,
                             const char *path, int32_t parts, uint64_t seed, int64_t max_entries,
                             gs_error *err) {
  gs_status st = GS_OK;
  gs_store_file *f = NULL;
  int64_t *rowptr = NULL, *hist = NULL, *srow = NULL;
  uint32_t *buf = NULL, *scol = NULL, *col = NULL;
  int32_t *part = NULL;
  if (!part_out || !path || max_entries < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_partition: bad argument");
  GS_TRY(gs_store_file_open(&f, path, err));
  const gs_store_info *info = gs_store_file_info(f);
  const int64_t n = info->graph.nodes, E = info->graph.symmetric_entries;
  if (kept) *kept = 1.0;
  gs_partition_report metis;
  GS_TRY(read_rowptr(&rowptr, f, err));
  if (E <= max_entries) { /* METIS on the whole adjacency */
    void *p = NULL;
    GS_TRY(gs_store_read_section(&p, NULL, path, GS_STORE_ADJ_COL, "partition", err));
    col = p;
    for (int64_t q = 0; q < E; q++)
      if ((int64_t)col[q] >= n) {
        st = gs_error_set(err, GS_ERR_RANGE, "%s: adjacency entry %lld: node %lld outside [0, %lld)",
                          path, (long long)q, (long long)col[q], (long long)n);
        goto fail;
      }
    part = gs_mem_alloc((size_t)n * sizeof *part, "partition");
    if (!part) goto nomem;
    GS_TRY(gs_partition_kway(part, report, n, rowptr, col ? col : (uint32_t *)rowptr, parts, seed, err));
    goto done;
  }
  hist = gs_mem_calloc(GS_PARTITION_DEGREE_BINS, sizeof *hist, "partition");
  buf = gs_mem_alloc((size_t)chunk_bytes(info), "partition");
  srow = gs_mem_calloc((size_t)n + 1, sizeof *srow, "partition");
  if (!hist || !buf || !srow) goto nomem;
  pass_state ps = {.rowptr = rowptr, .hist = hist, .srow = srow};
  GS_TRY(stream_pass(f, PASS_HISTOGRAM, &ps, buf, true, err));
  gs_partition_sample smp;
  GS_TRY(gs_partition_sample_choose(&smp, hist, max_entries, n, seed, err));
  ps.smp = &smp;
  GS_TRY(stream_pass(f, PASS_COUNT, &ps, buf, false, err));
  for (int64_t i = 0; i < n; i++) srow[i + 1] += srow[i];
  scol = gs_mem_alloc((size_t)(srow[n] > 0 ? srow[n] : 1) * sizeof *scol, "partition");
  if (!scol) goto nomem;
  ps.scol = scol;
  GS_TRY(stream_pass(f, PASS_FILL, &ps, buf, false, err)); /* srow[i] ends at row i + 1's start */
  for (int64_t i = n; i > 0; i--) srow[i] = srow[i - 1];
  srow[0] = 0;
  /* Only the sample and METIS's copy of it while METIS runs. */
  gs_mem_free(rowptr);
  gs_mem_free(hist);
  gs_mem_free(buf);
  rowptr = NULL;
  hist = NULL;
  buf = NULL;
  part = gs_mem_alloc((size_t)n * sizeof *part, "partition");
  if (!part) goto nomem;
  GS_TRY(gs_partition_kway(part, &metis, n, srow, scol, parts, seed, err));
  if (kept) *kept = (double)srow[n] / (double)E;
  gs_mem_free(srow);
  gs_mem_free(scol);
  srow = NULL;
  scol = NULL;
  if (report) {
    buf = gs_mem_alloc((size_t)chunk_bytes(info), "partition");
    if (!buf) goto nomem;
    GS_TRY(measure(report, f, part, parts, buf, err));
    report->metis_edge_cut = metis.metis_edge_cut;
    report->metis_seconds = metis.metis_seconds;
    report->metis_peak_bytes = metis.metis_peak_bytes;
  }
  goto done;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory partitioning %lld nodes", path,
                    (long long)n);
done:
fail:
  gs_mem_free(rowptr);
  gs_mem_free(hist);
  gs_mem_free(buf);
  gs_mem_free(srow);
  gs_mem_free(scol);
  gs_mem_free(col);
  gs_store_file_close(&f);
  if (st == GS_OK)
    *part_out = part;
  else
    gs_mem_free(part);
  return st;
}

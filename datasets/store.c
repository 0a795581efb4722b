/* The binary graph store (store.h): a 4 KiB header of counts, statistics and a table of
 * sections (offset, bytes, CRC-32), then the sections, each 64-byte aligned. Written through a
 * temporary file and rename(2); read with pread into counting-allocator buffers, every byte
 * checked against its CRC before it is trusted. Native byte order, recorded and checked. */
#include "datasets/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/file.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/dataset_impl.h"

#define STORE_MAGIC "GNNSTORE"
#define STORE_ENDIAN 0x01020304u
#define HEADER_BYTES 4096
#define SECTION_ALIGN 64
/* Bytes per read or write call, and per CRC update (crc32_z takes size_t, but a bounded
 * chunk keeps a progress-free loop short). */
#define IO_CHUNK ((size_t)1 << 24)
#define PATH_CAP 4352

static const char *const section_names[GS_STORE_SECTIONS] = {
    "adjacency row pointers", "adjacency columns", "dense features", "feature row pointers",
    "feature columns",        "feature values",    "labels",         "train split",
    "valid split",            "test split",        "column non-zeros", "original ids",
    "part boundaries"};

typedef struct {
  uint64_t offset, bytes;
  uint32_t crc, pad;
} disk_section;

/* The header as stored: fixed-width fields only, padded to HEADER_BYTES. */
typedef struct {
  char magic[8];
  uint32_t version, endian;
  uint64_t header_bytes, file_bytes;
  uint64_t source_fingerprint;
  char name[256];
  char split_name[128];
  int64_t nodes, edge_lines, duplicate_lines, self_loop_lines, symmetric_entries;
  int64_t isolated_nodes, max_degree, median_degree;
  double mean_degree;
  int64_t file_features, feature_kind, feature_nnz;
  int64_t num_classes, num_train, num_valid, num_test;
  int64_t parts, partition_seed;
  disk_section section[GS_STORE_SECTIONS];
  uint32_t header_crc, pad;
} disk_header;

_Static_assert(sizeof(disk_header) <= HEADER_BYTES, "store header outgrew its 4 KiB");

gs_status gs_store_path(char *out, size_t cap, const char *dir, gs_error *err) {
  return gs__path_join(out, cap, dir, GS_STORE_FILE, err);
}

static uint32_t header_crc(const disk_header *h) {
  disk_header copy = *h;
  copy.header_crc = 0;
  return (uint32_t)crc32_z(0L, (const Bytef *)&copy, sizeof copy);
}

/* ---------------------------------------------------------------- writing */

typedef struct {
  int fd;
  const char *path; /* for messages */
  uint64_t pos;
} out_file;

static gs_status write_all(out_file *f, const void *data, size_t bytes, gs_error *err) {
  const char *p = data;
  while (bytes > 0) {
    size_t chunk = bytes < IO_CHUNK ? bytes : IO_CHUNK;
    ssize_t w = pwrite(f->fd, p, chunk, (off_t)f->pos);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      return gs_error_set(err, GS_ERR_IO, "%s: write failed: %s", f->path,
                          w < 0 ? strerror(errno) : "no progress");
    p += w;
    bytes -= (size_t)w;
    f->pos += (uint64_t)w;
  }
  return GS_OK;
}

/* Pads to the next section boundary and records where section s starts. */
static gs_status section_begin(out_file *f, disk_header *h, gs_store_section s, gs_error *err) {
  static const char zeros[SECTION_ALIGN] = {0};
  uint64_t pad = (SECTION_ALIGN - f->pos % SECTION_ALIGN) % SECTION_ALIGN;
  gs_status st = write_all(f, zeros, (size_t)pad, err);
  h->section[s].offset = f->pos;
  h->section[s].bytes = 0;
  h->section[s].crc = (uint32_t)crc32_z(0L, Z_NULL, 0);
  return st;
}

/* Appends bytes to the current section s, updating its CRC. */
static gs_status section_put(out_file *f, disk_header *h, gs_store_section s, const void *data,
                             size_t bytes, gs_error *err) {
  const unsigned char *p = data;
  for (size_t done = 0; done < bytes;) {
    size_t chunk = bytes - done < IO_CHUNK ? bytes - done : IO_CHUNK;
    h->section[s].crc = (uint32_t)crc32_z(h->section[s].crc, p + done, chunk);
    done += chunk;
  }
  h->section[s].bytes += bytes;
  return write_all(f, data, bytes, err);
}

static gs_status put_array(out_file *f, disk_header *h, gs_store_section s, const void *data,
                           size_t bytes, gs_error *err) {
  gs_status st = section_begin(f, h, s, err);
  if (st == GS_OK && bytes > 0) st = section_put(f, h, s, data, bytes, err);
  return st;
}

/* Writes the adjacency of Â without its self loops: row pointers, then 32-bit columns,
 * through a 1 MiB buffer. */
static gs_status put_adjacency(out_file *f, disk_header *h, const gs_csr *a, gs_error *err) {
  gs_status st = GS_OK;
  enum { BUF = 1 << 17 };
  int64_t *rows = gs_mem_alloc(BUF * sizeof *rows, "store-io");
  uint32_t *cols = gs_mem_alloc(BUF * sizeof *cols, "store-io");
  if (!rows || !cols) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for the store's write buffer");
    goto fail;
  }
  const int64_t n = a->nrows;
  GS_TRY(section_begin(f, h, GS_STORE_ADJ_ROWPTR, err));
  for (int64_t i0 = 0; i0 <= n; i0 += BUF) {
    int64_t len = n + 1 - i0 < BUF ? n + 1 - i0 : BUF;
    for (int64_t k = 0; k < len; k++) rows[k] = a->rowptr[i0 + k] - (i0 + k); /* minus self loops */
    GS_TRY(section_put(f, h, GS_STORE_ADJ_ROWPTR, rows, (size_t)len * sizeof *rows, err));
  }
  GS_TRY(section_begin(f, h, GS_STORE_ADJ_COL, err));
  int64_t used = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = a->rowptr[i]; q < a->rowptr[i + 1]; q++) {
      if (a->col[q] == i) continue;
      cols[used++] = (uint32_t)a->col[q];
      if (used == BUF) {
        GS_TRY(section_put(f, h, GS_STORE_ADJ_COL, cols, (size_t)used * sizeof *cols, err));
        used = 0;
      }
    }
  if (used > 0) GS_TRY(section_put(f, h, GS_STORE_ADJ_COL, cols, (size_t)used * sizeof *cols, err));
fail:
  gs_mem_free(rows);
  gs_mem_free(cols);
  return st;
}

/* Non-zeros of each feature column ([f] int64, gs_mem_alloc'd). */
static int64_t *column_nnz(const gs_features *x) {
  int64_t *c = gs_mem_calloc((size_t)(x->cols > 0 ? x->cols : 1), sizeof *c, "store-io");
  if (!c) return NULL;
  if (x->kind == GS_FEATURES_DENSE) {
    for (int64_t i = 0; i < x->rows; i++)
      for (int64_t j = 0; j < x->cols; j++) c[j] += x->dense[i * x->cols + j] != 0.0f;
  } else if (x->kind == GS_FEATURES_SPARSE) {
    /* Non-zero values only, as the column ranking counts them (datasets/colrank.h). */
    for (int64_t k = 0; k < x->sparse.nnz; k++) c[x->sparse.col[k]] += x->sparse.val[k] != 0.0f;
  }
  return c;
}

gs_status gs_store_write(const char *path, const gs_dataset *ds, const gs_graph *g,
                         uint64_t fingerprint, const int64_t *original_id,
                         const int64_t *part_start, int32_t parts, int64_t partition_seed,
                         gs_error *err) {
  gs_status st = GS_OK;
  gs_atomic_file file;
  memset(&file, 0, sizeof file);
  disk_header *h = NULL;
  int64_t *colnnz = NULL;
  out_file f = {.fd = -1, .path = path, .pos = HEADER_BYTES};
  if (!path || !ds || (!g && !ds->adj_rowptr))
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_write: NULL argument");
  if (ds->kept_columns)
    return gs_error_set(err, GS_ERR_INVALID, "%s: a store holds every feature column", path);
  const gs_csr *a = g ? gs_graph_csr(g) : NULL;
  const int64_t n = ds->num_nodes;
  if (a && a->nrows != n)
    return gs_error_set(err, GS_ERR_INVALID, "%s: graph of %lld nodes for a dataset of %lld",
                        path, (long long)(a ? a->nrows : 0), (long long)n);
  if (n > ((int64_t)1 << 32))
    return gs_error_set(err, GS_ERR_INVALID, "%s: %lld nodes: a store holds at most 2^32", path,
                        (long long)n);
  h = calloc(1, HEADER_BYTES);
  colnnz = column_nnz(&ds->x);
  if (!h || !colnnz) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory writing %s", path);
    goto fail;
  }
  /* Written with pwrite on the file's descriptor only (its stdio buffer stays empty). */
  GS_TRY(gs_atomic_open(&file, path, err));
  f.fd = fileno(file.f);
  memcpy(h->magic, STORE_MAGIC, 8);
  h->version = GS_STORE_VERSION;
  h->endian = STORE_ENDIAN;
  h->header_bytes = HEADER_BYTES;
  h->source_fingerprint = fingerprint;
  snprintf(h->name, sizeof h->name, "%s", ds->name);
  snprintf(h->split_name, sizeof h->split_name, "%s", ds->split_name);
  const gs_graph_stats s = g ? gs_graph_stats_of(g) : ds->store_stats;
  h->nodes = n;
  h->edge_lines = s.edge_lines;
  h->duplicate_lines = s.duplicate_lines;
  h->self_loop_lines = s.self_loop_lines;
  h->symmetric_entries = s.symmetric_entries;
  h->isolated_nodes = s.isolated_nodes;
  h->max_degree = s.max_degree;
  h->median_degree = s.median_degree;
  h->mean_degree = s.mean_degree;
  h->file_features = ds->x.cols;
  h->feature_kind = ds->x.kind;
  h->feature_nnz = ds->x.nnz;
  h->num_classes = ds->labels ? ds->num_classes : 0;
  h->num_train = ds->num_train;
  h->num_valid = ds->num_valid;
  h->num_test = ds->num_test;
  h->parts = part_start ? parts : 0;
  h->partition_seed = part_start ? partition_seed : 0;

  if (a) {
    GS_TRY(put_adjacency(&f, h, a, err));
  } else {
    GS_TRY(put_array(&f, h, GS_STORE_ADJ_ROWPTR, ds->adj_rowptr, (size_t)(n + 1) * sizeof(int64_t), err));
    GS_TRY(put_array(&f, h, GS_STORE_ADJ_COL, ds->adj_col,
                     (size_t)ds->adj_rowptr[n] * sizeof(uint32_t), err));
  }
  const gs_features *x = &ds->x;
  GS_TRY(put_array(&f, h, GS_STORE_FEAT_DENSE, x->dense,
                   x->kind == GS_FEATURES_DENSE ? (size_t)(x->rows * x->cols) * sizeof(float) : 0,
                   err));
  const bool sp = x->kind == GS_FEATURES_SPARSE;
  GS_TRY(put_array(&f, h, GS_STORE_FEAT_ROWPTR, x->sparse.rowptr,
                   sp ? (size_t)(n + 1) * sizeof(int64_t) : 0, err));
  GS_TRY(put_array(&f, h, GS_STORE_FEAT_COL, x->sparse.col,
                   sp ? (size_t)x->sparse.nnz * sizeof(int64_t) : 0, err));
  GS_TRY(put_array(&f, h, GS_STORE_FEAT_VAL, x->sparse.val,
                   sp ? (size_t)x->sparse.nnz * sizeof(float) : 0, err));
  GS_TRY(put_array(&f, h, GS_STORE_LABELS, ds->labels,
                   ds->labels ? (size_t)n * sizeof(int32_t) : 0, err));
  GS_TRY(put_array(&f, h, GS_STORE_TRAIN, ds->train, (size_t)ds->num_train * sizeof(int64_t), err));
  GS_TRY(put_array(&f, h, GS_STORE_VALID, ds->valid, (size_t)ds->num_valid * sizeof(int64_t), err));
  GS_TRY(put_array(&f, h, GS_STORE_TEST, ds->test, (size_t)ds->num_test * sizeof(int64_t), err));
  GS_TRY(put_array(&f, h, GS_STORE_COLUMN_NNZ, colnnz, (size_t)x->cols * sizeof(int64_t), err));
  GS_TRY(put_array(&f, h, GS_STORE_ORIGINAL_ID, original_id,
                   original_id ? (size_t)n * sizeof(int64_t) : 0, err));
  GS_TRY(put_array(&f, h, GS_STORE_PART_START, part_start,
                   part_start ? (size_t)(parts + 1) * sizeof(int64_t) : 0, err));
  h->file_bytes = f.pos;
  h->header_crc = header_crc(h);
  f.pos = 0;
  GS_TRY(write_all(&f, h, HEADER_BYTES, err));
fail:
  st = gs_atomic_close(&file, st, err);
  free(h);
  gs_mem_free(colnnz);
  return st;
}

/* ---------------------------------------------------------------- reading */

/* Reads and validates the header; fd stays open on success when fd_out is not NULL. */
static gs_status read_header(disk_header *h, int *fd_out, const char *path, gs_error *err) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return gs_error_set(err, GS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  gs_status st = GS_OK;
  struct stat sb;
  memset(h, 0, sizeof *h);
  if (fstat(fd, &sb) != 0) {
    st = gs_error_set(err, GS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    goto fail;
  }
  ssize_t got = pread(fd, h, sizeof *h, 0);
  if (got < 0) {
    st = gs_error_set(err, GS_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    goto fail;
  }
  if ((size_t)got < sizeof *h || memcmp(h->magic, STORE_MAGIC, 8) != 0) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: not a gnnscale store (%s)", path,
                      (size_t)got < sizeof *h ? "shorter than a header" : "wrong magic bytes");
    goto fail;
  }
  if (h->endian != STORE_ENDIAN) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: written on a machine of the other byte order", path);
    goto fail;
  }
  if (h->version != GS_STORE_VERSION) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: store format version %u, this program reads version %d",
                      path, h->version, GS_STORE_VERSION);
    goto fail;
  }
  if (h->header_crc != header_crc(h)) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: header checksum mismatch (corrupt)", path);
    goto fail;
  }
  if ((uint64_t)sb.st_size != h->file_bytes) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: truncated or extended: %lld bytes on disk, %llu written",
                      path, (long long)sb.st_size, (unsigned long long)h->file_bytes);
    goto fail;
  }
  /* Section sizes must follow from the counts, and lie inside the file. */
  const int64_t n = h->nodes;
  if (n < 1 || n > ((int64_t)1 << 32) || h->symmetric_entries < 0 || h->feature_nnz < 0 ||
      h->file_features < 0 || h->num_train < 0 || h->num_valid < 0 || h->num_test < 0 ||
      h->num_train + h->num_valid + h->num_test > n || h->parts < 0 || h->parts > n ||
      h->num_classes < 0 || h->num_classes > INT32_MAX) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s: counts out of range in the header", path);
    goto fail;
  }
  const bool dense = h->feature_kind == GS_FEATURES_DENSE, sparse = h->feature_kind == GS_FEATURES_SPARSE;
  uint64_t expect[GS_STORE_SECTIONS] = {
      (uint64_t)(n + 1) * 8,
      (uint64_t)h->symmetric_entries * 4,
      dense ? (uint64_t)n * (uint64_t)h->file_features * 4 : 0,
      sparse ? (uint64_t)(n + 1) * 8 : 0,
      sparse ? (uint64_t)h->feature_nnz * 8 : 0,
      sparse ? (uint64_t)h->feature_nnz * 4 : 0,
      h->num_classes > 0 ? (uint64_t)n * 4 : 0,
      (uint64_t)h->num_train * 8,
      (uint64_t)h->num_valid * 8,
      (uint64_t)h->num_test * 8,
      (uint64_t)h->file_features * 8,
      h->section[GS_STORE_ORIGINAL_ID].bytes ? (uint64_t)n * 8 : 0,
      h->parts > 0 ? (uint64_t)(h->parts + 1) * 8 : 0};
  for (int s = 0; s < GS_STORE_SECTIONS; s++) {
    const disk_section *d = &h->section[s];
    if (d->bytes != expect[s] || d->offset < HEADER_BYTES || d->offset > h->file_bytes ||
        d->bytes > h->file_bytes - d->offset) {
      st = gs_error_set(err, GS_ERR_MISMATCH,
                        "%s: section %s holds %llu bytes at %llu; the counts need %llu within %llu",
                        path, section_names[s], (unsigned long long)d->bytes,
                        (unsigned long long)d->offset, (unsigned long long)expect[s],
                        (unsigned long long)h->file_bytes);
      goto fail;
    }
  }
  if (fd_out) *fd_out = fd;
  else close(fd);
  return GS_OK;
fail:
  close(fd);
  return st;
}

static void info_of(gs_store_info *out, const disk_header *h) {
  memset(out, 0, sizeof *out);
  out->version = (int32_t)h->version;
  memcpy(out->name, h->name, sizeof out->name);
  out->name[sizeof out->name - 1] = '\0';
  memcpy(out->split_name, h->split_name, sizeof out->split_name);
  out->split_name[sizeof out->split_name - 1] = '\0';
  out->source_fingerprint = h->source_fingerprint;
  gs_graph_stats *s = &out->graph;
  s->nodes = h->nodes;
  s->edge_lines = h->edge_lines;
  s->duplicate_lines = h->duplicate_lines;
  s->self_loop_lines = h->self_loop_lines;
  s->symmetric_entries = h->symmetric_entries;
  s->nnz = h->symmetric_entries + h->nodes;
  s->isolated_nodes = h->isolated_nodes;
  s->max_degree = h->max_degree;
  s->mean_degree = h->mean_degree;
  s->median_degree = h->median_degree;
  out->file_features = h->file_features;
  out->feature_kind = (gs_feature_kind)h->feature_kind;
  out->feature_nnz = h->feature_nnz;
  out->num_classes = (int32_t)h->num_classes;
  out->num_train = h->num_train;
  out->num_valid = h->num_valid;
  out->num_test = h->num_test;
  out->parts = (int32_t)h->parts;
  out->partition_seed = h->partition_seed;
  out->file_bytes = (int64_t)h->file_bytes;
  for (int s2 = 0; s2 < GS_STORE_SECTIONS; s2++) {
    out->section_bytes[s2] = (int64_t)h->section[s2].bytes;
    out->section_crc[s2] = h->section[s2].crc;
  }
  out->graph_key = ((uint64_t)h->section[GS_STORE_ADJ_ROWPTR].crc << 32) |
                   h->section[GS_STORE_ADJ_COL].crc;
}

gs_status gs_store_read_info(gs_store_info *out, const char *path, gs_error *err) {
  disk_header h;
  if (!out || !path) return gs_error_set(err, GS_ERR_INVALID, "gs_store_read_info: NULL argument");
  gs_status st = read_header(&h, NULL, path, err);
  if (st == GS_OK) info_of(out, &h);
  return st;
}

/* Reads section s into a new counting-allocator buffer (NULL for an empty section) and checks
 * its CRC. */
static gs_status read_section(void **out, int fd, const disk_header *h, gs_store_section s,
                              const char *tag, const char *path, gs_error *err) {
  const disk_section *d = &h->section[s];
  *out = NULL;
  if (d->bytes == 0) return GS_OK;
  unsigned char *buf = gs_mem_alloc((size_t)d->bytes, tag);
  if (!buf)
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory for section %s (%llu bytes)", path,
                        section_names[s], (unsigned long long)d->bytes);
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < d->bytes;) {
    size_t chunk = d->bytes - done < IO_CHUNK ? (size_t)(d->bytes - done) : IO_CHUNK;
    ssize_t r = pread(fd, buf + done, chunk, (off_t)(d->offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      gs_mem_free(buf);
      return gs_error_set(err, r < 0 ? GS_ERR_IO : GS_ERR_PARSE, "%s: section %s: %s", path,
                          section_names[s], r < 0 ? strerror(errno) : "ends early (truncated)");
    }
    crc = crc32_z(crc, buf + done, (size_t)r);
    done += (uint64_t)r;
  }
  if ((uint32_t)crc != d->crc) {
    gs_mem_free(buf);
    return gs_error_set(err, GS_ERR_PARSE, "%s: section %s: checksum mismatch (corrupt)", path,
                        section_names[s]);
  }
  *out = buf;
  return GS_OK;
}

gs_status gs_store_read_section(void **out, int64_t *bytes, const char *path,
                                gs_store_section section, const char *tag, gs_error *err) {
  disk_header h;
  int fd = -1;
  if (!out || !path || section < 0 || section >= GS_STORE_SECTIONS)
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_read_section: bad argument");
  gs_status st = read_header(&h, &fd, path, err);
  if (st != GS_OK) return st;
  st = read_section(out, fd, &h, section, tag, path, err);
  close(fd);
  if (st == GS_OK && bytes) *bytes = (int64_t)h.section[section].bytes;
  return st;
}

int64_t gs_store_load_bytes(const gs_store_info *info) {
  int64_t bytes = (int64_t)sizeof(gs_dataset);
  for (int s2 = 0; s2 < GS_STORE_SECTIONS; s2++)
    if (s2 != GS_STORE_COLUMN_NNZ) bytes += info->section_bytes[s2];
  if (info->section_bytes[GS_STORE_ADJ_COL] == 0) bytes += sizeof(uint32_t); /* no edges */
  return bytes;
}

gs_status gs_store_load(gs_dataset **out, const char *path, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  disk_header h;
  int fd = -1;
  if (!out || !path) return gs_error_set(err, GS_ERR_INVALID, "gs_store_load: NULL argument");
  GS_TRY(read_header(&h, &fd, path, err));
  GS_TRY(gs__dataset_new(&ds, err));
  gs_store_info info;
  info_of(&info, &h);
  snprintf(ds->name, sizeof ds->name, "%s", info.name);
  snprintf(ds->path, sizeof ds->path, "%s", path);
  snprintf(ds->split_name, sizeof ds->split_name, "%s", info.split_name);
  const int64_t n = h.nodes;
  ds->num_nodes = n;
  ds->store_stats = info.graph;
  GS_TRY(read_section((void **)&ds->adj_rowptr, fd, &h, GS_STORE_ADJ_ROWPTR, "dataset-edges", path, err));
  GS_TRY(read_section((void **)&ds->adj_col, fd, &h, GS_STORE_ADJ_COL, "dataset-edges", path, err));
  if (!ds->adj_col) {
    ds->adj_col = gs_mem_alloc(sizeof(uint32_t), "dataset-edges"); /* a graph without edges */
    if (!ds->adj_col) goto nomem;
  }
  if (ds->adj_rowptr[0] != 0 || ds->adj_rowptr[n] != h.symmetric_entries) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s: adjacency row pointers end at %lld, header says %lld",
                      path, (long long)ds->adj_rowptr[n], (long long)h.symmetric_entries);
    goto fail;
  }
  gs_features *x = &ds->x;
  x->kind = (gs_feature_kind)h.feature_kind;
  x->rows = h.feature_kind == GS_FEATURES_NONE ? 0 : n;
  x->cols = h.file_features;
  x->nnz = h.feature_nnz;
  ds->file_features = h.file_features;
  if (x->kind == GS_FEATURES_DENSE) {
    GS_TRY(read_section((void **)&x->dense, fd, &h, GS_STORE_FEAT_DENSE, "features", path, err));
  } else if (x->kind == GS_FEATURES_SPARSE) {
    x->sparse.nrows = n;
    x->sparse.ncols = h.file_features;
    x->sparse.nnz = h.feature_nnz;
    GS_TRY(read_section((void **)&x->sparse.rowptr, fd, &h, GS_STORE_FEAT_ROWPTR, "features", path, err));
    GS_TRY(read_section((void **)&x->sparse.col, fd, &h, GS_STORE_FEAT_COL, "features", path, err));
    GS_TRY(read_section((void **)&x->sparse.val, fd, &h, GS_STORE_FEAT_VAL, "features", path, err));
    if (x->sparse.rowptr[n] != h.feature_nnz) {
      st = gs_error_set(err, GS_ERR_MISMATCH, "%s: feature row pointers disagree with the header", path);
      goto fail;
    }
  }
  GS_TRY(read_section((void **)&ds->labels, fd, &h, GS_STORE_LABELS, "dataset-labels", path, err));
  ds->num_classes = ds->labels ? (int32_t)h.num_classes : 0;
  for (int64_t i = 0; ds->labels && i < n; i++)
    if (ds->labels[i] < -1 || ds->labels[i] >= ds->num_classes) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s: node %lld has label %d outside [-1, %d)", path,
                        (long long)i, ds->labels[i], ds->num_classes);
      goto fail;
    }
  int64_t **sets[3] = {&ds->train, &ds->valid, &ds->test};
  int64_t *counts[3] = {&ds->num_train, &ds->num_valid, &ds->num_test};
  const int64_t sizes[3] = {h.num_train, h.num_valid, h.num_test};
  for (int s = 0; s < 3; s++) {
    GS_TRY(read_section((void **)sets[s], fd, &h, (gs_store_section)(GS_STORE_TRAIN + s),
                        "dataset-split", path, err));
    *counts[s] = sizes[s];
    for (int64_t k = 0; k < sizes[s]; k++)
      if ((*sets[s])[k] < 0 || (*sets[s])[k] >= n || (k > 0 && (*sets[s])[k] <= (*sets[s])[k - 1])) {
        st = gs_error_set(err, GS_ERR_RANGE, "%s: split entry %lld out of range or order", path,
                          (long long)k);
        goto fail;
      }
  }
  GS_TRY(read_section((void **)&ds->original_id, fd, &h, GS_STORE_ORIGINAL_ID, "dataset", path, err));
  GS_TRY(read_section((void **)&ds->part_start, fd, &h, GS_STORE_PART_START, "dataset", path, err));
  ds->parts = ds->part_start ? (int32_t)h.parts : 0;
  for (int32_t p = 0; ds->part_start && p < ds->parts; p++)
    if (ds->part_start[0] != 0 || ds->part_start[p + 1] < ds->part_start[p] ||
        ds->part_start[ds->parts] != n) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s: part boundaries out of order", path);
      goto fail;
    }
  close(fd);
  *out = ds;
  return GS_OK;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
fail:
  if (fd >= 0) close(fd);
  gs_dataset_free(&ds);
  return st;
}

/* ---------------------------------------------------------------- reading part by part */

/* Bytes of the reader's I/O buffer, used while opening only (checking every section's CRC,
 * reading the split lists into the marker). */
#define READER_IO_BYTES ((int64_t)1 << 20)

struct gs_store_reader {
  int fd;
  char path[PATH_CAP];
  disk_header h;
  gs_store_info info;
  int64_t *part_start; /* [parts + 1] */
  int64_t *row_at;     /* [parts + 1] adjacency offset of each part's first row */
  int64_t *feat_at;    /* [parts + 1] feature entry offset of each part's first row (sparse) */
  uint8_t *marker;     /* [n] 1 + split set of each node (train, valid, test), 0 for none */
};

static int64_t reader_resident_bytes(const gs_store_info *info) {
  const int64_t P = info->parts;
  return (int64_t)sizeof(struct gs_store_reader) + 3 * 8 * (P + 1) + info->graph.nodes;
}

int64_t gs_store_reader_bytes(const gs_store_info *info) { return reader_resident_bytes(info); }

int64_t gs_store_reader_open_peak_bytes(const gs_store_info *info) {
  return reader_resident_bytes(info) + READER_IO_BYTES;
}

/* Reads bytes at offset into buf: GS_ERR_IO on a failed read, GS_ERR_PARSE when the file ends
 * early. */
static gs_status pread_all(int fd, void *buf, size_t bytes, uint64_t offset, const char *path,
                           const char *what, gs_error *err) {
  unsigned char *p = buf;
  for (size_t done = 0; done < bytes;) {
    ssize_t r = pread(fd, p + done, bytes - done, (off_t)(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return gs_error_set(err, r < 0 ? GS_ERR_IO : GS_ERR_PARSE, "%s: %s: %s", path, what,
                          r < 0 ? strerror(errno) : "ends early (truncated)");
    done += (size_t)r;
  }
  return GS_OK;
}

/* Streams section s through buf (cap bytes) checking its CRC; for a split section, marks its
 * nodes in r->marker with `mark` (and checks them). */
static gs_status verify_section(gs_store_reader *r, gs_store_section s, unsigned char *buf,
                                size_t cap, uint8_t mark, gs_error *err) {
  const disk_section *d = &r->h.section[s];
  const int64_t n = r->h.nodes;
  uLong crc = crc32_z(0L, Z_NULL, 0);
  int64_t last = -1;
  for (uint64_t done = 0; done < d->bytes;) {
    size_t chunk = d->bytes - done < cap ? (size_t)(d->bytes - done) : cap;
    gs_status st = pread_all(r->fd, buf, chunk, d->offset + done, r->path, section_names[s], err);
    if (st != GS_OK) return st;
    crc = crc32_z(crc, buf, chunk);
    if (mark) { /* whole int64 entries: chunk and the section are multiples of 8 */
      const int64_t *id = (const int64_t *)buf;
      for (size_t k = 0; k < chunk / 8; k++) {
        if (id[k] <= last || id[k] >= n)
          return gs_error_set(err, GS_ERR_RANGE, "%s: %s: entry %lld out of range or order",
                              r->path, section_names[s], (long long)(done / 8 + k));
        last = id[k];
        r->marker[id[k]] = mark;
      }
    }
    done += chunk;
  }
  if ((uint32_t)crc != d->crc)
    return gs_error_set(err, GS_ERR_PARSE, "%s: section %s: checksum mismatch (corrupt)", r->path,
                        section_names[s]);
  return GS_OK;
}

void gs_store_reader_free(gs_store_reader **pr) {
  if (!pr || !*pr) return;
  gs_store_reader *r = *pr;
  if (r->fd >= 0) close(r->fd);
  gs_mem_free(r->part_start);
  gs_mem_free(r->row_at);
  gs_mem_free(r->feat_at);
  gs_mem_free(r->marker);
  gs_mem_free(r);
  *pr = NULL;
}

gs_status gs_store_reader_open(gs_store_reader **out, const char *path, gs_error *err) {
  gs_status st = GS_OK;
  gs_store_reader *r = NULL;
  unsigned char *buf = NULL;
  if (!out || !path) return gs_error_set(err, GS_ERR_INVALID, "gs_store_reader_open: NULL argument");
  r = gs_mem_calloc(1, sizeof *r, "store-reader");
  if (!r) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
  r->fd = -1;
  snprintf(r->path, sizeof r->path, "%s", path);
  GS_TRY(read_header(&r->h, &r->fd, path, err));
  info_of(&r->info, &r->h);
  const int64_t n = r->h.nodes, P = r->h.parts;
  if (P < 1) {
    st = gs_error_set(err, GS_ERR_INVALID,
                      "%s: not a partition-ordered store (gnnscale partition writes one)", path);
    goto fail;
  }
  r->part_start = gs_mem_alloc((size_t)(P + 1) * sizeof(int64_t), "store-reader");
  r->row_at = gs_mem_alloc((size_t)(P + 1) * sizeof(int64_t), "store-reader");
  r->feat_at = gs_mem_calloc((size_t)(P + 1), sizeof(int64_t), "store-reader");
  r->marker = gs_mem_calloc((size_t)n, 1, "store-reader");
  buf = gs_mem_alloc((size_t)READER_IO_BYTES, "store-io");
  if (!r->part_start || !r->row_at || !r->feat_at || !r->marker || !buf) {
    st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  /* Every byte checked once against its CRC before any is trusted; the splits become the
   * marker on the way. */
  for (int s = 0; s < GS_STORE_SECTIONS; s++) {
    const uint8_t mark = s == GS_STORE_TRAIN ? 1 : s == GS_STORE_VALID ? 2 : s == GS_STORE_TEST ? 3 : 0;
    GS_TRY(verify_section(r, (gs_store_section)s, buf, (size_t)READER_IO_BYTES, mark, err));
  }
  GS_TRY(pread_all(r->fd, r->part_start, (size_t)(P + 1) * 8, r->h.section[GS_STORE_PART_START].offset,
                   path, section_names[GS_STORE_PART_START], err));
  const bool sparse = r->h.feature_kind == GS_FEATURES_SPARSE;
  for (int64_t p = 0; p <= P; p++) {
    const int64_t v = r->part_start[p];
    if ((p == 0 && v != 0) || (p > 0 && v < r->part_start[p - 1]) || (p == P && v != n)) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s: part boundaries out of order", path);
      goto fail;
    }
    GS_TRY(pread_all(r->fd, &r->row_at[p], 8, r->h.section[GS_STORE_ADJ_ROWPTR].offset + 8 * (uint64_t)v,
                     path, section_names[GS_STORE_ADJ_ROWPTR], err));
    if (sparse)
      GS_TRY(pread_all(r->fd, &r->feat_at[p], 8,
                       r->h.section[GS_STORE_FEAT_ROWPTR].offset + 8 * (uint64_t)v, path,
                       section_names[GS_STORE_FEAT_ROWPTR], err));
    if ((p > 0 && (r->row_at[p] < r->row_at[p - 1] || r->feat_at[p] < r->feat_at[p - 1])) ||
        (p == 0 && (r->row_at[0] != 0 || r->feat_at[0] != 0)) ||
        (p == P && (r->row_at[P] != r->h.symmetric_entries ||
                    (sparse && r->feat_at[P] != r->h.feature_nnz)))) {
      st = gs_error_set(err, GS_ERR_MISMATCH, "%s: row pointers at part %lld disagree with the counts",
                        path, (long long)p);
      goto fail;
    }
  }
  gs_mem_free(buf);
  *out = r;
  return GS_OK;
fail:
  gs_mem_free(buf);
  gs_store_reader_free(&r);
  return st;
}

const gs_store_info *gs_store_reader_info(const gs_store_reader *r) { return &r->info; }

const int64_t *gs_store_reader_part_start(const gs_store_reader *r) { return r->part_start; }

const uint8_t *gs_store_reader_marker(const gs_store_reader *r) { return r->marker; }

int64_t gs_store_reader_part_entries(const gs_store_reader *r, int32_t p) {
  return r->row_at[p + 1] - r->row_at[p];
}

int64_t gs_store_reader_part_feature_nnz(const gs_store_reader *r, int32_t p) {
  return r->feat_at[p + 1] - r->feat_at[p];
}

gs_status gs_store_reader_read_part(const gs_store_reader *r, int32_t p, const gs_store_part *dst,
                                    gs_error *err) {
  if (!r || !dst || p < 0 || p >= r->h.parts)
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_reader_read_part: bad argument");
  const disk_section *sec = r->h.section;
  const int64_t v0 = r->part_start[p], len = r->part_start[p + 1] - v0, n = r->h.nodes;
  const int64_t e0 = r->row_at[p], entries = r->row_at[p + 1] - e0, f = r->h.file_features;
  gs_status st = GS_OK;
  if (dst->rowptr) {
    st = pread_all(r->fd, dst->rowptr, (size_t)(len + 1) * 8, sec[GS_STORE_ADJ_ROWPTR].offset + 8 * (uint64_t)v0,
                   r->path, section_names[GS_STORE_ADJ_ROWPTR], err);
    if (st != GS_OK) return st;
    for (int64_t i = 0; i < len; i++)
      if (dst->rowptr[i + 1] < dst->rowptr[i]) goto bad_rows;
    if (dst->rowptr[0] != e0 || dst->rowptr[len] != e0 + entries) goto bad_rows;
  }
  if (dst->col) {
    st = pread_all(r->fd, dst->col, (size_t)entries * 4, sec[GS_STORE_ADJ_COL].offset + 4 * (uint64_t)e0,
                   r->path, section_names[GS_STORE_ADJ_COL], err);
    if (st != GS_OK) return st;
    for (int64_t k = 0; k < entries; k++)
      if ((int64_t)dst->col[k] >= n)
        return gs_error_set(err, GS_ERR_RANGE, "%s: part %d: neighbour %lld outside [0, %lld)",
                            r->path, p, (long long)dst->col[k], (long long)n);
  }
  if (dst->dense && r->h.feature_kind == GS_FEATURES_DENSE) {
    st = pread_all(r->fd, dst->dense, (size_t)(len * f) * 4,
                   sec[GS_STORE_FEAT_DENSE].offset + 4 * (uint64_t)(v0 * f), r->path,
                   section_names[GS_STORE_FEAT_DENSE], err);
    if (st != GS_OK) return st;
  }
  if (dst->feat_rowptr && r->h.feature_kind == GS_FEATURES_SPARSE) {
    const int64_t f0 = r->feat_at[p], fnnz = r->feat_at[p + 1] - f0;
    st = pread_all(r->fd, dst->feat_rowptr, (size_t)(len + 1) * 8,
                   sec[GS_STORE_FEAT_ROWPTR].offset + 8 * (uint64_t)v0, r->path,
                   section_names[GS_STORE_FEAT_ROWPTR], err);
    if (st == GS_OK)
      st = pread_all(r->fd, dst->feat_col, (size_t)fnnz * 8, sec[GS_STORE_FEAT_COL].offset + 8 * (uint64_t)f0,
                     r->path, section_names[GS_STORE_FEAT_COL], err);
    if (st == GS_OK)
      st = pread_all(r->fd, dst->feat_val, (size_t)fnnz * 4, sec[GS_STORE_FEAT_VAL].offset + 4 * (uint64_t)f0,
                     r->path, section_names[GS_STORE_FEAT_VAL], err);
    if (st != GS_OK) return st;
    if (dst->feat_rowptr[0] != f0 || dst->feat_rowptr[len] != f0 + fnnz)
      return gs_error_set(err, GS_ERR_MISMATCH, "%s: part %d: feature row pointers disagree",
                          r->path, p);
    for (int64_t i = 0; i < len; i++)
      if (dst->feat_rowptr[i + 1] < dst->feat_rowptr[i])
        return gs_error_set(err, GS_ERR_MISMATCH, "%s: part %d: feature row pointers out of order",
                            r->path, p);
    for (int64_t k = 0; k < fnnz; k++)
      if (dst->feat_col[k] < 0 || dst->feat_col[k] >= f)
        return gs_error_set(err, GS_ERR_RANGE, "%s: part %d: feature column %lld outside [0, %lld)",
                            r->path, p, (long long)dst->feat_col[k], (long long)f);
  }
  if (dst->labels) {
    if (r->h.num_classes < 1)
      return gs_error_set(err, GS_ERR_INVALID, "%s: no labels", r->path);
    st = pread_all(r->fd, dst->labels, (size_t)len * 4, sec[GS_STORE_LABELS].offset + 4 * (uint64_t)v0,
                   r->path, section_names[GS_STORE_LABELS], err);
    if (st != GS_OK) return st;
    for (int64_t i = 0; i < len; i++)
      if (dst->labels[i] < -1 || dst->labels[i] >= r->h.num_classes)
        return gs_error_set(err, GS_ERR_RANGE, "%s: node %lld has label %d outside [-1, %lld)",
                            r->path, (long long)(v0 + i), dst->labels[i], (long long)r->h.num_classes);
  }
  return GS_OK;
bad_rows:
  return gs_error_set(err, GS_ERR_MISMATCH, "%s: part %d: adjacency row pointers disagree", r->path,
                      p);
}

/* ---------------------------------------------------------------- opening a folder */


uint64_t gs_store_fingerprint(const char *dir, const char *split) {
  static const char *const files[] = {
      "META.txt",         "raw/num-node-list.csv",  "raw/num-edge-list.csv",
      "raw/edge.csv.gz",  "raw/node-label.csv.gz",  "raw/node-feat.csv.gz",
      "raw/node-feat-sparse.csv.gz"};
  uint64_t h = 14695981039346656037ULL;
  char path[PATH_CAP];
  for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, files[k]);
    h = gs_hash_fnv1a(h, files[k], strlen(files[k]) + 1);
    if (stat(path, &sb) != 0) continue;
    int64_t facts[3] = {(int64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec, (int64_t)sb.st_mtim.tv_nsec};
    h = gs_hash_fnv1a(h, facts, sizeof facts);
  }
  /* The split folder chosen: its name and its three files. */
  const char *name = split ? split : "";
  h = gs_hash_fnv1a(h, name, strlen(name) + 1);
  static const char *const sets[] = {"train", "valid", "test"};
  for (int s = 0; split && s < 3; s++) {
    struct stat sb;
    snprintf(path, sizeof path, "%s/split/%s/%s.csv.gz", dir, split, sets[s]);
    if (stat(path, &sb) != 0) continue;
    int64_t facts[3] = {(int64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec, (int64_t)sb.st_mtim.tv_nsec};
    h = gs_hash_fnv1a(h, facts, sizeof facts);
  }
  return h == 0 ? 1 : h; /* 0 means "written directly, no text" */
}

/* Loads the text, builds the graph and writes the store. */
static gs_status build_store(gs_dataset **out, const char *dir, const char *store_path,
                             const char *split, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_dataset_options o = gs_dataset_options_default();
  o.split = split;
  GS_TRY(gs_dataset_load(&ds, dir, &o, err));
  GS_TRY(gs_dataset_graph_new(&g, ds, GS_NORM_NONE, err));
  /* The fingerprint names the split actually chosen, so that the default split's store is
   * found again when asked for by name. */
  GS_TRY(gs_store_write(store_path, ds, g, gs_store_fingerprint(dir, ds->split_name), NULL, NULL,
                        0, 0, err));
  *out = ds;
  ds = NULL;
fail:
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

static bool text_present(const char *dir) {
  char path[PATH_CAP];
  struct stat sb;
  snprintf(path, sizeof path, "%s/raw/num-node-list.csv", dir);
  return stat(path, &sb) == 0;
}

gs_status gs_store_ensure(char *path, size_t path_cap, const char *dir, const char *split,
                          bool force, gs_store_outcome *outcome, char *note, size_t note_cap,
                          gs_error *err) {
  gs_status st = GS_OK;
  gs_store_info info;
  gs_dataset *text = NULL;
  if (note && note_cap) note[0] = '\0';
  if (!path || !dir || !outcome) return gs_error_set(err, GS_ERR_INVALID, "gs_store_ensure: NULL argument");
  GS_TRY(gs_store_path(path, path_cap, dir, err));
  const bool have_text = text_present(dir);
  gs_error why;
  gs_error_clear(&why);
  if (force) {
    gs_error_set(&why, GS_ERR_INVALID, "%s: rebuild requested", path);
  } else if (gs_store_read_info(&info, path, &why) == GS_OK) {
    if (!have_text && info.source_fingerprint == 0) {
      *outcome = GS_STORE_LOADED; /* written directly by the generator: no text to follow */
      return GS_OK;
    }
    if (have_text && (split == NULL || strcmp(split, info.split_name) == 0) &&
        info.source_fingerprint == gs_store_fingerprint(dir, info.split_name)) {
      *outcome = GS_STORE_LOADED;
      return GS_OK;
    }
    if (have_text) gs_error_set(&why, GS_ERR_MISMATCH, "%s: built from other text or another split", path);
  }
  if (!have_text) {
    if (why.code == GS_OK) gs_error_set(&why, GS_ERR_IO, "%s: store no longer matches", path);
    return gs_error_set(err, why.code, "%s (and no text in %s to build it from)", why.msg, dir);
  }
  const bool existed = access(path, F_OK) == 0;
  gs_error werr;
  gs_error_clear(&werr);
  st = build_store(&text, dir, path, split, &werr);
  gs_dataset_free(&text);
  if (st == GS_OK) {
    *outcome = existed ? GS_STORE_REBUILT : GS_STORE_BUILT;
    if (note && note_cap)
      snprintf(note, note_cap, existed ? "%s; rebuilt from the text" : "%s: built from the text",
               existed ? why.msg : path);
    return GS_OK;
  }
  if (werr.code != GS_ERR_IO) return gs_error_set(err, werr.code, "%s", werr.msg);
  /* The folder is read-only or full: the caller carries on from the text. */
  *outcome = GS_STORE_TEXT_ONLY;
  path[0] = '\0';
  if (note && note_cap) snprintf(note, note_cap, "store not written: %s", werr.msg);
  return GS_OK;
fail:
  return st;
}

gs_status gs_store_open(gs_dataset **out, const char *dir, const char *split, bool force,
                        gs_store_outcome *outcome, char *note, size_t note_cap, gs_error *err) {
  char path[PATH_CAP];
  gs_store_outcome oc;
  if (!out) return gs_error_set(err, GS_ERR_INVALID, "gs_store_open: NULL argument");
  gs_status st = gs_store_ensure(path, sizeof path, dir, split, force, &oc, note, note_cap, err);
  if (st != GS_OK) return st;
  if (outcome) *outcome = oc;
  if (oc == GS_STORE_TEXT_ONLY) {
    gs_dataset_options o = gs_dataset_options_default();
    o.split = split;
    return gs_dataset_load(out, dir, &o, err);
  }
  st = gs_store_load(out, path, err);
  if (st == GS_OK || st == GS_ERR_NOMEM || st == GS_ERR_IO || oc != GS_STORE_LOADED ||
      !text_present(dir))
    return st;
  /* The header was sound but a section was not (its checksum, its ids): rebuild once. */
  char first[GS_ERROR_MSG_MAX];
  snprintf(first, sizeof first, "%s", err ? err->msg : "damaged section");
  st = gs_store_ensure(path, sizeof path, dir, split, true, &oc, note, note_cap, err);
  if (st != GS_OK) return st;
  if (outcome) *outcome = GS_STORE_REBUILT;
  if (note && note_cap) snprintf(note, note_cap, "%.900s; rebuilt from the text", first);
  return oc == GS_STORE_TEXT_ONLY ? gs_store_open(out, dir, split, false, NULL, NULL, 0, err)
                                  : gs_store_load(out, path, err);
}

/* ---------------------------------------------------------------- partitions */

#define PARTS_MAGIC "GNNPARTS"
#define PARTS_VERSION 1

/* The header of a partition file, then int32 part[nodes]. */
typedef struct {
  char magic[8];
  uint32_t version, endian;
  int64_t nodes, parts, seed;
  uint64_t graph_key;
  int64_t edge_cut, edges, largest_part, smallest_part, isolated_nodes, metis_edge_cut;
  int64_t metis_peak_bytes;
  double balance, metis_seconds;
  uint32_t data_crc, header_crc;
} parts_header;

gs_status gs_store_parts_path(char *out, size_t cap, const char *dir, int32_t parts, int64_t seed,
                              bool ordered, gs_error *err) {
  char name[128];
  snprintf(name, sizeof name, ordered ? "gnnscale-P%d-s%lld.store" : "gnnscale-P%d-s%lld.parts",
           (int)parts, (long long)seed);
  return gs__path_join(out, cap, dir, name, err);
}

static uint32_t parts_header_crc(const parts_header *h) {
  parts_header c = *h;
  c.header_crc = 0;
  return (uint32_t)crc32_z(0L, (const Bytef *)&c, sizeof c);
}

gs_status gs_store_parts_write(const char *path, const int32_t *part,
                               const gs_partition_report *r, int64_t seed, uint64_t graph_key,
                               gs_error *err) {
  parts_header h;
  memset(&h, 0, sizeof h);
  gs_atomic_file file;
  gs_status st = gs_atomic_open(&file, path, err);
  if (st != GS_OK) return st;
  /* Written with pwrite on the file's descriptor only (its stdio buffer stays empty). */
  out_file f = {.fd = fileno(file.f), .path = path, .pos = sizeof h};
  memcpy(h.magic, PARTS_MAGIC, 8);
  h.version = PARTS_VERSION;
  h.endian = STORE_ENDIAN;
  h.nodes = r->nodes;
  h.parts = r->parts;
  h.seed = seed;
  h.graph_key = graph_key;
  h.edge_cut = r->edge_cut;
  h.edges = r->edges;
  h.largest_part = r->largest_part;
  h.smallest_part = r->smallest_part;
  h.isolated_nodes = r->isolated_nodes;
  h.metis_edge_cut = r->metis_edge_cut;
  h.metis_peak_bytes = r->metis_peak_bytes;
  h.balance = r->balance;
  h.metis_seconds = r->metis_seconds;
  const size_t bytes = (size_t)r->nodes * sizeof *part;
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (size_t done = 0; done < bytes; done += IO_CHUNK)
    crc = crc32_z(crc, (const Bytef *)part + done, bytes - done < IO_CHUNK ? bytes - done : IO_CHUNK);
  h.data_crc = (uint32_t)crc;
  h.header_crc = parts_header_crc(&h);
  GS_TRY(write_all(&f, part, bytes, err));
  f.pos = 0;
  GS_TRY(write_all(&f, &h, sizeof h, err));
fail:
  return gs_atomic_close(&file, st, err);
}

gs_status gs_store_parts_read(int32_t **part, gs_partition_report *r, const char *path,
                              int64_t nodes, int32_t parts, int64_t seed, uint64_t graph_key,
                              gs_error *err) {
  gs_status st = GS_OK;
  parts_header h;
  int32_t *p = NULL;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return gs_error_set(err, errno == ENOENT ? GS_ERR_NOT_FOUND : GS_ERR_IO, "%s: cannot open: %s",
                        path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
      memcmp(h.magic, PARTS_MAGIC, 8) != 0 || h.endian != STORE_ENDIAN) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: not a gnnscale partition file", path);
    goto fail;
  }
  if (h.version != PARTS_VERSION || h.header_crc != parts_header_crc(&h)) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: %s", path,
                      h.version != PARTS_VERSION ? "partition format of another version"
                                                 : "header checksum mismatch (corrupt)");
    goto fail;
  }
  if (h.parts != parts || h.seed != seed) {
    st = gs_error_set(err, GS_ERR_MISMATCH, "%s: made for %lld parts with seed %lld, not %d with %lld",
                      path, (long long)h.parts, (long long)h.seed, parts, (long long)seed);
    goto fail;
  }
  if (h.nodes != nodes || h.graph_key != graph_key) {
    st = gs_error_set(err, GS_ERR_MISMATCH,
                      "%s: computed on another graph (the store changed since): partition again",
                      path);
    goto fail;
  }
  const size_t bytes = (size_t)nodes * sizeof *p;
  if ((uint64_t)sb.st_size != sizeof h + bytes) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: truncated: %lld bytes, expected %llu", path,
                      (long long)sb.st_size, (unsigned long long)(sizeof h + bytes));
    goto fail;
  }
  p = gs_mem_alloc(bytes, "partition");
  if (!p) {
    st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    goto fail;
  }
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (size_t done = 0; done < bytes;) {
    ssize_t got = pread(fd, (char *)p + done, bytes - done < IO_CHUNK ? bytes - done : IO_CHUNK,
                        (off_t)(sizeof h + done));
    if (got <= 0) {
      st = gs_error_set(err, GS_ERR_IO, "%s: read failed", path);
      goto fail;
    }
    crc = crc32_z(crc, (const Bytef *)p + done, (size_t)got);
    done += (size_t)got;
  }
  if ((uint32_t)crc != h.data_crc) {
    st = gs_error_set(err, GS_ERR_PARSE, "%s: checksum mismatch (corrupt)", path);
    goto fail;
  }
  for (int64_t i = 0; i < nodes; i++)
    if (p[i] < 0 || p[i] >= parts) {
      st = gs_error_set(err, GS_ERR_RANGE, "%s: node %lld in part %d", path, (long long)i, p[i]);
      goto fail;
    }
  if (r) {
    memset(r, 0, sizeof *r);
    r->parts = parts;
    r->nodes = nodes;
    r->edge_cut = h.edge_cut;
    r->edges = h.edges;
    r->largest_part = h.largest_part;
    r->smallest_part = h.smallest_part;
    r->isolated_nodes = h.isolated_nodes;
    r->metis_edge_cut = h.metis_edge_cut;
    r->metis_peak_bytes = h.metis_peak_bytes;
    r->balance = h.balance;
    r->metis_seconds = h.metis_seconds;
  }
  close(fd);
  *part = p;
  return GS_OK;
fail:
  close(fd);
  gs_mem_free(p);
  return st;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

gs_status gs_store_write_ordered(const char *path, const gs_dataset *ds, const int32_t *part,
                                 int32_t parts, int64_t seed, uint64_t graph_key, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *o = NULL;
  int64_t *order = NULL, *newid = NULL, *start = NULL;
  if (!ds || !ds->adj_rowptr || !part || parts < 1 || ds->kept_columns)
    return gs_error_set(err, GS_ERR_INVALID,
                        "gs_store_write_ordered: needs a dataset loaded from its store");
  const int64_t n = ds->num_nodes;
  GS_TRY(gs__dataset_new(&o, err));
  order = gs_mem_alloc((size_t)n * sizeof *order, "store-io");
  newid = gs_mem_alloc((size_t)n * sizeof *newid, "store-io");
  start = gs_mem_calloc((size_t)parts + 1, sizeof *start, "store-io");
  if (!order || !newid || !start) goto nomem;
  /* Counting sort by part, stable: order[k] = old id of new node k. */
  for (int64_t i = 0; i < n; i++) start[part[i] + 1]++;
  for (int32_t p = 0; p < parts; p++) start[p + 1] += start[p];
  {
    int64_t *cursor = newid; /* borrowed as cursors, then filled with the new ids */
    for (int32_t p = 0; p < parts; p++) cursor[p] = start[p];
    for (int64_t i = 0; i < n; i++) order[cursor[part[i]]++] = i;
    for (int64_t k = 0; k < n; k++) newid[order[k]] = k;
  }
  *o = *ds;
  o->src = o->dst = NULL;
  o->adj_rowptr = NULL;
  o->adj_col = NULL;
  o->labels = NULL;
  o->train = o->valid = o->test = NULL;
  memset(&o->x, 0, sizeof o->x);
  o->kept_columns = NULL;
  o->part_start = o->original_id = NULL;
  o->parts = 0;
  const int64_t entries = ds->adj_rowptr[n];
  o->adj_rowptr = gs_mem_alloc((size_t)(n + 1) * sizeof(int64_t), "store-io");
  o->adj_col = gs_mem_alloc((size_t)(entries > 0 ? entries : 1) * sizeof(uint32_t), "store-io");
  if (!o->adj_rowptr || !o->adj_col) goto nomem;
  o->adj_rowptr[0] = 0;
  for (int64_t k = 0; k < n; k++) {
    const int64_t i = order[k], len = ds->adj_rowptr[i + 1] - ds->adj_rowptr[i];
    uint32_t *dst = o->adj_col + o->adj_rowptr[k];
    for (int64_t q = 0; q < len; q++) dst[q] = (uint32_t)newid[ds->adj_col[ds->adj_rowptr[i] + q]];
    qsort(dst, (size_t)len, sizeof *dst, cmp_u32);
    o->adj_rowptr[k + 1] = o->adj_rowptr[k] + len;
  }
  const gs_features *x = &ds->x;
  o->x.kind = x->kind;
  o->x.rows = x->rows;
  o->x.cols = x->cols;
  o->x.nnz = x->nnz;
  if (x->kind == GS_FEATURES_DENSE) {
    o->x.dense = gs_mem_alloc((size_t)(n * x->cols) * sizeof(float), "store-io");
    if (!o->x.dense) goto nomem;
    for (int64_t k = 0; k < n; k++)
      memcpy(o->x.dense + k * x->cols, x->dense + order[k] * x->cols, (size_t)x->cols * sizeof(float));
  } else if (x->kind == GS_FEATURES_SPARSE) {
    GS_TRY(gs_csr_alloc(&o->x.sparse, n, x->cols, x->nnz, "store-io", err));
    for (int64_t k = 0; k < n; k++) {
      const int64_t i = order[k], b = x->sparse.rowptr[i], len = x->sparse.rowptr[i + 1] - b;
      const int64_t to = o->x.sparse.rowptr[k];
      memcpy(o->x.sparse.col + to, x->sparse.col + b, (size_t)len * sizeof(int64_t));
      memcpy(o->x.sparse.val + to, x->sparse.val + b, (size_t)len * sizeof(float));
      o->x.sparse.rowptr[k + 1] = to + len;
    }
  }
  if (ds->labels) {
    o->labels = gs_mem_alloc((size_t)n * sizeof(int32_t), "store-io");
    if (!o->labels) goto nomem;
    for (int64_t k = 0; k < n; k++) o->labels[k] = ds->labels[order[k]];
  }
  const int64_t *sets[3] = {ds->train, ds->valid, ds->test};
  int64_t **osets[3] = {&o->train, &o->valid, &o->test};
  const int64_t counts[3] = {ds->num_train, ds->num_valid, ds->num_test};
  for (int s = 0; s < 3; s++) {
    if (counts[s] == 0) continue;
    *osets[s] = gs_mem_alloc((size_t)counts[s] * sizeof(int64_t), "store-io");
    if (!*osets[s]) goto nomem;
    for (int64_t k = 0; k < counts[s]; k++) (*osets[s])[k] = newid[sets[s][k]];
    qsort(*osets[s], (size_t)counts[s], sizeof(int64_t), gs_compare_int64);
  }
  /* A renumbered store of a renumbered store keeps ids of the text. */
  if (ds->original_id)
    for (int64_t k = 0; k < n; k++) newid[k] = ds->original_id[order[k]];
  else
    memcpy(newid, order, (size_t)n * sizeof *newid);
  GS_TRY(gs_store_write(path, o, NULL, graph_key, newid, start, parts, seed, err));
  goto done;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory renumbering %lld nodes", path,
                    (long long)n);
done:
fail:
  gs_mem_free(order);
  gs_mem_free(newid);
  gs_mem_free(start);
  gs_dataset_free(&o);
  return st;
}

/* ---------------------------------------------------------------- reading a store in pieces */

struct gs_store_file {
  int fd;
  char path[PATH_CAP];
  disk_header h;
  gs_store_info info;
};

gs_status gs_store_file_open(gs_store_file **out, const char *path, gs_error *err) {
  if (!out || !path) return gs_error_set(err, GS_ERR_INVALID, "gs_store_file_open: NULL argument");
  gs_store_file *f = gs_mem_calloc(1, sizeof *f, "store-io");
  if (!f) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
  f->fd = -1;
  snprintf(f->path, sizeof f->path, "%s", path);
  gs_status st = read_header(&f->h, &f->fd, path, err);
  if (st != GS_OK) {
    gs_mem_free(f);
    return st;
  }
  info_of(&f->info, &f->h);
  *out = f;
  return GS_OK;
}

void gs_store_file_close(gs_store_file **pf) {
  if (!pf || !*pf) return;
  if ((*pf)->fd >= 0) close((*pf)->fd);
  gs_mem_free(*pf);
  *pf = NULL;
}

const gs_store_info *gs_store_file_info(const gs_store_file *f) { return &f->info; }

int64_t gs_store_file_bytes(void) { return (int64_t)sizeof(gs_store_file); }

const char *gs_store_file_path(const gs_store_file *f) { return f->path; }

gs_status gs_store_file_read(const gs_store_file *f, gs_store_section s, uint64_t offset,
                             void *dst, size_t bytes, gs_error *err) {
  if (!f || s < 0 || s >= GS_STORE_SECTIONS)
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_file_read: bad argument");
  const disk_section *d = &f->h.section[s];
  if (offset > d->bytes || bytes > d->bytes - offset)
    return gs_error_set(err, GS_ERR_RANGE, "%s: section %s: bytes %llu..%llu outside its %llu",
                        f->path, section_names[s], (unsigned long long)offset,
                        (unsigned long long)(offset + bytes), (unsigned long long)d->bytes);
  return pread_all(f->fd, dst, bytes, d->offset + offset, f->path, section_names[s], err);
}

gs_status gs_store_file_check(const gs_store_file *f, gs_store_section s, void *buf, size_t cap,
                              gs_error *err) {
  const disk_section *d = &f->h.section[s];
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < d->bytes;) {
    const size_t chunk = d->bytes - done < cap ? (size_t)(d->bytes - done) : cap;
    gs_status st = gs_store_file_read(f, s, done, buf, chunk, err);
    if (st != GS_OK) return st;
    crc = crc32_z(crc, buf, chunk);
    done += chunk;
  }
  if ((uint32_t)crc != d->crc)
    return gs_error_set(err, GS_ERR_PARSE, "%s: section %s: checksum mismatch (corrupt)", f->path,
                        section_names[s]);
  return GS_OK;
}

/* ---------------------------------------------------------------- the ordered store, streamed */

/* Bytes of the streamed ordered writer's output buffer and of its read window's largest size:
 * 1 MiB, or the largest section when smaller. */
#define ORDERED_IO_MAX ((uint64_t)1 << 20)

static size_t ordered_io_bytes(const uint64_t *section_bytes) {
  uint64_t most = 4096;
  for (int s = 0; s < GS_STORE_SECTIONS; s++)
    if (section_bytes[s] > most) most = section_bytes[s];
  return (size_t)(most < ORDERED_IO_MAX ? most : ORDERED_IO_MAX);
}

/* Reads of one source section at rising offsets through a window: a refill reads `cap` bytes
 * from the requested offset, so rows that are near each other in the source cost one pread. */
typedef struct {
  const gs_store_file *src;
  gs_store_section s;
  unsigned char *buf;
  size_t cap;
  uint64_t lo, hi; /* the section's bytes [lo, hi) are in buf */
} window;

static gs_status window_get(window *w, uint64_t offset, size_t bytes, void *dst, gs_error *err) {
  if (bytes == 0) return GS_OK;
  if (bytes > w->cap) return gs_store_file_read(w->src, w->s, offset, dst, bytes, err);
  if (offset < w->lo || offset + bytes > w->hi) {
    const uint64_t end = w->src->h.section[w->s].bytes;
    const size_t len = end - offset < w->cap ? (size_t)(end - offset) : w->cap;
    gs_status st = gs_store_file_read(w->src, w->s, offset, w->buf, len, err);
    if (st != GS_OK) return st;
    w->lo = offset;
    w->hi = offset + len;
  }
  memcpy(dst, w->buf + (offset - w->lo), bytes);
  return GS_OK;
}

/* The window's size for a section of `bytes` over n rows read 1/parts at a time: about four
 * wanted rows per refill (a part's rows are spread over the whole section). */
static size_t window_cap(uint64_t bytes, int64_t n, int32_t parts, size_t io) {
  const double row = n > 0 ? (double)bytes / (double)n : 0.0;
  double cap = row * (double)parts * 4.0;
  if (cap < 4096.0) cap = 4096.0;
  if (cap > (double)io) cap = (double)io;
  return (size_t)cap;
}

/* Output rows appended to the current section through a buffer. */
typedef struct {
  out_file *f;
  disk_header *h;
  gs_store_section s;
  unsigned char *buf;
  size_t used, cap;
} out_rows;

static gs_status rows_flush(out_rows *o, gs_error *err) {
  gs_status st = o->used ? section_put(o->f, o->h, o->s, o->buf, o->used, err) : GS_OK;
  o->used = 0;
  return st;
}

/* Room for `bytes` more at o->buf + o->used (flushing first when needed); NULL when a row is
 * larger than the buffer (the caller writes it with section_put after a flush). */
static unsigned char *rows_room(out_rows *o, size_t bytes, gs_status *st, gs_error *err) {
  *st = GS_OK;
  if (o->used + bytes > o->cap) *st = rows_flush(o, err);
  return *st == GS_OK && bytes <= o->cap ? o->buf + o->used : NULL;
}

/* Writes section s of the output with row k taken from source row order[k] of the source
 * section: rows of `width` elements of `elem` bytes, or of rowptr[i + 1] - rowptr[i] when
 * rowptr is given. With map (the adjacency), the row's uint32 ids become map[id], sorted. */
static gs_status copy_rows(out_rows *o, gs_store_section s, const gs_store_file *src,
                           const int64_t *order, int64_t n, int32_t parts, const int64_t *rowptr,
                           int64_t width, size_t elem, const int64_t *map, unsigned char *wbuf,
                           uint32_t *scratch, gs_error *err) {
  gs_status st = GS_OK;
  window w = {.src = src, .s = s, .buf = wbuf,
              .cap = window_cap(src->h.section[s].bytes, n, parts, o->cap), .lo = 0, .hi = 0};
  GS_TRY(section_begin(o->f, o->h, s, err));
  o->s = s;
  for (int64_t k = 0; k < n; k++) {
    const int64_t i = order[k];
    const int64_t first = rowptr ? rowptr[i] : i * width;
    const size_t bytes = (size_t)((rowptr ? rowptr[i + 1] - rowptr[i] : width)) * elem;
    if (map) { /* into the scratch row, renumbered and sorted, then out */
      GS_TRY(window_get(&w, (uint64_t)first * elem, bytes, scratch, err));
      const size_t len = bytes / elem;
      for (size_t q = 0; q < len; q++) scratch[q] = (uint32_t)map[scratch[q]];
      qsort(scratch, len, sizeof *scratch, cmp_u32);
      unsigned char *at = rows_room(o, bytes, &st, err);
      if (st != GS_OK) goto fail;
      if (at) {
        memcpy(at, scratch, bytes);
        o->used += bytes;
      } else {
        GS_TRY(section_put(o->f, o->h, s, scratch, bytes, err));
      }
      continue;
    }
    unsigned char *at = rows_room(o, bytes, &st, err);
    if (st != GS_OK) goto fail;
    if (at) {
      GS_TRY(window_get(&w, (uint64_t)first * elem, bytes, at, err));
      o->used += bytes;
    } else {
      for (size_t done = 0; done < bytes; done += o->cap) {
        const size_t len = bytes - done < o->cap ? bytes - done : o->cap;
        GS_TRY(gs_store_file_read(src, s, (uint64_t)first * elem + done, o->buf, len, err));
        GS_TRY(section_put(o->f, o->h, s, o->buf, len, err));
      }
    }
  }
  GS_TRY(rows_flush(o, err));
fail:
  return st;
}

/* Row pointers of the renumbered rows, k's from source row order[k]'s length, streamed out. */
static gs_status put_rowptr(out_rows *o, gs_store_section s, const int64_t *order, int64_t n,
                            const int64_t *rowptr, gs_error *err) {
  gs_status st = GS_OK;
  GS_TRY(section_begin(o->f, o->h, s, err));
  o->s = s;
  int64_t at = 0;
  for (int64_t k = 0; k <= n; k++) {
    unsigned char *room = rows_room(o, sizeof at, &st, err);
    if (st != GS_OK) goto fail;
    memcpy(room, &at, sizeof at);
    o->used += sizeof at;
    if (k < n) at += rowptr[order[k] + 1] - rowptr[order[k]];
  }
  GS_TRY(rows_flush(o, err));
fail:
  return st;
}

int64_t gs_store_write_ordered_stream_bytes(const gs_store_info *info, int32_t parts) {
  const int64_t n = info->graph.nodes;
  int64_t split = info->num_train;
  if (info->num_valid > split) split = info->num_valid;
  if (info->num_test > split) split = info->num_test;
  const bool sparse = info->feature_kind == GS_FEATURES_SPARSE;
  /* order, newid, part starts, adjacency row pointers (and the features' when sparse), the
   * scratch row at the largest degree, the window and the output buffer; then one split list
   * at a time, or the column counts */
  uint64_t sections[GS_STORE_SECTIONS];
  for (int s = 0; s < GS_STORE_SECTIONS; s++) sections[s] = (uint64_t)info->section_bytes[s];
  int64_t bytes = 16 * n + 8 * ((int64_t)parts + 1) + 8 * (n + 1) + (sparse ? 8 * (n + 1) : 0) +
                  4 * (info->graph.max_degree > 0 ? info->graph.max_degree : 1) +
                  2 * (int64_t)ordered_io_bytes(sections) + (int64_t)sizeof(gs_store_file);
  const int64_t colnnz = 8 * info->file_features;
  return bytes + 8 * (split > colnnz / 8 ? split : colnnz / 8);
}

gs_status gs_store_write_ordered_stream(const char *path, const char *src_path, const int32_t *part,
                                        int32_t parts, int64_t seed, uint64_t graph_key,
                                        gs_error *err) {
  gs_status st = GS_OK;
  gs_store_file *src = NULL;
  gs_atomic_file file;
  memset(&file, 0, sizeof file);
  disk_header *h = NULL;
  int64_t *order = NULL, *newid = NULL, *start = NULL, *rowptr = NULL, *frow = NULL, *list = NULL;
  unsigned char *wbuf = NULL, *obuf = NULL;
  uint32_t *scratch = NULL;
  out_file f = {.fd = -1, .path = path, .pos = HEADER_BYTES};
  if (!path || !src_path || !part || parts < 1)
    return gs_error_set(err, GS_ERR_INVALID, "gs_store_write_ordered_stream: bad argument");
  GS_TRY(gs_store_file_open(&src, src_path, err));
  const disk_header *sh = &src->h;
  const int64_t n = sh->nodes, f_cols = sh->file_features;
  h = calloc(1, HEADER_BYTES);
  order = gs_mem_alloc((size_t)n * sizeof *order, "store-io");
  newid = gs_mem_alloc((size_t)n * sizeof *newid, "store-io");
  start = gs_mem_calloc((size_t)parts + 1, sizeof *start, "store-io");
  if (!h || !order || !newid || !start) goto nomem;
  for (int64_t i = 0; i < n; i++)
    if (part[i] < 0 || part[i] >= parts) {
      st = gs_error_set(err, GS_ERR_RANGE, "node %lld is in part %d, outside [0, %d)",
                        (long long)i, part[i], parts);
      goto fail;
    }
  /* Counting sort by part, stable: order[k] = old id of new node k (as gs_store_write_ordered). */
  for (int64_t i = 0; i < n; i++) start[part[i] + 1]++;
  for (int32_t p = 0; p < parts; p++) start[p + 1] += start[p];
  for (int32_t p = 0; p < parts; p++) newid[p] = start[p];
  for (int64_t i = 0; i < n; i++) order[newid[part[i]]++] = i;
  for (int64_t k = 0; k < n; k++) newid[order[k]] = k;
  GS_TRY(read_section((void **)&rowptr, src->fd, sh, GS_STORE_ADJ_ROWPTR, "store-io", src_path, err));
  int64_t max_row = 1;
  for (int64_t i = 0; i < n; i++) {
    if (rowptr[i + 1] < rowptr[i] || rowptr[i + 1] > sh->symmetric_entries) {
      st = gs_error_set(err, GS_ERR_MISMATCH, "%s: adjacency row pointers out of order at %lld",
                        src_path, (long long)i);
      goto fail;
    }
    if (rowptr[i + 1] - rowptr[i] > max_row) max_row = rowptr[i + 1] - rowptr[i];
  }
  const bool sparse = sh->feature_kind == GS_FEATURES_SPARSE;
  if (sparse)
    GS_TRY(read_section((void **)&frow, src->fd, sh, GS_STORE_FEAT_ROWPTR, "store-io", src_path, err));
  uint64_t sections[GS_STORE_SECTIONS];
  for (int s = 0; s < GS_STORE_SECTIONS; s++) sections[s] = sh->section[s].bytes;
  const size_t io = ordered_io_bytes(sections);
  scratch = gs_mem_alloc((size_t)max_row * sizeof *scratch, "store-io");
  wbuf = gs_mem_alloc(io, "store-io");
  obuf = gs_mem_alloc(io, "store-io");
  if (!scratch || !wbuf || !obuf) goto nomem;
  /* Every source section's bytes checked against its CRC before any is used. */
  for (int s = 0; s < GS_STORE_SECTIONS; s++)
    GS_TRY(gs_store_file_check(src, (gs_store_section)s, wbuf, io, err));
  GS_TRY(gs_atomic_open(&file, path, err));
  f.fd = fileno(file.f);
  memcpy(h, sh, sizeof *sh); /* counts, statistics, name and split as the source says */
  memset(h->section, 0, sizeof h->section);
  h->source_fingerprint = graph_key;
  h->parts = parts;
  h->partition_seed = seed;
  out_rows o = {.f = &f, .h = h, .buf = obuf, .used = 0, .cap = io};
  GS_TRY(put_rowptr(&o, GS_STORE_ADJ_ROWPTR, order, n, rowptr, err));
  GS_TRY(copy_rows(&o, GS_STORE_ADJ_COL, src, order, n, parts, rowptr, 0, 4, newid, wbuf, scratch,
                   err));
  if (sh->feature_kind == GS_FEATURES_DENSE)
    GS_TRY(copy_rows(&o, GS_STORE_FEAT_DENSE, src, order, n, parts, NULL, f_cols, 4, NULL, wbuf,
                     NULL, err));
  else
    GS_TRY(put_array(&f, h, GS_STORE_FEAT_DENSE, NULL, 0, err));
  if (sparse) {
    GS_TRY(put_rowptr(&o, GS_STORE_FEAT_ROWPTR, order, n, frow, err));
    GS_TRY(copy_rows(&o, GS_STORE_FEAT_COL, src, order, n, parts, frow, 0, 8, NULL, wbuf, NULL, err));
    GS_TRY(copy_rows(&o, GS_STORE_FEAT_VAL, src, order, n, parts, frow, 0, 4, NULL, wbuf, NULL, err));
  } else {
    for (int s = GS_STORE_FEAT_ROWPTR; s <= GS_STORE_FEAT_VAL; s++)
      GS_TRY(put_array(&f, h, (gs_store_section)s, NULL, 0, err));
  }
  if (sh->num_classes > 0)
    GS_TRY(copy_rows(&o, GS_STORE_LABELS, src, order, n, parts, NULL, 1, 4, NULL, wbuf, NULL, err));
  else
    GS_TRY(put_array(&f, h, GS_STORE_LABELS, NULL, 0, err));
  gs_mem_free(scratch); /* the split lists, one at a time, in its place */
  scratch = NULL;
  gs_mem_free(frow);
  frow = NULL;
  for (int s = GS_STORE_TRAIN; s <= GS_STORE_TEST; s++) {
    GS_TRY(read_section((void **)&list, src->fd, sh, (gs_store_section)s, "store-io", src_path, err));
    const int64_t count = (int64_t)(sh->section[s].bytes / 8);
    for (int64_t k = 0; k < count; k++) {
      if (list[k] < 0 || list[k] >= n) {
        st = gs_error_set(err, GS_ERR_RANGE, "%s: %s: entry %lld out of range", src_path,
                          section_names[s], (long long)k);
        goto fail;
      }
      list[k] = newid[list[k]];
    }
    if (count) qsort(list, (size_t)count, sizeof *list, gs_compare_int64);
    GS_TRY(put_array(&f, h, (gs_store_section)s, list, (size_t)count * 8, err));
    gs_mem_free(list);
    list = NULL;
  }
  GS_TRY(read_section((void **)&list, src->fd, sh, GS_STORE_COLUMN_NNZ, "store-io", src_path, err));
  GS_TRY(put_array(&f, h, GS_STORE_COLUMN_NNZ, list, (size_t)sh->section[GS_STORE_COLUMN_NNZ].bytes,
                   err));
  gs_mem_free(list);
  list = NULL;
  /* A renumbered store of a renumbered store keeps ids of the text. */
  if (sh->section[GS_STORE_ORIGINAL_ID].bytes) {
    window w = {.src = src, .s = GS_STORE_ORIGINAL_ID, .buf = wbuf,
                .cap = window_cap((uint64_t)n * 8, n, parts, io), .lo = 0, .hi = 0};
    for (int64_t k = 0; k < n; k++) GS_TRY(window_get(&w, (uint64_t)order[k] * 8, 8, &newid[k], err));
  } else {
    memcpy(newid, order, (size_t)n * sizeof *newid);
  }
  GS_TRY(put_array(&f, h, GS_STORE_ORIGINAL_ID, newid, (size_t)n * 8, err));
  GS_TRY(put_array(&f, h, GS_STORE_PART_START, start, (size_t)(parts + 1) * 8, err));
  h->file_bytes = f.pos;
  h->header_crc = header_crc(h);
  f.pos = 0;
  GS_TRY(write_all(&f, h, HEADER_BYTES, err));
  goto done;
nomem:
  st = gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory renumbering %lld nodes", path,
                    (long long)(src ? src->h.nodes : 0));
done:
fail:
  if (file.f) st = gs_atomic_close(&file, st, err);
  free(h);
  gs_mem_free(order);
  gs_mem_free(newid);
  gs_mem_free(start);
  gs_mem_free(rowptr);
  gs_mem_free(frow);
  gs_mem_free(list);
  gs_mem_free(wbuf);
  gs_mem_free(obuf);
  gs_mem_free(scratch);
  gs_store_file_close(&src);
  return st;
}

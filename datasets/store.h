/* The binary graph store: one file beside a dataset's text (DIR/gnnscale.store) holding what
 * loading and planning need, so that a large graph is read, not parsed: the CSR of the
 * symmetrised graph without self loops, the features as the loader held them, labels, the
 * split, every count and degree statistic, and each column's non-zero count. Versioned and
 * checksummed (CRC-32 of the header and of every section), written through a temporary file
 * and rename(2); a corrupt, truncated, stale or old-version store is never trusted. */
#ifndef GS_STORE_H
#define GS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "sparse/graph.h"
#include "sparse/partition.h"

/* The store's file name inside a dataset folder, and the format it writes. A file of another
 * version is refused (and rebuilt where the text is at hand). */
#define GS_STORE_FILE "gnnscale.store"
#define GS_STORE_VERSION 1

/* The sections of a store, in file order; a section absent from a store has 0 bytes. */
typedef enum {
  GS_STORE_ADJ_ROWPTR = 0, /* int64 [n + 1] */
  GS_STORE_ADJ_COL,        /* uint32 [symmetric_entries], ascending per row, no self loops */
  GS_STORE_FEAT_DENSE,     /* float [n * f] row-major, when feature_kind is dense */
  GS_STORE_FEAT_ROWPTR,    /* int64 [n + 1], when sparse */
  GS_STORE_FEAT_COL,       /* int64 [feature_nnz] */
  GS_STORE_FEAT_VAL,       /* float [feature_nnz] */
  GS_STORE_LABELS,         /* int32 [n], -1 = unlabelled */
  GS_STORE_TRAIN,          /* int64 [num_train] ascending */
  GS_STORE_VALID,          /* int64 [num_valid] */
  GS_STORE_TEST,           /* int64 [num_test] */
  GS_STORE_COLUMN_NNZ,     /* int64 [f]: non-zeros of each feature column */
  GS_STORE_ORIGINAL_ID,    /* int64 [n]: a renumbered store's node i is the text's node id[i] */
  GS_STORE_PART_START,     /* int64 [parts + 1]: a partition-ordered store's part boundaries */
  GS_STORE_SECTIONS
} gs_store_section;

/* What the header says: every count and statistic, readable without the data. */
typedef struct {
  int32_t version;
  char name[256];
  char split_name[128];
  uint64_t source_fingerprint; /* of the text files it was built from; 0 = written directly */
  gs_graph_stats graph;        /* as gs_graph_new found them in the edge lines */
  int64_t file_features;
  gs_feature_kind feature_kind;
  int64_t feature_nnz;
  int32_t num_classes;
  int64_t num_train, num_valid, num_test;
  int32_t parts;               /* > 0 for a partition-ordered store */
  int64_t partition_seed;
  int64_t file_bytes;
  int64_t section_bytes[GS_STORE_SECTIONS];
  uint32_t section_crc[GS_STORE_SECTIONS];
  uint64_t graph_key;          /* the adjacency's two CRCs: what a partition was computed on */
} gs_store_info;

/* Writes ds (all file columns, kept_columns NULL) and the pattern of g (the graph built from
 * ds's edge lines or adjacency, any normalisation; g may be NULL when ds holds the adjacency,
 * loaded from a store, whose statistics are then ds->store_stats) to path through a temporary file in the
 * same folder and rename(2). fingerprint records the text it came from (gs_store_fingerprint;
 * 0 for none). original_id [n] and part_start [parts + 1] are written when not NULL (a
 * renumbered store), with the seed. Streams the adjacency in chunks: transient memory is
 * 1 MiB. Errors: GS_ERR_INVALID (no graph, column subset, graph and dataset disagree, more
 * than 2^32 nodes), GS_ERR_IO naming the file. */
gs_status gs_store_write(const char *path, const gs_dataset *ds, const gs_graph *g,
                         uint64_t fingerprint, const int64_t *original_id,
                         const int64_t *part_start, int32_t parts, int64_t partition_seed,
                         gs_error *err);

/* Reads and checks the header of the store at path alone (a few KiB, whatever the graph's
 * size): magic, version, the header's CRC, the counts against the section sizes and the file
 * size against the length on disk (truncation). Errors: GS_ERR_IO (missing or unreadable),
 * GS_ERR_PARSE ("not a gnnscale store", "version 0, this program reads version 1", "header
 * checksum mismatch", "truncated: N bytes of M"), GS_ERR_MISMATCH (sections disagree with
 * the counts). */
gs_status gs_store_read_info(gs_store_info *out, const char *path, gs_error *err);

/* Loads the whole store at path into a new dataset: each section read (pread, no parsing) into
 * a buffer of the counting allocator and its CRC checked. The dataset holds the adjacency
 * (adj_rowptr, adj_col) instead of edge lines (src and dst NULL, num_edge_lines 0) and
 * carries the edge-line statistics of the text (store_stats); build its graph with
 * gs_dataset_graph_new. Errors: those of gs_store_read_info, GS_ERR_PARSE for a section whose
 * checksum fails ("section labels: checksum mismatch"), GS_ERR_RANGE for out-of-range ids or
 * labels, GS_ERR_NOMEM. */
gs_status gs_store_load(gs_dataset **out, const char *path, gs_error *err);

/* Bytes gs_store_load holds in the counting allocator for the store described by info: the
 * dataset object and every section but the column counts (4 bytes for an empty adjacency). */
int64_t gs_store_load_bytes(const gs_store_info *info);

/* A 64-bit fingerprint of the text files of the dataset folder dir (names, sizes and
 * modification times of META.txt, raw/ and the split folder `split`, NULL for the loader's
 * default), so that a store built from other text is recognised as stale. */
uint64_t gs_store_fingerprint(const char *dir, const char *split);

/* What gs_store_open did. */
typedef enum {
  GS_STORE_LOADED = 0,    /* a valid, fresh store was loaded */
  GS_STORE_BUILT = 1,     /* none was there: the text was loaded and the store written */
  GS_STORE_REBUILT = 2,   /* the store was stale, corrupt or of another version: rebuilt */
  GS_STORE_TEXT_ONLY = 3  /* the text was loaded and the store could not be written */
} gs_store_outcome;

/* Makes sure the dataset folder dir has a store built from its text as it is now (same
 * fingerprint, and the split `split`, NULL for the loader's default), building or rebuilding
 * it from the text when it is missing, stale, damaged or of another version (force: always),
 * and gives its path. A folder without text but with a valid store (`generate --format
 * store`) is taken as it is; a damaged one without text is refused (its error, "... and no
 * text in DIR to build it from"). *outcome says what happened, note (may be NULL) why, in a
 * sentence. When the store cannot be written (GS_ERR_IO: read-only folder, full disk) the
 * outcome is GS_STORE_TEXT_ONLY, path is "" and the status GS_OK. Building holds the text
 * dataset and its graph (as gs_dataset_load and gs_graph_new) for the duration. */
gs_status gs_store_ensure(char *path, size_t path_cap, const char *dir, const char *split,
                          bool force, gs_store_outcome *outcome, char *note, size_t note_cap,
                          gs_error *err);

/* Reads one section of the store at path (header checked, section CRC checked) into a new
 * counting-allocator buffer under tag (*out NULL for an empty section); *bytes (may be NULL)
 * gets its size. Errors: those of gs_store_read_info and gs_store_load. */
gs_status gs_store_read_section(void **out, int64_t *bytes, const char *path,
                                gs_store_section section, const char *tag, gs_error *err);

/* Opens the dataset folder dir through its store (gs_store_ensure, then gs_store_load; from
 * the text when the store could not be written): loads dir/gnnscale.store when it is valid and
 * was built from the text as it is now (same fingerprint and split), else loads the text
 * (gs_dataset_load with split), builds the graph to find the adjacency and writes the store
 * before returning the dataset loaded from it. *outcome and note (a sentence for people, may
 * be NULL) say which happened and why (e.g. "gnnscale.store: header checksum mismatch;
 * rebuilt from the text"). A folder without text but with a store (written by `generate
 * --format store`) loads the store or fails with its error. With force the store is rebuilt
 * whatever its state. */
gs_status gs_store_open(gs_dataset **out, const char *dir, const char *split, bool force,
                        gs_store_outcome *outcome, char *note, size_t note_cap, gs_error *err);

/* Where the partition of dir into `parts` parts with `seed` is kept: "dir/gnnscale-P<parts>-
 * s<seed>.parts" (the assignment), or with ordered "dir/gnnscale-P<parts>-s<seed>.store" (the
 * partition-ordered store). */
gs_status gs_store_parts_path(char *out, size_t cap, const char *dir, int32_t parts, int64_t seed,
                              bool ordered, gs_error *err);

/* Writes a partition (part [r->nodes], r as gs_partition_kway reported it) computed with seed
 * on the graph whose store has graph_key (gs_store_info.graph_key) to path, atomically, with a
 * CRC of header and data. GS_ERR_IO naming the file. */
gs_status gs_store_parts_write(const char *path, const int32_t *part,
                               const gs_partition_report *r, int64_t seed, uint64_t graph_key,
                               gs_error *err);

/* Reads the partition at path into *part (gs_mem_alloc'd [nodes]) and its report, refusing one
 * made for other parts or seed or on another graph (GS_ERR_MISMATCH, "computed on another
 * graph"), a missing file (GS_ERR_NOT_FOUND), a corrupt or truncated one (GS_ERR_PARSE) and
 * part ids out of range (GS_ERR_RANGE). */
gs_status gs_store_parts_read(int32_t **part, gs_partition_report *r, const char *path,
                              int64_t nodes, int32_t parts, int64_t seed, uint64_t graph_key,
                              gs_error *err);

/* Writes the partition-ordered store of ds (loaded from a store: adjacency form) to path: nodes
 * renumbered by part (stable, so by old id within a part) so that each part's adjacency rows,
 * features and labels are contiguous; splits mapped and sorted; the sections ORIGINAL_ID (the
 * text's node ids) and PART_START written. Holds a second copy of the dataset while writing.
 * Errors: GS_ERR_INVALID (not a store-loaded dataset), GS_ERR_NOMEM, GS_ERR_IO. */
gs_status gs_store_write_ordered(const char *path, const gs_dataset *ds, const int32_t *part,
                                 int32_t parts, int64_t seed, uint64_t graph_key, gs_error *err);

/* The same partition-ordered store written from the store at src_path without loading it:
 * sections streamed in the new order (each row read with pread through a small window, each
 * section's CRC checked first), so that only the renumbering (16 bytes per node), the row
 * pointers (8 per node, twice with sparse features), one split list and a few MiB of buffers
 * are held: gs_store_write_ordered_stream_bytes. Byte for byte the file gs_store_write_ordered
 * writes from the loaded store. Errors: those of gs_store_file_open, GS_ERR_RANGE (a part id
 * outside [0, parts), split entries), GS_ERR_PARSE (a section's checksum), GS_ERR_NOMEM,
 * GS_ERR_IO. */
gs_status gs_store_write_ordered_stream(const char *path, const char *src_path, const int32_t *part,
                                        int32_t parts, int64_t seed, uint64_t graph_key,
                                        gs_error *err);

/* Counting-allocator bytes gs_store_write_ordered_stream holds at most for the store info
 * describes: an upper bound (the largest degree from the header's statistics). */
int64_t gs_store_write_ordered_stream_bytes(const gs_store_info *info, int32_t parts);

/* A store opened for reading its sections in pieces (the header checked; sections not), for
 * work that streams a graph too large to load. */
typedef struct gs_store_file gs_store_file;

gs_status gs_store_file_open(gs_store_file **out, const char *path, gs_error *err);
void gs_store_file_close(gs_store_file **f);
const gs_store_info *gs_store_file_info(const gs_store_file *f);
const char *gs_store_file_path(const gs_store_file *f);
/* Counting-allocator bytes an open gs_store_file holds. */
int64_t gs_store_file_bytes(void);

/* Reads bytes [offset, offset + bytes) of section s into dst. Errors: GS_ERR_RANGE outside
 * the section, GS_ERR_IO, GS_ERR_PARSE (the file ends early). */
gs_status gs_store_file_read(const gs_store_file *f, gs_store_section s, uint64_t offset,
                             void *dst, size_t bytes, gs_error *err);

/* Streams section s through buf (cap bytes) and checks its CRC: GS_ERR_PARSE when it fails. */
gs_status gs_store_file_check(const gs_store_file *f, gs_store_section s, void *buf, size_t cap,
                              gs_error *err);

/* A partition-ordered store opened for reading part by part: Cluster-GCN's store-backed
 * batches read only their parts' rows, features and labels (each part a contiguous range of
 * every section) into the caller's bounded buffers, so that neither the graph nor its
 * features are ever resident whole. */
typedef struct gs_store_reader gs_store_reader;

/* Opens the partition-ordered store at path: the header checked as gs_store_read_info, then
 * every section streamed once through a 1 MiB buffer and checked against its CRC (a corrupt or
 * truncated store is refused here, before training starts), the split lists turned into a
 * node marker and the part boundaries read. Holds gs_store_reader_bytes (n + 24(P + 1) bytes
 * and the handle; gs_store_reader_open_peak_bytes while opening) and the open file. Errors:
 * those of gs_store_read_info, GS_ERR_INVALID (not partition-ordered), GS_ERR_PARSE (checksum
 * mismatch, truncated), GS_ERR_RANGE, GS_ERR_MISMATCH, GS_ERR_NOMEM. */
gs_status gs_store_reader_open(gs_store_reader **out, const char *path, gs_error *err);

void gs_store_reader_free(gs_store_reader **r);

/* Counting-allocator bytes a reader of the store described by info holds, and its peak while
 * opening. */
int64_t gs_store_reader_bytes(const gs_store_info *info);
int64_t gs_store_reader_open_peak_bytes(const gs_store_info *info);

const gs_store_info *gs_store_reader_info(const gs_store_reader *r);
/* [parts + 1] part boundaries (borrowed). */
const int64_t *gs_store_reader_part_start(const gs_store_reader *r);
/* [n] 1 + the split set of each node (1 train, 2 valid, 3 test), 0 for none (borrowed). */
const uint8_t *gs_store_reader_marker(const gs_store_reader *r);
/* Adjacency entries of part p's rows, and its feature entries (sparse features; else 0). */
int64_t gs_store_reader_part_entries(const gs_store_reader *r, int32_t p);
int64_t gs_store_reader_part_feature_nnz(const gs_store_reader *r, int32_t p);

/* Where gs_store_reader_read_part puts one part of len nodes: each pointer NULL to skip that
 * section. rowptr [len + 1] (as stored: global offsets), col [entries], dense [len * f],
 * feat_rowptr [len + 1] (as stored), feat_col and feat_val [feature entries], labels [len]. */
typedef struct {
  int64_t *rowptr;
  uint32_t *col;
  float *dense;
  int64_t *feat_rowptr;
  int64_t *feat_col;
  float *feat_val;
  int32_t *labels;
} gs_store_part;

/* Reads part p's ranges with pread into dst, checking what it reads (row pointers against the
 * part's boundaries and in order, neighbour ids below n, feature columns below f, labels in
 * [-1, C)): a store damaged after opening gives an error, never a wrong index. Allocates
 * nothing. Errors: GS_ERR_IO, GS_ERR_PARSE (file shorter), GS_ERR_MISMATCH, GS_ERR_RANGE. */
gs_status gs_store_reader_read_part(const gs_store_reader *r, int32_t p, const gs_store_part *dst,
                                    gs_error *err);

/* The path of the store of dataset folder dir ("dir/gnnscale.store"). */
gs_status gs_store_path(char *out, size_t cap, const char *dir, gs_error *err);

#endif

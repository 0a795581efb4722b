/* Fuzz targets for the readers of every file gnnscale takes from a user: the gzip-CSV dataset
 * layout (edges, labels, dense features, split, counts), sparse features, Matrix Market, SNAP,
 * the machine profile, search results and accuracies files. One source, built once per target
 * with GS_FUZZ_KIND set (fuzz/meson.build). The entry point is libFuzzer's; fuzz/driver.c runs
 * the same targets where clang's libFuzzer is absent.
 *
 * Each input is written to a scratch file (gzip-compressed or as given, chosen by its first
 * byte, so that both the gzip layer and the parsers behind it are reached) and read back. A
 * reader may fail, but must not crash (ASan/UBSan watch it) nor leave anything allocated. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/mem.h"
#include "core/tempfile.h"
#include "datasets/dataset.h"
#include "scaling/planner.h"
#include "scaling/profile.h"
#include "scaling/search.h"

enum { KIND_CSV, KIND_SPARSE, KIND_MTX, KIND_SNAP, KIND_PROFILE, KIND_SEARCH, KIND_ACCURACIES };

#ifndef GS_FUZZ_KIND
#error "GS_FUZZ_KIND must name the target (fuzz/meson.build)"
#endif

static char root[256];

static void write_bytes(const char *path, const uint8_t *data, size_t size, int gzip) {
  if (gzip) {
    gzFile g = gzopen(path, "wb1");
    if (!g) abort();
    if (size > 0 && gzwrite(g, data, (unsigned)size) != (int)size) abort();
    if (gzclose(g) != Z_OK) abort();
    return;
  }
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size > 0 && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
}

static void write_text(const char *rel, const char *text, int gzip) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  write_bytes(p, (const uint8_t *)text, strlen(text), gzip);
}

/* The valid 4-node dataset every CSV input is a variation of (one file replaced). */
static const char *const template_files[][2] = {
    {"raw/num-node-list.csv", "4\n"},       {"raw/num-edge-list.csv", "3\n"},
    {"raw/edge.csv.gz", "0,1\n1,2\n2,3\n"}, {"raw/node-label.csv.gz", "0\n1\n0\n2\n"},
    {"raw/node-feat.csv.gz", "1,0,0.5\n0,1,2\n1,1,0\n0,0,1e-3\n"},
    {"split/s/train.csv.gz", "0\n1\n"},     {"split/s/valid.csv.gz", "2\n"},
    {"split/s/test.csv.gz", "3\n"},
};
#define TEMPLATE_FILES (sizeof template_files / sizeof template_files[0])

static int ends_gz(const char *rel) { return strstr(rel, ".gz") != NULL; }

static void write_template(int sparse) {
  char p[512];
  snprintf(p, sizeof p, "%s/raw", root);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/split", root);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/split/s", root);
  mkdir(p, 0755);
  for (size_t i = 0; i < TEMPLATE_FILES; i++) {
    if (sparse && strstr(template_files[i][0], "node-feat")) continue;
    write_text(template_files[i][0], template_files[i][1], ends_gz(template_files[i][0]));
  }
  if (sparse) write_text("raw/node-feat-sparse.csv.gz", "0,0,1\n1,2,0.5\n3,1,2\n", 1);
}

static void setup(void) {
  if (root[0]) return;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(root, sizeof root, "%s/gs-fuzz-%d", base, (int)getpid());
  mkdir(root, 0755);
  gs_temp_register(root);
  atexit(gs_temp_remove_all);
  write_template(GS_FUZZ_KIND == KIND_SPARSE);
}

static void check_no_leak(void) {
  if (gs_mem_current() != 0) {
    fprintf(stderr, "fuzz: %lld bytes left allocated after a read\n",
            (long long)gs_mem_current());
    abort();
  }
}

static void load_dataset(void) {
  gs_dataset *ds = NULL;
  gs_error err;
  if (gs_dataset_load(&ds, root, NULL, &err) == GS_OK) gs_dataset_free(&ds);
  check_no_leak();
}

/* Reads path with this target's plain-text reader; failures are expected, crashes are not. */
static void read_text_file(const char *path, gs_error *err) {
  if (GS_FUZZ_KIND == KIND_PROFILE) {
    gs_profile prof;
    (void)gs_profile_load(&prof, path, err);
  } else if (GS_FUZZ_KIND == KIND_SEARCH) {
    gs_search_result r;
    (void)gs_search_result_load(&r, path, err);
  } else {
    gs_plan_known_list list;
    memset(&list, 0, sizeof list);
    (void)gs_plan_known_read(&list, path, err);
    gs_plan_known_release(&list);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  if (size < 1) return 0;
  /* The first byte's low bit: 0 = gzip-compress the input, 1 = write it as given. */
  const int gzip = !(data[0] & 1);
  char p[512];
  gs_error err;
  switch (GS_FUZZ_KIND) {
    case KIND_CSV: {
      /* The second byte picks the file the input replaces. */
      if (size < 2) return 0;
      const size_t which = data[1] % TEMPLATE_FILES;
      const char *rel = template_files[which][0];
      snprintf(p, sizeof p, "%s/%s", root, rel);
      write_bytes(p, data + 2, size - 2, ends_gz(rel) && gzip);
      load_dataset();
      write_text(rel, template_files[which][1], ends_gz(rel));
      break;
    }
    case KIND_SPARSE:
      snprintf(p, sizeof p, "%s/raw/node-feat-sparse.csv.gz", root);
      write_bytes(p, data + 1, size - 1, gzip);
      load_dataset();
      break;
    case KIND_MTX:
    case KIND_SNAP: {
      const char *name = GS_FUZZ_KIND == KIND_MTX ? (gzip ? "g.mtx.gz" : "g.mtx")
                                                  : (gzip ? "g.txt.gz" : "g.txt");
      snprintf(p, sizeof p, "%s/%s", root, name);
      write_bytes(p, data + 1, size - 1, gzip);
      gs_dataset *ds = NULL;
      if (gs_dataset_load_edgelist(&ds, p, &err) == GS_OK) gs_dataset_free(&ds);
      check_no_leak();
      unlink(p);
      break;
    }
    case KIND_PROFILE:
    case KIND_SEARCH:
    case KIND_ACCURACIES:
      /* Plain-text files, read by stdio: the input as given. */
      snprintf(p, sizeof p, "%s/input.txt", root);
      write_bytes(p, data, size, 0);
      read_text_file(p, &err);
      check_no_leak();
      break;
  }
  return 0;
}

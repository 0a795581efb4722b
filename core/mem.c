/* Counting allocator. Each block carries a 64-byte header holding its size and tag index,
 * because GraphBLAS frees without a size. Counters are C11 atomics: GraphBLAS allocates
 * from inside its own parallel regions. */
#include "core/mem.h"

#include "core/memlimit.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#define GS_MEM_MAX_TAGS 128
#define GS_MEM_MAGIC 0x6773616c6c6f6321ULL /* "gsalloc!" */

typedef struct {
  uint64_t magic;
  uint64_t bytes;
  uint64_t tag_index;
  uint64_t pad[5];
} block_header;

_Static_assert(sizeof(block_header) == GS_MEM_ALIGN, "header keeps payload aligned");

static _Atomic int64_t current_bytes;
static _Atomic int64_t peak_bytes;
static _Atomic int64_t fail_countdown = -1;

/* Tags are compared by content; the table only grows, under a spin lock (rare: once per tag). */
static const char *tag_names[GS_MEM_MAX_TAGS];
static _Atomic int64_t tag_bytes[GS_MEM_MAX_TAGS];
static _Atomic int tag_count;
static atomic_flag tag_lock = ATOMIC_FLAG_INIT;

static uint64_t tag_lookup(const char *tag) {
  if (!tag) tag = "untagged";
  int count = atomic_load(&tag_count);
  for (int i = 0; i < count; i++)
    if (tag_names[i] == tag || strcmp(tag_names[i], tag) == 0) return (uint64_t)i;
  while (atomic_flag_test_and_set(&tag_lock)) {
  }
  count = atomic_load(&tag_count);
  for (int i = 0; i < count; i++)
    if (strcmp(tag_names[i], tag) == 0) {
      atomic_flag_clear(&tag_lock);
      return (uint64_t)i;
    }
  uint64_t index = (uint64_t)(count < GS_MEM_MAX_TAGS ? count : GS_MEM_MAX_TAGS - 1);
  if (count < GS_MEM_MAX_TAGS) {
    tag_names[count] = tag;
    atomic_store(&tag_count, count + 1);
  }
  atomic_flag_clear(&tag_lock);
  return index;
}

static void count_add(int64_t bytes, uint64_t tag_index) {
  int64_t now = atomic_fetch_add(&current_bytes, bytes) + bytes;
  atomic_fetch_add(&tag_bytes[tag_index], bytes);
  int64_t peak = atomic_load(&peak_bytes);
  while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
  }
}

static int injected_failure(void) {
  int64_t left = atomic_load(&fail_countdown);
  while (left >= 0) {
    if (left == 0) return 1;
    if (atomic_compare_exchange_weak(&fail_countdown, &left, left - 1)) return 0;
  }
  return 0;
}

/* The last failed allocation, for the program's out-of-memory message. */
static _Atomic int64_t failed_bytes = -1;
static _Atomic uint64_t failed_tag;

static void *fail_alloc(size_t bytes, uint64_t tag_index) {
  atomic_store(&failed_bytes, bytes > (size_t)INT64_MAX ? INT64_MAX : (int64_t)bytes);
  atomic_store(&failed_tag, tag_index);
  return NULL;
}

/* A block this large must fit in what the process can still have (core/memlimit.h, swap
 * counted): with Linux's overcommit, malloc grants blocks that the kernel's OOM killer then
 * answers with SIGKILL once they are touched, so the size is refused here instead. The limits
 * are read per large block only (about 50 us, next to the milliseconds of touching it). */
#define GUARD_BYTES ((size_t)64 << 20)

static bool beyond_limits(size_t bytes) {
  if (bytes < GUARD_BYTES) return false;
  gs_memlimit m;
  gs_memlimit_query(&m);
  int64_t room = m.headroom;
  if (!strcmp(m.binding, "MemAvailable") && m.swap_free > 0) room += m.swap_free;
  return (int64_t)bytes > room;
}

static void *alloc_tagged(size_t bytes, uint64_t tag_index, int zero) {
  if (bytes > (size_t)INT64_MAX - 2 * GS_MEM_ALIGN) return fail_alloc(bytes, tag_index);
  if (injected_failure() || beyond_limits(bytes)) return fail_alloc(bytes, tag_index);
  size_t total = (bytes + sizeof(block_header) + GS_MEM_ALIGN - 1) / GS_MEM_ALIGN * GS_MEM_ALIGN;
  block_header *h = aligned_alloc(GS_MEM_ALIGN, total);
  if (!h) return fail_alloc(bytes, tag_index);
  h->magic = GS_MEM_MAGIC;
  h->bytes = bytes;
  h->tag_index = tag_index;
  void *p = h + 1;
  if (zero) memset(p, 0, bytes);
  count_add((int64_t)bytes, tag_index);
  return p;
}

void *gs_mem_alloc(size_t bytes, const char *tag) { return alloc_tagged(bytes, tag_lookup(tag), 0); }

void *gs_mem_calloc(size_t count, size_t size, const char *tag) {
  if (size != 0 && count > SIZE_MAX / size) return fail_alloc(SIZE_MAX, tag_lookup(tag));
  return alloc_tagged(count * size, tag_lookup(tag), 1);
}

static block_header *header_of(void *p) {
  block_header *h = (block_header *)p - 1;
  return h->magic == GS_MEM_MAGIC ? h : NULL;
}

void gs_mem_free(void *p) {
  if (!p) return;
  block_header *h = header_of(p);
  if (!h) abort(); /* not ours: a double free or a foreign pointer; memory is corrupt */
  int64_t bytes = (int64_t)h->bytes;
  atomic_fetch_sub(&current_bytes, bytes);
  atomic_fetch_sub(&tag_bytes[h->tag_index], bytes);
  h->magic = 0;
  free(h);
}

static void *realloc_tagged(void *p, size_t bytes, uint64_t tag_index) {
  if (!p) return alloc_tagged(bytes, tag_index, 0);
  block_header *h = header_of(p);
  if (!h) abort();
  void *q = alloc_tagged(bytes, h->tag_index, 0);
  if (!q) return NULL;
  memcpy(q, p, h->bytes < bytes ? h->bytes : bytes);
  gs_mem_free(p);
  return q;
}

void *gs_mem_realloc(void *p, size_t bytes, const char *tag) {
  return realloc_tagged(p, bytes, tag_lookup(tag));
}

int64_t gs_mem_current(void) { return atomic_load(&current_bytes); }
int64_t gs_mem_peak(void) { return atomic_load(&peak_bytes); }
void gs_mem_reset_peak(void) { atomic_store(&peak_bytes, atomic_load(&current_bytes)); }
void gs_mem_fail_after(int64_t n) { atomic_store(&fail_countdown, n); }

int64_t gs_mem_last_failure(const char **tag) {
  int64_t bytes = atomic_load(&failed_bytes);
  if (tag) *tag = bytes < 0 ? NULL : tag_names[atomic_load(&failed_tag)];
  return bytes;
}

int64_t gs_mem_current_tag(const char *tag) {
  int count = atomic_load(&tag_count);
  for (int i = 0; i < count; i++)
    if (strcmp(tag_names[i], tag) == 0) return atomic_load(&tag_bytes[i]);
  return 0;
}

/* GraphBLAS's blocks share one tag index, looked up once. */
static uint64_t graphblas_tag(void) {
  static _Atomic int64_t cached = -1;
  int64_t t = atomic_load(&cached);
  if (t < 0) {
    t = (int64_t)tag_lookup("graphblas");
    atomic_store(&cached, t);
  }
  return (uint64_t)t;
}

void *gs__mem_malloc_graphblas(size_t bytes) { return alloc_tagged(bytes, graphblas_tag(), 0); }
void *gs__mem_calloc_graphblas(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return NULL;
  return alloc_tagged(count * size, graphblas_tag(), 1);
}
void *gs__mem_realloc_graphblas(void *p, size_t bytes) {
  return realloc_tagged(p, bytes, graphblas_tag());
}
void gs__mem_free_graphblas(void *p) { gs_mem_free(p); }

/* The process's peak before the last reset of the kernel's. */
static _Atomic int64_t g_peak_rss_before_reset;

int64_t gs_mem_phase_peak_rss(void) {
  /* VmHWM, which clear_refs resets (getrusage's maximum may not follow it) */
  FILE *f = fopen("/proc/self/status", "r");
  long long kb = -1;
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) break;
    fclose(f);
  }
  if (kb >= 0) return (int64_t)kb * 1024;
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return (int64_t)usage.ru_maxrss * 1024; /* Linux reports kilobytes */
}

int64_t gs_mem_peak_rss(void) {
  const int64_t now = gs_mem_phase_peak_rss(), before = atomic_load(&g_peak_rss_before_reset);
  return now > before ? now : before;
}

bool gs_mem_reset_peak_rss(void) {
  const int64_t peak = gs_mem_peak_rss();
  if (peak > atomic_load(&g_peak_rss_before_reset)) atomic_store(&g_peak_rss_before_reset, peak);
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

int64_t gs_mem_current_rss(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long long size = 0, resident = 0;
  int n = fscanf(f, "%lld %lld", &size, &resident);
  fclose(f);
  if (n != 2) return -1;
  return (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
}

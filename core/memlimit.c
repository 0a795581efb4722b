/* Memory limits of this process: cgroup (v2, then v1), RLIMIT_AS and MemAvailable. Reads only
 * small text files with stdio, so it can be called from the counting allocator. */
/* MAP_ANONYMOUS and MAP_NORESERVE are outside POSIX. */
#define _DEFAULT_SOURCE
#include "core/memlimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* Reads the first integer of a file; -1 when missing or not a number ("max" in cgroup v2). */
static int64_t read_int_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long long v = -1;
  if (fscanf(f, "%lld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

/* The cgroup path of this process for a controller: "0::/path" (v2) when `controller` is
 * NULL, else the v1 line naming the controller. Empty when not found. */
static void cgroup_path(const char *controller, char *out, size_t cap) {
  out[0] = '\0';
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c1 = *c2 = '\0';
    const char *list = c1 + 1;
    bool match = controller ? strstr(list, controller) != NULL : list[0] == '\0';
    if (!match) continue;
    char *nl = strchr(c2 + 1, '\n');
    if (nl) *nl = '\0';
    snprintf(out, cap, "%s", c2 + 1);
    break;
  }
  fclose(f);
}

/* Reads limit and usage from the cgroup directory `base` + `path`, falling back to `base`
 * alone (a cgroup namespace shows the process's own group at the mount point). */
static bool cgroup_read(const char *base, const char *path, const char *limit_name,
                        const char *usage_name, int64_t *limit, int64_t *usage) {
  char p[1400];
  for (int pass = 0; pass < 2; pass++) {
    const char *sub = pass == 0 ? path : "";
    snprintf(p, sizeof p, "%s%s/%s", base, sub, limit_name);
    if (access(p, R_OK) != 0) continue;
    *limit = read_int_file(p);
    snprintf(p, sizeof p, "%s%s/%s", base, sub, usage_name);
    *usage = read_int_file(p);
    return true;
  }
  return false;
}

static void read_cgroup(gs_memlimit *m) {
  char path[1024];
  int64_t limit = -1, usage = -1;
  cgroup_path(NULL, path, sizeof path);
  bool found = path[0] && cgroup_read("/sys/fs/cgroup", path, "memory.max", "memory.current",
                                      &limit, &usage);
  if (!found) {
    cgroup_path("memory", path, sizeof path);
    found = cgroup_read("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes",
                        "memory.usage_in_bytes", &limit, &usage);
  }
  /* v1 reports "no limit" as a huge page-rounded number (2^63 - 4096). */
  if (!found || limit < 0 || limit >= (INT64_C(1) << 62)) return;
  m->cgroup_limit = limit;
  m->cgroup_usage = usage < 0 ? 0 : usage;
}

static void read_meminfo(gs_memlimit *m) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    long long kb = 0;
    if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) m->mem_available = (int64_t)kb * 1024;
    else if (sscanf(line, "SwapFree: %lld kB", &kb) == 1) m->swap_free = (int64_t)kb * 1024;
  }
  fclose(f);
}

static void read_statm(gs_memlimit *m) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return;
  long long size = 0, resident = 0;
  if (fscanf(f, "%lld %lld", &size, &resident) == 2) {
    int64_t page = (int64_t)sysconf(_SC_PAGESIZE);
    m->as_used = (int64_t)size * page;
    m->rss = (int64_t)resident * page;
  }
  fclose(f);
}

static void bound(gs_memlimit *m, int64_t room, const char *name) {
  if (room < 0) room = 0;
  if (room < m->headroom) {
    m->headroom = room;
    m->binding = name;
  }
}

void gs_memlimit_query(gs_memlimit *m) {
  m->cgroup_limit = m->cgroup_usage = m->as_limit = m->as_used = -1;
  m->mem_available = m->swap_free = m->rss = -1;
  m->headroom = INT64_MAX;
  m->binding = "no limit known";
  read_cgroup(m);
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    m->as_limit = (int64_t)rl.rlim_cur;
  read_meminfo(m);
  read_statm(m);
  if (m->cgroup_limit >= 0) bound(m, m->cgroup_limit - m->cgroup_usage, "cgroup memory limit");
  if (m->as_limit >= 0 && m->as_used >= 0)
    bound(m, m->as_limit - m->as_used, "address-space limit (ulimit -v)");
  if (m->mem_available >= 0) bound(m, m->mem_available, "MemAvailable");
}

const char *gs_memlimit_format(int64_t bytes, char *out, size_t cap) {
  double mib = (double)bytes / (1024.0 * 1024.0);
  if (mib >= 10240.0) snprintf(out, cap, "%.1f GiB", mib / 1024.0);
  else snprintf(out, cap, "%.1f MiB", mib);
  return out;
}

void gs_memlimit_describe(const gs_memlimit *m, char *out, size_t cap) {
  char a[32], b[32], c[32];
  if (m->headroom == INT64_MAX) {
    snprintf(out, cap, "this process has no memory limit that could be read");
    return;
  }
  gs_memlimit_format(m->headroom, a, sizeof a);
  if (!strcmp(m->binding, "cgroup memory limit"))
    snprintf(out, cap, "this process can have %s more (cgroup memory limit %s, %s in use)", a,
             gs_memlimit_format(m->cgroup_limit, b, sizeof b), gs_memlimit_format(m->cgroup_usage, c, sizeof c));
  else if (!strcmp(m->binding, "MemAvailable"))
    snprintf(out, cap, "this process can have %s more (MemAvailable of the machine)", a);
  else
    snprintf(out, cap, "this process can have %s more (address-space limit (ulimit -v) %s, %s "
             "mapped)", a, gs_memlimit_format(m->as_limit, b, sizeof b),
             gs_memlimit_format(m->as_used, c, sizeof c));
}

gs_status gs_memlimit_check(const gs_memlimit *m, int64_t bytes, const char *what,
                            gs_error *err) {
  if (bytes <= m->headroom) return GS_OK;
  char need[32], room[512];
  gs_memlimit_describe(m, room, sizeof room);
  return gs_error_set(err, GS_ERR_NOMEM, "%s needs %s more memory; %s", what,
                      gs_memlimit_format(bytes, need, sizeof need), room);
}

gs_status gs_memlimit_blas_reserve(int threads, gs_error *err) {
  if (threads < 1) threads = 1;
  /* A margin for the thread stacks and arenas that the same threads map on first use. */
  const int64_t per_thread = GS_BLAS_BUFFER_BYTES + (16 << 20);
  const int64_t bytes = per_thread * threads;
  void *p = mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p != MAP_FAILED) {
    munmap(p, (size_t)bytes);
    return GS_OK;
  }
  int e = errno;
  gs_memlimit m;
  gs_memlimit_query(&m);
  char need[32], room[512];
  gs_memlimit_describe(&m, room, sizeof room);
  return gs_error_set(err, GS_ERR_NOMEM,
                      "out of memory: OpenBLAS needs %s of address space for its work buffers "
                      "(%d thread%s) and mmap failed (%s); %s. Raise the limit (ulimit -v) or "
                      "use fewer threads (--threads)",
                      gs_memlimit_format(bytes, need, sizeof need), threads, threads > 1 ? "s" : "",
                      strerror(e), room);
}

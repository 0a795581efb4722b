/* How much more memory this process can have, from every limit Linux applies: the cgroup's
 * memory limit (v2 memory.max, or v1 memory.limit_in_bytes) less its usage, the address-space
 * limit (RLIMIT_AS, `ulimit -v`) less the address space already mapped, and the system's
 * MemAvailable. Used before large allocations (the preflight of train, search and sweep, and
 * the counting allocator's guard on single large blocks), so that a run that cannot fit is
 * refused with figures instead of being killed by the kernel or hanging in a library. */
#ifndef GS_MEMLIMIT_H
#define GS_MEMLIMIT_H

#include <stdint.h>

#include "core/status.h"

/* Every figure in bytes; -1 where the limit is absent or unreadable. */
typedef struct {
  int64_t cgroup_limit;  /* memory.max / memory.limit_in_bytes (-1: none) */
  int64_t cgroup_usage;  /* memory.current / memory.usage_in_bytes */
  int64_t as_limit;      /* RLIMIT_AS soft limit (-1: unlimited) */
  int64_t as_used;       /* VmSize of this process */
  int64_t mem_available; /* MemAvailable of /proc/meminfo */
  int64_t swap_free;     /* SwapFree of /proc/meminfo */
  int64_t rss;           /* resident bytes of this process now */
  /* The smallest of (cgroup_limit - cgroup_usage), (as_limit - as_used) and mem_available
   * over the limits that exist, never below 0; INT64_MAX when none could be read. */
  int64_t headroom;
  /* Which limit gives headroom: "cgroup memory limit", "address-space limit (ulimit -v)",
   * "MemAvailable" or "no limit known". Static storage. */
  const char *binding;
} gs_memlimit;

/* Reads the limits now (a few small /proc and /sys reads; about 50 us). Never fails: figures
 * it cannot read are -1 and do not bound the headroom. */
void gs_memlimit_query(gs_memlimit *out);

/* GS_OK when `bytes` more fit in lim->headroom, else GS_ERR_NOMEM with a message such as
 * "training depth 2 width 1048576 needs 20.1 GiB more memory; this process can have 8.0 GiB
 * more (address-space limit (ulimit -v): 9.8 GiB, 1.8 GiB mapped)". `what` names the work. */
gs_status gs_memlimit_check(const gs_memlimit *lim, int64_t bytes, const char *what,
                            gs_error *err);

/* Writes a one-line description of lim's binding limit into out (as in the message above,
 * from "this process can have"). */
void gs_memlimit_describe(const gs_memlimit *lim, char *out, size_t cap);

/* Formats bytes as "12.3 MiB", or in GiB from 10 GiB on, into out (cap >= 24); returns out. */
const char *gs_memlimit_format(int64_t bytes, char *out, size_t cap);

/* Makes sure OpenBLAS can get the work buffer it maps the first time each thread calls it
 * (OpenBLAS 0.3.21 maps about 128 MiB per calling thread and, when mmap fails, retries for
 * ever inside cblas_sgemm: a hang, not an error). Maps and unmaps a block of that size plus
 * a margin; on failure returns GS_ERR_NOMEM naming the address-space limit. `threads` is the
 * number of threads that will call BLAS for the first time. Called by gs_runtime_init before
 * it makes every OpenMP thread run one small product. */
gs_status gs_memlimit_blas_reserve(int threads, gs_error *err);

/* Bytes of the work buffer OpenBLAS maps per calling thread (BUFFER_SIZE plus a page). */
#define GS_BLAS_BUFFER_BYTES ((int64_t)(128 << 20) + 4096)

#endif

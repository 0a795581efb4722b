/* The counting allocator: every large buffer of gnnscale, and every allocation GraphBLAS
 * makes (routed here by gs_runtime_init through GxB_init), goes through these functions so
 * that the bytes in use and their high-water mark are known exactly. The cost model's peak
 * prediction is tested against gs_mem_peak(). */
#ifndef GS_MEM_H
#define GS_MEM_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Alignment of every block returned (a cache line, enough for AVX-512 loads). */
#define GS_MEM_ALIGN 64

/* Allocates `bytes` (64-byte aligned, uninitialised) and counts them under `tag`, a string
 * with static storage duration ("weights", "graph", ...). Returns NULL when out of memory,
 * when a block of 64 MiB or more exceeds what the process can still have (cgroup limit,
 * ulimit -v, MemAvailable plus free swap), or when a failure was injected
 * (gs_mem_fail_after). bytes == 0 returns a valid unique block. */
void *gs_mem_alloc(size_t bytes, const char *tag);

/* As gs_mem_alloc, zero-filled. Overflow of count * size returns NULL. */
void *gs_mem_calloc(size_t count, size_t size, const char *tag);

/* Resizes a block from gs_mem_alloc (NULL behaves as gs_mem_alloc); keeps its tag. */
void *gs_mem_realloc(void *p, size_t bytes, const char *tag);

/* Releases a block from gs_mem_alloc. NULL-safe. */
void gs_mem_free(void *p);

/* Releases *pp and sets it to NULL. */
#define GS_FREE(pp)          \
  do {                       \
    gs_mem_free(*(pp));      \
    *(pp) = NULL;            \
  } while (0)

/* Bytes currently allocated (payload only, headers excluded). */
int64_t gs_mem_current(void);

/* High-water mark of gs_mem_current() since start or the last gs_mem_reset_peak(). */
int64_t gs_mem_peak(void);

/* Sets the high-water mark to the current figure. */
void gs_mem_reset_peak(void);

/* Bytes currently allocated under `tag` (0 for an unknown tag). */
int64_t gs_mem_current_tag(const char *tag);

/* Testing aid: after `n` more successful allocations, every allocation fails until
 * gs_mem_fail_after(-1). Lets tests make allocation fail at every point in turn. */
void gs_mem_fail_after(int64_t n);

/* The size of the last allocation that failed (injected, refused because it exceeds what
 * the process can still have (core/memlimit.h: blocks of 64 MiB or more are checked), or
 * refused by the system), -1 when none has; *tag (if tag is not NULL) receives its tag. */
int64_t gs_mem_last_failure(const char **tag);

/* Entry points with the C library's signatures, for GraphBLAS's GxB_init. */
void *gs__mem_malloc_graphblas(size_t bytes);
void *gs__mem_calloc_graphblas(size_t count, size_t size);
void *gs__mem_realloc_graphblas(void *p, size_t bytes);
void gs__mem_free_graphblas(void *p);

/* Peak resident set size of this process in bytes (from getrusage, and the peaks before any
 * gs_mem_reset_peak_rss), for comparison. */
int64_t gs_mem_peak_rss(void);

/* Peak resident set size since the last gs_mem_reset_peak_rss (the whole run when none). */
int64_t gs_mem_phase_peak_rss(void);

/* Resets the kernel's peak resident set size of the process to its current size (writes 5 to
 * /proc/self/clear_refs, Linux >= 4.0), so that gs_mem_phase_peak_rss is a later phase's own;
 * gs_mem_peak_rss keeps the peak before it. False when the kernel does not allow it. */
bool gs_mem_reset_peak_rss(void);

/* Current resident set size of this process in bytes (from /proc/self/statm; -1 when it
 * cannot be read). */
int64_t gs_mem_current_rss(void);

#endif

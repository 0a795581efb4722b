/* Registry of temporary paths, removed by a signal handler. Slots are claimed and released
 * with atomics so that the handler never sees a half-written path; the removal uses only
 * unlink, rmdir, openat, getdents64 and close (async-signal-safe system calls). */
/* getdents64 and O_DIRECTORY/O_NOFOLLOW are outside POSIX. */
#define _DEFAULT_SOURCE
#include "core/tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_CAP 4096
#define TREE_DEPTH 3

enum { SLOT_FREE = 0, SLOT_BUSY = 1, SLOT_SET = 2 };

typedef struct {
  _Atomic int state;
  char path[PATH_CAP];
} slot;

static slot slots[GS_TEMP_SLOTS];

bool gs_temp_register(const char *path) {
  size_t n = strlen(path);
  if (n >= PATH_CAP) return false;
  for (int i = 0; i < GS_TEMP_SLOTS; i++) {
    int expect = SLOT_FREE;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_BUSY)) continue;
    memcpy(slots[i].path, path, n + 1);
    atomic_store(&slots[i].state, SLOT_SET);
    return true;
  }
  return false;
}

void gs_temp_forget(const char *path) {
  for (int i = 0; i < GS_TEMP_SLOTS; i++) {
    int expect = SLOT_SET;
    if (atomic_load(&slots[i].state) != SLOT_SET || strcmp(slots[i].path, path) != 0) continue;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_BUSY)) continue;
    slots[i].path[0] = '\0';
    atomic_store(&slots[i].state, SLOT_FREE);
    return;
  }
}

int gs_temp_mkstemp(char *templ) {
  int fd = mkstemp(templ);
  if (fd >= 0) gs_temp_register(templ);
  return fd;
}

/* The record getdents64 fills (linux_dirent64 of getdents(2)). */
struct dirent64_raw {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Removes path: a file, or a folder with its contents down to `depth` levels. Async-signal-
 * safe (no allocation, no stdio). */
static void remove_tree(const char *path, int depth) {
  if (unlink(path) == 0 || (errno != EISDIR && errno != EPERM)) return;
  if (depth > 0) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      char buf[4096], child[PATH_CAP];
      size_t plen = strlen(path);
      for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
          const struct dirent64_raw *d = (const struct dirent64_raw *)(buf + off);
          off += d->d_reclen;
          const char *name = d->d_name;
          if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
          size_t nlen = strlen(name);
          if (plen + 1 + nlen >= sizeof child) continue;
          memcpy(child, path, plen);
          child[plen] = '/';
          memcpy(child + plen + 1, name, nlen + 1);
          remove_tree(child, depth - 1);
        }
      }
      close(fd);
    }
  }
  rmdir(path);
}

void gs_temp_remove(const char *path) { remove_tree(path, TREE_DEPTH); }

void gs_temp_remove_all(void) {
  for (int i = 0; i < GS_TEMP_SLOTS; i++) {
    int expect = SLOT_SET;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_BUSY)) continue;
    remove_tree(slots[i].path, TREE_DEPTH);
    slots[i].path[0] = '\0';
    atomic_store(&slots[i].state, SLOT_FREE);
  }
}

static void on_signal(int sig) {
  int saved = errno;
  gs_temp_remove_all();
  errno = saved;
  /* SA_RESETHAND restored the default action: die of the same signal. */
  raise(sig);
}

void gs_temp_install_handlers(void) {
  static atomic_flag installed = ATOMIC_FLAG_INIT;
  if (atomic_flag_test_and_set(&installed)) return;
  const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old;
    /* A signal the parent made us ignore (nohup) stays ignored. */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
}

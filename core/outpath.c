/* Output path checks: probe files beside the target, "/" and non-empty folders refused. */
#define _DEFAULT_SOURCE
#include "core/outpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/tempfile.h"

/* The folder part of path ("." when it has none) into out. */
static void parent_of(const char *path, char *out, size_t cap) {
  snprintf(out, cap, "%s", path);
  size_t n = strlen(out);
  while (n > 1 && out[n - 1] == '/') out[--n] = '\0'; /* "dir/" names dir */
  char *slash = strrchr(out, '/');
  if (!slash) snprintf(out, cap, ".");
  else if (slash == out) out[1] = '\0';
  else *slash = '\0';
}

/* Creates and removes a probe file in folder dir: the one test that answers for read-only
 * mounts, permissions, ACLs and full inode tables alike. */
static gs_status probe_folder(const char *dir, const char *target, gs_error *err) {
  struct stat sb;
  if (stat(dir, &sb) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot write there: %s: %s", target, dir,
                        strerror(errno));
  if (!S_ISDIR(sb.st_mode))
    return gs_error_set(err, GS_ERR_IO, "%s: cannot write there: %s is not a folder", target,
                        dir);
  char probe[PATH_MAX + 32];
  snprintf(probe, sizeof probe, "%s/.gnnscale-probe.XXXXXX", dir);
  int fd = gs_temp_mkstemp(probe);
  if (fd < 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot write there: no file can be created in %s: "
                        "%s", target, dir, strerror(errno));
  close(fd);
  unlink(probe);
  gs_temp_forget(probe);
  return GS_OK;
}

/* The nearest existing ancestor folder of path (path's own folder when it exists). */
static void existing_ancestor(const char *path, char *out, size_t cap) {
  parent_of(path, out, cap);
  struct stat sb;
  while (stat(out, &sb) != 0 && strcmp(out, ".") != 0 && strcmp(out, "/") != 0) {
    char up[PATH_MAX + 32];
    parent_of(out, up, sizeof up);
    snprintf(out, cap, "%s", up);
  }
}

gs_status gs_outpath_check_file(const char *path, gs_error *err) {
  if (!path || !*path) return gs_error_set(err, GS_ERR_INVALID, "empty output path");
  if (strlen(path) >= PATH_MAX) return gs_error_set(err, GS_ERR_INVALID, "output path too long");
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
    return gs_error_set(err, GS_ERR_INVALID, "%s is a folder: give a file name (e.g. %s%sout.txt)",
                        path, path, path[strlen(path) - 1] == '/' ? "" : "/");
  if (path[strlen(path) - 1] == '/')
    return gs_error_set(err, GS_ERR_INVALID, "%s names a folder: give a file name", path);
  char dir[PATH_MAX + 32];
  existing_ancestor(path, dir, sizeof dir);
  return probe_folder(dir, path, err);
}

gs_status gs_outpath_swap_in(const char *built, const char *path, gs_error *err) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (rename(built, path) != 0)
      return gs_error_set(err, GS_ERR_IO, "%s: cannot rename %s into place: %s", path, built,
                          strerror(errno));
    return GS_OK;
  }
#ifdef SYS_renameat2
  /* RENAME_EXCHANGE (linux/fs.h): both names stay valid throughout. */
  if (syscall(SYS_renameat2, AT_FDCWD, built, AT_FDCWD, path, 2u) == 0) {
    gs_temp_remove(built);
    return GS_OK;
  }
#endif
  char aside[PATH_MAX + 32];
  snprintf(aside, sizeof aside, "%s.old.%ld", path, (long)getpid());
  if (rename(path, aside) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot move it aside to replace it: %s", path,
                        strerror(errno));
  if (rename(built, path) != 0) {
    int e = errno;
    (void)rename(aside, path);
    return gs_error_set(err, GS_ERR_IO, "%s: cannot rename %s into place: %s", path, built,
                        strerror(e));
  }
  gs_temp_remove(aside);
  return GS_OK;
}

bool gs_outpath_dir_nonempty(const char *path) {
  DIR *d = opendir(path);
  if (!d) return false;
  bool any = false;
  struct dirent *e;
  while (!any && (e = readdir(d)))
    any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return any;
}

gs_status gs_outpath_check_dir(const char *path, bool force, gs_error *err) {
  if (!path || !*path) return gs_error_set(err, GS_ERR_INVALID, "empty output folder");
  if (strlen(path) >= PATH_MAX) return gs_error_set(err, GS_ERR_INVALID, "output path too long");
  char real[PATH_MAX];
  if (realpath(path, real) && strcmp(real, "/") == 0)
    return gs_error_set(err, GS_ERR_INVALID, "%s is the root folder: give a new folder to write "
                        "the dataset into", path);
  struct stat sb;
  if (stat(path, &sb) == 0) {
    if (!S_ISDIR(sb.st_mode))
      return gs_error_set(err, GS_ERR_INVALID, "%s exists and is not a folder", path);
    if (gs_outpath_dir_nonempty(path) && !force)
      return gs_error_set(err, GS_ERR_INVALID, "%s is not empty: give a new or empty folder, or "
                          "--force to replace it whole", path);
  }
  char dir[PATH_MAX + 32];
  existing_ancestor(path, dir, sizeof dir);
  return probe_folder(dir, path, err);
}

/* Results files of sweeps: open with an exclusive lock, cut a partial last line, list the runs
 * done, append whole lines durably. */
#include "experiments/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiments/json.h"

static gs_status remember(gs_results *r, const char *run_id, gs_error *err) {
  char **grown = realloc(r->run_ids, (size_t)(r->nrun_ids + 1) * sizeof *grown);
  if (!grown) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  r->run_ids = grown;
  r->run_ids[r->nrun_ids] = strdup(run_id);
  if (!r->run_ids[r->nrun_ids]) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  r->nrun_ids++;
  return GS_OK;
}

gs_status gs_results_open(gs_results *r, const char *path, gs_error *err) {
  memset(r, 0, sizeof *r);
  r->fd = -1;
  snprintf(r->path, sizeof r->path, "%s", path);
  gs_status st = GS_OK;
  char *text = NULL;
  r->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (r->fd < 0) return gs_error_set(err, GS_ERR_IO, "%s: %s", path, strerror(errno));
  if (flock(r->fd, LOCK_EX | LOCK_NB) != 0) {
    st = gs_error_set(err, GS_ERR_IO, "%s: %s", path,
                      errno == EWOULDBLOCK ? "another sweep is writing this results file"
                                           : strerror(errno));
    goto fail;
  }
  struct stat sb;
  if (fstat(r->fd, &sb) != 0) {
    st = gs_error_set(err, GS_ERR_IO, "%s: %s", path, strerror(errno));
    goto fail;
  }
  size_t size = (size_t)sb.st_size;
  text = malloc(size + 1);
  if (!text) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(r->fd, text + got, size - got, (off_t)got);
    if (n <= 0) {
      st = gs_error_set(err, GS_ERR_IO, "%s: read error", path);
      goto fail;
    }
    got += (size_t)n;
  }
  text[size] = '\0';
  /* A line is written whole by one write(); without its newline it was cut short. */
  size_t whole = size;
  while (whole > 0 && text[whole - 1] != '\n') whole--;
  if (whole < size) {
    if (ftruncate(r->fd, (off_t)whole) != 0 || fsync(r->fd) != 0) {
      st = gs_error_set(err, GS_ERR_IO, "%s: cannot cut the partial last line: %s", path,
                        strerror(errno));
      goto fail;
    }
    r->dropped_bytes = (int64_t)(size - whole);
  }
  int64_t lineno = 0;
  for (size_t pos = 0; pos < whole;) {
    char *nl = memchr(text + pos, '\n', whole - pos);
    size_t len = (size_t)(nl - (text + pos));
    lineno++;
    gs_json v;
    gs_error e;
    const char *id = NULL;
    if (gs_json_parse(&v, text + pos, len, &e) == GS_OK) {
      id = gs_json_str(&v, "run_id");
      if (id && gs_json_get(&v, "config")) st = remember(r, id, err);
      else id = NULL;
      gs_json_free(&v);
      if (st != GS_OK) goto fail;
    }
    if (!id) {
      r->bad_lines++;
      if (!r->first_bad_line) r->first_bad_line = lineno;
    }
    pos += len + 1;
  }
  r->lines = lineno;
  free(text);
  return GS_OK;
fail:
  free(text);
  gs_results_close(r);
  return st;
}

bool gs_results_has(const gs_results *r, const char *run_id) {
  for (int64_t i = 0; i < r->nrun_ids; i++)
    if (!strcmp(r->run_ids[i], run_id)) return true;
  return false;
}

gs_status gs_results_append(gs_results *r, const char *run_id, const char *line, size_t len,
                            gs_error *err) {
  if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
    return gs_error_set(err, GS_ERR_INVALID, "%s: a result must be one line", r->path);
  struct stat sb;
  if (fstat(r->fd, &sb) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: %s", r->path, strerror(errno));
  ssize_t n = write(r->fd, line, len);
  if (n != (ssize_t)len) {
    int e = n < 0 ? errno : ENOSPC;
    /* Undo a partial line; if even that fails, the next open cuts it. */
    if (n > 0 && ftruncate(r->fd, sb.st_size) != 0) { /* nothing more to do */ }
    return gs_error_set(err, GS_ERR_IO, "%s: writing a result: %s", r->path, strerror(e));
  }
  if (fsync(r->fd) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: fsync: %s", r->path, strerror(errno));
  return remember(r, run_id, err);
}

void gs_results_close(gs_results *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd); /* closing releases the flock */
  r->fd = -1;
  for (int64_t i = 0; i < r->nrun_ids; i++) free(r->run_ids[i]);
  free(r->run_ids);
  r->run_ids = NULL;
  r->nrun_ids = 0;
}

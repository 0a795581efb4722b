/* Atomic writes, numbered line reading and mkdir -p (core/file.h). */
#include "core/file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tempfile.h"

gs_status gs_atomic_open(gs_atomic_file *a, const char *path, gs_error *err) {
  memset(a, 0, sizeof *a);
  a->path = path;
  int n = snprintf(a->tmp, sizeof a->tmp, "%s.tmp.XXXXXX", path);
  if (n < 0 || (size_t)n >= sizeof a->tmp)
    return gs_error_set(err, GS_ERR_IO, "%s: path too long", path);
  /* Registered, so that SIGINT or SIGTERM removes it (core/tempfile.h). */
  int fd = gs_temp_mkstemp(a->tmp);
  if (fd < 0)
    return gs_error_set(err, GS_ERR_IO, "%s: cannot create a temporary file: %s", path,
                        strerror(errno));
  /* mkstemp makes the file private (0600); what we write is meant to be shared. */
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(fd, 0666 & ~mask);
  a->f = fdopen(fd, "wb");
  if (!a->f) {
    int e = errno;
    close(fd);
    unlink(a->tmp);
    gs_temp_forget(a->tmp);
    return gs_error_set(err, GS_ERR_IO, "%s: cannot open a temporary file: %s", path,
                        strerror(e));
  }
  return GS_OK;
}

gs_status gs_atomic_close(gs_atomic_file *a, gs_status st, gs_error *err) {
  if (!a->f) return st;
  if (st == GS_OK && (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0))
    st = gs_error_set(err, GS_ERR_IO, "%s: write failed: %s", a->path, strerror(errno));
  if (fclose(a->f) != 0 && st == GS_OK)
    st = gs_error_set(err, GS_ERR_IO, "%s: write failed: %s", a->path, strerror(errno));
  a->f = NULL;
  if (st == GS_OK && rename(a->tmp, a->path) != 0)
    st = gs_error_set(err, GS_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                      a->path, strerror(errno));
  if (st != GS_OK) unlink(a->tmp);
  gs_temp_forget(a->tmp);
  return st;
}

gs_status gs_atomic_write(const char *path, const void *data, size_t len, gs_error *err) {
  gs_atomic_file a;
  gs_status st = gs_atomic_open(&a, path, err);
  if (st != GS_OK) return st;
  if (len > 0 && fwrite(data, 1, len, a.f) != len)
    st = gs_error_set(err, GS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
  return gs_atomic_close(&a, st, err);
}

gs_status gs_line_open(gs_line_reader *r, const char *path, char *buf, size_t cap,
                       gs_error *err) {
  memset(r, 0, sizeof *r);
  r->path = path;
  r->buf = buf;
  r->cap = cap;
  r->f = fopen(path, "r");
  if (!r->f)
    return gs_error_set(err, errno == ENOENT ? GS_ERR_NOT_FOUND : GS_ERR_IO,
                        "%s: cannot open: %s", path, strerror(errno));
  return GS_OK;
}

char *gs_trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t len = strlen(s);
  while (len > 0 &&
         (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
    s[--len] = '\0';
  return s;
}

gs_status gs_line_next(gs_line_reader *r, char **line, gs_error *err) {
  *line = NULL;
  while (fgets(r->buf, (int)r->cap, r->f)) {
    r->line++;
    if (!strchr(r->buf, '\n') && !feof(r->f))
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: line longer than %d characters", r->path,
                          r->line, (int)r->cap - 2);
    char *s = gs_trim(r->buf);
    if (*s == '\0' || *s == '#') continue;
    *line = s;
    return GS_OK;
  }
  if (ferror(r->f))
    return gs_error_set(err, GS_ERR_IO, "%s:%ld: read failed", r->path, r->line);
  return GS_OK;
}

gs_status gs_line_key_value(gs_line_reader *r, char *line, char **key, char **value,
                            gs_error *err) {
  char *eq = strchr(line, '=');
  if (!eq)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: expected \"key = value\", got \"%s\"",
                        r->path, r->line, line);
  *eq = '\0';
  *key = gs_trim(line);
  *value = gs_trim(eq + 1);
  return GS_OK;
}

void gs_line_close(gs_line_reader *r) {
  if (r && r->f) fclose(r->f);
  if (r) r->f = NULL;
}

/* mkdir of one folder; an existing folder is fine. */
static gs_status make_one(const char *dir, gs_error *err) {
  struct stat sb;
  if (mkdir(dir, 0755) == 0) return GS_OK;
  const int e = errno;
  if (e == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return GS_OK;
  return gs_error_set(err, GS_ERR_IO, "%s: cannot create folder: %s", dir,
                      e == EEXIST ? "a file of that name is in the way" : strerror(e));
}

gs_status gs_mkdir_p(const char *path, gs_error *err) {
  char buf[GS_FILE_PATH_MAX];
  const size_t len = strlen(path);
  if (len == 0) return GS_OK;
  if (len >= sizeof buf) return gs_error_set(err, GS_ERR_IO, "%s: path too long", path);
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i < len; i++)
    if (buf[i] == '/' && buf[i - 1] != '/') {
      buf[i] = '\0';
      gs_status st = make_one(buf, err);
      if (st != GS_OK) return st;
      buf[i] = '/';
    }
  return make_one(buf, err);
}

gs_status gs_mkdir_parent(const char *path, gs_error *err) {
  char buf[GS_FILE_PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return gs_error_set(err, GS_ERR_IO, "%s: path too long", path);
  char *slash = strrchr(buf, '/');
  if (!slash || slash == buf) return GS_OK;
  *slash = '\0';
  return gs_mkdir_p(buf, err);
}

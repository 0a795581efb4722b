/* Option parsing helpers for the gnnscale program. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void gs_args_init(gs_args *a, int argc, char **argv, int first) {
  memset(a, 0, sizeof *a);
  a->argc = argc;
  a->argv = argv;
  a->index = first;
}

void gs_args_fail(gs_args *a, const char *fmt, ...) {
  if (a->failed) return;
  a->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->error, sizeof a->error, fmt, ap);
  va_end(ap);
}

const char *gs_args_next(gs_args *a) {
  if (a->failed || a->index >= a->argc) return NULL;
  const char *arg = a->argv[a->index++];
  a->pending_value = NULL;
  const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
  if (eq) {
    size_t len = (size_t)(eq - arg);
    if (len >= sizeof a->name) len = sizeof a->name - 1;
    memcpy(a->name, arg, len);
    a->name[len] = '\0';
    a->pending_value = eq + 1;
  } else {
    snprintf(a->name, sizeof a->name, "%s", arg);
  }
  return a->name;
}

const char *gs_args_value(gs_args *a) {
  if (a->pending_value) {
    const char *v = a->pending_value;
    a->pending_value = NULL;
    return v;
  }
  if (a->index >= a->argc) {
    gs_args_fail(a, "option %s needs a value", a->name);
    return NULL;
  }
  return a->argv[a->index++];
}

bool gs_args_int(gs_args *a, int64_t lo, int64_t hi, int64_t *out) {
  const char *v = gs_args_value(a);
  if (!v) return false;
  char *end = NULL;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || end == v || *end != '\0') {
    gs_args_fail(a, "option %s: '%s' is not an integer", a->name, v);
    return false;
  }
  if (x < lo || x > hi) {
    gs_args_fail(a, "option %s: %lld is outside %lld..%lld", a->name, x, (long long)lo, (long long)hi);
    return false;
  }
  *out = x;
  return true;
}

bool gs_args_double(gs_args *a, double lo, double hi, double *out) {
  const char *v = gs_args_value(a);
  if (!v) return false;
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || end == v || *end != '\0' || !isfinite(x)) {
    gs_args_fail(a, "option %s: '%s' is not a number", a->name, v);
    return false;
  }
  if (x < lo || x > hi) {
    gs_args_fail(a, "option %s: %g is outside [%g, %g]", a->name, x, lo, hi);
    return false;
  }
  *out = x;
  return true;
}

bool gs_parse_bytes(const char *s, int64_t *out) {
  char *end = NULL;
  errno = 0;
  double x = strtod(s, &end);
  if (errno || end == s || !isfinite(x) || x < 0) return false;
  while (*end == ' ') end++;
  double mult = 1;
  char unit[8] = {0};
  size_t len = strlen(end);
  if (len >= sizeof unit) return false;
  for (size_t i = 0; i < len; i++) unit[i] = (char)tolower((unsigned char)end[i]);
  if (!*unit || !strcmp(unit, "b")) mult = 1;
  else if (!strcmp(unit, "k") || !strcmp(unit, "kib")) mult = 1024.0;
  else if (!strcmp(unit, "kb")) mult = 1e3;
  else if (!strcmp(unit, "m") || !strcmp(unit, "mib")) mult = 1024.0 * 1024;
  else if (!strcmp(unit, "mb")) mult = 1e6;
  else if (!strcmp(unit, "g") || !strcmp(unit, "gib")) mult = 1024.0 * 1024 * 1024;
  else if (!strcmp(unit, "gb")) mult = 1e9;
  else if (!strcmp(unit, "t") || !strcmp(unit, "tib")) mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!strcmp(unit, "tb")) mult = 1e12;
  else return false;
  double bytes = x * mult;
  if (bytes > 9e18) return false;
  *out = (int64_t)llround(bytes);
  return true;
}

bool gs_args_bytes(gs_args *a, int64_t *out) {
  const char *v = gs_args_value(a);
  if (!v) return false;
  if (!gs_parse_bytes(v, out)) {
    gs_args_fail(a, "option %s: '%s' is not a size (examples: 512MiB, 2GiB, 1.5GB)", a->name, v);
    return false;
  }
  return true;
}

bool gs_args_seconds(gs_args *a, double *out) {
  const char *v = gs_args_value(a);
  if (!v) return false;
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  double mult = 1.0;
  if (end && strcmp(end, "ms") == 0) mult = 1e-3;
  else if (end && (strcmp(end, "s") == 0 || *end == '\0')) mult = 1.0;
  else if (end && strcmp(end, "min") == 0) mult = 60.0;
  else end = NULL;
  if (errno || !end || end == v || !isfinite(x) || x <= 0) {
    gs_args_fail(a, "option %s: '%s' is not a duration (examples: 2s, 150ms)", a->name, v);
    return false;
  }
  *out = x * mult;
  return true;
}

const char *gs_format_bytes(int64_t bytes, char *buf, size_t size) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = 0;
  while (fabs(v) >= 1024.0 && u < 4) {
    v /= 1024.0;
    u++;
  }
  if (u == 0) snprintf(buf, size, "%lld B", (long long)bytes);
  else snprintf(buf, size, "%.1f %s", v, units[u]);
  return buf;
}

void gs_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

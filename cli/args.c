/* Value helpers of the gnnscale program: byte sizes, JSON strings. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/flops.h"

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

void gs_json_category_ms(const char *key, const double *seconds) {
  static const char *const names[GS_FLOPS_CATEGORIES] = {"aggregate", "dense", "sparse_input",
                                                         "elementwise"};
  printf("%s:{", key);
  for (int i = 0; i < GS_FLOPS_CATEGORIES; i++)
    printf("%s\"%s\":%.4f", i ? "," : "", names[i], 1e3 * seconds[i]);
  printf("}");
}

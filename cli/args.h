/* Small helpers for the gnnscale program's option parsing: every malformed value is reported
 * with the option's name, and parsing never exits from inside a helper. */
#ifndef GS_CLI_ARGS_H
#define GS_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Iterates argv: gs_args_next() returns the next option name ("--depth") or NULL at the end.
 * For "--name=value" the value is split off and served by gs_args_value(). */
typedef struct {
  int argc;
  char **argv;
  int index;
  const char *pending_value; /* from --name=value */
  char name[128];
  bool failed;
  char error[512];
} gs_args;

void gs_args_init(gs_args *a, int argc, char **argv, int first);
const char *gs_args_next(gs_args *a);
/* The option's value, or NULL with a recorded error when missing. */
const char *gs_args_value(gs_args *a);
/* Parse the value as the given type within [lo, hi]; record an error and return false if not. */
bool gs_args_int(gs_args *a, int64_t lo, int64_t hi, int64_t *out);
bool gs_args_double(gs_args *a, double lo, double hi, double *out);
/* Byte sizes like 512MiB, 2GiB, 1.5GB, 1000000. */
bool gs_args_bytes(gs_args *a, int64_t *out);
/* Durations like 2s, 150ms, 1.5. */
bool gs_args_seconds(gs_args *a, double *out);
/* Records an error "unknown option --x" (or a custom message). */
void gs_args_fail(gs_args *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Parses a byte size string; returns false if malformed. */
bool gs_parse_bytes(const char *s, int64_t *out);

/* Formats bytes as "12.3 MiB" into buf. */
const char *gs_format_bytes(int64_t bytes, char *buf, size_t size);

/* JSON string escaping into a stream. */
void gs_json_string(FILE *f, const char *s);

#endif

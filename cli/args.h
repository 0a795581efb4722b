/* Small value helpers of the gnnscale program: byte sizes in and out, JSON strings. The option
 * parser itself is cli/options.h. */
#ifndef GS_CLI_ARGS_H
#define GS_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Parses a byte size string; returns false if malformed. */
bool gs_parse_bytes(const char *s, int64_t *out);

/* Formats bytes as "12.3 MiB" into buf. */
const char *gs_format_bytes(int64_t bytes, char *buf, size_t size);

/* JSON string escaping into a stream. */
void gs_json_string(FILE *f, const char *s);

/* `key` (written as given, e.g. ",\"kernel_ms\"") then an object of milliseconds per kernel
 * category of core/flops.h from seconds[GS_FLOPS_CATEGORIES], on stdout:
 * {"aggregate":..,"dense":..,"sparse_input":..,"elementwise":..}. */
void gs_json_category_ms(const char *key, const double *seconds);

#endif

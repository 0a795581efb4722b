/* A small JSON reader for the results files of sweeps (one object per line) and the `--json`
 * output of `gnnscale train`: parses a whole text into a tree of values and looks members up
 * by name. RFC 8259 values; \u escapes outside ASCII are kept as UTF-8. */
#ifndef GS_JSON_H
#define GS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

typedef enum {
  GS_JSON_NULL = 0,
  GS_JSON_BOOL,
  GS_JSON_NUMBER,
  GS_JSON_STRING,
  GS_JSON_ARRAY,
  GS_JSON_OBJECT
} gs_json_kind;

typedef struct gs_json gs_json;

/* A value. Arrays and objects hold `count` children in `items`; an object's member names are
 * in `keys` (same order). Strings are NUL-terminated (an embedded \u0000 ends them early). */
struct gs_json {
  gs_json_kind kind;
  bool boolean;
  double number;
  char *string;
  int64_t count;
  gs_json *items;
  char **keys;
};

/* Parses text[0..len) as exactly one JSON value (surrounding white space allowed) into *out,
 * which the caller releases with gs_json_free. Errors: GS_ERR_PARSE with the byte offset and
 * what was expected, GS_ERR_NOMEM. Nesting is limited to 64 levels. Uses malloc (results files
 * are small; nothing here is a model buffer). */
gs_status gs_json_parse(gs_json *out, const char *text, size_t len, gs_error *err);

/* Frees what gs_json_parse allocated; leaves a JSON null. NULL-safe. */
void gs_json_free(gs_json *v);

/* The member `name` of an object, or NULL (also when v is not an object or is NULL). */
const gs_json *gs_json_get(const gs_json *v, const char *name);

/* Member lookups with a type: the number (or `fallback` when absent or not a number), the
 * string (or NULL). */
double gs_json_number(const gs_json *v, const char *name, double fallback);
const char *gs_json_str(const gs_json *v, const char *name);

/* Writes v as compact JSON to f (numbers with 17 significant digits, integers exactly). */
void gs_json_write(FILE *f, const gs_json *v);

/* Writes s as a JSON string (quoted, escaped) to f. */
void gs_json_write_string(FILE *f, const char *s);

#endif

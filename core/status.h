/* Status codes and error messages shared by every gnnscale module.
 * Every fallible function returns a gs_status (0 = success, negative = failure) and takes a
 * last `gs_error *err` that receives a message such as
 * "cora/raw/edge.csv.gz:117: expected 2 fields, got 3". The library never prints or exits. */
#ifndef GS_STATUS_H
#define GS_STATUS_H

#include <stddef.h>

/* One table generates the codes, their names and their default messages (as libuv does). */
#define GS_STATUS_MAP(X)                                                  \
  X(OK, 0, "success")                                                    \
  X(ERR_NOMEM, -1, "out of memory")                                      \
  X(ERR_IO, -2, "input/output error")                                    \
  X(ERR_PARSE, -3, "malformed input")                                    \
  X(ERR_INVALID, -4, "invalid argument")                                 \
  X(ERR_RANGE, -5, "value out of range")                                 \
  X(ERR_MISMATCH, -6, "counts or sizes disagree")                        \
  X(ERR_NUMERIC, -7, "non-finite number")                                \
  X(ERR_GRAPHBLAS, -8, "GraphBLAS call failed")                          \
  X(ERR_METIS, -9, "METIS call failed")                                  \
  X(ERR_BUDGET, -10, "no configuration fits the budget")                 \
  X(ERR_NOT_FOUND, -11, "not found")                                     \
  X(ERR_INTERNAL, -12, "internal error")

typedef enum {
#define GS_STATUS_ENUM(name, value, msg) GS_##name = value,
  GS_STATUS_MAP(GS_STATUS_ENUM)
#undef GS_STATUS_ENUM
} gs_status;

#define GS_ERROR_MSG_MAX 1024

/* Receives the detail of a failure. A caller may pass NULL when it does not want it. */
typedef struct {
  gs_status code;
  char msg[GS_ERROR_MSG_MAX];
} gs_error;

/* The symbolic name of a status ("GS_ERR_PARSE"), or "GS_UNKNOWN". */
const char *gs_status_name(gs_status status);

/* The default English message of a status. */
const char *gs_status_message(gs_status status);

/* Clears err (code GS_OK, empty message). NULL-safe. */
void gs_error_clear(gs_error *err);

/* Records code and a printf-style message in err (NULL-safe) and returns code, so that a
 * caller can write `return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: ...", ...)`. */
gs_status gs_error_set(gs_error *err, gs_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes the existing message of err with a printf-style context ("loading cora: "). */
void gs_error_prefix(gs_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif

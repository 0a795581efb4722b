/* Status names and messages, generated from GS_STATUS_MAP, and the error recorder. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gs_status_name(gs_status status) {
  switch (status) {
#define GS_STATUS_NAME(name, value, msg) \
  case GS_##name:                        \
    return "GS_" #name;
    GS_STATUS_MAP(GS_STATUS_NAME)
#undef GS_STATUS_NAME
  }
  return "GS_UNKNOWN";
}

const char *gs_status_message(gs_status status) {
  switch (status) {
#define GS_STATUS_MSG(name, value, msg) \
  case GS_##name:                       \
    return msg;
    GS_STATUS_MAP(GS_STATUS_MSG)
#undef GS_STATUS_MSG
  }
  return "unknown status";
}

void gs_error_clear(gs_error *err) {
  if (!err) return;
  err->code = GS_OK;
  err->msg[0] = '\0';
}

gs_status gs_error_set(gs_error *err, gs_status code, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

void gs_error_prefix(gs_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[GS_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Room for both parts, then cut to the message size. */
  char joined[2 * GS_ERROR_MSG_MAX];
  snprintf(joined, sizeof joined, "%s%s", prefix, err->msg);
  memcpy(err->msg, joined, GS_ERROR_MSG_MAX - 1);
  err->msg[GS_ERROR_MSG_MAX - 1] = '\0';
}

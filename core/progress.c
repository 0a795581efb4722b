/* Terminal progress line: carriage return redraws, cleared at the end. */
#include "core/progress.h"

#include <string.h>

#include "core/runtime.h"

void gs_progress_start(gs_progress *p, FILE *stream, const char *label, int64_t total, bool quiet) {
  memset(p, 0, sizeof *p);
  p->stream = stream;
  p->enabled = !quiet && stream && gs_is_terminal(stream);
  p->total = total;
  p->started = gs_clock_seconds();
  p->last_draw = 0.0;
  snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

void gs_progress_update(gs_progress *p, int64_t step, const char *detail) {
  if (!p->enabled) return;
  double now = gs_clock_seconds();
  if (now - p->last_draw < 0.1 && step != p->total) return;
  p->last_draw = now;
  if (p->total > 0)
    fprintf(p->stream, "\r\033[K%s %lld/%lld  %.1fs  %s", p->label, (long long)step,
            (long long)p->total, now - p->started, detail ? detail : "");
  else
    fprintf(p->stream, "\r\033[K%s %lld  %.1fs  %s", p->label, (long long)step, now - p->started,
            detail ? detail : "");
  fflush(p->stream);
}

void gs_progress_finish(gs_progress *p) {
  if (!p->enabled) return;
  fprintf(p->stream, "\r\033[K");
  fflush(p->stream);
}

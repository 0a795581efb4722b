/* Child processes for the runs of a sweep, their result lines, and the progress line. */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG, O_CLOEXEC */
#include "experiments/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/runtime.h"
#include "experiments/json.h"

#define MAX_ARGS 160
#define ARG_BYTES 16384
/* How much of a child's output is kept: train --json prints a few KiB per seed. */
#define MAX_OUTPUT (16 << 20)

typedef struct {
  pid_t pid;
  int64_t run;     /* index into the sweep's runs */
  int out_fd, err_fd; /* unlinked temporary files holding the child's stdout and stderr */
  double started;
} slot;

/* An unlinked temporary file (gone with the sweep whatever kills it). */
static int temp_file(gs_error *err) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/gnnscale-sweep-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    gs_error_set(err, GS_ERR_IO, "%s: %s", path, strerror(errno));
    return -1;
  }
  unlink(path);
  return fd;
}

static char *read_all(int fd) {
  off_t size = lseek(fd, 0, SEEK_END);
  if (size < 0) size = 0;
  if (size > MAX_OUTPUT) size = MAX_OUTPUT;
  char *buf = malloc((size_t)size + 1);
  if (!buf) return NULL;
  ssize_t got = pread(fd, buf, (size_t)size, 0);
  buf[got > 0 ? got : 0] = '\0';
  return buf;
}

static gs_status start(slot *s, const gs_sweep *sw, int64_t index, const gs_runner_options *o,
                       gs_error *err) {
  int64_t n;
  const gs_sweep_run *run = &gs_sweep_runs(sw, &n)[index];
  char *argv[MAX_ARGS];
  char storage[ARG_BYTES];
  argv[0] = (char *)o->exe;
  argv[1] = "train";
  int argc = gs_sweep_train_args(run, gs_sweep_data_root(sw), o->threads, argv + 2,
                                 MAX_ARGS - 2, storage, sizeof storage);
  if (argc < 0)
    return gs_error_set(err, GS_ERR_RANGE, "run %s: too many train arguments", run->run_id);
  s->out_fd = temp_file(err);
  if (s->out_fd < 0) return GS_ERR_IO;
  s->err_fd = temp_file(err);
  if (s->err_fd < 0) {
    close(s->out_fd);
    return GS_ERR_IO;
  }
  const pid_t parent = getpid();
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(s->out_fd);
    close(s->err_fd);
    return gs_error_set(err, GS_ERR_IO, "fork: %s", strerror(errno));
  }
  if (pid == 0) {
    /* The child only sets up its descriptors and executes: nothing of the parent's OpenMP or
     * BLAS state is used after the fork. It dies with the sweep, so a killed sweep leaves no
     * orphan training that would finish unrecorded. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(s->out_fd, STDOUT_FILENO);
    dup2(s->err_fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(o->exe, argv);
    dprintf(STDERR_FILENO, "cannot execute %s: %s\n", o->exe, strerror(errno));
    _exit(127);
  }
  s->pid = pid;
  s->run = index;
  s->started = gs_clock_seconds();
  return GS_OK;
}

static void format_duration(char *buf, size_t cap, double s) {
  if (s < 0) snprintf(buf, cap, "?");
  else if (s < 60) snprintf(buf, cap, "%.0fs", s);
  else if (s < 3600) snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* True when the value is a JSON number in its canonical text (so it can be written bare). */
static bool numeric(const char *v) {
  char *end = NULL;
  double x = strtod(v, &end);
  if (end == v || *end || !isfinite(x)) return false;
  char back[64];
  snprintf(back, sizeof back, "%.12g", x);
  return !strcmp(back, v) && strchr("-0123456789", v[0]) && !strchr(v, 'e') &&
         !(v[0] == '0' && v[1] >= '0' && v[1] <= '9');
}

static void write_config(FILE *f, const gs_sweep_run *run) {
  fputc('{', f);
  for (int32_t i = 0; i < run->count; i++) {
    if (i) fputc(',', f);
    gs_json_write_string(f, run->set[i].key);
    fputc(':', f);
    if (numeric(run->set[i].value)) fputs(run->set[i].value, f);
    else gs_json_write_string(f, run->set[i].value);
  }
  fputc('}', f);
}

/* The last non-empty line of text (for the reason of a failure). */
static void last_line(char *out, size_t cap, const char *text) {
  out[0] = '\0';
  const char *end = text + strlen(text);
  while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;
  const char *begin = end;
  while (begin > text && begin[-1] != '\n') begin--;
  /* Progress lines redraw with \r: keep the last drawing. */
  for (const char *c = begin; c < end; c++)
    if (*c == '\r') begin = c + 1;
  snprintf(out, cap, "%.*s", (int)(end - begin), begin);
}

static void copy_member(FILE *f, const gs_json *from, const char *name, const char *as) {
  const gs_json *m = gs_json_get(from, name);
  if (!m) return;
  fprintf(f, ",\"%s\":", as ? as : name);
  gs_json_write(f, m);
}

gs_status gs_runner_result_line(char **line, size_t *len, const gs_sweep *sw,
                                const gs_sweep_run *run, const char *child_out,
                                int wait_status, const char *child_err, double wall_seconds,
                                const gs_runner_options *o, gs_error *err) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (!f) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  gs_json out;
  memset(&out, 0, sizeof out);
  gs_error perr;
  bool parsed = false;
  const gs_json *seed_run = NULL;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    parsed = gs_json_parse(&out, child_out, strlen(child_out), &perr) == GS_OK;
    const gs_json *runs = gs_json_get(&out, "runs");
    if (parsed && runs && runs->kind == GS_JSON_ARRAY && runs->count == 1)
      seed_run = &runs->items[0];
  }
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  fputs("{\"run_id\":", f);
  gs_json_write_string(f, run->run_id);
  fputs(",\"sweep\":", f);
  gs_json_write_string(f, gs_sweep_name(sw));
  fprintf(f, ",\"status\":\"%s\",\"config\":", seed_run ? "ok" : "failed");
  write_config(f, run);
  if (seed_run) {
    copy_member(f, &out, "dataset", NULL);
    copy_member(f, &out, "depth", NULL);
    copy_member(f, &out, "width", NULL);
    copy_member(f, &out, "features", NULL);
    copy_member(f, &out, "params", NULL);
    copy_member(f, seed_run, "test_acc", NULL);
    copy_member(f, seed_run, "val_acc", NULL);
    fprintf(f, ",\"curve\":{\"epochs\":%.0f,\"epochs_run\":%.0f,\"best_epoch\":%.0f,"
            "\"best_val_acc\":%.6f,\"best_val_loss\":%.6f,\"train_acc_at_best\":%.6f,"
            "\"final_train_loss\":%.6f}",
            gs_json_number(&out, "epochs", -1), gs_json_number(seed_run, "epochs_run", -1),
            gs_json_number(seed_run, "best_epoch", -1), gs_json_number(seed_run, "val_acc", -1),
            gs_json_number(seed_run, "val_loss", -1), gs_json_number(seed_run, "train_acc", -1),
            gs_json_number(seed_run, "final_train_loss", -1));
    copy_member(f, seed_run, "epoch_ms", NULL);
    copy_member(f, seed_run, "train_ms", NULL);
    copy_member(f, seed_run, "eval_ms", NULL);
    copy_member(f, seed_run, "flops_per_epoch", NULL);
    copy_member(f, &out, "peak_rss_bytes", NULL);
    copy_member(f, &out, "counted_peak_bytes", NULL);
    copy_member(f, seed_run, "kernel_ms", NULL);
    copy_member(f, &out, "predicted", NULL);
    copy_member(f, &out, "scaling", NULL);
    copy_member(f, &out, "load_seconds", NULL);
  } else {
    char reason[512];
    last_line(reason, sizeof reason, child_err);
    if (!reason[0] && parsed) snprintf(reason, sizeof reason, "train printed no single run");
    else if (!reason[0]) snprintf(reason, sizeof reason, "train printed no JSON");
    if (WIFSIGNALED(wait_status))
      fprintf(f, ",\"signal\":%d", WTERMSIG(wait_status));
    else
      fprintf(f, ",\"exit\":%d", WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1);
    fputs(",\"error\":", f);
    gs_json_write_string(f, reason);
  }
  fprintf(f, ",\"wall_seconds\":%.3f,\"threads\":%d,\"jobs\":%d,\"git_rev\":", wall_seconds,
          o->threads, o->jobs);
  gs_json_write_string(f, o->git_rev ? o->git_rev : "unknown");
  fputs(",\"machine\":", f);
  gs_json_write_string(f, o->machine ? o->machine : "unknown");
  fprintf(f, ",\"finished\":\"%s\"}\n", when);
  gs_json_free(&out);
  if (fclose(f) != 0 || !buf) {
    free(buf);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  *line = buf;
  *len = size;
  return GS_OK;
}

static gs_status finish(slot *s, int wait_status, const gs_sweep *sw, gs_results *res,
                        const gs_runner_options *o, gs_runner_summary *sum, gs_error *err) {
  int64_t n;
  const gs_sweep_run *run = &gs_sweep_runs(sw, &n)[s->run];
  double wall = gs_clock_seconds() - s->started;
  char *out = read_all(s->out_fd), *errtext = read_all(s->err_fd);
  close(s->out_fd);
  close(s->err_fd);
  s->pid = 0;
  char *line = NULL;
  size_t len = 0;
  gs_status st = GS_OK;
  if (!out || !errtext) st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  if (st == GS_OK)
    st = gs_runner_result_line(&line, &len, sw, run, out, wait_status, errtext, wall, o, err);
  if (st == GS_OK) st = gs_results_append(res, run->run_id, line, len, err);
  if (st == GS_OK) {
    sum->ran++;
    if (strstr(line, "\"status\":\"failed\"")) sum->failed++;
    gs_json v;
    if (gs_json_parse(&v, line, len, NULL) == GS_OK) {
      const gs_json *curve = gs_json_get(&v, "curve");
      double ms = gs_json_number(&v, "epoch_ms", -1), ep = gs_json_number(curve, "epochs_run", -1);
      if (ms > 0 && ep > 0) sum->train_seconds += 1e-3 * ms * ep;
      /* The run's own prediction of the epochs given, beside the sweep's. */
      double pms = gs_json_number(gs_json_get(&v, "predicted"), "epoch_ms", -1);
      double given = gs_json_number(curve, "epochs", -1);
      if (pms > 0 && given > 0) sum->recorded_predicted_seconds += 1e-3 * pms * given;
      gs_json_free(&v);
    }
  }
  free(line);
  free(out);
  free(errtext);
  return st;
}

gs_status gs_runner_run(gs_runner_summary *summary, const gs_sweep *sw, gs_results *res,
                        const gs_runner_options *o, gs_error *err) {
  gs_runner_summary sum;
  memset(&sum, 0, sizeof sum);
  int64_t nruns;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &nruns);
  sum.runs = nruns;
  int64_t *pending = malloc((size_t)(nruns > 0 ? nruns : 1) * sizeof *pending);
  slot *slots = calloc((size_t)o->jobs, sizeof *slots);
  if (!pending || !slots) {
    free(pending);
    free(slots);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  int64_t npending = 0;
  double left = 0, predicted_ran = 0;
  for (int64_t i = 0; i < nruns; i++) {
    if (gs_results_has(res, runs[i].run_id)) {
      sum.already_done++;
      continue;
    }
    pending[npending++] = i;
    if (o->predicted_seconds && o->predicted_seconds[i] > 0) left += o->predicted_seconds[i];
  }
  gs_progress prog;
  gs_progress_start(&prog, o->progress, "sweep", npending, o->progress == NULL);
  const double t0 = gs_clock_seconds();
  gs_status st = GS_OK;
  int64_t next = 0, running = 0, finished = 0;
  double measured_ran = 0;
  while (finished < npending) {
    while (st == GS_OK && running < o->jobs && next < npending) {
      int k = 0;
      while (slots[k].pid) k++;
      st = start(&slots[k], sw, pending[next], o, err);
      if (st != GS_OK) break;
      next++;
      running++;
    }
    if (st != GS_OK && running == 0) break;
    int ws = 0;
    pid_t pid = waitpid(-1, &ws, prog.enabled ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) {
      st = gs_error_set(err, GS_ERR_IO, "waitpid: %s", strerror(errno));
      break;
    }
    if (pid == 0) {
      /* On a terminal: redraw with the running run and the time left, estimated from the
       * predictions, scaled by how the finished runs compared with theirs. */
      int k = 0;
      while (k < o->jobs && !slots[k].pid) k++;
      const double ratio = predicted_ran > 0 ? measured_ran / predicted_ran : 1.0;
      double now = gs_clock_seconds(), running_left = 0;
      for (int j = 0; j < o->jobs; j++)
        if (slots[j].pid && o->predicted_seconds && o->predicted_seconds[slots[j].run] > 0)
          running_left += fmax(0, ratio * o->predicted_seconds[slots[j].run] -
                                      (now - slots[j].started));
      char eta[32], detail[512];
      format_duration(eta, sizeof eta,
                      o->predicted_seconds ? (ratio * left + running_left) / o->jobs : -1);
      const gs_sweep_run *r = k < o->jobs ? &runs[slots[k].run] : NULL;
      const char *ds = r ? gs_sweep_get(r, "dataset") : NULL;
      const char *sg = r ? gs_sweep_get(r, "strategy") : NULL;
      const char *phi = r ? gs_sweep_get(r, "phi") : NULL;
      const char *seed = r ? gs_sweep_get(r, "seed") : NULL;
      snprintf(detail, sizeof detail, "left ~%s  now %s %s%s%s%s%s%s", eta,
               r ? r->run_id : "", ds ? ds : "", sg ? " " : "", sg ? sg : "",
               phi ? " phi " : "", phi ? phi : "", seed ? " seed " : "");
      if (seed) strncat(detail, seed, sizeof detail - strlen(detail) - 1);
      gs_progress_update(&prog, finished, detail);
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    int k = 0;
    while (k < o->jobs && slots[k].pid != pid) k++;
    if (k == o->jobs) continue; /* not ours */
    const int64_t idx = slots[k].run;
    const double wall = gs_clock_seconds() - slots[k].started;
    gs_status fst = finish(&slots[k], ws, sw, res, o, &sum, err);
    running--;
    finished++;
    if (o->predicted_seconds && o->predicted_seconds[idx] > 0) {
      left -= o->predicted_seconds[idx];
      predicted_ran += o->predicted_seconds[idx];
      sum.predicted_seconds += o->predicted_seconds[idx];
      measured_ran += wall;
    }
    if (fst != GS_OK) {
      st = fst;
      break;
    }
    if (st != GS_OK && running == 0) break;
  }
  /* On an error, stop the children still running: their runs stay pending for the next start. */
  for (int j = 0; j < o->jobs; j++)
    if (slots[j].pid) {
      kill(slots[j].pid, SIGKILL);
      waitpid(slots[j].pid, NULL, 0);
      close(slots[j].out_fd);
      close(slots[j].err_fd);
    }
  gs_progress_finish(&prog);
  sum.wall_seconds = gs_clock_seconds() - t0;
  free(pending);
  free(slots);
  if (summary) *summary = sum;
  return st;
}

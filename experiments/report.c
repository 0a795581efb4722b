/* Tables and gnuplot figures from a sweep's results file (experiments/report.h). */
#define _GNU_SOURCE /* getline */
#include "experiments/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/file.h"
#include "core/stats.h"
#include "experiments/json.h"

#define MAX_KEYS 48
#define MIB (1024.0 * 1024.0)

/* Settings that tell the lines of one accuracy figure apart, not its panels. */
static const char *const SERIES_KEYS[] = {"strategy", "phi", "alpha", "beta", "gamma", "a"};
/* Strategies in plotting order; each keeps its colour in every panel. */
static const char *const STRATEGIES[] = {"base", "d", "w", "r", "dwr", "dWr", "explicit"};
#define NSTRATEGIES 7

typedef struct {
  int32_t n;
  char *key[MAX_KEYS];
  char *value[MAX_KEYS];
} config;

typedef struct {
  config cfg;
  char *run_id;
  int64_t line;
  double test, val, flops, epoch_ms, rss, counted, factor;
  double pred_rss, pred_counted, pred_epoch_ms;
  int64_t depth, width, features;
} result;

typedef struct {
  char *key;        /* canonical config without the seed */
  char *panel;      /* ... without the series keys either */
  int64_t first;    /* index of its first result */
  int64_t n;
  double acc_mean, acc_std, val_mean;
  double flops, epoch_ms, rss, counted, factor, pred_rss, pred_counted, pred_epoch_ms;
  int32_t strategy; /* index into STRATEGIES, NSTRATEGIES when none */
  double phi;
} group;

typedef struct {
  result *r;
  int64_t nr;
  group *g;
  int64_t ng;
  char **panels;
  int64_t npanels;
} table;

static char *dup_text(const char *s) {
  char *d = strdup(s ? s : "");
  return d;
}

static void config_free(config *c) {
  for (int32_t i = 0; i < c->n; i++) {
    free(c->key[i]);
    free(c->value[i]);
  }
  c->n = 0;
}

static const char *config_get(const config *c, const char *key) {
  for (int32_t i = 0; i < c->n; i++)
    if (!strcmp(c->key[i], key)) return c->value[i];
  return NULL;
}

static bool is_series_key(const char *k) {
  for (size_t i = 0; i < sizeof SERIES_KEYS / sizeof SERIES_KEYS[0]; i++)
    if (!strcmp(k, SERIES_KEYS[i])) return true;
  return false;
}

/* "k=v;k=v" of the settings except the seed (and, for a panel, the series keys). */
static char *config_text(const config *c, bool panel) {
  size_t cap = 64;
  for (int32_t i = 0; i < c->n; i++) cap += strlen(c->key[i]) + strlen(c->value[i]) + 2;
  char *s = malloc(cap);
  if (!s) return NULL;
  size_t n = 0;
  s[0] = '\0';
  for (int32_t i = 0; i < c->n; i++) {
    if (!strcmp(c->key[i], "seed") || (panel && is_series_key(c->key[i]))) continue;
    n += (size_t)snprintf(s + n, cap - n, "%s%s=%s", n ? ";" : "", c->key[i], c->value[i]);
  }
  return s;
}

static void note(gs_report_note fn, void *ctx, const char *fmt, ...) {
  if (!fn) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fn(ctx, msg);
}

/* Reads the config object into c (values as text: numbers in %.12g, as the sweep wrote them). */
static bool read_config(config *c, const gs_json *obj) {
  c->n = 0;
  if (!obj || obj->kind != GS_JSON_OBJECT || obj->count > MAX_KEYS) return false;
  for (int64_t i = 0; i < obj->count; i++) {
    const gs_json *v = &obj->items[i];
    char buf[64];
    const char *text = NULL;
    if (v->kind == GS_JSON_STRING) text = v->string;
    else if (v->kind == GS_JSON_NUMBER) {
      snprintf(buf, sizeof buf, "%.12g", v->number);
      text = buf;
    } else if (v->kind == GS_JSON_BOOL) text = v->boolean ? "true" : "false";
    else {
      config_free(c);
      return false;
    }
    c->key[c->n] = dup_text(obj->keys[i]);
    c->value[c->n] = dup_text(text);
    c->n++;
  }
  return true;
}

/* Parses one line; false (with the reason) when it is not a usable result. */
static bool read_result(result *r, const char *line, size_t len, char *why, size_t cap,
                        bool *failed) {
  memset(r, 0, sizeof *r);
  *failed = false;
  gs_json v;
  gs_error e;
  if (gs_json_parse(&v, line, len, &e) != GS_OK) {
    snprintf(why, cap, "not JSON (%.900s)", e.msg);
    return false;
  }
  bool ok = false;
  const char *id = gs_json_str(&v, "run_id"), *status = gs_json_str(&v, "status");
  const gs_json *cfg = gs_json_get(&v, "config");
  if (!id || !status || !cfg) {
    snprintf(why, cap, "not a sweep result (no run_id, status or config)");
    goto done;
  }
  if (strcmp(status, "ok")) {
    const char *msg = gs_json_str(&v, "error");
    snprintf(why, cap, "run %s failed (%s): left out", id, msg ? msg : status);
    *failed = true;
    goto done;
  }
  r->test = gs_json_number(&v, "test_acc", NAN);
  r->val = gs_json_number(&v, "val_acc", NAN);
  r->flops = gs_json_number(&v, "flops_per_epoch", NAN);
  r->epoch_ms = gs_json_number(&v, "epoch_ms", NAN);
  r->rss = gs_json_number(&v, "peak_rss_bytes", NAN);
  r->counted = gs_json_number(&v, "counted_peak_bytes", NAN);
  r->depth = (int64_t)gs_json_number(&v, "depth", -1);
  r->width = (int64_t)gs_json_number(&v, "width", -1);
  r->features = (int64_t)gs_json_number(&v, "features", -1);
  const gs_json *pred = gs_json_get(&v, "predicted");
  r->pred_rss = gs_json_number(pred, "peak_rss_bytes", NAN);
  r->pred_counted = gs_json_number(pred, "peak_bytes", NAN);
  r->pred_epoch_ms = gs_json_number(pred, "epoch_ms", NAN);
  r->factor = gs_json_number(gs_json_get(&v, "scaling"), "realised_factor", NAN);
  if (!(r->test >= 0 && r->test <= 1) || !(r->flops > 0) || !(r->epoch_ms > 0) ||
      !(r->rss > 0) || !isfinite(r->counted)) {
    snprintf(why, cap, "run %s: test_acc, flops_per_epoch, epoch_ms, peak_rss_bytes or "
             "counted_peak_bytes missing or out of range", id);
    goto done;
  }
  if (!read_config(&r->cfg, cfg)) {
    snprintf(why, cap, "run %s: config is not an object of numbers and strings", id);
    goto done;
  }
  r->run_id = dup_text(id);
  ok = true;
done:
  gs_json_free(&v);
  return ok;
}

static int32_t strategy_index(const char *s) {
  if (!s) return NSTRATEGIES;
  for (int32_t i = 0; i < NSTRATEGIES; i++)
    if (!strcmp(STRATEGIES[i], s)) return i;
  return NSTRATEGIES;
}

static int compare_groups(const void *pa, const void *pb) {
  const group *a = pa, *b = pb;
  int c = strcmp(a->panel, b->panel);
  if (c) return c;
  if (a->strategy != b->strategy) return a->strategy - b->strategy;
  if (a->flops != b->flops) return a->flops < b->flops ? -1 : 1;
  return strcmp(a->key, b->key);
}

static gs_status build_groups(table *t, gs_error *err) {
  t->g = calloc((size_t)t->nr, sizeof *t->g);
  double *acc = malloc((size_t)t->nr * sizeof *acc);
  if (!t->g || !acc) {
    free(acc);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  int64_t *of = malloc((size_t)t->nr * sizeof *of);
  if (!of) {
    free(acc);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  for (int64_t i = 0; i < t->nr; i++) {
    char *key = config_text(&t->r[i].cfg, false);
    if (!key) {
      free(acc);
      free(of);
      return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    }
    int64_t g = 0;
    while (g < t->ng && strcmp(t->g[g].key, key)) g++;
    if (g == t->ng) {
      t->g[g].key = key;
      t->g[g].panel = config_text(&t->r[i].cfg, true);
      t->g[g].first = i;
      t->ng++;
    } else {
      free(key);
    }
    of[i] = g;
  }
  for (int64_t g = 0; g < t->ng; g++) {
    group *G = &t->g[g];
    int64_t n = 0;
    double sums[9] = {0};
    for (int64_t i = 0; i < t->nr; i++) {
      if (of[i] != g) continue;
      const result *r = &t->r[i];
      acc[n++] = 100.0 * r->test;
      double x[9] = {100.0 * r->val, r->flops, r->epoch_ms, r->rss, r->counted, r->factor,
                     r->pred_rss, r->pred_counted, r->pred_epoch_ms};
      for (int k = 0; k < 9; k++) sums[k] += x[k];
    }
    G->n = n;
    gs_mean_std(acc, n, &G->acc_mean, &G->acc_std);
    double *dst[9] = {&G->val_mean, &G->flops, &G->epoch_ms, &G->rss, &G->counted, &G->factor,
                      &G->pred_rss, &G->pred_counted, &G->pred_epoch_ms};
    for (int k = 0; k < 9; k++) *dst[k] = sums[k] / (double)n;
    const config *c = &t->r[G->first].cfg;
    G->strategy = strategy_index(config_get(c, "strategy"));
    const char *phi = config_get(c, "phi");
    G->phi = phi ? strtod(phi, NULL) : 0.0;
  }
  free(acc);
  free(of);
  qsort(t->g, (size_t)t->ng, sizeof *t->g, compare_groups);
  t->panels = calloc((size_t)(t->ng > 0 ? t->ng : 1), sizeof *t->panels);
  if (!t->panels) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  for (int64_t g = 0; g < t->ng; g++)
    if (g == 0 || strcmp(t->g[g].panel, t->g[g - 1].panel))
      t->panels[t->npanels++] = t->g[g].panel;
  return GS_OK;
}

/* ---- files ---- */

typedef struct {
  char *buf;
  size_t size;
  FILE *f;
} text_out;

static bool out_begin(text_out *o) {
  o->buf = NULL;
  o->size = 0;
  o->f = open_memstream(&o->buf, &o->size);
  return o->f != NULL;
}

/* Writes the text to dir/name through a temporary file and a rename (core/file.h). */
static gs_status out_commit(text_out *o, const char *dir, const char *name, gs_error *err) {
  if (fclose(o->f) != 0 || !o->buf) {
    free(o->buf);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  char path[GS_FILE_PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  gs_status st = gs_atomic_write(path, o->buf, o->size, err);
  free(o->buf);
  return st;
}

/* The settings that differ between rows (the table's columns), in a readable order. */
static int32_t varying_keys(const table *t, const char **keys, const char **common,
                            int32_t *ncommon) {
  static const char *const FIRST[] = {"dataset", "model", "batching", "strategy", "phi"};
  const char *all[MAX_KEYS * 4];
  int32_t nall = 0;
  for (size_t i = 0; i < sizeof FIRST / sizeof FIRST[0]; i++) all[nall++] = FIRST[i];
  for (int64_t g = 0; g < t->ng; g++) {
    const config *c = &t->r[t->g[g].first].cfg;
    for (int32_t k = 0; k < c->n && nall < MAX_KEYS * 4; k++) {
      bool seen = !strcmp(c->key[k], "seed");
      for (int32_t j = 0; j < nall && !seen; j++) seen = !strcmp(all[j], c->key[k]);
      if (!seen) all[nall++] = c->key[k];
    }
  }
  int32_t n = 0;
  *ncommon = 0;
  for (int32_t j = 0; j < nall; j++) {
    const char *first = NULL;
    bool present = false, varies = false;
    for (int64_t g = 0; g < t->ng; g++) {
      const char *v = config_get(&t->r[t->g[g].first].cfg, all[j]);
      if (v) present = true;
      if (g == 0) first = v;
      else if ((v == NULL) != (first == NULL) || (v && strcmp(v, first))) varies = true;
    }
    if (!present) continue;
    if (varies || t->ng == 1) keys[n++] = all[j];
    else common[(*ncommon)++] = all[j];
  }
  return n;
}

static gs_status write_tables(const table *t, const char *dir, const char *source,
                              gs_error *err) {
  const char *keys[MAX_KEYS * 4], *common[MAX_KEYS * 4];
  int32_t ncommon;
  int32_t nk = varying_keys(t, keys, common, &ncommon);
  text_out md, csv;
  if (!out_begin(&md) || !out_begin(&csv)) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  fprintf(md.f, "# Results of %s\n\n%lld runs in %lld groups; test accuracy as mean ± sample "
          "std over the seeds of each group.", source, (long long)t->nr, (long long)t->ng);
  if (ncommon) {
    fprintf(md.f, " Settings shared by every row:");
    for (int32_t j = 0; j < ncommon; j++)
      fprintf(md.f, "%s `%s=%s`", j ? "," : "", common[j],
              config_get(&t->r[t->g[0].first].cfg, common[j]));
    fprintf(md.f, ".");
  }
  fprintf(md.f, "\n\n|");
  for (int32_t j = 0; j < nk; j++) {
    fprintf(md.f, " %s |", keys[j]);
    fprintf(csv.f, "%s,", keys[j]);
  }
  /* "columns": the feature columns the model reads (resolution), apart from a `features` axis
   * (the preparation, rownorm or l2...) that the keys above may already show. */
  fprintf(md.f, " seeds | test acc (%%) | val acc (%%) | depth | width | columns | FLOPs/epoch "
          "| × base | epoch ms | predicted | peak RSS MiB | predicted | counted MiB "
          "| predicted |\n|");
  fprintf(csv.f, "seeds,test_acc_mean,test_acc_std,val_acc_mean,depth,width,feature_columns,"
          "flops_per_epoch,cost_factor,epoch_ms,predicted_epoch_ms,peak_rss_mib,"
          "predicted_peak_rss_mib,counted_peak_mib,predicted_counted_peak_mib\n");
  for (int32_t j = 0; j < nk + 14; j++) fprintf(md.f, "---|");
  fprintf(md.f, "\n");
  for (int64_t g = 0; g < t->ng; g++) {
    const group *G = &t->g[g];
    const result *r = &t->r[G->first];
    fprintf(md.f, "|");
    for (int32_t j = 0; j < nk; j++) {
      const char *v = config_get(&r->cfg, keys[j]);
      fprintf(md.f, " %s |", v ? v : "");
      /* CSV cells hold no commas or quotes except base's "2,16,0.5": quote every text cell. */
      fprintf(csv.f, "\"%s\",", v ? v : "");
    }
    fprintf(md.f, " %lld | %.2f ± %.2f | %.2f | %lld | %lld | %lld | %.3g | %.2f | %.2f | %.2f | "
            "%.1f | %.1f | %.2f | %.2f |\n",
            (long long)G->n, G->acc_mean, G->acc_std, G->val_mean, (long long)r->depth,
            (long long)r->width, (long long)r->features, G->flops, G->factor, G->epoch_ms,
            G->pred_epoch_ms, G->rss / MIB, G->pred_rss / MIB, G->counted / MIB,
            G->pred_counted / MIB);
    fprintf(csv.f, "%lld,%.4f,%.4f,%.4f,%lld,%lld,%lld,%.0f,%.4f,%.4f,%.4f,%.3f,%.3f,%.3f,%.3f\n",
            (long long)G->n, G->acc_mean, G->acc_std, G->val_mean, (long long)r->depth,
            (long long)r->width, (long long)r->features, G->flops, G->factor, G->epoch_ms,
            G->pred_epoch_ms, G->rss / MIB, G->pred_rss / MIB, G->counted / MIB,
            G->pred_counted / MIB);
  }
  gs_status st = out_commit(&md, dir, "results.md", err);
  if (st != GS_OK) {
    fclose(csv.f);
    free(csv.buf);
    return st;
  }
  return out_commit(&csv, dir, "results.csv", err);
}

/* True when the setting `token` ("key=value") is in panel (a "k=v;k=v" text). */
static bool panel_has(const char *panel, const char *token, size_t len) {
  for (const char *p = panel; *p;) {
    const char *end = strchr(p, ';');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && !strncmp(p, token, len)) return true;
    p += n + (end ? 1 : 0);
  }
  return false;
}

/* A panel's title: the settings of panel p that not every panel shares (all of them when
 * there is one panel), with gnuplot's enhanced-text markup escaped. */
static void panel_title(char *out, size_t cap, const table *t, int64_t p) {
  size_t n = 0;
  out[0] = '\0';
  for (const char *tok = t->panels[p]; *tok && n + 4 < cap;) {
    const char *end = strchr(tok, ';');
    size_t len = end ? (size_t)(end - tok) : strlen(tok);
    bool shared = t->npanels > 1;
    for (int64_t q = 0; q < t->npanels && shared; q++) shared = panel_has(t->panels[q], tok, len);
    if (!shared) {
      if (n) out[n++] = ' ';
      for (size_t i = 0; i < len && n + 3 < cap; i++) {
        if (strchr("_^@&{}", tok[i])) out[n++] = '\\';
        out[n++] = tok[i];
      }
    }
    tok += len + (end ? 1 : 0);
  }
  out[n] = '\0';
}

/* panel<i>.dat: one block per strategy (gnuplot `index`), rows sorted by FLOPs; the base
 * model's row opens every strategy's line, since phi = 0 is the same model for all. */
static gs_status write_panel_data(const table *t, int64_t p, int32_t *series, int32_t *nseries,
                                  const char *dir, gs_error *err) {
  text_out o;
  if (!out_begin(&o)) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  fprintf(o.f, "# panel %lld: %s\n# columns: flops_per_epoch test_acc_mean test_acc_std "
          "peak_rss_mib epoch_ms seeds cost_factor\n", (long long)p + 1, t->panels[p]);
  const group *base = NULL;
  for (int64_t g = 0; g < t->ng; g++)
    if (!strcmp(t->g[g].panel, t->panels[p]) && t->g[g].strategy == 0) base = &t->g[g];
  *nseries = 0;
  for (int32_t s = 0; s <= NSTRATEGIES; s++) {
    bool any = false;
    for (int64_t g = 0; g < t->ng; g++) {
      const group *G = &t->g[g];
      if (strcmp(G->panel, t->panels[p]) || G->strategy != s) continue;
      if (!any) {
        fprintf(o.f, "%s# strategy %s\n", *nseries ? "\n\n" : "",
                s < NSTRATEGIES ? STRATEGIES[s] : "(none)");
        if (base && s > 0 && s < NSTRATEGIES)
          fprintf(o.f, "%.6g %.4f %.4f %.4f %.4f %lld %.4f\n", base->flops, base->acc_mean,
                  base->acc_std, base->rss / MIB, base->epoch_ms, (long long)base->n, 1.0);
        any = true;
      }
      fprintf(o.f, "%.6g %.4f %.4f %.4f %.4f %lld %.4f\n", G->flops, G->acc_mean, G->acc_std,
              G->rss / MIB, G->epoch_ms, (long long)G->n, isfinite(G->factor) ? G->factor : 1.0);
    }
    if (any) series[(*nseries)++] = s;
  }
  char name[64];
  snprintf(name, sizeof name, "panel%lld.dat", (long long)p + 1);
  return out_commit(&o, dir, name, err);
}

static void script_head(FILE *f, const char *name, int64_t panels, const char *what) {
  const int64_t cols = panels < 3 ? panels : 3, rows = (panels + cols - 1) / cols;
  fprintf(f, "# %s: %s\n# Rendered by `gnnscale report`; run `gnuplot %s.gp` in this folder to "
          "render it again\n# (SVG and PNG). Data: the .dat files beside it.\n"
          "if (!exists(\"suffix\")) suffix = \"\"\n"
          "do for [fmt in \"svg png\"] {\n"
          "  if (fmt eq \"svg\") { set terminal svg size %lld,%lld dynamic font \"Helvetica,11\" "
          "background \"white\" } else { set terminal pngcairo size %lld,%lld font "
          "\"Helvetica,10\" background \"white\" }\n"
          "  set output \"%s.\".fmt.suffix\n",
          name, what, name, (long long)(460 * cols), (long long)(360 * rows),
          (long long)(460 * cols), (long long)(360 * rows), name);
  fprintf(f, "  set multiplot layout %lld,%lld\n  set grid\n  set key bottom right font \",8\"\n",
          (long long)rows, (long long)cols);
}

static const char *const COLOURS[] = {"#000000", "#d62728", "#1f77b4", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#7f7f7f"};

static gs_status write_accuracy_scripts(const table *t, const char *dir, int32_t (*series)[8],
                                        const int32_t *nseries, gs_error *err) {
  static const struct {
    const char *name, *what, *xlabel;
    int col;
    bool logx;
  } FIGS[] = {
      {"acc_vs_flops", "test accuracy against FLOPs per epoch, by strategy (mean ± std over "
       "seeds)", "FLOPs per epoch", 1, true},
      {"acc_vs_memory", "test accuracy against measured peak RSS, by strategy", "peak RSS (MiB)",
       4, true},
      {"acc_vs_time", "test accuracy against measured epoch time, by strategy",
       "epoch time (ms)", 5, true},
      {"acc_vs_flops_top", "acc_vs_flops with each panel's accuracy axis from 6 points below "
       "its best mean to 2 above (lines below it leave the panel)", "FLOPs per epoch", 1, true},
  };
  for (size_t fi = 0; fi < sizeof FIGS / sizeof FIGS[0]; fi++) {
    text_out o;
    if (!out_begin(&o)) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    script_head(o.f, FIGS[fi].name, t->npanels, FIGS[fi].what);
    fprintf(o.f, "  set xlabel \"%s\"\n  set ylabel \"test accuracy (%%)\"\n", FIGS[fi].xlabel);
    fprintf(o.f, FIGS[fi].logx ? "  set logscale x\n" : "  unset logscale x\n");
    for (int64_t p = 0; p < t->npanels; p++) {
      char title[1024];
      panel_title(title, sizeof title, t, p);
      double best = -1;
      for (int64_t g = 0; g < t->ng; g++)
        if (!strcmp(t->g[g].panel, t->panels[p])) best = fmax(best, t->g[g].acc_mean);
      if (!strcmp(FIGS[fi].name, "acc_vs_flops_top"))
        fprintf(o.f, "  set yrange [%.2f:%.2f]\n", best - 6.0, best + 2.0);
      else
        fprintf(o.f, "  set autoscale y\n");
      fprintf(o.f, "  set title \"%s\" font \",9\"\n  plot \\\n", title);
      for (int32_t s = 0; s < nseries[p]; s++) {
        const int32_t k = series[p][s];
        fprintf(o.f, "    \"panel%lld.dat\" index %d using %d:2:3 with yerrorlines lw 1.5 pt 7 "
                "ps 0.6 lc rgb \"%s\" title \"%s\"%s\n",
                (long long)p + 1, s, FIGS[fi].col, COLOURS[k],
                k < NSTRATEGIES ? STRATEGIES[k] : "runs", s + 1 < nseries[p] ? ", \\" : "");
      }
    }
    fprintf(o.f, "  unset multiplot\n  set output\n}\n");
    char name[64];
    snprintf(name, sizeof name, "%s.gp", FIGS[fi].name);
    gs_status st = out_commit(&o, dir, name, err);
    if (st != GS_OK) return st;
  }
  return GS_OK;
}

/* predicted.dat (one block per dataset, one row per run) and the two report-card scripts. */
static gs_status write_prediction_files(const table *t, const char *dir, gs_error *err) {
  const char *datasets[256];
  int32_t nd = 0;
  for (int64_t i = 0; i < t->nr; i++) {
    const char *d = config_get(&t->r[i].cfg, "dataset");
    d = d ? d : "?";
    bool seen = false;
    for (int32_t j = 0; j < nd && !seen; j++) seen = !strcmp(datasets[j], d);
    if (!seen && nd < 256) datasets[nd++] = d;
  }
  text_out o;
  if (!out_begin(&o)) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  fprintf(o.f, "# columns: predicted_peak_rss_mib measured_peak_rss_mib predicted_epoch_ms "
          "measured_epoch_ms predicted_counted_mib measured_counted_mib run_id\n");
  int32_t blocks = 0;
  for (int32_t j = 0; j < nd; j++) {
    fprintf(o.f, "%s# dataset %s\n", blocks ? "\n\n" : "", datasets[j]);
    blocks++;
    for (int64_t i = 0; i < t->nr; i++) {
      const result *r = &t->r[i];
      const char *d = config_get(&r->cfg, "dataset");
      if (strcmp(d ? d : "?", datasets[j])) continue;
      fprintf(o.f, "%.4f %.4f %.4f %.4f %.4f %.4f %s\n", r->pred_rss / MIB, r->rss / MIB,
              r->pred_epoch_ms, r->epoch_ms, r->pred_counted / MIB, r->counted / MIB, r->run_id);
    }
  }
  gs_status st = out_commit(&o, dir, "predicted.dat", err);
  if (st != GS_OK) return st;
  static const struct {
    const char *name, *what, *label;
    int xcol, ycol;
  } FIGS[] = {
      {"predicted_vs_measured_memory", "the cost model's peak RSS against the measured one, "
       "one point per run", "peak RSS (MiB)", 1, 2},
      {"predicted_vs_measured_time", "the cost model's epoch time against the measured one, "
       "one point per run", "epoch time (ms)", 3, 4},
  };
  /* Both axes over the same range, so that the diagonal is the line of exact predictions. */
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {0, 0};
  for (int64_t i = 0; i < t->nr; i++) {
    const result *r = &t->r[i];
    const double v[2][2] = {{r->pred_rss / MIB, r->rss / MIB}, {r->pred_epoch_ms, r->epoch_ms}};
    for (int k = 0; k < 2; k++)
      for (int j = 0; j < 2; j++)
        if (v[k][j] > 0 && isfinite(v[k][j])) {
          lo[k] = fmin(lo[k], v[k][j]);
          hi[k] = fmax(hi[k], v[k][j]);
        }
  }
  for (int k = 0; k < 2; k++) {
    if (!(hi[k] > 0)) lo[k] = 1, hi[k] = 10;
    lo[k] /= 1.25;
    hi[k] *= 1.25;
  }
  for (size_t fi = 0; fi < 2; fi++) {
    text_out s;
    if (!out_begin(&s)) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    fprintf(s.f, "# %s: %s\n# Rendered by `gnnscale report`; run `gnuplot %s.gp` here to "
            "render it again (SVG and PNG).\nif (!exists(\"suffix\")) suffix = \"\"\n"
            "do for [fmt in \"svg png\"] {\n"
            "  if (fmt eq \"svg\") { set terminal svg size 560,460 dynamic font \"Helvetica,11\" "
            "background \"white\" } else { set terminal pngcairo size 560,460 font "
            "\"Helvetica,10\" background \"white\" }\n"
            "  set output \"%s.\".fmt.suffix\n  set grid\n%s"
            "  set key top left font \",9\"\n  set size ratio -1\n"
            "  set xrange [%.6g:%.6g]\n  set yrange [%.6g:%.6g]\n  set xlabel \"predicted %s\"\n"
            "  set ylabel \"measured %s\"\n  set title \"cost model against measurement\"\n"
            "  plot \\\n",
            FIGS[fi].name, FIGS[fi].what, FIGS[fi].name, FIGS[fi].name,
            hi[fi] / lo[fi] > 8 ? "  set logscale xy\n" : "", lo[fi], hi[fi], lo[fi],
            hi[fi], FIGS[fi].label, FIGS[fi].label);
    for (int32_t j = 0; j < nd; j++)
      fprintf(s.f, "    \"predicted.dat\" index %d using %d:%d with points pt 7 ps 0.6 lc rgb "
              "\"%s\" title \"%s\", \\\n", j, FIGS[fi].xcol, FIGS[fi].ycol,
              COLOURS[1 + j % 7], datasets[j]);
    fprintf(s.f, "    x with lines dt 2 lc rgb \"#555555\" title \"measured = predicted\"\n"
            "  set output\n}\n");
    char name[80];
    snprintf(name, sizeof name, "%s.gp", FIGS[fi].name);
    st = out_commit(&s, dir, name, err);
    if (st != GS_OK) return st;
  }
  return GS_OK;
}

/* Runs gnuplot on dir/name.gp with suffix ".tmp" and renames the pictures into place. */
static gs_status render(const char *gnuplot, const char *dir, const char *name, gs_error *err) {
  char script[128];
  snprintf(script, sizeof script, "%s.gp", name);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return gs_error_set(err, GS_ERR_IO, "fork: %s", strerror(errno));
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(126);
    execlp(gnuplot, gnuplot, "-e", "suffix='.tmp'", script, (char *)NULL);
    _exit(127);
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127)
    return gs_error_set(err, GS_ERR_IO, "cannot run %s (Debian package gnuplot-nox; "
                        "scripts/setup.sh installs it): the data and .gp scripts are in %s",
                        gnuplot, dir);
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s/%s: gnuplot failed (exit %d)", dir, script,
                        WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
  static const char *const EXT[] = {"svg", "png"};
  for (int i = 0; i < 2; i++) {
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s.%s.tmp", dir, name, EXT[i]);
    snprintf(to, sizeof to, "%s/%s.%s", dir, name, EXT[i]);
    if (rename(from, to) != 0)
      return gs_error_set(err, GS_ERR_IO, "%s: %s", to, strerror(errno));
  }
  return GS_OK;
}

static void table_free(table *t) {
  for (int64_t i = 0; i < t->nr; i++) {
    config_free(&t->r[i].cfg);
    free(t->r[i].run_id);
  }
  for (int64_t g = 0; g < t->ng; g++) {
    free(t->g[g].key);
    free(t->g[g].panel);
  }
  free(t->r);
  free(t->g);
  free(t->panels);
}

gs_status gs_report_write(gs_report_summary *summary, const char *path, const char *out_dir,
                          const char *gnuplot, gs_report_note note_fn, void *ctx,
                          gs_error *err) {
  gs_report_summary sum;
  memset(&sum, 0, sizeof sum);
  table t;
  memset(&t, 0, sizeof t);
  gs_status st = GS_OK;
  char *line = NULL;
  size_t cap = 0;
  int32_t(*series)[8] = NULL;
  int32_t *nseries = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return gs_error_set(err, GS_ERR_IO, "%s: %s", path, strerror(errno));
  ssize_t len;
  int64_t cap_r = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    sum.lines++;
    bool complete = len > 0 && line[len - 1] == '\n';
    if (complete) len--;
    if (t.nr == cap_r) {
      cap_r = cap_r ? 2 * cap_r : 256;
      result *grown = realloc(t.r, (size_t)cap_r * sizeof *grown);
      if (!grown) {
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
        goto fail;
      }
      t.r = grown;
    }
    char why[1024];
    bool failed = false;
    result *r = &t.r[t.nr];
    if (!complete) {
      note(note_fn, ctx, "%s:%lld: a partial last line (no newline; an interrupted write): "
           "left out", path, (long long)sum.lines);
      sum.bad++;
      continue;
    }
    if (!read_result(r, line, (size_t)len, why, sizeof why, &failed)) {
      note(note_fn, ctx, "%s:%lld: %s", path, (long long)sum.lines, why);
      if (failed) sum.failed++;
      else sum.bad++;
      continue;
    }
    int64_t dup = -1;
    for (int64_t i = 0; i < t.nr && dup < 0; i++)
      if (!strcmp(t.r[i].run_id, r->run_id)) dup = i;
    if (dup >= 0) {
      note(note_fn, ctx, "%s:%lld: run %s repeats line %lld: left out", path,
           (long long)sum.lines, r->run_id, (long long)t.r[dup].line);
      sum.repeated++;
      config_free(&r->cfg);
      free(r->run_id);
      continue;
    }
    r->line = sum.lines;
    t.nr++;
  }
  if (ferror(f)) {
    st = gs_error_set(err, GS_ERR_IO, "%s: read error", path);
    goto fail;
  }
  sum.results = t.nr;
  if (t.nr == 0) {
    st = gs_error_set(err, GS_ERR_INVALID, "%s: no usable result in %lld line%s", path,
                      (long long)sum.lines, sum.lines == 1 ? "" : "s");
    goto fail;
  }
  st = gs_mkdir_p(out_dir, err);
  if (st != GS_OK) goto fail;
  st = build_groups(&t, err);
  if (st != GS_OK) goto fail;
  sum.groups = t.ng;
  sum.panels = t.npanels;
  st = write_tables(&t, out_dir, path, err);
  if (st != GS_OK) goto fail;
  series = calloc((size_t)t.npanels, sizeof *series);
  nseries = calloc((size_t)t.npanels, sizeof *nseries);
  if (!series || !nseries) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int64_t p = 0; p < t.npanels; p++) {
    st = write_panel_data(&t, p, series[p], &nseries[p], out_dir, err);
    if (st != GS_OK) goto fail;
  }
  st = write_accuracy_scripts(&t, out_dir, series, nseries, err);
  if (st == GS_OK) st = write_prediction_files(&t, out_dir, err);
  if (st != GS_OK) goto fail;
  if (gnuplot) {
    static const char *const FIGS[] = {"acc_vs_flops", "acc_vs_flops_top", "acc_vs_memory",
                                       "acc_vs_time",
                                       "predicted_vs_measured_memory",
                                       "predicted_vs_measured_time"};
    for (size_t i = 0; i < sizeof FIGS / sizeof FIGS[0]; i++) {
      st = render(gnuplot, out_dir, FIGS[i], err);
      if (st != GS_OK) goto fail;
      sum.rendered++;
    }
  }
fail:
  if (summary) *summary = sum;
  free(series);
  free(nseries);
  free(line);
  fclose(f);
  table_free(&t);
  return st;
}

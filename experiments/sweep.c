/* Sweep files (docs/SWEEPS.md): parsing with file:line errors, expansion of the axes as a grid
 * with zipped groups, resolution of each combination to the settings that apply to it (so that
 * combinations meaning the same training run share one run_id), the `gnnscale train`
 * arguments of a run, and its price by the cost model. */
#include "experiments/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "gnn/model.h"
#include "scaling/rules.h"

/* Expansion stops here: a sweep is a batch of trainings, and a typo such as `seed 0..100000`
 * should fail at once rather than fill the disk. */
#define MAX_RUNS 100000
#define MAX_AXES GS_SWEEP_MAX_SETTINGS
#define MAX_LINE 4096

typedef enum { K_TEXT, K_INT, K_DOUBLE, K_ENUM, K_BOOL, K_BASE, K_STRATEGY } key_kind;

/* The keys of a sweep file: the value kind, bounds or choices, and the train flag. `implicit`
 * is the value that needs no flag (the program's built-in behaviour), so a sweep naming it
 * still runs on a program without the flag. */
typedef struct {
  const char *key;
  key_kind kind;
  double lo, hi;
  const char *choices; /* K_ENUM: "a|b|c" */
  const char *flag;
  const char *implicit;
} key_spec;

static const key_spec KEYS[] = {
    {"dataset", K_TEXT, 0, 0, NULL, "--data", NULL},
    {"split", K_TEXT, 0, 0, NULL, "--split", NULL},
    {"model", K_ENUM, 0, 0, "gcn|sage|gin|sgc|appnp", "--model", "gcn"},
    {"batching", K_ENUM, 0, 0, "full|cluster|auto", "--batching", "full"},
    {"parts", K_INT, 1, 1 << 24, NULL, "--parts", NULL},
    {"clusters_per_batch", K_INT, 1, 1 << 24, NULL, "--clusters-per-batch", NULL},
    {"strategy", K_STRATEGY, 0, 0, NULL, "--strategy", NULL},
    {"phi", K_DOUBLE, 0, 64, NULL, "--phi", NULL},
    {"alpha", K_DOUBLE, 1, 100, NULL, "--alpha", NULL},
    {"beta", K_DOUBLE, 1, 100, NULL, "--beta", NULL},
    {"gamma", K_DOUBLE, 1, 100, NULL, "--gamma", NULL},
    {"a", K_DOUBLE, 0, 1, NULL, "--a", NULL},
    {"base", K_BASE, 0, 0, NULL, "--base", NULL},
    {"width_multiple", K_INT, 1, 1 << 20, NULL, "--width-multiple", NULL},
    {"depth", K_INT, 1, GS_MAX_LAYERS, NULL, "--depth", NULL},
    {"width", K_INT, 1, 1 << 20, NULL, "--width", NULL},
    {"resolution", K_DOUBLE, 1e-9, 1, NULL, "--resolution", NULL},
    {"epochs", K_INT, 1, 1000000, NULL, "--epochs", NULL},
    {"patience", K_INT, 0, 1000000, NULL, "--patience", NULL},
    {"lr", K_DOUBLE, 1e-12, 10, NULL, "--lr", NULL},
    {"weight_decay", K_DOUBLE, 0, 10, NULL, "--weight-decay", NULL},
    {"decay", K_ENUM, 0, 0, "first|all", "--decay", NULL},
    {"dropout", K_DOUBLE, 0, 0.99, NULL, "--dropout", NULL},
    {"residual", K_BOOL, 0, 0, NULL, "--residual", "false"},
    {"layernorm", K_BOOL, 0, 0, NULL, "--layernorm", "false"},
    {"rezero", K_BOOL, 0, 0, NULL, "--rezero", "false"},
    {"identity_map", K_BOOL, 0, 0, NULL, "--identity-map", "false"},
    {"plain", K_BOOL, 0, 0, NULL, "--plain", "false"},
    {"order", K_ENUM, 0, 0, "auto|transform|aggregate", "--order", NULL},
    {"features", K_ENUM, 0, 0, "rownorm|raw|binary|l2|auto", "--features", NULL},
    {"norm", K_ENUM, 0, 0, "sym|row|none", "--norm", NULL},
    {"reorder", K_ENUM, 0, 0, "none|rcm", "--reorder", NULL},
    {"seed", K_INT, 0, 1e15, NULL, "--seed", NULL},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

/* Pass-through settings `flag.NAME VALUE` become `--NAME VALUE` (`true`: `--NAME` alone,
 * `false`: nothing), for train options this file does not know yet. */
#define FLAG_PREFIX "flag."

typedef struct {
  char key[GS_SWEEP_KEY_MAX];
  int64_t line;
  int64_t count;
  char (*values)[GS_SWEEP_VALUE_MAX];
  int32_t group; /* zip group (index of its first axis), or its own index */
} axis;

struct gs_sweep {
  char name[1024];
  char data_root[1024];
  int32_t naxes;
  axis axes[MAX_AXES];
  int64_t combinations;
  int64_t nruns;
  gs_sweep_run *runs;
};

static const key_spec *find_key(const char *key) {
  for (size_t i = 0; i < NKEYS; i++)
    if (!strcmp(KEYS[i].key, key)) return &KEYS[i];
  return NULL;
}

static bool is_flag_key(const char *key) {
  size_t n = strlen(FLAG_PREFIX);
  if (strncmp(key, FLAG_PREFIX, n) || !key[n]) return false;
  for (const char *c = key + n; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) return false;
  return true;
}

uint64_t gs_sweep_hash(const char *text) {
  return gs_hash_fnv1a(GS_HASH_FNV_START, text, strlen(text));
}

static bool choice_ok(const char *choices, const char *v) {
  size_t n = strlen(v);
  for (const char *c = choices; *c;) {
    const char *bar = strchr(c, '|');
    size_t len = bar ? (size_t)(bar - c) : strlen(c);
    if (len == n && !strncmp(c, v, n)) return true;
    if (!bar) break;
    c = bar + 1;
  }
  return false;
}

/* Checks value for key and writes its canonical text into out. On failure returns false with
 * the reason in why. */
static bool canonical_value(const char *key, const char *v, char *out, char *why, size_t wcap) {
  const key_spec *k = find_key(key);
  if (strlen(v) >= GS_SWEEP_VALUE_MAX) {
    snprintf(why, wcap, "value longer than %d characters", GS_SWEEP_VALUE_MAX - 1);
    return false;
  }
  if (!k) { /* flag.NAME: any text */
    strcpy(out, v);
    return true;
  }
  char *end = NULL;
  switch (k->kind) {
    case K_TEXT:
      if (strchr(v, ';') || strchr(v, '=')) {
        snprintf(why, wcap, "'%s' holds ';' or '='", v);
        return false;
      }
      strcpy(out, v);
      return true;
    case K_INT: {
      errno = 0;
      long long x = strtoll(v, &end, 10);
      if (end == v || *end || errno) {
        snprintf(why, wcap, "'%s' is not an integer", v);
        return false;
      }
      if ((double)x < k->lo || (double)x > k->hi) {
        snprintf(why, wcap, "%lld is outside %.0f..%.0f", x, k->lo, k->hi);
        return false;
      }
      snprintf(out, GS_SWEEP_VALUE_MAX, "%lld", x);
      return true;
    }
    case K_DOUBLE: {
      double x = strtod(v, &end);
      if (end == v || *end || !isfinite(x)) {
        snprintf(why, wcap, "'%s' is not a number", v);
        return false;
      }
      if (x < k->lo || x > k->hi) {
        snprintf(why, wcap, "%g is outside [%g, %g]", x, k->lo, k->hi);
        return false;
      }
      snprintf(out, GS_SWEEP_VALUE_MAX, "%.12g", x);
      return true;
    }
    case K_ENUM:
      if (!choice_ok(k->choices, v)) {
        snprintf(why, wcap, "'%s' is not one of %s", v, k->choices);
        return false;
      }
      strcpy(out, v);
      return true;
    case K_BOOL:
      if (strcmp(v, "true") && strcmp(v, "false")) {
        snprintf(why, wcap, "'%s' is not true or false", v);
        return false;
      }
      strcpy(out, v);
      return true;
    case K_STRATEGY: {
      gs_scaling_strategy s;
      if (strcmp(v, "base") && gs_scaling_strategy_parse(&s, v, NULL) != GS_OK) {
        snprintf(why, wcap, "'%s' is not dwr, dWr, d, w, r, explicit or base", v);
        return false;
      }
      strcpy(out, v);
      return true;
    }
    case K_BASE: {
      long long d = strtoll(v, &end, 10);
      double r = 1.0;
      long long w = 0;
      bool ok = end != v && *end == ',' && d >= 1 && d <= GS_MAX_LAYERS;
      if (ok) {
        const char *p = end + 1;
        w = strtoll(p, &end, 10);
        ok = end != p && w >= 1 && w <= (1 << 20);
      }
      if (ok && *end == ',') {
        const char *p = end + 1;
        r = strtod(p, &end);
        ok = end != p && r > 0.0 && r <= 1.0;
      }
      if (!ok || *end) {
        snprintf(why, wcap, "'%s' is not D,W or D,W,R (depth 1..%d, width >= 1, resolution "
                 "in (0, 1])", v, GS_MAX_LAYERS);
        return false;
      }
      snprintf(out, GS_SWEEP_VALUE_MAX, "%lld,%lld,%.12g", d, w, r);
      return true;
    }
  }
  return false;
}

static axis *find_axis(gs_sweep *sw, const char *key) {
  for (int32_t i = 0; i < sw->naxes; i++)
    if (!strcmp(sw->axes[i].key, key)) return &sw->axes[i];
  return NULL;
}

/* Appends one value (a range A..B of integers expands) to ax. */
static gs_status add_values(gs_sweep *sw, axis *ax, const char *tok, int64_t line,
                            gs_error *err) {
  const key_spec *k = find_key(ax->key);
  long long lo = 0, hi = 0;
  int used = 0;
  bool range = k && k->kind == K_INT && sscanf(tok, "%lld..%lld%n", &lo, &hi, &used) == 2 &&
               tok[used] == '\0';
  if (range && (hi < lo || hi - lo >= MAX_RUNS))
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: %s: range '%s' is empty or longer than %d",
                        sw->name, (long long)line, ax->key, tok, MAX_RUNS);
  for (long long x = lo; range ? x <= hi : x == lo; x++) {
    char text[64], why[256];
    const char *v = tok;
    if (range) {
      snprintf(text, sizeof text, "%lld", x);
      v = text;
    }
    char (*grown)[GS_SWEEP_VALUE_MAX] = realloc(ax->values, (size_t)(ax->count + 1) *
                                                                sizeof *ax->values);
    if (!grown) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    ax->values = grown;
    if (!canonical_value(ax->key, v, ax->values[ax->count], why, sizeof why))
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: %s: %s", sw->name, (long long)line,
                          ax->key, why);
    ax->count++;
    if (!range) break;
  }
  return GS_OK;
}

static gs_status parse_line(gs_sweep *sw, char *text, int64_t line, int64_t *zip_lines,
                            char zips[][MAX_LINE], int32_t *nzips, gs_error *err) {
  char *hash = strchr(text, '#');
  if (hash) *hash = '\0';
  char *save = NULL;
  char *key = strtok_r(text, " \t\r", &save);
  if (!key) return GS_OK;
  if (!strcmp(key, "zip")) {
    if (*nzips >= MAX_AXES)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: too many zip lines", sw->name,
                          (long long)line);
    char *rest = strtok_r(NULL, "", &save);
    snprintf(zips[*nzips], MAX_LINE, "%s", rest ? rest : "");
    zip_lines[(*nzips)++] = line;
    return GS_OK;
  }
  if (!strcmp(key, "data_root")) {
    char *v = strtok_r(NULL, " \t\r", &save);
    if (!v || strtok_r(NULL, " \t\r", &save))
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: data_root takes one folder", sw->name,
                          (long long)line);
    snprintf(sw->data_root, sizeof sw->data_root, "%s", v);
    return GS_OK;
  }
  if (!find_key(key) && !is_flag_key(key))
    return gs_error_set(err, GS_ERR_PARSE,
                        "%s:%lld: unknown key '%s' (see docs/SWEEPS.md for the keys; "
                        "flag.NAME passes --NAME to train)", sw->name, (long long)line, key);
  if (strlen(key) >= GS_SWEEP_KEY_MAX)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: key '%s' is too long", sw->name,
                        (long long)line, key);
  axis *prev = find_axis(sw, key);
  if (prev)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: %s was already given on line %lld",
                        sw->name, (long long)line, key, (long long)prev->line);
  if (sw->naxes >= MAX_AXES)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: more than %d keys", sw->name,
                        (long long)line, MAX_AXES);
  axis *ax = &sw->axes[sw->naxes++];
  memset(ax, 0, sizeof *ax);
  snprintf(ax->key, sizeof ax->key, "%s", key);
  ax->line = line;
  ax->group = sw->naxes - 1;
  char *tok;
  while ((tok = strtok_r(NULL, " \t\r", &save))) {
    gs_status st = add_values(sw, ax, tok, line, err);
    if (st != GS_OK) return st;
  }
  if (ax->count == 0)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: %s has no value", sw->name,
                        (long long)line, key);
  return GS_OK;
}

/* An axis of its own (not zipped) lists each value once: a repeat is a typo, not a second run.
 * Zipped axes may repeat values (strategy d d w w against phi 1 2 1 2). */
static gs_status check_repeats(const gs_sweep *sw, gs_error *err) {
  for (int32_t a = 0; a < sw->naxes; a++) {
    const axis *ax = &sw->axes[a];
    bool zipped = ax->group != a;
    for (int32_t b = 0; b < sw->naxes && !zipped; b++) zipped = b != a && sw->axes[b].group == a;
    if (zipped) continue;
    for (int64_t i = 0; i < ax->count; i++)
      for (int64_t j = 0; j < i; j++)
        if (!strcmp(ax->values[i], ax->values[j]))
          return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: %s lists '%s' twice", sw->name,
                              (long long)ax->line, ax->key, ax->values[i]);
  }
  return GS_OK;
}

static gs_status apply_zip(gs_sweep *sw, char *list, int64_t line, gs_error *err) {
  char *save = NULL, *tok;
  axis *first = NULL;
  int32_t n = 0;
  while ((tok = strtok_r(list, " \t\r", &save))) {
    list = NULL;
    axis *ax = find_axis(sw, tok);
    if (!ax)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: zip: '%s' is not a key of this sweep",
                          sw->name, (long long)line, tok);
    if (ax->group != ax - sw->axes)
      return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: zip: %s is already zipped", sw->name,
                          (long long)line, tok);
    if (!first) {
      first = ax;
    } else {
      if (ax->count != first->count)
        return gs_error_set(err, GS_ERR_PARSE,
                            "%s:%lld: zip: %s has %lld values (line %lld) but %s has %lld "
                            "(line %lld): zipped keys need as many", sw->name, (long long)line,
                            ax->key, (long long)ax->count, (long long)ax->line, first->key,
                            (long long)first->count, (long long)first->line);
      ax->group = (int32_t)(first - sw->axes);
    }
    n++;
  }
  if (n < 2)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%lld: zip needs two keys or more", sw->name,
                        (long long)line);
  return GS_OK;
}

const char *gs_sweep_get(const gs_sweep_run *run, const char *key) {
  for (int32_t i = 0; i < run->count; i++)
    if (!strcmp(run->set[i].key, key)) return run->set[i].value;
  return NULL;
}

static void drop(gs_sweep_run *run, const char *key) {
  for (int32_t i = 0; i < run->count; i++)
    if (!strcmp(run->set[i].key, key)) {
      run->set[i] = run->set[--run->count];
      return;
    }
}

static void put(gs_sweep_run *run, const char *key, const char *value) {
  for (int32_t i = 0; i < run->count; i++)
    if (!strcmp(run->set[i].key, key)) {
      snprintf(run->set[i].value, GS_SWEEP_VALUE_MAX, "%s", value);
      return;
    }
  snprintf(run->set[run->count].key, GS_SWEEP_KEY_MAX, "%s", key);
  snprintf(run->set[run->count].value, GS_SWEEP_VALUE_MAX, "%s", value);
  run->count++;
}

static int compare_setting(const void *a, const void *b) {
  return strcmp(((const gs_sweep_setting *)a)->key, ((const gs_sweep_setting *)b)->key);
}

/* Leaves in run only the settings that decide its training (docs/SWEEPS.md, "Which settings
 * make a run"):
 * - a scaling strategy at phi = 0 is the base model whatever the strategy: strategy "base";
 * - alpha, beta, gamma belong to dwr, a to dWr; phi, base and width_multiple to scaled runs;
 * - depth, width and resolution are set by a strategy other than explicit;
 * - the program's built-in values (model gcn, batching full, false switches) are dropped, so
 *   a sweep naming them and one leaving them out give the same run_id. */
static void resolve(gs_sweep_run *run) {
  const char *phi = gs_sweep_get(run, "phi"), *named = gs_sweep_get(run, "strategy");
  const bool scaled = named && strcmp(named, "explicit");
  if (scaled && (!phi || strtod(phi, NULL) == 0.0)) put(run, "strategy", "base");
  /* A copy: drop() and the sort below move the settings, so a pointer into run->set would
   * come to name another setting's value (and make the run_id depend on the file's order). */
  char strategy[GS_SWEEP_VALUE_MAX] = "";
  if (gs_sweep_get(run, "strategy"))
    snprintf(strategy, sizeof strategy, "%s", gs_sweep_get(run, "strategy"));
  const char *s = strategy[0] ? strategy : NULL;
  if (!scaled) {
    drop(run, "phi");
    drop(run, "base");
    drop(run, "width_multiple");
  } else {
    drop(run, "depth");
    drop(run, "width");
    drop(run, "resolution");
  }
  if (!s || !scaled || !strcmp(s, "base")) drop(run, "phi");
  if (!s || strcmp(s, "dwr")) {
    drop(run, "alpha");
    drop(run, "beta");
    drop(run, "gamma");
  }
  if (!s || strcmp(s, "dWr")) drop(run, "a");
  if (!gs_sweep_get(run, "batching") || !strcmp(gs_sweep_get(run, "batching"), "full")) {
    drop(run, "parts");
    drop(run, "clusters_per_batch");
  }
  for (size_t k = 0; k < NKEYS; k++) {
    const char *v = gs_sweep_get(run, KEYS[k].key);
    if (v && KEYS[k].implicit && !strcmp(v, KEYS[k].implicit)) drop(run, KEYS[k].key);
  }
  for (int32_t i = 0; i < run->count; i++)
    if (!strncmp(run->set[i].key, FLAG_PREFIX, strlen(FLAG_PREFIX)) &&
        !strcmp(run->set[i].value, "false"))
      drop(run, run->set[i--].key);
  qsort(run->set, (size_t)run->count, sizeof run->set[0], compare_setting);
  size_t n = 0;
  run->canonical[0] = '\0';
  for (int32_t i = 0; i < run->count; i++)
    n += (size_t)snprintf(run->canonical + n, sizeof run->canonical - n, "%s%s=%s",
                          i ? ";" : "", run->set[i].key, run->set[i].value);
  /* A scaled run that leaves the stack to the program trains what the program's default
   * decides from GS_MODEL_DEEP_DEPTH layers on: `stack=auto2` since the GCN deep stack became
   * residual + ReZero (gates scaled by 1/R) + identity map and SAGE's and GIN's gates were
   * scaled; `stack=auto` was residual + ReZero + LayerNorm (1af91ec); plain before. Naming that
   * in the canonical text keeps a newer binary from taking a result of an older default for
   * its own: such runs are run again, not silently mixed. The base run too: it is trained as
   * `--strategy w --phi 0`, a scaled run (a base of depth 4 or more gets the deep stack). */
  if (scaled && !gs_sweep_get(run, "residual") &&
      !gs_sweep_get(run, "layernorm") && !gs_sweep_get(run, "rezero") &&
      !gs_sweep_get(run, "identity_map") && !gs_sweep_get(run, "plain"))
    snprintf(run->canonical + n, sizeof run->canonical - n, "%sstack=auto2", n ? ";" : "");
  snprintf(run->run_id, sizeof run->run_id, "%016llx",
           (unsigned long long)gs_sweep_hash(run->canonical));
}

static gs_status expand(gs_sweep *sw, gs_error *err) {
  /* Groups: the axes that lead a zip group or stand alone, in file order. */
  int32_t groups[MAX_AXES], ng = 0;
  int64_t total = 1;
  for (int32_t i = 0; i < sw->naxes; i++)
    if (sw->axes[i].group == i) {
      groups[ng++] = i;
      total *= sw->axes[i].count;
      if (total > MAX_RUNS)
        return gs_error_set(err, GS_ERR_PARSE, "%s: more than %d combinations", sw->name,
                            MAX_RUNS);
    }
  if (!find_axis(sw, "dataset"))
    return gs_error_set(err, GS_ERR_PARSE, "%s: no dataset line (e.g. `dataset cora`)",
                        sw->name);
  sw->combinations = total;
  sw->runs = calloc((size_t)total, sizeof *sw->runs);
  if (!sw->runs) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  int64_t idx[MAX_AXES] = {0};
  for (int64_t c = 0; c < total; c++) {
    gs_sweep_run *run = &sw->runs[sw->nruns];
    run->count = 0;
    for (int32_t i = 0; i < sw->naxes; i++) {
      int32_t g = 0;
      while (groups[g] != sw->axes[i].group) g++;
      put(run, sw->axes[i].key, sw->axes[i].values[idx[g]]);
    }
    resolve(run);
    bool seen = false;
    for (int64_t r = 0; r < sw->nruns && !seen; r++)
      seen = !strcmp(sw->runs[r].run_id, run->run_id) &&
             !strcmp(sw->runs[r].canonical, run->canonical);
    if (!seen) sw->nruns++;
    /* The last group varies fastest. */
    for (int32_t g = ng - 1; g >= 0; g--) {
      if (++idx[g] < sw->axes[groups[g]].count) break;
      idx[g] = 0;
    }
  }
  return GS_OK;
}

gs_status gs_sweep_parse(gs_sweep **out, const char *text, const char *name, gs_error *err) {
  gs_status st = GS_OK;
  gs_sweep *sw = calloc(1, sizeof *sw);
  char (*zips)[MAX_LINE] = calloc(MAX_AXES, sizeof *zips);
  int64_t zip_lines[MAX_AXES];
  int32_t nzips = 0;
  char *buf = NULL;
  if (!sw || !zips) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  snprintf(sw->name, sizeof sw->name, "%s", name);
  snprintf(sw->data_root, sizeof sw->data_root, "datasets/data");
  int64_t line = 0;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    line++;
    if (len >= MAX_LINE) {
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%lld: line longer than %d characters", name,
                        (long long)line, MAX_LINE - 1);
      goto fail;
    }
    char one[MAX_LINE];
    memcpy(one, p, len);
    one[len] = '\0';
    GS_TRY(parse_line(sw, one, line, zip_lines, zips, &nzips, err));
    p += len + (nl ? 1 : 0);
  }
  for (int32_t z = 0; z < nzips; z++) GS_TRY(apply_zip(sw, zips[z], zip_lines[z], err));
  GS_TRY(check_repeats(sw, err));
  GS_TRY(expand(sw, err));
  free(zips);
  *out = sw;
  return GS_OK;
fail:
  free(buf);
  free(zips);
  gs_sweep_free(&sw);
  return st;
}

gs_status gs_sweep_load(gs_sweep **out, const char *path, gs_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return gs_error_set(err, GS_ERR_IO, "%s: %s", path, strerror(errno));
  char *text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = 2 * cap + 8192;
      char *grown = realloc(text, cap);
      if (!grown) {
        free(text);
        fclose(f);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
      }
      text = grown;
    }
    size_t got = fread(text + len, 1, 4096, f);
    len += got;
    if (got < 4096) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(text);
    return gs_error_set(err, GS_ERR_IO, "%s: read error", path);
  }
  text[len] = '\0';
  if (strlen(text) != len) {
    free(text);
    return gs_error_set(err, GS_ERR_PARSE, "%s: holds a NUL byte: not a sweep file", path);
  }
  gs_status st = gs_sweep_parse(out, text, path, err);
  free(text);
  return st;
}

void gs_sweep_free(gs_sweep **sw) {
  if (!sw || !*sw) return;
  for (int32_t i = 0; i < (*sw)->naxes; i++) free((*sw)->axes[i].values);
  free((*sw)->runs);
  free(*sw);
  *sw = NULL;
}

const gs_sweep_run *gs_sweep_runs(const gs_sweep *sw, int64_t *count) {
  *count = sw->nruns;
  return sw->runs;
}

int64_t gs_sweep_combinations(const gs_sweep *sw) { return sw->combinations; }

const char *gs_sweep_data_root(const gs_sweep *sw) { return sw->data_root; }

const char *gs_sweep_name(const gs_sweep *sw) { return sw->name; }

/* The train flag of a setting key (NULL for keys that are not flags). */
static const char *flag_of(const char *key, char *buf, size_t cap) {
  const key_spec *k = find_key(key);
  if (k) return k->flag;
  snprintf(buf, cap, "--%s", key + strlen(FLAG_PREFIX));
  return buf;
}

int gs_sweep_train_args(const gs_sweep_run *run, const char *data_root, int threads,
                        char **argv, int cap, char *storage, size_t size) {
  int n = 0;
  size_t used = 0;
#define ARG(...)                                                              \
  do {                                                                        \
    if (n + 2 > cap || used >= size) return -1;                               \
    int w_ = snprintf(storage + used, size - used, __VA_ARGS__);              \
    if (w_ < 0 || (size_t)w_ >= size - used) return -1;                       \
    argv[n++] = storage + used;                                               \
    used += (size_t)w_ + 1;                                                   \
  } while (0)
  const char *s = gs_sweep_get(run, "strategy");
  for (int32_t i = 0; i < run->count; i++) {
    const gs_sweep_setting *st = &run->set[i];
    char buf[GS_SWEEP_KEY_MAX + 4];
    if (!strcmp(st->key, "dataset")) {
      ARG("--data");
      ARG("%s/%s", data_root, st->value);
    } else if (!strcmp(st->key, "strategy") && !strcmp(st->value, "base")) {
      /* The base model: width alone at phi = 0 keeps (d0, w0, r0) with widths rounded as
       * every scaled run rounds them. */
      ARG("--strategy");
      ARG("w");
      ARG("--phi");
      ARG("0");
    } else {
      const key_spec *k = find_key(st->key);
      ARG("%s", flag_of(st->key, buf, sizeof buf));
      bool is_bool = (k && k->kind == K_BOOL) || (!k && !strcmp(st->value, "true"));
      if (!is_bool) ARG("%s", st->value);
    }
  }
  (void)s;
  ARG("--threads");
  ARG("%d", threads);
  ARG("--json");
  ARG("--quiet");
  argv[n] = NULL;
  return n;
#undef ARG
}

/* The line of help that documents flag (holding it as a word: after a space or the line's
 * start, before a space, '=' or the line's end), or NULL. */
static const char *help_line(const char *help, const char *flag, char *line, size_t cap) {
  size_t n = strlen(flag);
  for (const char *p = help; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    for (const char *q = p; q + n <= p + len; q++) {
      if (strncmp(q, flag, n) || (q > p && q[-1] != ' ')) continue;
      if (q + n == p + len || q[n] == ' ' || q[n] == '=') {
        snprintf(line, cap, "%.*s", (int)len, p);
        return line;
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* True when the help line names value as a whole word (between separators such as | or ,). */
static bool names_value(const char *line, const char *value) {
  size_t n = strlen(value);
  for (const char *p = strstr(line, value); p; p = strstr(p + 1, value)) {
    char before = p == line ? ' ' : p[-1];
    char after = p[n];
    bool sep_b = before == ' ' || before == '|' || before == ',' || before == '(';
    bool sep_a = after == '\0' || after == ' ' || after == '|' || after == ',' || after == ')';
    if (sep_b && sep_a) return true;
  }
  return false;
}

gs_status gs_sweep_check_support(const gs_sweep *sw, const char *train_help, gs_error *err) {
  for (int32_t i = 0; i < sw->naxes; i++) {
    const axis *ax = &sw->axes[i];
    if (!strcmp(ax->key, "dataset")) continue;
    char buf[GS_SWEEP_KEY_MAX + 4], line[1024];
    const char *flag = flag_of(ax->key, buf, sizeof buf);
    const key_spec *k = find_key(ax->key);
    const char *doc = help_line(train_help, flag, line, sizeof line);
    for (int64_t v = 0; v < ax->count; v++) {
      const char *value = ax->values[v];
      bool implicit = k && k->implicit && !strcmp(value, k->implicit);
      if (!k && !strcmp(value, "false")) implicit = true;
      if (!doc && !implicit)
        return gs_error_set(err, GS_ERR_INVALID,
                            "%s:%lld: %s %s: this gnnscale's train has no %s option", sw->name,
                            (long long)ax->line, ax->key, value, flag);
      if (doc && k && k->kind == K_ENUM && !implicit && !names_value(doc, value))
        return gs_error_set(err, GS_ERR_INVALID,
                            "%s:%lld: %s %s: this gnnscale's train does not offer it (%s)",
                            sw->name, (long long)ax->line, ax->key, value, doc);
    }
  }
  return GS_OK;
}

/* ---- pricing ---- */

typedef struct {
  char key[2048]; /* dataset dir, split, norm */
  bool ok;
  char error[GS_ERROR_MSG_MAX];
  gs_cost_data data;
  int64_t *prefix;
} priced_data;

/* One answer of the probe hook, for the requests with this key. */
typedef struct {
  char key[2560];
  bool ok; /* false: the hook failed, the pricer's profile prices these runs */
  gs_sweep_probe_answer answer;
} probed;

struct gs_sweep_pricer {
  char data_root[1024];
  const gs_profile *profile;
  int64_t resident;
  int32_t n;
  priced_data *cache;
  gs_sweep_probe_fn probe;
  void *probe_ctx;
  int32_t nprobed;
  probed *probed;
};

gs_status gs_sweep_pricer_new(gs_sweep_pricer **out, const char *data_root,
                              const gs_profile *profile, int64_t resident_bytes, gs_error *err) {
  gs_sweep_pricer *p = calloc(1, sizeof *p);
  if (!p) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  snprintf(p->data_root, sizeof p->data_root, "%s", data_root);
  p->profile = profile;
  p->resident = resident_bytes;
  *out = p;
  return GS_OK;
}

void gs_sweep_pricer_free(gs_sweep_pricer **p) {
  if (!p || !*p) return;
  for (int32_t i = 0; i < (*p)->n; i++) free((*p)->cache[i].prefix);
  free((*p)->cache);
  free((*p)->probed);
  free(*p);
  *p = NULL;
}

void gs_sweep_pricer_set_probe(gs_sweep_pricer *p, gs_sweep_probe_fn fn, void *ctx) {
  p->probe = fn;
  p->probe_ctx = ctx;
}

/* The hook's answer for req (asked on first use). *out NULL: no hook, or it failed. */
static gs_status probe_of(const gs_sweep_probe_answer **out, gs_sweep_pricer *p,
                          const gs_sweep_probe_request *req, gs_error *err) {
  *out = NULL;
  if (!p->probe) return GS_OK;
  char key[2560];
  const gs_model_config *m = &req->model;
  snprintf(key, sizeof key, "%s|%s|%d|%d|%lld|%d|%.9g|%d|%d|%d|%d|%d", req->dir,
           req->split ? req->split : "", (int)req->norm, (int)req->prep,
           (long long)req->features, (int)m->family, (double)m->dropout, (int)m->residual,
           (int)m->norm, (int)m->order, (int)req->train.decay_scope, (int)req->reorder_rcm);
  for (int32_t i = 0; i < p->nprobed; i++)
    if (!strcmp(p->probed[i].key, key)) {
      if (p->probed[i].ok) *out = &p->probed[i].answer;
      return GS_OK;
    }
  probed *grown = realloc(p->probed, (size_t)(p->nprobed + 1) * sizeof *grown);
  if (!grown) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  p->probed = grown;
  probed *e = &p->probed[p->nprobed++];
  memset(e, 0, sizeof *e);
  snprintf(e->key, sizeof e->key, "%s", key);
  gs_error herr;
  gs_error_clear(&herr);
  gs_status st = p->probe(&e->answer, p->probe_ctx, req, &herr);
  if (st == GS_ERR_NOMEM) return gs_error_set(err, st, "%s", herr.msg);
  e->ok = st == GS_OK;
  if (e->ok) *out = &e->answer;
  return GS_OK;
}

static gs_status data_of(priced_data **out, gs_sweep_pricer *p, const char *dataset,
                         const char *split, gs_norm norm, gs_error *err) {
  char key[2048];
  snprintf(key, sizeof key, "%s/%s|%s|%d", p->data_root, dataset, split ? split : "",
           (int)norm);
  for (int32_t i = 0; i < p->n; i++)
    if (!strcmp(p->cache[i].key, key)) {
      *out = &p->cache[i];
      return GS_OK;
    }
  priced_data *grown = realloc(p->cache, (size_t)(p->n + 1) * sizeof *grown);
  if (!grown) return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  p->cache = grown;
  priced_data *d = &p->cache[p->n++];
  memset(d, 0, sizeof *d);
  snprintf(d->key, sizeof d->key, "%s", key);
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/%s", p->data_root, dataset);
  gs_error e;
  gs_error_clear(&e);
  /* As each run's `train` prices and loads it: through the folder's binary store. */
  char store[4352];
  gs_status st = gs_cost_data_open(&d->data, &d->prefix, store, sizeof store, NULL, 0, dir, split,
                                   norm, NULL, NULL, &e);
  if (st == GS_ERR_NOMEM) return gs_error_set(err, st, "%s", e.msg);
  d->ok = st == GS_OK;
  if (!d->ok) snprintf(d->error, sizeof d->error, "%s", e.msg);
  *out = d;
  return GS_OK;
}

static double num(const gs_sweep_run *run, const char *key, double fallback) {
  const char *v = gs_sweep_get(run, key);
  return v ? strtod(v, NULL) : fallback;
}

gs_status gs_sweep_price(gs_sweep_prediction *out, gs_sweep_pricer *p, const gs_sweep_run *run,
                         gs_error *err) {
  gs_sweep_prediction r;
  memset(&r, 0, sizeof r);
  r.epoch_seconds = -1;
  const char *norm_s = gs_sweep_get(run, "norm");
  gs_norm norm = GS_NORM_SYM;
  if (norm_s && !strcmp(norm_s, "row")) norm = GS_NORM_ROW;
  else if (norm_s && !strcmp(norm_s, "none")) norm = GS_NORM_NONE;
  /* The layer family (GCN when not named), and the adjacency it propagates over. */
  const char *model = gs_sweep_get(run, "model");
  gs_model_family family = GS_MODEL_GCN;
  r.family_priced = !model;
  for (int f = 0; f < GS_MODEL_FAMILIES && model; f++)
    if (gs_model_family_name((gs_model_family)f) &&
        !strcmp(gs_model_family_name((gs_model_family)f), model)) {
      family = (gs_model_family)f;
      r.family_priced = true;
    }
  norm = gs_model_family_norm(family, norm);
  priced_data *d = NULL;
  gs_status st = data_of(&d, p, gs_sweep_get(run, "dataset"), gs_sweep_get(run, "split"), norm,
                         err);
  if (st != GS_OK) return st;
  if (!d->ok) {
    r.data_error = true;
    snprintf(r.error, sizeof r.error, "%s", d->error);
    *out = r;
    return GS_OK;
  }
  gs_train_options topt = gs_train_options_default();
  gs_cost_options copt = gs_cost_options_default();
  gs_model_config cfg = gs_model_config_default();
  cfg.family = family;
  cfg.dropout = (float)num(run, "dropout", cfg.dropout);
  const char *v;
  cfg.residual = (v = gs_sweep_get(run, "residual")) && !strcmp(v, "true");
  cfg.norm = (v = gs_sweep_get(run, "layernorm")) && !strcmp(v, "true");
  cfg.rezero = (v = gs_sweep_get(run, "rezero")) && !strcmp(v, "true");
  cfg.identity_map = (v = gs_sweep_get(run, "identity_map")) && !strcmp(v, "true");
  /* The stack as the run's `train` decides it (gs_cli_model_stack): a scaled run without
   * residual, rezero, layernorm or plain gets the deep stack from GS_MODEL_DEEP_DEPTH on. */
  const char *strategy = gs_sweep_get(run, "strategy");
  if (strategy && strcmp(strategy, "explicit") && !cfg.residual && !cfg.norm && !cfg.rezero &&
      !cfg.identity_map &&
      !gs_sweep_get(run, "plain"))
    cfg.stack = GS_STACK_AUTO;
  if ((v = gs_sweep_get(run, "order")))
    cfg.order = !strcmp(v, "transform") ? GS_ORDER_TRANSFORM_FIRST
                : !strcmp(v, "aggregate") ? GS_ORDER_AGGREGATE_FIRST : GS_ORDER_AUTO;
  copt.model = cfg;
  copt.decay_scope = (v = gs_sweep_get(run, "decay")) && !strcmp(v, "all") ? GS_DECAY_ALL
                                                                          : topt.decay_scope;
  copt.weight_decay = num(run, "weight_decay", topt.weight_decay);
  copt.epochs = (int32_t)num(run, "epochs", topt.epochs);
  r.epochs = copt.epochs;

  gs_scaling_rule rule = gs_scaling_rule_default();
  const char *s = gs_sweep_get(run, "strategy");
  int32_t depth = (int32_t)num(run, "depth", cfg.depth);
  int64_t width = (int64_t)num(run, "width", (double)cfg.width);
  int64_t features = d->data.file_features;
  gs_error e;
  gs_error_clear(&e);
  if (s) {
    if (!strcmp(s, "base")) rule.strategy = GS_SCALE_WIDTH;
    else gs_scaling_strategy_parse(&rule.strategy, s, NULL);
    if ((v = gs_sweep_get(run, "base"))) {
      rule.base_depth = (int32_t)strtol(v, NULL, 10);
      const char *c1 = strchr(v, ',');
      rule.base_width = strtoll(c1 + 1, NULL, 10);
      rule.base_resolution = strtod(strchr(c1 + 1, ',') + 1, NULL);
    }
    rule.width_multiple = (int64_t)num(run, "width_multiple", (double)rule.width_multiple);
    if (gs_sweep_get(run, "alpha")) {
      rule.alpha = num(run, "alpha", rule.alpha);
      rule.beta = num(run, "beta", rule.beta);
      rule.gamma = num(run, "gamma", rule.gamma);
      rule.constants_default = false;
    }
    rule.a = num(run, "a", rule.a);
    rule.depth = depth;
    rule.width = width;
    rule.resolution = num(run, "resolution", 1.0);
    gs_scaling_spec spec;
    st = gs_scaling_apply(&spec, &rule, num(run, "phi", 0.0), &copt, &d->data, &e);
    if (st == GS_OK) {
      depth = spec.depth;
      width = spec.width;
      features = spec.features;
    }
  } else if ((v = gs_sweep_get(run, "resolution"))) {
    features = gs_scaling_features(strtod(v, NULL), d->data.file_features);
  }
  /* The epoch time as the run's own `train` will predict it: through the probe of the data
   * it trains on, when the pricer has a hook. */
  const gs_profile *profile = p->profile;
  const gs_sweep_probe_answer *probe = NULL;
  r.source = p->profile && strcmp(p->profile->machine, gs_profile_default().machine) != 0
                 ? GS_PREDICTION_PROFILE
                 : GS_PREDICTION_DEFAULT;
  if (st == GS_OK && p->probe) {
    gs_sweep_probe_request req;
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", p->data_root, gs_sweep_get(run, "dataset"));
    req.dir = dir;
    req.split = gs_sweep_get(run, "split");
    req.norm = norm;
    req.prep = GS_FEATPREP_AUTO;
    if ((v = gs_sweep_get(run, "features"))) gs_featprep_parse(v, &req.prep);
    req.features = features;
    req.data = &d->data;
    /* The model as its train resolves it once the depth is known (the deep stack from
     * GS_MODEL_DEEP_DEPTH on): the probe is keyed by the stack (residual, ReZero, identity map,
     * norm). */
    gs_model_config resolved = cfg;
    resolved.depth = depth;
    resolved.width = width;
    req.model = gs_model_config_resolve(&resolved);
    req.train = topt;
    req.train.decay_scope = copt.decay_scope;
    req.train.weight_decay = copt.weight_decay;
    req.reorder_rcm = (v = gs_sweep_get(run, "reorder")) && !strcmp(v, "rcm");
    gs_status pst = probe_of(&probe, p, &req, err);
    if (pst != GS_OK) return pst;
    if (probe) {
      profile = &probe->profile;
      r.source = probe->source;
      r.load_seconds = probe->load_seconds;
    }
  }
  gs_cost cost;
  /* A run reordered by RCM reads the text (its edge lines), as its train does. */
  gs_cost_data data = d->data;
  if ((v = gs_sweep_get(run, "reorder")) && !strcmp(v, "rcm")) data.store_load_bytes = 0;
  if (st == GS_OK)
    st = gs_cost_estimate(&cost, depth, width, features, &copt, &data, profile, &e);
  if (st == GS_ERR_NOMEM) return gs_error_set(err, st, "%s", e.msg);
  if (st != GS_OK) {
    snprintf(r.error, sizeof r.error, "%s", e.msg);
    *out = r;
    return GS_OK;
  }
  r.ok = true;
  for (int32_t i = 0; i < run->count; i++)
    r.unpriced_flags += is_flag_key(run->set[i].key);
  r.depth = depth;
  r.width = width;
  r.features = features;
  r.flops_per_epoch = cost.epoch.total;
  r.peak_bytes = cost.peak_bytes;
  r.peak_rss_bytes = p->resident + cost.peak_bytes;
  r.epoch_seconds = cost.seconds_per_epoch;
  r.run_seconds = r.epoch_seconds >= 0 ? r.load_seconds + r.epoch_seconds * r.epochs : -1;
  *out = r;
  return GS_OK;
}

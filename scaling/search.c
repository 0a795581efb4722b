/* The α/β/γ search's library part (DESIGN.md §1, EfficientNet's step 1): the grid of
 * constants whose rounded model at φ = 1 costs `factor` × the base by the exact FLOP model,
 * deduplicated by rounded model, and the `key = value` result file that `plan` reads. */
#include "scaling/search.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "gnn/model.h"

/* Beyond this many grid points the search refuses (a step far too fine). */
#define SEARCH_MAX_GRID 1000000
/* A row (α, β fixed) stops once γ's model costs this many times the upper bound: rounding
 * and storage switches move the cost by far less. */
#define SEARCH_OVERSHOOT 2.0
#define SEARCH_LINE_MAX 1024

gs_search_options gs_search_options_default(void) {
  gs_search_options o;
  o.factor = 2.0;
  o.tolerance = 0.1;
  o.grid_step = 0.05;
  o.alpha_max = 4.0;
  o.beta_max = 4.0;
  o.gamma_max = 0.0;
  return o;
}

static bool same_model(const gs_scaling_spec *a, const gs_scaling_spec *b) {
  return a->depth == b->depth && a->width == b->width && a->features == b->features;
}

static int compare_candidates(const void *pa, const void *pb) {
  const gs_search_candidate *a = pa, *b = pb;
  if (a->spec.depth != b->spec.depth) return a->spec.depth < b->spec.depth ? -1 : 1;
  if (a->spec.width != b->spec.width) return a->spec.width < b->spec.width ? -1 : 1;
  if (a->spec.features != b->spec.features) return a->spec.features < b->spec.features ? -1 : 1;
  return 0;
}

/* How far a candidate's continuous model at φ = 1 lies from its rounded one, in log space. */
static double rounding_gap(const gs_search_candidate *c) {
  return fabs(log(c->spec.d / (double)c->spec.depth)) + fabs(log(c->spec.w / (double)c->spec.width)) +
         fabs(log(c->spec.r / c->spec.resolution));
}

/* Whether candidate c is a better representative of its rounded model than the kept one k
 * (both round to the same model, so they cost the same): the constants whose continuous
 * model is nearest the rounded one, so that φ != 1 extrapolates from the model that was
 * trained, not from the edge of its rounding cell; ties to the smaller α + β + γ. */
static bool better(const gs_search_candidate *c, const gs_search_candidate *k) {
  const double gc = rounding_gap(c), gk = rounding_gap(k);
  if (fabs(gc - gk) > 1e-12) return gc < gk;
  return c->alpha + c->beta + c->gamma < k->alpha + k->beta + k->gamma;
}

gs_status gs_search_candidates(gs_search_candidate **out, int32_t *count,
                               const gs_scaling_rule *base, const gs_search_options *opts,
                               const gs_cost_options *cost, const gs_cost_data *data,
                               gs_error *err) {
  gs_status st = GS_OK;
  gs_search_candidate *list = NULL;
  int32_t n = 0, cap = 0;
  const gs_search_options o = *opts;
  if (!(o.factor > 1.0) || !isfinite(o.factor))
    return gs_error_set(err, GS_ERR_INVALID, "the cost factor %g must be finite and > 1", o.factor);
  if (!(o.tolerance > 0.0 && o.tolerance < 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "the tolerance %g must be in (0, 1)", o.tolerance);
  if (!(o.grid_step > 0.0) || !isfinite(o.grid_step))
    return gs_error_set(err, GS_ERR_INVALID, "the grid step %g must be finite and > 0", o.grid_step);
  if (!(base->base_resolution > 0.0 && base->base_resolution <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "the base resolution %g is not in (0, 1]",
                        base->base_resolution);
  double gmax = o.gamma_max > 0.0 ? o.gamma_max : fmin(8.0, 1.0 / base->base_resolution);
  if (!(o.alpha_max >= 1.0) || !(o.beta_max >= 1.0) || !(gmax >= 1.0) || !isfinite(o.alpha_max) ||
      !isfinite(o.beta_max) || !isfinite(gmax))
    return gs_error_set(err, GS_ERR_INVALID, "grid bounds must be finite and >= 1 (alpha %g, beta "
                        "%g, gamma %g)", o.alpha_max, o.beta_max, gmax);
  /* 1e-9 forgives the binary representation of decimal steps (1 + 20·0.05 reaches 2). */
  const int64_t na = (int64_t)floor((o.alpha_max - 1.0) / o.grid_step + 1e-9) + 1;
  const int64_t nb = (int64_t)floor((o.beta_max - 1.0) / o.grid_step + 1e-9) + 1;
  const int64_t ng = (int64_t)floor((gmax - 1.0) / o.grid_step + 1e-9) + 1;
  if ((double)na * (double)nb * (double)ng > SEARCH_MAX_GRID)
    return gs_error_set(err, GS_ERR_INVALID,
                        "the grid has %.0f points (more than %d): use a larger step",
                        (double)na * (double)nb * (double)ng, SEARCH_MAX_GRID);
  gs_scaling_rule rule = *base;
  rule.strategy = GS_SCALE_DWR;
  rule.constants_default = false;
  const double lo = o.factor * (1.0 - o.tolerance), hi = o.factor * (1.0 + o.tolerance);
  for (int64_t i = 0; i < na; i++) {
    rule.alpha = 1.0 + (double)i * o.grid_step;
    for (int64_t j = 0; j < nb; j++) {
      rule.beta = 1.0 + (double)j * o.grid_step;
      bool row_over = true;
      for (int64_t k = 0; k < ng; k++) {
        rule.gamma = 1.0 + (double)k * o.grid_step;
        gs_search_candidate c;
        c.alpha = rule.alpha;
        c.beta = rule.beta;
        c.gamma = rule.gamma;
        gs_error e2;
        st = gs_scaling_apply(&c.spec, &rule, 1.0, cost, data, &e2);
        if (st == GS_ERR_RANGE) { /* a model beyond the limits: larger constants are too */
          st = GS_OK;
          break;
        }
        if (st != GS_OK) {
          if (err) *err = e2;
          goto fail;
        }
        const double f = c.spec.realised_factor;
        if (k == 0) row_over = f > SEARCH_OVERSHOOT * hi;
        if (f > SEARCH_OVERSHOOT * hi) break;
        if (f < lo || f > hi) continue;
        int32_t at = -1;
        for (int32_t q = 0; q < n; q++)
          if (same_model(&list[q].spec, &c.spec)) at = q;
        if (at >= 0) {
          if (better(&c, &list[at])) list[at] = c;
          continue;
        }
        if (n == cap) {
          int32_t ncap = cap ? 2 * cap : 16;
          gs_search_candidate *nl = gs_mem_realloc(list, (size_t)ncap * sizeof *nl, "search");
          if (!nl) {
            st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for search candidates");
            goto fail;
          }
          list = nl;
          cap = ncap;
        }
        list[n++] = c;
      }
      if (row_over) break; /* larger β only costs more */
    }
  }
  if (n > 1) qsort(list, (size_t)n, sizeof *list, compare_candidates);
  *out = list;
  *count = n;
  return GS_OK;
fail:
  gs_mem_free(list);
  return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Result file                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef enum { KEY_INT, KEY_INT64, KEY_DOUBLE, KEY_STRING } key_kind;

typedef struct {
  const char *name;
  key_kind kind;
  size_t offset;
} key_desc;

#define KEY(name, kind, field) {name, kind, offsetof(gs_search_result, field)}
static const key_desc keys[] = {
    KEY("dataset", KEY_STRING, dataset),
    KEY("factor", KEY_DOUBLE, factor),
    KEY("tolerance", KEY_DOUBLE, tolerance),
    KEY("grid_step", KEY_DOUBLE, grid_step),
    KEY("base_depth", KEY_INT, base_depth),
    KEY("base_width", KEY_INT64, base_width),
    KEY("base_resolution", KEY_DOUBLE, base_resolution),
    KEY("width_multiple", KEY_INT64, width_multiple),
    KEY("alpha", KEY_DOUBLE, alpha),
    KEY("beta", KEY_DOUBLE, beta),
    KEY("gamma", KEY_DOUBLE, gamma),
    KEY("depth", KEY_INT, depth),
    KEY("width", KEY_INT64, width),
    KEY("features", KEY_INT64, features),
    KEY("realised_factor", KEY_DOUBLE, realised_factor),
    KEY("seeds", KEY_INT, seeds),
    KEY("epochs", KEY_INT, epochs),
    KEY("candidates", KEY_INT, candidates),
    KEY("best_val_mean", KEY_DOUBLE, best.val_mean),
    KEY("best_val_std", KEY_DOUBLE, best.val_std),
    KEY("best_test_mean", KEY_DOUBLE, best.test_mean),
    KEY("best_test_std", KEY_DOUBLE, best.test_std),
    KEY("base_val_mean", KEY_DOUBLE, base.val_mean),
    KEY("base_val_std", KEY_DOUBLE, base.val_std),
    KEY("base_test_mean", KEY_DOUBLE, base.test_mean),
    KEY("base_test_std", KEY_DOUBLE, base.test_std),
};
#undef KEY
#define NKEYS ((int)(sizeof keys / sizeof keys[0]))

/* Checks that apply to both directions; why receives the reason. */
static bool result_valid(const gs_search_result *r, char *why, size_t cap) {
  const double *dbl[] = {&r->factor, &r->tolerance, &r->grid_step, &r->base_resolution,
                         &r->alpha, &r->beta, &r->gamma, &r->realised_factor};
  const char *dname[] = {"factor", "tolerance", "grid_step", "base_resolution",
                         "alpha", "beta", "gamma", "realised_factor"};
  for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++)
    if (!isfinite(*dbl[i])) {
      snprintf(why, cap, "%s is not a finite number", dname[i]);
      return false;
    }
  if (!gs_scaling_constants_valid(r->alpha, r->beta, r->gamma, why, cap)) return false;
  if (r->base_depth < 1 || r->base_depth > GS_MAX_LAYERS || r->base_width < 1 ||
      !(r->base_resolution > 0.0 && r->base_resolution <= 1.0) || r->width_multiple < 1) {
    snprintf(why, cap, "bad base: depth %d, width %lld, resolution %g, width multiple %lld",
             (int)r->base_depth, (long long)r->base_width, r->base_resolution,
             (long long)r->width_multiple);
    return false;
  }
  if (r->depth < 1 || r->width < 1 || r->features < 1 || !(r->factor > 0.0)) {
    snprintf(why, cap, "bad model: depth %d, width %lld, features %lld, factor %g", (int)r->depth,
             (long long)r->width, (long long)r->features, r->factor);
    return false;
  }
  return true;
}

static const char *const model_kind_names[GS_SEARCH_MODEL_KINDS] = {
    "base", "depth-only", "width-only", "res-only", "candidate"};

const char *gs_search_model_kind_name(gs_search_model_kind kind) {
  if ((int)kind < 0 || (int)kind >= GS_SEARCH_MODEL_KINDS) return "unknown";
  return model_kind_names[kind];
}

/* Checks one model (both directions); why receives the reason. */
static bool model_valid(const gs_search_model *m, char *why, size_t cap) {
  if ((int)m->kind < 0 || (int)m->kind >= GS_SEARCH_MODEL_KINDS) {
    snprintf(why, cap, "unknown model kind %d", (int)m->kind);
    return false;
  }
  const char *kind = model_kind_names[m->kind];
  if (m->depth < 1 || m->depth > GS_MAX_LAYERS || m->width < 1 ||
      m->features < (m->kind == GS_SEARCH_MODEL_BASE ? 0 : 1)) {
    snprintf(why, cap, "%s model: depth %d (1..%d), width %lld, features %lld (>= 1)", kind,
             (int)m->depth, GS_MAX_LAYERS, (long long)m->width, (long long)m->features);
    return false;
  }
  if (!isfinite(m->cost_factor) || !(m->cost_factor > 0.0)) {
    snprintf(why, cap, "%s model: cost factor %g is not a finite number > 0", kind, m->cost_factor);
    return false;
  }
  const double acc[4] = {m->acc.val_mean, m->acc.val_std, m->acc.test_mean, m->acc.test_std};
  for (int i = 0; i < 4; i++)
    if (!(acc[i] >= 0.0 && acc[i] <= 1.0)) {
      snprintf(why, cap, "%s model: accuracy %g is not a fraction in [0, 1]", kind, acc[i]);
      return false;
    }
  if (m->kind == GS_SEARCH_MODEL_CANDIDATE) {
    char constants[160];
    if (!gs_scaling_constants_valid(m->alpha, m->beta, m->gamma, constants, sizeof constants)) {
      snprintf(why, cap, "candidate model: %s", constants);
      return false;
    }
  } else if (m->alpha != 0.0 || m->beta != 0.0 || m->gamma != 0.0) {
    snprintf(why, cap, "%s model: only candidates have alpha, beta and gamma", kind);
    return false;
  }
  return true;
}

/* Checks the list of models: count, each model, one of each kind but candidate. */
static bool models_valid(const gs_search_result *r, char *why, size_t cap) {
  if (r->model_count < 0 || r->model_count > GS_SEARCH_MAX_MODELS) {
    snprintf(why, cap, "%d models (0..%d)", (int)r->model_count, GS_SEARCH_MAX_MODELS);
    return false;
  }
  int seen[GS_SEARCH_MODEL_KINDS] = {0};
  for (int32_t i = 0; i < r->model_count; i++) {
    const gs_search_model *m = &r->models[i];
    if (!model_valid(m, why, cap)) return false;
    if (m->kind != GS_SEARCH_MODEL_CANDIDATE && seen[m->kind]++) {
      snprintf(why, cap, "more than one %s model", model_kind_names[m->kind]);
      return false;
    }
  }
  return true;
}

gs_status gs_search_result_save(const gs_search_result *r, const char *path, gs_error *err) {
  char why[256];
  if (!result_valid(r, why, sizeof why) || !models_valid(r, why, sizeof why))
    return gs_error_set(err, GS_ERR_INVALID, "%s: %s", path, why);
  if (strchr(r->dataset, '\n'))
    return gs_error_set(err, GS_ERR_INVALID, "%s: the dataset name holds a newline", path);
  gs_atomic_file out;
  gs_status st = gs_atomic_open(&out, path, err);
  if (st != GS_OK) return st;
  FILE *fp = out.f;
  fprintf(fp, "# gnnscale search result: compound-scaling constants found by training\n"
              "# (read by `gnnscale plan --from-search` and `gnnscale train --from-search`)\n");
  fprintf(fp, "version = %d\n", GS_SEARCH_FORMAT_VERSION);
  for (int i = 0; i < NKEYS; i++) {
    const char *p = (const char *)r + keys[i].offset;
    switch (keys[i].kind) {
      case KEY_INT: fprintf(fp, "%s = %d\n", keys[i].name, (int)*(const int32_t *)(const void *)p); break;
      case KEY_INT64:
        fprintf(fp, "%s = %lld\n", keys[i].name, (long long)*(const int64_t *)(const void *)p);
        break;
      case KEY_DOUBLE: fprintf(fp, "%s = %.17g\n", keys[i].name, *(const double *)(const void *)p); break;
      case KEY_STRING: fprintf(fp, "%s = %s\n", keys[i].name, p); break;
    }
  }
  fprintf(fp, "models = %d\n", (int)r->model_count);
  fprintf(fp, "# model = KIND DEPTH WIDTH FEATURES COST_FACTOR VAL_MEAN VAL_STD TEST_MEAN TEST_STD"
              " [ALPHA BETA GAMMA]\n# (accuracies as fractions over the seeds; cost factor = "
              "FLOPs per epoch / the base's)\n");
  for (int32_t i = 0; i < r->model_count; i++) {
    const gs_search_model *m = &r->models[i];
    fprintf(fp, "model = %s %d %lld %lld %.17g %.17g %.17g %.17g %.17g",
            model_kind_names[m->kind], (int)m->depth, (long long)m->width,
            (long long)m->features, m->cost_factor, m->acc.val_mean, m->acc.val_std,
            m->acc.test_mean, m->acc.test_std);
    if (m->kind == GS_SEARCH_MODEL_CANDIDATE)
      fprintf(fp, " %.17g %.17g %.17g", m->alpha, m->beta, m->gamma);
    fputc('\n', fp);
  }
  return gs_atomic_close(&out, GS_OK, err);
}

/* Fields of a model line: 9, and 3 more on a candidate's. */
#define MODEL_FIELDS 9
#define MODEL_FIELDS_CANDIDATE 12

/* Parses the value of a `model = ...` line (modified in place) into m. Errors: GS_ERR_PARSE
 * (field count, kind, a field that is not a number), GS_ERR_RANGE (what model_valid rejects). */
static gs_status parse_model(gs_search_model *m, char *val, const char *path, long lineno,
                             gs_error *err) {
  char *tok[MODEL_FIELDS_CANDIDATE + 1];
  int n = 0;
  for (char *p = val; *p;) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    if (n <= MODEL_FIELDS_CANDIDATE) tok[n] = p;
    n++;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) *p++ = '\0';
  }
  memset(m, 0, sizeof *m);
  int kind = -1;
  for (int k = 0; n > 0 && k < GS_SEARCH_MODEL_KINDS; k++)
    if (!strcmp(tok[0], model_kind_names[k])) kind = k;
  if (n > 0 && kind < 0)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: unknown model kind '%s' (base, depth-only, "
                        "width-only, res-only or candidate)", path, lineno, tok[0]);
  const int want = kind == GS_SEARCH_MODEL_CANDIDATE ? MODEL_FIELDS_CANDIDATE : MODEL_FIELDS;
  if (n != want)
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: a %s model line has %d fields (KIND DEPTH "
                        "WIDTH FEATURES COST_FACTOR VAL_MEAN VAL_STD TEST_MEAN TEST_STD%s), got %d",
                        path, lineno, n > 0 ? tok[0] : "model", want,
                        want == MODEL_FIELDS_CANDIDATE ? " ALPHA BETA GAMMA" : "", n);
  m->kind = (gs_search_model_kind)kind;
  static const char *const names[MODEL_FIELDS_CANDIDATE] = {
      "kind", "depth", "width", "features", "cost factor", "val mean", "val std", "test mean",
      "test std", "alpha", "beta", "gamma"};
  int64_t ints[4] = {0};
  double dbl[MODEL_FIELDS_CANDIDATE] = {0};
  for (int i = 1; i < n; i++) {
    char *end = NULL;
    errno = 0;
    if (i <= 3) {
      long long v = strtoll(tok[i], &end, 10);
      if (end == tok[i] || *end || errno == ERANGE || (i == 1 && (v < INT32_MIN || v > INT32_MAX)))
        return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: model %s '%s' is not an integer", path,
                            lineno, names[i], tok[i]);
      ints[i] = (int64_t)v;
    } else {
      double v = strtod(tok[i], &end);
      if (end == tok[i] || *end || errno == ERANGE)
        return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: model %s '%s' is not a number", path,
                            lineno, names[i], tok[i]);
      dbl[i] = v;
    }
  }
  m->depth = (int32_t)ints[1];
  m->width = ints[2];
  m->features = ints[3];
  m->cost_factor = dbl[4];
  m->acc = (gs_search_accuracy){dbl[5], dbl[6], dbl[7], dbl[8]};
  m->alpha = dbl[9];
  m->beta = dbl[10];
  m->gamma = dbl[11];
  char why[256];
  if (!model_valid(m, why, sizeof why))
    return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: %s", path, lineno, why);
  return GS_OK;
}

/* A version 1 file's known models: the base and the best candidate, from its keys. */
static void synthesise_models(gs_search_result *r) {
  gs_search_model *b = &r->models[0], *c = &r->models[1];
  memset(b, 0, 2 * sizeof *b);
  b->kind = GS_SEARCH_MODEL_BASE;
  b->depth = r->base_depth;
  b->width = r->base_width;
  b->features = 0; /* not recorded in version 1 */
  b->cost_factor = 1.0;
  b->acc = r->base;
  c->kind = GS_SEARCH_MODEL_CANDIDATE;
  c->depth = r->depth;
  c->width = r->width;
  c->features = r->features;
  c->cost_factor = r->realised_factor;
  c->acc = r->best;
  c->alpha = r->alpha;
  c->beta = r->beta;
  c->gamma = r->gamma;
  r->model_count = 2;
}

/* What the reader of a result file has seen so far. */
typedef struct {
  bool seen[NKEYS];
  bool have_version;
  long models_declared;                  /* the `models` key (version 2); -1: not yet */
  long kind_line[GS_SEARCH_MODEL_KINDS]; /* line of the model of each kind, 0: none yet */
} result_reading;

/* The first key: the format version. */
static gs_status read_version(gs_search_result *r, result_reading *t, const char *key,
                              const char *val, const char *path, long line, gs_error *err) {
  if (strcmp(key, "version")) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: expected 'version = %d' first, got key '%s'",
                        path, line, GS_SEARCH_FORMAT_VERSION, key);
  }
  char *end = NULL;
  long v = strtol(val, &end, 10);
  if (end == val || *end) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: version '%s' is not an integer", path, line,
                        val);
  }
  if (v < 1 || v > GS_SEARCH_FORMAT_VERSION) {
    return gs_error_set(err, GS_ERR_MISMATCH,
                        "%s:%ld: format version %ld, this gnnscale reads versions 1 to %d", path,
                        line, v, GS_SEARCH_FORMAT_VERSION);
  }
  r->format_version = (int32_t)v;
  t->have_version = true;
  return GS_OK;
}

/* A `model = ...` line of a version 2 file. */
static gs_status read_model(gs_search_result *r, result_reading *t, char *val,
                            const char *path, long line, gs_error *err) {
  if (r->model_count == GS_SEARCH_MAX_MODELS) {
    return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: more than %d model lines", path, line,
                        GS_SEARCH_MAX_MODELS);
  }
  gs_search_model *m = &r->models[r->model_count];
  gs_status st = parse_model(m, val, path, line, err);
  if (st != GS_OK) return st;
  if (m->kind != GS_SEARCH_MODEL_CANDIDATE) {
    if (t->kind_line[m->kind]) {
      return gs_error_set(err, GS_ERR_PARSE,
                          "%s:%ld: a second %s model (the first is on line %ld)", path, line,
                          model_kind_names[m->kind], t->kind_line[m->kind]);
    }
    t->kind_line[m->kind] = line;
  }
  r->model_count++;
  return GS_OK;
}

/* The `models = N` count of a version 2 file. */
static gs_status read_models_count(result_reading *t, const char *val, const char *path, long line,
                                   gs_error *err) {
  if (t->models_declared >= 0) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: key 'models' repeated", path, line);
  }
  char *end = NULL;
  errno = 0;
  long v = strtol(val, &end, 10);
  if (end == val || *end || errno == ERANGE || v < 0) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: models = '%s' is not a count", path, line, val);
  }
  if (v > GS_SEARCH_MAX_MODELS) {
    return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: models = %ld, more than %d", path, line, v,
                        GS_SEARCH_MAX_MODELS);
  }
  t->models_declared = v;
  return GS_OK;
}

/* One of the plain keys of the table above. */
static gs_status read_plain_key(gs_search_result *r, result_reading *t, const char *key,
                                const char *val, const char *path, long line, gs_error *err) {
  int k = -1;
  for (int i = 0; i < NKEYS; i++)
    if (!strcmp(keys[i].name, key)) k = i;
  if (k < 0) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: unknown key '%s'", path, line, key);
  }
  if (t->seen[k]) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: key '%s' repeated", path, line, key);
  }
  t->seen[k] = true;
  char *p = (char *)r + keys[k].offset;
  char *end = NULL;
  errno = 0;
  if (keys[k].kind == KEY_STRING) {
    if (strlen(val) >= sizeof r->dataset) {
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: %s is too long", path, line, key);
    }
    snprintf(p, sizeof r->dataset, "%s", val);
  } else if (keys[k].kind == KEY_DOUBLE) {
    double v = strtod(val, &end);
    if (end == val || *end || errno == ERANGE) {
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: %s = '%s' is not a number", path, line, key,
                          val);
    }
    *(double *)(void *)p = v;
  } else {
    long long v = strtoll(val, &end, 10);
    if (end == val || *end || errno == ERANGE ||
        (keys[k].kind == KEY_INT && (v < INT32_MIN || v > INT32_MAX))) {
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: %s = '%s' is not an integer", path, line, key,
                          val);
    }
    if (keys[k].kind == KEY_INT)
      *(int32_t *)(void *)p = (int32_t)v;
    else
      *(int64_t *)(void *)p = (int64_t)v;
  }
  return GS_OK;
}

/* After the last line: every key present and the model count right. */
static gs_status check_complete(gs_search_result *r, const result_reading *t, const char *path,
                                long line, gs_error *err) {
  if (!t->have_version) {
    return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: missing key 'version'", path, line);
  }
  for (int i = 0; i < NKEYS; i++)
    if (!t->seen[i]) {
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: missing key '%s'", path, line, keys[i].name);
    }
  if (r->format_version >= 2) {
    if (t->models_declared < 0) {
      return gs_error_set(err, GS_ERR_PARSE, "%s:%ld: missing key 'models'", path, line);
    }
    if (t->models_declared != r->model_count) {
      return gs_error_set(err, GS_ERR_PARSE,
                          "%s:%ld: models = %ld, but the file has %d model lines", path, line,
                          t->models_declared, (int)r->model_count);
    }
  }
  char why[256];
  if (!result_valid(r, why, sizeof why)) {
    return gs_error_set(err, GS_ERR_RANGE, "%s:%ld: %s", path, line, why);
  }
  return GS_OK;
}

gs_status gs_search_result_load(gs_search_result *out, const char *path, gs_error *err) {
  char buf[SEARCH_LINE_MAX];
  gs_line_reader in;
  gs_status st = gs_line_open(&in, path, buf, sizeof buf, err);
  if (st != GS_OK) return st;
  /* About 23 KB, and callers keep their own copy on the stack: a transient heap copy, from
   * calloc rather than the counting allocator, whose figures `gnnscale train` compares with
   * the cost model's. */
  gs_search_result *r = calloc(1, sizeof *r);
  if (!r) {
    gs_line_close(&in);
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
  }
  result_reading t;
  memset(&t, 0, sizeof t);
  t.models_declared = -1;
  for (;;) {
    char *text = NULL, *key = NULL, *val = NULL;
    GS_TRY(gs_line_next(&in, &text, err));
    if (!text) break;
    GS_TRY(gs_line_key_value(&in, text, &key, &val, err));
    const bool model = !strcmp(key, "model");
    if (!t.have_version) st = read_version(r, &t, key, val, path, in.line, err);
    else if (r->format_version == 1 && model)
      st = gs_error_set(err, GS_ERR_PARSE, "%s:%ld: model lines need format version 2 (this "
                        "file says version 1)", path, in.line);
    else if (model) st = read_model(r, &t, val, path, in.line, err);
    else if (r->format_version >= 2 && !strcmp(key, "models"))
      st = read_models_count(&t, val, path, in.line, err);
    else st = read_plain_key(r, &t, key, val, path, in.line, err);
    if (st != GS_OK) goto fail;
  }
  GS_TRY(check_complete(r, &t, path, in.line, err));
  if (r->format_version == 1) synthesise_models(r);
  gs_line_close(&in);
  *out = *r;
  free(r);
  return GS_OK;
fail:
  gs_line_close(&in);
  free(r);
  return st;
}

void gs_search_result_rule(const gs_search_result *r, gs_scaling_rule *rule) {
  rule->strategy = GS_SCALE_DWR;
  rule->alpha = r->alpha;
  rule->beta = r->beta;
  rule->gamma = r->gamma;
  rule->constants_default = false;
  rule->base_depth = r->base_depth;
  rule->base_width = r->base_width;
  rule->base_resolution = r->base_resolution;
  rule->width_multiple = r->width_multiple;
}

/* The per-graph probe of the time model (see probe.h): train small models of the planned
 * family on the real data for a few epochs, compare each kernel category's clock with the
 * profile's prediction, and keep the measurements in a small cache file. */
#include "scaling/probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/runtime.h"

static const int32_t probe_depth[GS_PROBE_MODELS] = {2, 2, 3};
static const int64_t probe_width[GS_PROBE_MODELS] = {16, 32, 16};

/* Depth of probed model i: one more for residual families, whose residual connections start
 * at depth 3. */
static int32_t depth_of(const gs_probe_options *o, int i) {
  return probe_depth[i] + (o->model.residual ? 1 : 0);
}

/* Epochs of one probed model: its share of the budget at the predicted epoch time, within
 * these bounds (the first epoch is a warm-up; medians over 3 or more are steady here). */
#define PROBE_EPOCHS_MIN 4
#define PROBE_EPOCHS_MAX 60
#define PILOT_EPOCHS 2
#define CACHE_FORMAT 1

gs_probe_options gs_probe_options_default(void) {
  gs_probe_options o;
  memset(&o, 0, sizeof o);
  o.model = gs_model_config_default();
  o.train = gs_train_options_default();
  o.norm = GS_NORM_SYM;
  o.seconds = 3.0;
  return o;
}

const char *gs_prediction_source_name(gs_prediction_source s) {
  switch (s) {
    case GS_PREDICTION_PROBE: return "probe";
    case GS_PREDICTION_PROFILE: return "profile";
    case GS_PREDICTION_DEFAULT: return "default";
  }
  return "default";
}

/* ------------------------------------------------------------------------- the key */


static uint64_t fnv_i64(uint64_t h, int64_t v) { return gs_hash_fnv1a(h, &v, sizeof v); }

/* The data the epoch time depends on: the edge lines (or the stored adjacency), the feature
 * layout and its non-zeros by row, the classes and the split sizes. The feature values are left out (they do not
 * change the time), so this is cheap: one pass over the edges and the row pointers. */
static uint64_t dataset_fingerprint(const gs_dataset *ds) {
  uint64_t h = GS_HASH_FNV_START;
  h = fnv_i64(h, ds->num_nodes);
  h = fnv_i64(h, ds->num_edge_lines);
  if (ds->num_edge_lines > 0) {
    h = gs_hash_fnv1a(h, ds->src, (size_t)ds->num_edge_lines * sizeof *ds->src);
    h = gs_hash_fnv1a(h, ds->dst, (size_t)ds->num_edge_lines * sizeof *ds->dst);
  }
  /* Loaded from a binary store: its adjacency stands for the edge lines (another key than the
   * text's: the two forms are probed apart). */
  if (ds->adj_rowptr) {
    const int64_t n = ds->num_nodes;
    h = gs_hash_fnv1a(h, ds->adj_rowptr, (size_t)(n + 1) * sizeof *ds->adj_rowptr);
    h = gs_hash_fnv1a(h, ds->adj_col, (size_t)ds->adj_rowptr[n] * sizeof *ds->adj_col);
  }
  h = fnv_i64(h, (int64_t)ds->x.kind);
  h = fnv_i64(h, ds->x.rows);
  h = fnv_i64(h, ds->x.cols);
  h = fnv_i64(h, ds->x.nnz);
  if (ds->x.kind == GS_FEATURES_SPARSE && ds->x.sparse.rowptr)
    h = gs_hash_fnv1a(h, ds->x.sparse.rowptr, (size_t)(ds->x.rows + 1) * sizeof *ds->x.sparse.rowptr);
  h = fnv_i64(h, ds->num_classes);
  h = fnv_i64(h, ds->num_train);
  h = fnv_i64(h, ds->num_valid);
  h = fnv_i64(h, ds->num_test);
  return h;
}

void gs_probe_key(char *out, size_t cap, const gs_dataset *ds, const gs_probe_options *o,
                  int threads) {
  char machine[GS_PROFILE_MACHINE_MAX];
  gs_profile_machine(machine, sizeof machine);
  const gs_model_config *m = &o->model;
  /* The layer family by name: a SAGE layer costs more than a GCN's of the same size (two
   * weight matrices), so the two must not share a probe. */
  const char *model = gs_model_family_name(m->family);
  snprintf(out, cap,
           "cpu=%s;threads=%d;data=%s:%016llx;family=%s,dropout %.3g,residual %d,norm %d,order "
           "%d,adjacency %d,decay %d%s%s;features=%lld",
           machine, threads, ds->name, (unsigned long long)dataset_fingerprint(ds),
           model ? model : "unknown", (double)m->dropout, (int)m->residual,
           (int)m->norm, (int)m->order, (int)o->norm, (int)o->train.decay_scope,
           m->rezero ? ",rezero 1" : "", m->identity_map ? ",identity map 1" : "",
           (long long)ds->x.cols);
}

/* --------------------------------------------------------------------- the cache */

static void cache_path(char *out, size_t cap, const char *dir, const char *key) {
  snprintf(out, cap, "%s/probe-%016llx.txt", dir,
           (unsigned long long)gs_hash_fnv1a(GS_HASH_FNV_START, key, strlen(key)));
}

/* Reads the measured part of a cache entry; false when it is absent, for another key or
 * malformed (it is then measured again and overwritten). */
static bool cache_read(gs_probe *pr, const char *path, const char *key,
                       const gs_probe_options *o) {
  FILE *fp = fopen(path, "r");
  if (!fp) return false;
  char line[GS_PROBE_KEY_MAX + 64];
  bool ok = false;
  int format = 0, count = 0;
  long long features = 0;
  if (fscanf(fp, "gnnscale_probe %d\n", &format) != 1 || format != CACHE_FORMAT) goto done;
  if (!fgets(line, sizeof line, fp) || strncmp(line, "key ", 4) != 0) goto done;
  line[strcspn(line, "\n")] = '\0';
  if (strcmp(line + 4, key) != 0) goto done;
  if (fscanf(fp, "features %lld\nmodels %d\n", &features, &count) != 2 ||
      count != GS_PROBE_MODELS)
    goto done;
  for (int i = 0; i < count; i++) {
    gs_probe_run *r = &pr->runs[i];
    long long width;
    if (fscanf(fp, "%d %lld %d %lf", &r->depth, &width, &r->epochs, &r->epoch_seconds) != 4)
      goto done;
    r->width = width;
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
      if (fscanf(fp, "%lf", &r->measured[c]) != 1 || !(r->measured[c] >= 0.0) ||
          !isfinite(r->measured[c]))
        goto done;
    if (r->depth != depth_of(o, i) || r->width != probe_width[i] ||
        !(r->epoch_seconds > 0.0) || !isfinite(r->epoch_seconds))
      goto done;
  }
  pr->count = count;
  pr->features = features;
  ok = true;
done:
  fclose(fp);
  return ok;
}

static gs_status cache_write(const gs_probe *pr, const char *path, gs_error *err) {
  gs_atomic_file a;
  gs_status st = gs_atomic_open(&a, path, err);
  if (st != GS_OK) return st;
  fprintf(a.f, "gnnscale_probe %d\nkey %s\nfeatures %lld\nmodels %d\n", CACHE_FORMAT, pr->key,
          (long long)pr->features, pr->count);
  for (int i = 0; i < pr->count; i++) {
    const gs_probe_run *r = &pr->runs[i];
    fprintf(a.f, "%d %lld %d %.17g", (int)r->depth, (long long)r->width, (int)r->epochs,
            r->epoch_seconds);
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) fprintf(a.f, " %.17g", r->measured[c]);
    fprintf(a.f, "\n");
  }
  return gs_atomic_close(&a, GS_OK, err);
}

/* ------------------------------------------------------------------ the probe */

/* The cost model's prediction of probed model i with `profile`. */
static gs_status predict(gs_cost *cost, int i, int64_t features, const gs_cost_data *data,
                         const gs_probe_options *o, const gs_profile *profile, gs_error *err) {
  gs_cost_options copt = gs_cost_options_default();
  copt.model = o->model;
  copt.decay_scope = o->train.decay_scope;
  copt.weight_decay = o->train.weight_decay;
  copt.epochs = PROBE_EPOCHS_MAX;
  return gs_cost_estimate(cost, depth_of(o, i), probe_width[i], features, &copt, data, profile,
                          err);
}

/* Trains the probed models, each for its share of o->seconds. */
static gs_status run_models(gs_probe *pr, const gs_dataset *ds, const gs_graph *g,
                            const gs_cost_data *data, const gs_probe_options *o,
                            const gs_profile *profile, gs_error *err) {
  gs_status st = GS_OK;
  gs_model *m = NULL;
  const double start = gs_clock_seconds();
  /* A pilot of the first model, two epochs, says how far the profile is off here before any
   * model is given epochs by it (the default profile can be 50 times too fast on a loaded
   * machine). */
  double off = 1.0;
  {
    gs_cost cost;
    GS_TRY(predict(&cost, 0, ds->x.cols, data, o, profile, err));
    gs_model_config cfg = o->model;
    cfg.depth = depth_of(o, 0);
    cfg.width = probe_width[0];
    gs_train_options topt = o->train;
    topt.epochs = PILOT_EPOCHS;
    topt.patience = 0;
    GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, err));
    gs_train_result res;
    GS_TRY(gs_train(&res, m, ds, &topt, err));
    gs_model_free(&m);
    if (cost.seconds_per_epoch > 0.0 && res.epoch_seconds_median > 0.0)
      off = res.epoch_seconds_median / cost.seconds_per_epoch;
  }
  for (int i = 0; i < GS_PROBE_MODELS; i++) {
    gs_cost cost;
    GS_TRY(predict(&cost, i, ds->x.cols, data, o, profile, err));
    /* The share of what is left, at the predicted epoch corrected by how far the pilot or
     * the model probed last was off. */
    double left = o->seconds - (gs_clock_seconds() - start);
    if (i > 0 && pr->runs[i - 1].predicted_epoch_seconds > 0.0)
      off = pr->runs[i - 1].epoch_seconds / pr->runs[i - 1].predicted_epoch_seconds;
    double est = fmax(cost.seconds_per_epoch * off, 1e-6);
    double want = floor(left / (GS_PROBE_MODELS - i) / est);
    int32_t epochs = want < PROBE_EPOCHS_MIN   ? PROBE_EPOCHS_MIN
                     : want > PROBE_EPOCHS_MAX ? PROBE_EPOCHS_MAX
                                               : (int32_t)want;
    gs_model_config cfg = o->model;
    cfg.depth = depth_of(o, i);
    cfg.width = probe_width[i];
    gs_train_options topt = o->train;
    topt.epochs = epochs;
    topt.patience = 0;
    GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, err));
    gs_train_result res;
    GS_TRY(gs_train(&res, m, ds, &topt, err));
    gs_model_free(&m);
    gs_probe_run *r = &pr->runs[i];
    r->depth = cfg.depth;
    r->width = cfg.width;
    r->epochs = res.epochs_run;
    r->epoch_seconds = res.epoch_seconds_median;
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) r->measured[c] = res.kernel_seconds_median[c];
    r->predicted_epoch_seconds = cost.seconds_per_epoch;
  }
  pr->count = GS_PROBE_MODELS;
  pr->features = ds->x.cols;
  pr->seconds = gs_clock_seconds() - start;
  return GS_OK;
fail:
  gs_model_free(&m);
  return st;
}

/* Prices the probed models with `profile` and derives the corrections. */
static gs_status correct(gs_probe *pr, const gs_cost_data *data, const gs_probe_options *o,
                         const gs_profile *profile, gs_error *err) {
  double measured[GS_FLOPS_CATEGORIES] = {0}, predicted[GS_FLOPS_CATEGORIES] = {0};
  for (int i = 0; i < pr->count; i++) {
    gs_cost cost;
    gs_status st = predict(&cost, i, pr->features, data, o, profile, err);
    if (st != GS_OK) return st;
    gs_probe_run *r = &pr->runs[i];
    r->predicted_epoch_seconds = cost.seconds_per_epoch;
    r->flops = cost.epoch.total;
    for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
      r->predicted[c] = cost.seconds_category[c];
      measured[c] += r->measured[c];
      predicted[c] += cost.seconds_category[c];
    }
  }
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    pr->correction[c] = measured[c] > 0.0 && predicted[c] > 0.0 ? measured[c] / predicted[c] : 1.0;
  /* The corrected epochs against the measured ones, whole. */
  pr->epoch_factor = 1.0;
  gs_profile corrected = gs_probe_apply(profile, pr);
  double want = 0.0, kernels = 0.0, memory = 0.0; /* the memsets are not scaled */
  for (int i = 0; i < pr->count; i++) {
    gs_cost cost;
    gs_status st = predict(&cost, i, pr->features, data, o, &corrected, err);
    if (st != GS_OK) return st;
    want += pr->runs[i].epoch_seconds;
    kernels += cost.seconds_per_epoch - cost.seconds_memory;
    memory += cost.seconds_memory;
  }
  pr->epoch_factor = kernels > 0.0 && want > memory ? (want - memory) / kernels : 1.0;
  return GS_OK;
}

gs_profile gs_probe_apply(const gs_profile *profile, const gs_probe *probe) {
  gs_profile p = *profile;
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++) {
    double k = probe->correction[c] * probe->epoch_factor;
    if (!(k > 0.0) || !isfinite(k)) continue;
    p.kernel_scale[c] *= k;
    p.kernel_call_s[c] *= k;
    p.kernel_entry_s[c] *= k;
  }
  return p;
}

gs_status gs_probe_get(gs_probe *out, const gs_dataset *ds, const gs_graph *g,
                       const gs_cost_data *data, const gs_probe_options *o,
                       const gs_profile *profile, gs_error *err) {
  if (!(o->seconds > 0.0) || !isfinite(o->seconds))
    return gs_error_set(err, GS_ERR_INVALID, "probe: a time budget of %g s; it must be positive",
                        o->seconds);
  gs_probe pr;
  memset(&pr, 0, sizeof pr);
  gs_probe_key(pr.key, sizeof pr.key, ds, o, gs_runtime_threads());
  if (o->cache_dir) {
    cache_path(pr.path, sizeof pr.path, o->cache_dir, pr.key);
    pr.from_cache = cache_read(&pr, pr.path, pr.key, o);
  }
  gs_status st = GS_OK;
  if (!pr.from_cache) {
    st = run_models(&pr, ds, g, data, o, profile, err);
    if (st != GS_OK) return st;
  }
  st = correct(&pr, data, o, profile, err);
  if (st != GS_OK) return st;
  if (o->cache_dir && !pr.from_cache) {
    st = cache_write(&pr, pr.path, err);
    if (st != GS_OK) pr.path[0] = '\0';
  }
  *out = pr;
  return st;
}

/* ------------------------------------------------------------- the mismatch */

void gs_profile_mismatch(char *out, size_t cap, const gs_profile *profile, int threads) {
  out[0] = '\0';
  gs_profile def = gs_profile_default();
  if (strcmp(profile->machine, def.machine) == 0) return;
  char here[GS_PROFILE_MACHINE_MAX];
  gs_profile_machine(here, sizeof here);
  const bool same_machine = strcmp(here, profile->machine) == 0;
  if (same_machine && profile->threads == threads) return;
  snprintf(out, cap,
           "the machine profile was measured on %s with %d thread%s; this run has %d thread%s "
           "on %s",
           profile->machine, profile->threads, profile->threads == 1 ? "" : "s", threads,
           threads == 1 ? "" : "s", same_machine ? "the same machine" : here);
}

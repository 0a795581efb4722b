/* Where the epoch-time predictions of `plan` and `train` come from, said one way: a probe of
 * this graph correcting the machine profile, the machine profile alone, or the defaults; and
 * one warning when the profile was measured on another CPU, core count or thread count. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/file.h"
#include "core/runtime.h"
#include "datasets/colrank.h"

void gs_cli_prediction_init(gs_cli_prediction *pr, const gs_profile *profile, const char *note) {
  memset(pr, 0, sizeof *pr);
  pr->measured = *profile;
  pr->profile = *profile;
  snprintf(pr->note, sizeof pr->note, "%s", note);
  gs_profile def = gs_profile_default();
  pr->source = strcmp(profile->machine, def.machine) == 0 ? GS_PREDICTION_DEFAULT
                                                          : GS_PREDICTION_PROFILE;
  gs_profile_mismatch(pr->mismatch, sizeof pr->mismatch, profile, gs_runtime_threads());
}

gs_status gs_cli_prediction_probe(gs_cli_prediction *pr, const gs_dataset *ds, const gs_graph *g,
                                  const gs_cost_data *data, const gs_model_config *family,
                                  const gs_train_options *topt, gs_norm norm, gs_error *err) {
  gs_probe_options o = gs_probe_options_default();
  o.model = *family;
  o.train = *topt;
  o.train.progress = NULL;
  o.norm = norm;
  char dir[4096];
  if (gs_colrank_default_cache_dir(dir, sizeof dir, NULL) == GS_OK && gs_mkdir_p(dir, NULL) == GS_OK)
    o.cache_dir = dir;
  /* SGC: the probed models (K = 2 and 3) are priced as they were stored when trained, from
   * Â^K X's non-zeros counted for their own K. With only the caller's K counted (train,
   * sweep), a probed K that ran as CSR was priced dense and the corrections mixed up the two
   * kernels (Cora, train --depth 3: 6.85 ms predicted, 5.20 by plan, 5.09 measured). plan
   * attaches its counter before probing. */
  gs_cost_data counted = *data;
  gs_sgc_counter sgc;
  memset(&sgc, 0, sizeof sgc);
  gs_status st = GS_OK;
  if (!data->smoothed_count)
    st = gs_cli_sgc_count_attach(&sgc, &counted, family, g, &ds->x, err);
  if (st == GS_OK) st = gs_probe_get(&pr->probe, ds, g, &counted, &o, &pr->measured, err);
  gs_sgc_counter_release(&sgc);
  if (st != GS_OK && st != GS_ERR_IO) return st; /* an unwritable cache only loses the cache */
  gs_error_clear(err);
  pr->probed = true;
  pr->source = GS_PREDICTION_PROBE;
  pr->profile = gs_probe_apply(&pr->measured, &pr->probe);
  return GS_OK;
}

#define DEFAULTS "the defaults (nothing measured on this machine: run `gnnscale calibrate`)"

void gs_cli_prediction_describe(const gs_cli_prediction *pr, char *out, size_t cap) {
  switch (pr->source) {
    case GS_PREDICTION_PROBE: {
      const gs_probe *p = &pr->probe;
      char how[4096 + 64];
      if (p->from_cache)
        snprintf(how, sizeof how, "read from %s", p->path);
      else if (p->path[0])
        snprintf(how, sizeof how, "%.2f s, saved to %s", p->seconds, p->path);
      else
        snprintf(how, sizeof how, "%.2f s, not cached", p->seconds);
      const bool measured = strcmp(pr->measured.machine, gs_profile_default().machine) != 0;
      snprintf(out, cap, "a probe of this graph (%d small models, %s) correcting %s%s",
               p->count, how, measured ? "the machine profile " : DEFAULTS, measured ? pr->note : "");
      break;
    }
    case GS_PREDICTION_PROFILE:
      snprintf(out, cap, "the machine profile %s", pr->note);
      break;
    case GS_PREDICTION_DEFAULT:
      snprintf(out, cap, "%s", DEFAULTS);
      break;
  }
}

void gs_cli_prediction_warn(const gs_cli_prediction *pr, const char *command) {
  if (!pr->mismatch[0]) return;
  fprintf(stderr,
          "gnnscale %s: warning: %s: its rates may not hold here (%s; `gnnscale calibrate` "
          "measures this machine)\n",
          command, pr->mismatch,
          pr->source == GS_PREDICTION_PROBE ? "a probe of this graph corrects them"
                                            : "no probe of this graph corrects them");
}

static void json_ms(FILE *f, const char *key, const double *seconds) {
  static const char *const names[GS_FLOPS_CATEGORIES] = {"aggregate", "dense", "sparse_input",
                                                         "elementwise"};
  fprintf(f, ",\"%s\":{", key);
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    fprintf(f, "%s\"%s\":%.4f", c ? "," : "", names[c], 1e3 * seconds[c]);
  fprintf(f, "}");
}

void gs_cli_prediction_json(const gs_cli_prediction *pr, FILE *f) {
  fprintf(f, "\"source\":\"%s\",\"profile\":", gs_prediction_source_name(pr->source));
  gs_json_string(f, pr->note);
  fprintf(f, ",\"profile_threads\":%d,\"profile_mismatch\":", pr->measured.threads);
  if (pr->mismatch[0])
    gs_json_string(f, pr->mismatch);
  else
    fprintf(f, "null");
  fprintf(f, ",\"probe\":");
  if (!pr->probed) {
    fprintf(f, "null");
    return;
  }
  const gs_probe *p = &pr->probe;
  fprintf(f, "{\"cached\":%s,\"file\":", p->from_cache ? "true" : "false");
  if (p->path[0])
    gs_json_string(f, p->path);
  else
    fprintf(f, "null");
  fprintf(f, ",\"seconds\":%.3f,\"features\":%lld,\"epoch_factor\":%.4f,\"correction\":{",
          p->seconds, (long long)p->features, p->epoch_factor);
  static const char *const names[GS_FLOPS_CATEGORIES] = {"aggregate", "dense", "sparse_input",
                                                         "elementwise"};
  for (int c = 0; c < GS_FLOPS_CATEGORIES; c++)
    fprintf(f, "%s\"%s\":%.4f", c ? "," : "", names[c], p->correction[c]);
  fprintf(f, "},\"models\":[");
  for (int i = 0; i < p->count; i++) {
    const gs_probe_run *r = &p->runs[i];
    fprintf(f,
            "%s{\"depth\":%d,\"width\":%lld,\"epochs\":%d,\"flops_per_epoch\":%lld,"
            "\"epoch_ms\":%.4f,\"profile_epoch_ms\":%.4f",
            i ? "," : "", (int)r->depth, (long long)r->width, (int)r->epochs,
            (long long)r->flops, 1e3 * r->epoch_seconds, 1e3 * r->predicted_epoch_seconds);
    json_ms(f, "kernel_ms", r->measured);
    json_ms(f, "profile_kernel_ms", r->predicted);
    fprintf(f, "}");
  }
  fprintf(f, "]}");
}

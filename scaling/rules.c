/* Scaling rules (see rules.h). Each strategy reduces to exponents e_x with x = x0·2^(φ·e_x):
 * EfficientNet's dwr takes e = log2 of its constants; the one-dimension strategies and dWr
 * divide their share of log2(cost) by the elasticity ε_x of that dimension, measured on the
 * cost model at the base, so that ε_d·e_d + ε_w·e_w + ε_r·e_r = 1 and the cost aims at 2^φ. */
#include "scaling/rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/runtime.h"

/* Slack of the rounding rules against floating error: 2·1.2^φ computed as 2.4999999999 must
 * round like 2.5, and 0.3·10 computed as 3.0000000000000004 must give 3 columns, not 4. */
#define ROUND_SLACK 1e-9

/* Widths above this are rejected by the model (gnn/model.c). */
#define MAX_WIDTH ((int64_t)1 << 20)

static const char *const strategy_names[GS_SCALE_STRATEGIES] = {"dwr", "d", "w", "r", "dWr",
                                                                 "explicit"};

gs_scaling_rule gs_scaling_rule_default(void) {
  gs_scaling_rule r;
  memset(&r, 0, sizeof r);
  r.strategy = GS_SCALE_DWR;
  r.base_depth = 2;
  r.base_width = 16;
  r.base_resolution = 1.0;
  r.alpha = GS_SCALING_EFFICIENTNET_ALPHA;
  r.beta = GS_SCALING_EFFICIENTNET_BETA;
  r.gamma = GS_SCALING_EFFICIENTNET_GAMMA;
  r.constants_default = true;
  r.a = GS_SCALING_FAST_A;
  r.width_multiple = 8;
  r.depth = 2;
  r.width = 16;
  r.resolution = 1.0;
  return r;
}

const char *gs_scaling_strategy_name(gs_scaling_strategy strategy) {
  if ((int)strategy < 0 || (int)strategy >= GS_SCALE_STRATEGIES) return NULL;
  return strategy_names[strategy];
}

gs_status gs_scaling_strategy_parse(gs_scaling_strategy *out, const char *name, gs_error *err) {
  for (int i = 0; i < GS_SCALE_STRATEGIES; i++)
    if (name && !strcmp(name, strategy_names[i])) {
      *out = (gs_scaling_strategy)i;
      return GS_OK;
    }
  return gs_error_set(err, GS_ERR_INVALID,
                      "unknown scaling strategy '%s' (expected dwr, dWr, d, w, r or explicit)",
                      name ? name : "(null)");
}

int32_t gs_scaling_round_depth(double d) {
  double r = floor(d + 0.5 + ROUND_SLACK * (d > 1.0 ? d : 1.0));
  if (!(r >= 1.0)) return 1;
  if (r > (double)INT32_MAX) return INT32_MAX;
  return (int32_t)r;
}

int64_t gs_scaling_round_width(double w, int64_t multiple) {
  /* EfficientNet's round_filters: nearest multiple, at least one multiple, and one multiple
   * more when rounding went down by more than 10%. */
  const double q = (double)(multiple > 0 ? multiple : 1);
  if (!(w < 9e15)) return INT64_MAX;
  double r = floor((w + q / 2.0) / q + ROUND_SLACK) * q;
  if (r < q) r = q;
  if (r < 0.9 * w) r += q;
  return (int64_t)r;
}

int64_t gs_scaling_features(double r, int64_t f0) {
  double x = r * (double)f0;
  double f = ceil(x - ROUND_SLACK * (x > 1.0 ? x : 1.0));
  if (!(f >= 1.0)) return 1;
  if (f > (double)f0) return f0;
  return (int64_t)f;
}

bool gs_scaling_constants_valid(double alpha, double beta, double gamma, char *why, size_t cap) {
  if (alpha >= 1.0 && beta >= 1.0 && gamma >= 1.0 && isfinite(alpha) && isfinite(beta) &&
      isfinite(gamma))
    return true;
  snprintf(why, cap, "alpha, beta and gamma must be finite and >= 1 (got %g, %g, %g)", alpha,
           beta, gamma);
  return false;
}

/* Checks the parts of a rule every strategy uses. */
static gs_status check_rule(const gs_scaling_rule *rule, gs_error *err) {
  if (!gs_scaling_strategy_name(rule->strategy))
    return gs_error_set(err, GS_ERR_INVALID, "unknown scaling strategy %d", (int)rule->strategy);
  if (rule->base_depth < 1 || rule->base_depth > GS_MAX_LAYERS)
    return gs_error_set(err, GS_ERR_INVALID, "base depth %d is outside 1..%d",
                        (int)rule->base_depth, GS_MAX_LAYERS);
  if (rule->base_width < 1 || rule->base_width > MAX_WIDTH)
    return gs_error_set(err, GS_ERR_INVALID, "base width %lld is outside 1..%lld",
                        (long long)rule->base_width, (long long)MAX_WIDTH);
  if (!(rule->base_resolution > 0.0 && rule->base_resolution <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "base resolution %g is outside (0, 1]",
                        rule->base_resolution);
  if (rule->width_multiple < 1 || rule->width_multiple > MAX_WIDTH)
    return gs_error_set(err, GS_ERR_INVALID, "width multiple %lld must be at least 1",
                        (long long)rule->width_multiple);
  char why[160];
  if (rule->strategy == GS_SCALE_DWR &&
      !gs_scaling_constants_valid(rule->alpha, rule->beta, rule->gamma, why, sizeof why))
    return gs_error_set(err, GS_ERR_INVALID, "dwr: %s", why);
  if (rule->strategy == GS_SCALE_FAST && !(rule->a >= 0.0 && rule->a <= 1.0))
    return gs_error_set(err, GS_ERR_INVALID, "dWr needs a in [0, 1] (got %g)", rule->a);
  if (rule->strategy == GS_SCALE_EXPLICIT) {
    if (rule->depth < 1 || rule->depth > GS_MAX_LAYERS)
      return gs_error_set(err, GS_ERR_INVALID, "depth %d is outside 1..%d", (int)rule->depth,
                          GS_MAX_LAYERS);
    if (rule->width < 1 || rule->width > MAX_WIDTH)
      return gs_error_set(err, GS_ERR_INVALID, "width %lld is outside 1..%lld",
                          (long long)rule->width, (long long)MAX_WIDTH);
    if (!(rule->resolution > 0.0 && rule->resolution <= 1.0))
      return gs_error_set(err, GS_ERR_INVALID, "resolution %g is outside (0, 1]",
                          rule->resolution);
  }
  return GS_OK;
}

/* FLOPs per epoch of (depth, width, features), a one-off setup (SGC's Â^K X) spread over the
 * run's epochs so that SGC's depth K costs what it costs; no profile needed. */
static gs_status flops_of(double *out, int32_t depth, int64_t width, int64_t features,
                          const gs_cost_options *opts, const gs_cost_data *data, gs_error *err) {
  gs_cost c;
  gs_status st = gs_cost_estimate(&c, depth, width, features, opts, data, NULL, err);
  if (st != GS_OK) return st;
  *out = (double)c.epoch.total + (double)c.setup.total / (double)opts->epochs;
  return GS_OK;
}

gs_status gs_scaling_elasticities(double eps[3], const gs_scaling_rule *rule,
                                  const gs_cost_options *opts, const gs_cost_data *data,
                                  gs_error *err) {
  gs_status st = check_rule(rule, err);
  if (st != GS_OK) return st;
  const int32_t d0 = rule->base_depth;
  const int64_t w0 = rule->base_width, f0 = data->file_features;
  const double r0 = rule->base_resolution;
  const int64_t fb = gs_scaling_features(r0, f0);
  double base = 0, up = 0;
  GS_TRY(flops_of(&base, d0, w0, fb, opts, data, err));
  /* Doubling depth beyond the model's limit is measured as the step up to the limit. */
  int32_t d2 = d0 * 2 <= GS_MAX_LAYERS ? d0 * 2 : GS_MAX_LAYERS;
  if (d2 > d0) {
    GS_TRY(flops_of(&up, d2, w0, fb, opts, data, err));
    eps[0] = log2(up / base) / log2((double)d2 / (double)d0);
  } else {
    double down = 0;
    GS_TRY(flops_of(&down, d0 / 2, w0, fb, opts, data, err));
    eps[0] = log2(base / down) / log2((double)d0 / (double)(d0 / 2));
  }
  GS_TRY(flops_of(&up, d0, 2 * w0, fb, opts, data, err));
  eps[1] = log2(up / base);
  /* Resolution: forward when 2·r0 <= 1, else the step from r0/2 up to r0; the realised column
   * counts set the step length, since ceil makes them differ from an exact doubling. */
  int64_t f_lo = fb, f_hi = fb;
  double lo = base, hi = base;
  if (2.0 * r0 <= 1.0) {
    f_hi = gs_scaling_features(2.0 * r0, f0);
    GS_TRY(flops_of(&hi, d0, w0, f_hi, opts, data, err));
  } else {
    f_lo = gs_scaling_features(r0 / 2.0, f0);
    GS_TRY(flops_of(&lo, d0, w0, f_lo, opts, data, err));
  }
  eps[2] = f_hi > f_lo ? log2(hi / lo) / log2((double)f_hi / (double)f_lo) : 0.0;
  return GS_OK;
fail:
  return st;
}

gs_status gs_scaling_apply(gs_scaling_spec *out, const gs_scaling_rule *rule, double phi,
                           const gs_cost_options *opts, const gs_cost_data *data, gs_error *err) {
  gs_status st = check_rule(rule, err);
  if (st != GS_OK) return st;
  if (rule->strategy != GS_SCALE_EXPLICIT && (!(phi >= 0.0) || isinf(phi)))
    return gs_error_set(err, GS_ERR_INVALID, "phi %g must be finite and >= 0", phi);
  const int64_t f0 = data->file_features;
  if (f0 < 1) return gs_error_set(err, GS_ERR_INVALID, "the data has no feature columns");

  gs_scaling_spec s;
  memset(&s, 0, sizeof s);
  s.rule = *rule;
  s.phi = phi;
  double eps[3] = {0, 0, 0};
  GS_TRY(gs_scaling_elasticities(eps, rule, opts, data, err));
  s.eps_d = eps[0];
  s.eps_w = eps[1];
  s.eps_r = eps[2];
  GS_TRY(flops_of(&s.base_flops, rule->base_depth, rule->base_width,
                  gs_scaling_features(rule->base_resolution, f0), opts, data, err));

  /* Exponents: the share of log2(cost) each dimension is to carry, over its elasticity. */
  double *e_of[3] = {&s.e_d, &s.e_w, &s.e_r};
  const char *dim_names[3] = {"depth", "width", "resolution"};
  double share[3] = {0, 0, 0};
  bool by_elasticity = true;
  switch (rule->strategy) {
    case GS_SCALE_DWR:
      s.e_d = log2(rule->alpha);
      s.e_w = log2(rule->beta);
      s.e_r = log2(rule->gamma);
      by_elasticity = false;
      break;
    case GS_SCALE_DEPTH: share[0] = 1.0; break;
    case GS_SCALE_WIDTH: share[1] = 1.0; break;
    case GS_SCALE_RESOLUTION: share[2] = 1.0; break;
    case GS_SCALE_FAST:
      share[0] = (1.0 - rule->a) / 2.0;
      share[1] = rule->a;
      share[2] = (1.0 - rule->a) / 2.0;
      break;
    case GS_SCALE_EXPLICIT: by_elasticity = false; break;
  }
  if (by_elasticity) {
    for (int i = 0; i < 3; i++) {
      if (share[i] == 0.0) continue;
      if (eps[i] < GS_SCALING_MIN_ELASTICITY) {
        if (share[i] == 1.0 && phi > 0.0)
          return gs_error_set(err, GS_ERR_RANGE,
                              "scaling %s alone does not raise the cost here (elasticity %.4f): "
                              "no %s reaches 2^%g times the base FLOPs",
                              dim_names[i], eps[i], dim_names[i], phi);
        continue; /* dWr: this dimension stays at its base; its share is lost */
      }
      *e_of[i] = share[i] / eps[i];
    }
  }

  if (rule->strategy == GS_SCALE_EXPLICIT) {
    s.d = rule->depth;
    s.w = (double)rule->width;
    s.r = rule->resolution;
    s.depth = rule->depth;
    s.width = rule->width;
  } else {
    s.d = (double)rule->base_depth * exp2(phi * s.e_d);
    s.w = (double)rule->base_width * exp2(phi * s.e_w);
    s.r = rule->base_resolution * exp2(phi * s.e_r);
    if (s.r > 1.0) {
      s.r = 1.0;
      s.r_clipped = true;
    }
    if (!(s.d < 2.0 * GS_MAX_LAYERS) || gs_scaling_round_depth(s.d) > GS_MAX_LAYERS)
      return gs_error_set(err, GS_ERR_RANGE, "phi %g gives depth %.4g, above the limit of %d layers",
                          phi, s.d, GS_MAX_LAYERS);
    s.depth = gs_scaling_round_depth(s.d);
    if (!(s.w < 2.0 * (double)MAX_WIDTH) ||
        gs_scaling_round_width(s.w, rule->width_multiple) > MAX_WIDTH)
      return gs_error_set(err, GS_ERR_RANGE, "phi %g gives width %.4g, above the limit of %lld",
                          phi, s.w, (long long)MAX_WIDTH);
    s.width = gs_scaling_round_width(s.w, rule->width_multiple);
  }
  s.features = gs_scaling_features(s.r, f0);
  s.resolution = (double)s.features / (double)f0;
  GS_TRY(flops_of(&s.flops, s.depth, s.width, s.features, opts, data, err));
  s.realised_factor = s.flops / s.base_flops;
  if (rule->strategy == GS_SCALE_EXPLICIT) {
    s.phi = log2(s.realised_factor);
    s.intended_factor = s.realised_factor;
  } else {
    /* 2^φ by construction for d, w, r and dWr, less when dWr had to leave a dimension out. */
    s.intended_factor = exp2(phi * (eps[0] * s.e_d + eps[1] * s.e_w + eps[2] * s.e_r));
  }
  *out = s;
  return GS_OK;
fail:
  return st;
}

/* Scaling rules: from a base GCN (depth d0, width w0, resolution r0 = fraction of feature
 * columns kept), a strategy and a coefficient φ, a concrete model (DESIGN.md §1): EfficientNet's
 * compound scaling (Tan & Le 2019), one dimension alone, and Dollár, Singh & Girshick's fast
 * compound scaling (CVPR 2021) with exponents generalised by the cost elasticities ε that the
 * cost model measures at the base. Every strategy is x = x0 · 2^(φ·e_x) per dimension, then
 * rounded, then priced on the rounded integers. */
/* What the three dimensions mean for each layer family (gs_cost_options.model.family; the
 * cost model prices each from its layout, so the elasticities below are measured, not assumed):
 * - gcn, sage: depth = message-passing layers, width = hidden width, resolution = the
 *   fraction of input columns kept. SAGE has two weight matrices per layer.
 * - gin: depth = GIN layers, width = the hidden width of the layers and of each layer's
 *   two-layer MLP (w² twice per layer, so width costs more than in a GCN).
 * - sgc: depth = K, the propagation steps of Â^K X. They run once, when the model is made:
 *   the rules count that setup spread over the run's epochs, so depth costs little; width
 *   has no effect (one linear layer: ε_w = 0, so "w" alone is refused and dwr's width
 *   share buys nothing); resolution = the columns propagated and fed to the layer.
 * - appnp: depth = K propagation steps over the class scores (n x c each), width = the
 *   MLP's hidden size, resolution = the MLP's input columns.
 * Elasticities at the base (2, 16, 1) on Cora (d, w, r): gcn 1.31, 0.95, 0.11; sage 1.31,
 * 0.97, 0.12; gin 1.12, 1.57, 0.05; appnp 0.21, 0.87, 0.11; sgc 2.41, 0, -1.40, because
 * Â^K X is priced as train stores it: CSR at K = 2 (18.7% non-zeros), dense from K = 3 or
 * with fewer, denser top-ranked columns, so both steps cross the storage switch (with Â^K X
 * held dense they were 0.003, 0, 1.00). A dimension whose elasticity is below the floor
 * below stays at its base. */
#ifndef GS_RULES_H
#define GS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "scaling/cost.h"

typedef enum {
  GS_SCALE_DWR = 0,        /* "dwr": d0·α^φ, w0·β^φ, min(1, r0·γ^φ) */
  GS_SCALE_DEPTH = 1,      /* "d": depth alone, d0·2^(φ/ε_d), so the cost aims at 2^φ */
  GS_SCALE_WIDTH = 2,      /* "w": width alone, w0·2^(φ/ε_w) */
  GS_SCALE_RESOLUTION = 3, /* "r": resolution alone, min(1, r0·2^(φ/ε_r)) */
  GS_SCALE_FAST = 4,       /* "dWr": s = 2^φ, e_w = a/ε_w, e_d = (1−a)/(2ε_d), e_r = (1−a)/(2ε_r) */
  GS_SCALE_EXPLICIT = 5    /* "explicit": the rule's depth, width and resolution as given */
} gs_scaling_strategy;

#define GS_SCALE_STRATEGIES 6

/* EfficientNet's constants (α·β²·γ² ≈ 1.92): found for a CNN, not a GNN. No published
 * constants for GNNs are known; `gnnscale search` finds them per graph. They are the
 * default only so that dwr runs at all; a rule using them says so (constants_default). */
#define GS_SCALING_EFFICIENTNET_ALPHA 1.2
#define GS_SCALING_EFFICIENTNET_BETA 1.1
#define GS_SCALING_EFFICIENTNET_GAMMA 1.15

/* Dollár et al.'s recommended width emphasis. */
#define GS_SCALING_FAST_A 0.8

/* Below this elasticity a dimension does not move the cost: scaling it alone to reach 2^φ
 * would need an unbounded model, so such a dimension is left at its base (and the strategy
 * scaling it alone fails with GS_ERR_RANGE). */
#define GS_SCALING_MIN_ELASTICITY 1e-3

typedef struct {
  gs_scaling_strategy strategy;
  int32_t base_depth;       /* d0 >= 1 (default 2, Kipf & Welling) */
  int64_t base_width;       /* w0 >= 1 (default 16) */
  double base_resolution;   /* r0 in (0, 1] (default 1: every column) */
  double alpha, beta, gamma; /* dwr, each >= 1 */
  bool constants_default;   /* alpha, beta, gamma are EfficientNet's (set false when giving
                               your own or searched ones) */
  double a;                 /* dWr width emphasis in [0, 1] (default 0.8) */
  int64_t width_multiple;   /* widths round to a multiple of this, at least one multiple and
                               never more than 10% down (default 8; 1 keeps exact widths) */
  /* GS_SCALE_EXPLICIT: the model itself (width is not rounded) */
  int32_t depth;
  int64_t width;
  double resolution;
} gs_scaling_rule;

/* dwr with EfficientNet's constants, base (2, 16, 1), a = 0.8, widths in multiples of 8. */
gs_scaling_rule gs_scaling_rule_default(void);

/* Whether alpha, beta and gamma can be dwr's constants: finite and >= 1, since compound
 * scaling grows every dimension. On false, why receives "alpha, beta and gamma must be finite
 * and >= 1 (got a, b, g)". The one check of the constants (rules, search results). */
bool gs_scaling_constants_valid(double alpha, double beta, double gamma, char *why, size_t cap);

/* "dwr", "d", "w", "r", "dWr", "explicit" (NULL for an unknown value). */
const char *gs_scaling_strategy_name(gs_scaling_strategy strategy);

/* Parses the names above (case-sensitive: "dWr" and "dwr" differ). GS_ERR_INVALID otherwise. */
gs_status gs_scaling_strategy_parse(gs_scaling_strategy *out, const char *name, gs_error *err);

/* A concrete model made by a rule at one φ. x = x0 · 2^(φ·e_x) for x in d, w, r. */
typedef struct {
  gs_scaling_rule rule;
  double phi;
  double eps_d, eps_w, eps_r; /* cost elasticities at the base: Δlog2(FLOPs) per doubling */
  double e_d, e_w, e_r;       /* exponents of 2^φ (dwr: log2 α, log2 β, log2 γ) */
  double d, w, r;             /* continuous values before rounding (r after the clip at 1) */
  bool r_clipped;             /* r0·2^(φ·e_r) exceeded 1 */
  int32_t depth;              /* max(1, round(d)) */
  int64_t width;              /* rounded to the rule's multiple */
  int64_t features;           /* f = ceil(r·f0) <= f0 */
  double resolution;          /* f / f0, the resolution realised */
  double base_flops;          /* FLOPs per epoch of the base (d0, w0, ceil(r0·f0)) */
  double flops;               /* FLOPs per epoch of this spec */
  double intended_factor;     /* the cost factor the rule aims at: 2^φ for d, w, r and dWr,
                                 2^(φ(ε_d log2 α + ε_w log2 β + ε_r log2 γ)) for dwr */
  double realised_factor;     /* flops / base_flops, on the rounded integers */
} gs_scaling_spec;

/* The elasticities of FLOPs per epoch at the base of rule: ε_x = log2(cost(2x) / cost(x)) for
 * depth and width, and for resolution the same with f = ceil(2r0·f0), or, when 2r0 > 1, the
 * step from r0/2 up to r0. Errors: those of gs_scaling_apply for a bad base, and of
 * gs_cost_estimate. */
gs_status gs_scaling_elasticities(double eps[3], const gs_scaling_rule *rule,
                                  const gs_cost_options *opts, const gs_cost_data *data,
                                  gs_error *err);

/* Makes the spec of rule at φ for data (ignored for GS_SCALE_EXPLICIT, whose φ is reported as
 * log2 of its realised factor). Rounding: depth max(1, round(d)), because GNN depths are small
 * and EfficientNet's ceil would add a whole message-passing step (50% more depth at d0 = 2) for
 * any φ > 0, while round stays within half a layer either way; width as EfficientNet's
 * round_filters; f = ceil(r·f0) clipped to [1, f0]. Errors: GS_ERR_INVALID (φ < 0 or not
 * finite, α, β or γ < 1, a outside [0, 1], width_multiple < 1, a bad base or explicit model,
 * an unknown strategy), GS_ERR_RANGE (a dimension scaled alone that does not move the cost,
 * or a rounded depth above GS_MAX_LAYERS or width above 2^20), and the errors of
 * gs_cost_estimate. *out is written only on success. */
gs_status gs_scaling_apply(gs_scaling_spec *out, const gs_scaling_rule *rule, double phi,
                           const gs_cost_options *opts, const gs_cost_data *data, gs_error *err);

/* The rounding rules on their own. */
int32_t gs_scaling_round_depth(double d);
int64_t gs_scaling_round_width(double w, int64_t multiple);
int64_t gs_scaling_features(double r, int64_t f0);

#endif

/* A short probe of the time model on the graph being planned: a few training epochs of small
 * models of the planned family on the real data, whose kernel clocks (core/flops.h) give, per
 * kernel category, how far the machine profile's prediction is off on this graph. The cost
 * model then extrapolates to larger models with the corrected rates, by the exact FLOPs and
 * bytes it computes. A profile measured on generated graphs alone was 3 to 4 times too fast
 * on another CPU; the probe measures what is predicted. Probes are cached per machine and
 * dataset (keyed by CPU model, core count, thread count, a fingerprint of the data and the
 * family), beside the machine profile. */
#ifndef GS_PROBE_H
#define GS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/flops.h"
#include "core/status.h"
#include "datasets/dataset.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/profile.h"
#include "sparse/graph.h"

/* The small models probed: (2, 16), (2, 32) and (3, 16) layers x width, on every feature
 * column the dataset holds. */
#define GS_PROBE_MODELS 3
#define GS_PROBE_KEY_MAX 512

/* One probed model. */
typedef struct {
  int32_t depth;
  int64_t width;
  int32_t epochs;                          /* trained; the first is excluded as warm-up */
  double measured[GS_FLOPS_CATEGORIES];    /* kernel seconds per epoch, median */
  double epoch_seconds;                    /* median epoch (training step + evaluation) */
  double predicted[GS_FLOPS_CATEGORIES];   /* the profile's, before correction */
  double predicted_epoch_seconds;          /* the profile's, before correction */
  int64_t flops;                           /* FLOPs of one epoch (the cost model's, exact) */
} gs_probe_run;

typedef struct {
  char key[GS_PROBE_KEY_MAX];  /* what the cache entry is for (machine, threads, data, family) */
  int64_t features;            /* input columns of the probed models */
  int count;                   /* probed models (GS_PROBE_MODELS) */
  gs_probe_run runs[GS_PROBE_MODELS];
  /* Per category, measured / predicted over the probed models (1 where a category has no
   * time), then all scaled by `epoch_factor` so that the probed epochs are matched whole
   * (the part of an epoch outside the kernels: loss, bookkeeping). */
  double correction[GS_FLOPS_CATEGORIES];
  double epoch_factor;
  double seconds;              /* what probing took when it ran (0 when read from the cache) */
  bool from_cache;
  char path[4096];             /* the cache file ("" when not cached) */
} gs_probe;

typedef struct {
  gs_model_config model;       /* the family: dropout, residual, norm, order (depth and width
                                  are the probe's own) */
  gs_train_options train;      /* decay and learning rate as the planned runs */
  gs_norm norm;                /* the adjacency normalisation of g */
  double seconds;              /* budget of the probe when it runs (> 0; default 3) */
  const char *cache_dir;       /* NULL: neither read nor write a cache */
} gs_probe_options;

/* Kipf & Welling's model and training, 3 s, no cache. */
gs_probe_options gs_probe_options_default(void);

/* The probe of (ds, g) for the family of o: read from "<cache_dir>/probe-<hash>.txt" when an
 * entry with the same key is there, else run (each model for as many epochs as its share of
 * o->seconds affords at the profile's predicted epoch, 4 to 60) and saved there through a
 * temporary file; then priced with `profile` (corrections are recomputed for whichever
 * profile is used, so one cache entry serves them all). ds must hold the features the
 * planned models use; data describes it (gs_cost_data_of). The probe's buffers are freed
 * before returning, but it raises the counting allocator's peak: reset it afterwards.
 * Errors: GS_ERR_INVALID (a budget not positive), those of the model and trainer, GS_ERR_IO
 * (a cache that cannot be written: the probe is still returned, with path ""). */
gs_status gs_probe_get(gs_probe *out, const gs_dataset *ds, const gs_graph *g,
                       const gs_cost_data *data, const gs_probe_options *o,
                       const gs_profile *profile, gs_error *err);

/* The profile corrected by the probe: each category's kernel fit scaled by its correction and
 * the epoch factor, so that gs_cost_estimate with it predicts the probed epochs. */
gs_profile gs_probe_apply(const gs_profile *profile, const gs_probe *probe);

/* The cache key of a probe: "cpu=<model>;cores=<online>;threads=<T>;data=<fingerprint>;
 * family=<layer family: gcn, sage...>,<dropout, residual...>;features=<f>". Pure apart from reading the CPU model and core count. */
void gs_probe_key(char *out, size_t cap, const gs_dataset *ds, const gs_probe_options *o,
                  int threads);

/* Which of the profile's figures a prediction stands on, for messages and JSON. */
typedef enum {
  GS_PREDICTION_PROBE = 0,    /* a probe of this graph corrected the profile */
  GS_PREDICTION_PROFILE = 1,  /* a measured machine profile alone */
  GS_PREDICTION_DEFAULT = 2   /* the default profile: nothing was measured */
} gs_prediction_source;

const char *gs_prediction_source_name(gs_prediction_source s); /* "probe", "profile", "default" */

/* Whether `profile` was measured on this machine as it runs now: "" when it was (or when it
 * is the default profile), else one sentence naming what differs (CPU model, core count,
 * thread count), e.g. "the machine profile was measured on AMD EPYC, 2 cores online with 1
 * thread; this run has 2 threads on the same CPU". */
void gs_profile_mismatch(char *out, size_t cap, const gs_profile *profile, int threads);

#endif

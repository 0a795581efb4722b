/* Sweep files: the axes of a batch of training runs (datasets, model families, scaling
 * strategies, phi or explicit depth/width/resolution, seeds, training settings) and how they
 * combine (a grid, or zipped for paired axes), expanded into the unique runs they describe.
 * Each run is the set of settings that apply to it, in a canonical text whose 64-bit FNV-1a
 * hash is its run_id. The format is documented in docs/SWEEPS.md. */
#ifndef GS_SWEEP_H
#define GS_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/cost.h"
#include "scaling/probe.h"
#include "scaling/profile.h"

#define GS_SWEEP_MAX_SETTINGS 48
#define GS_SWEEP_KEY_MAX 40
#define GS_SWEEP_VALUE_MAX 200

typedef struct {
  char key[GS_SWEEP_KEY_MAX];
  char value[GS_SWEEP_VALUE_MAX]; /* canonical text: numbers as %.12g */
} gs_sweep_setting;

/* One resolved run: its settings sorted by key, the canonical text "k=v;k=v" and the run_id
 * (16 hex digits). */
typedef struct {
  int32_t count;
  gs_sweep_setting set[GS_SWEEP_MAX_SETTINGS];
  char canonical[GS_SWEEP_MAX_SETTINGS * (GS_SWEEP_KEY_MAX + GS_SWEEP_VALUE_MAX)];
  char run_id[17];
} gs_sweep_run;

typedef struct gs_sweep gs_sweep;

/* Parses the sweep file at path and expands it. Errors name the file and line:
 * GS_ERR_IO (unreadable), GS_ERR_PARSE (unknown key, bad value, repeated key, a zip of axes of
 * different lengths or of a key that is not an axis, too many runs), GS_ERR_NOMEM. */
gs_status gs_sweep_load(gs_sweep **out, const char *path, gs_error *err);

/* The same from text in memory; `name` stands for the file in messages. */
gs_status gs_sweep_parse(gs_sweep **out, const char *text, const char *name, gs_error *err);

void gs_sweep_free(gs_sweep **sw);

/* The unique runs in expansion order (the first axis varies slowest) and their number.
 * Combinations that resolve to the same run appear once. */
const gs_sweep_run *gs_sweep_runs(const gs_sweep *sw, int64_t *count);

/* Combinations of the axes before removing duplicates. */
int64_t gs_sweep_combinations(const gs_sweep *sw);

/* The file the sweep was read from (as given). */
const char *gs_sweep_name(const gs_sweep *sw);

/* The folder holding the datasets (`data_root`, default "datasets/data"). */
const char *gs_sweep_data_root(const gs_sweep *sw);

/* The value of a setting of run, or NULL when the run does not have it. */
const char *gs_sweep_get(const gs_sweep_run *run, const char *key);

/* The `gnnscale train` arguments of run, after argv[0] and "train": --data ROOT/DATASET, the
 * settings as flags, `--threads threads`, --json --quiet. Writes at most cap pointers
 * (NULL-terminated) into argv, pointing into storage (size bytes). Returns the number of
 * arguments, or -1 when they do not fit. */
int gs_sweep_train_args(const gs_sweep_run *run, const char *data_root, int threads,
                        char **argv, int cap, char *storage, size_t size);

/* The train flags a run uses that a given `gnnscale train --help` text must list, checked
 * against it: a flag missing from the help, or a value of --model or --batching that its line
 * does not name, fails with GS_ERR_INVALID and a message naming the sweep file's line. A setting
 * whose value is the program's built-in behaviour (model gcn, batching full) needs no flag. */
gs_status gs_sweep_check_support(const gs_sweep *sw, const char *train_help, gs_error *err);

/* What the cost model predicts for a run, for its layer family (`family_priced` false when
 * this build does not know the family: then priced as a GCN of the same size). Its epoch time
 * comes from the profile given to the pricer, or, with a probe hook, from the profile that
 * hook returns for the run's data: the prediction the run's `train` makes and records. */
typedef struct {
  bool ok;
  bool data_error;           /* !ok because the dataset does not load (else: the rules or the
                                cost model reject the model, and `train` would too) */
  char error[GS_ERROR_MSG_MAX]; /* when !ok: why the run cannot be priced */
  int32_t depth;
  int64_t width, features;
  int64_t flops_per_epoch;
  int64_t peak_bytes;        /* counting allocator */
  int64_t peak_rss_bytes;    /* + the resident bytes besides (see gs_sweep_pricer_new) */
  double epoch_seconds;      /* < 0 without a profile */
  int32_t epochs;            /* the run's maximum epochs */
  double load_seconds;       /* loading the run's data, as the probe hook measured it (0 when
                                not measured) */
  double run_seconds;        /* load_seconds + epoch_seconds * epochs */
  gs_prediction_source source; /* what the epoch time stands on */
  bool family_priced;
  int32_t unpriced_flags;    /* the run's `flag.NAME` settings: passed to train, unknown to the
                                pricing, so its price is of the run without them */
} gs_sweep_prediction;

typedef struct gs_sweep_pricer gs_sweep_pricer;

/* A pricer keeps the counts of each dataset it has priced (loaded once, without features).
 * resident_bytes is added to each counted peak to predict the peak RSS (the resident size of
 * a `gnnscale train` process besides its counted buffers); profile (borrowed) may be NULL. */
gs_status gs_sweep_pricer_new(gs_sweep_pricer **out, const char *data_root,
                              const gs_profile *profile, int64_t resident_bytes, gs_error *err);
void gs_sweep_pricer_free(gs_sweep_pricer **p);

/* The data a run trains on and the settings a probe of its epoch time is keyed by
 * (scaling/probe.h): what a probe hook is asked for. */
typedef struct {
  const char *dir;          /* data_root/dataset */
  const char *split;        /* NULL: the dataset's default */
  gs_norm norm;             /* the family's adjacency normalisation */
  gs_featprep prep;         /* the run's `features` (auto when it has none) */
  int64_t features;         /* columns the model uses */
  const gs_cost_data *data; /* the dataset's counts */
  gs_model_config model;    /* family, dropout, residual, layer norm, order */
  gs_train_options train;   /* decay scope and weight decay as the run's */
  bool reorder_rcm;         /* the run's `reorder rcm`: probe the reordered graph */
} gs_sweep_probe_request;

/* What a probe hook answers: the profile that prices those runs' epochs (the machine profile
 * corrected by a probe of the data, as `train` does), where it stands, and the seconds that
 * loading the data took (what a run spends besides its epochs; 0 when not measured). */
typedef struct {
  gs_profile profile;
  gs_prediction_source source;
  double load_seconds;
} gs_sweep_probe_answer;

typedef gs_status (*gs_sweep_probe_fn)(gs_sweep_probe_answer *out, void *ctx,
                                       const gs_sweep_probe_request *req, gs_error *err);

/* Prices the epoch time of every run through fn (NULL: the pricer's profile alone), asked once
 * per distinct request and remembered. A hook's error other than GS_ERR_NOMEM leaves that
 * request priced by the pricer's profile (and is not asked again). */
void gs_sweep_pricer_set_probe(gs_sweep_pricer *p, gs_sweep_probe_fn fn, void *ctx);

/* Prices run. Failures of the run itself (a model the rules reject, a dataset that does not
 * load) are reported in out->ok/out->error, not as a status; GS_ERR_NOMEM is returned. */
gs_status gs_sweep_price(gs_sweep_prediction *out, gs_sweep_pricer *p, const gs_sweep_run *run,
                         gs_error *err);

/* 64-bit FNV-1a (core/hash.h) of a NUL-terminated text: the run_id of a canonical text. */
uint64_t gs_sweep_hash(const char *text);

#endif

/* step_dump: runs gnnscale's training step (gs_train_step) on a dataset for N epochs and
 * writes what bench/step_compare.py needs to repeat the same steps in PyTorch autograd: the
 * layout of the parameter block, the parameters before the first step, the logits and the
 * gradient of the first step, the parameters after it and after the last step, and each
 * step's training loss. Dropout masks are not written: they are pure functions of
 * (seed, epoch, layer, index) that the script regenerates (core/rng.h, gnn/dense.h).
 *
 *   build/bench/step_dump --data datasets/data/amazon-photo --features raw --steps 200 \
 *       --out /tmp/step [--params-in FILE] [model and optimiser options as `gnnscale train`]
 *
 * Files in --out: layout.json, params0.f32, grads1.f32 (the gradient step 1 applied, weight decay included), params1.f32,
 * paramsN.f32 (after the last step), losses.json, and evals.json: after each step the
 * evaluation forward's (dropout off) validation loss, validation accuracy and test accuracy,
 * which train's best-epoch selection reads. SGC also writes its Â^K X as the model holds it:
 * smoothed_rowptr.i64, smoothed_col.i64 and smoothed_val.f32 when CSR, smoothed.f32 (n x f)
 * when dense. Raw little-endian arrays. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/runtime.h"
#include "datasets/dataset.h"
#include "gnn/loss.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "sparse/graph.h"

static void usage(FILE *f) {
  fputs("usage: step_dump --data DIR --out DIR [--split NAME] [--features rownorm|raw|binary|auto]\n"
        "  [--model gcn|gin|sgc] [--sgc-input auto|dense|csr]\n"
        "  [--depth L] [--width H] [--dropout X] [--residual] [--layernorm]\n"
        "  [--rezero] [--identity-map]\n"
        "  [--order auto|transform|aggregate] [--seed S] [--lr X] [--weight-decay X]\n"
        "  [--decay first|all] [--steps N] [--params-in FILE] [--threads T]\n",
        f);
}

/* Writes count elements of `size` bytes from v to dir/name, raw. */
static int write_raw(const char *dir, const char *name, const void *v, size_t size, int64_t count) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(v, size, (size_t)count, f) != (size_t)count || fclose(f) != 0) {
    fprintf(stderr, "step_dump: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

static int write_floats(const char *dir, const char *name, const float *v, int64_t count) {
  return write_raw(dir, name, v, sizeof *v, count);
}

static int write_i64(const char *dir, const char *name, const int64_t *v, int64_t count) {
  return write_raw(dir, name, v, sizeof *v, count);
}

/* SGC's Â^K X as the model holds it (nothing for the other families). */
static int write_smoothed(const char *dir, const gs_model *m) {
  const gs_csr *csr = NULL;
  const float *dense = NULL;
  gs_model_smoothed_input(m, &csr, &dense);
  const gs_model_shape *s = &gs_model_layout_of(m)->shape;
  if (csr)
    return write_i64(dir, "smoothed_rowptr.i64", csr->rowptr, csr->nrows + 1) ||
           write_i64(dir, "smoothed_col.i64", csr->col, csr->nnz) ||
           write_floats(dir, "smoothed_val.f32", csr->val, csr->nnz);
  return dense ? write_floats(dir, "smoothed.f32", dense, s->nodes * s->features) : 0;
}

static int read_floats(const char *path, float *v, int64_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "step_dump: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  size_t got = fread(v, sizeof *v, (size_t)count, f);
  int extra = fgetc(f);
  fclose(f);
  if (got != (size_t)count || extra != EOF) {
    fprintf(stderr, "step_dump: %s does not hold exactly %lld floats\n", path, (long long)count);
    return 1;
  }
  return 0;
}

static int write_layout(const char *dir, const gs_model_layout *L, const gs_dataset *ds,
                        const gs_train_options *o, const char *prep) {
  char path[4200];
  snprintf(path, sizeof path, "%s/layout.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "step_dump: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  const gs_model_config *c = &L->config;
  fprintf(f, "{\"data\":\"%s\",\"split\":\"%s\",\"features\":\"%s\",\"nodes\":%lld,"
             "\"feature_cols\":%lld,\"sparse_features\":%s,\"classes\":%lld,\"params\":%lld,"
             "\"depth\":%d,\"width\":%lld,\"dropout\":%.9g,\"residual_mode\":%s,\"seed\":%llu,"
             "\"lr\":%.17g,\"weight_decay\":%.17g,\"decay\":\"%s\",\"model\":\"%s\","
             "\"layers\":[",
          ds->path, ds->split_name, prep, (long long)L->shape.nodes, (long long)L->shape.features,
          L->shape.sparse_features ? "true" : "false", (long long)L->shape.classes,
          (long long)L->params, (int)L->depth, (long long)c->width, (double)c->dropout,
          L->residual_mode ? "true" : "false", (unsigned long long)c->seed, o->lr,
          o->weight_decay, o->decay_scope == GS_DECAY_ALL ? "all" : "first",
          gs_model_family_name(c->family));
  for (int32_t l = 0; l < L->depth; l++) {
    const gs_layer_dims *d = &L->layer[l];
    fprintf(f, "%s{\"in\":%lld,\"out\":%lld,\"w\":%lld,\"b\":%lld,\"gamma\":%lld,\"beta\":%lld,"
               "\"sparse_input\":%s,\"aggregate_first\":%s,\"residual\":%s,\"norm\":%s,"
               "\"hidden\":%s,\"rezero\":%lld,\"rezero_scale\":%.9g,\"identity_beta\":%.9g,"
               "\"mid\":%lld,\"w2\":%lld,\"b2\":%lld,\"eps\":%lld,\"bn_gamma\":%lld}",
            l ? "," : "", (long long)d->in, (long long)d->out, (long long)d->w_offset,
            (long long)d->b_offset, (long long)d->gamma_offset, (long long)d->beta_offset,
            d->sparse_input ? "true" : "false", d->aggregate_first ? "true" : "false",
            d->residual ? "true" : "false", d->norm ? "true" : "false",
            d->hidden ? "true" : "false", (long long)d->rezero_offset, (double)d->rezero_scale,
            (double)d->identity_beta, (long long)d->mid, (long long)d->w2_offset,
            (long long)d->b2_offset, (long long)d->eps_offset, (long long)d->bn_gamma_offset);
  }
  fprintf(f, "]}\n");
  return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *data = NULL, *out = NULL, *split = NULL, *params_in = NULL, *prep_name = "raw";
  gs_model_config cfg = gs_model_config_default();
  cfg.gin_norm = GS_GIN_NORM_BATCH; /* what bench/step_compare.py's peer GIN computes */
  gs_train_options topt = gs_train_options_default();
  int steps = 1, threads = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = true;
    if (!strcmp(a, "--residual")) cfg.residual = true, takes = false;
    else if (!strcmp(a, "--layernorm")) cfg.norm = true, takes = false;
    else if (!strcmp(a, "--rezero")) cfg.rezero = true, takes = false;
    else if (!strcmp(a, "--identity-map")) cfg.identity_map = true, takes = false;
    else if (!strcmp(a, "--help")) return usage(stdout), 0;
    else if (!v) return usage(stderr), 2;
    else if (!strcmp(a, "--data")) data = v;
    else if (!strcmp(a, "--out")) out = v;
    else if (!strcmp(a, "--split")) split = v;
    else if (!strcmp(a, "--features")) prep_name = v;
    else if (!strcmp(a, "--params-in")) params_in = v;
    else if (!strcmp(a, "--model")) {
      if (!strcmp(v, "gcn")) cfg.family = GS_MODEL_GCN;
      else if (!strcmp(v, "gin")) cfg.family = GS_MODEL_GIN;
      else if (!strcmp(v, "sgc")) cfg.family = GS_MODEL_SGC;
      else return fprintf(stderr, "step_dump: --model %s: gcn, gin or sgc\n", v), 2;
    }
    else if (!strcmp(a, "--sgc-input")) {
      if (!strcmp(v, "auto")) cfg.sgc_input = GS_SGC_INPUT_AUTO;
      else if (!strcmp(v, "dense")) cfg.sgc_input = GS_SGC_INPUT_DENSE;
      else if (!strcmp(v, "csr")) cfg.sgc_input = GS_SGC_INPUT_CSR;
      else return fprintf(stderr, "step_dump: --sgc-input %s: auto, dense or csr\n", v), 2;
    }
    else if (!strcmp(a, "--depth")) cfg.depth = atoi(v);
    else if (!strcmp(a, "--width")) cfg.width = atoll(v);
    else if (!strcmp(a, "--dropout")) cfg.dropout = strtof(v, NULL);
    else if (!strcmp(a, "--seed")) cfg.seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--lr")) topt.lr = strtod(v, NULL);
    else if (!strcmp(a, "--weight-decay")) topt.weight_decay = strtod(v, NULL);
    else if (!strcmp(a, "--steps")) steps = atoi(v);
    else if (!strcmp(a, "--threads")) threads = atoi(v);
    else if (!strcmp(a, "--decay")) topt.decay_scope = strcmp(v, "all") ? GS_DECAY_FIRST : GS_DECAY_ALL;
    else if (!strcmp(a, "--order"))
      cfg.order = !strcmp(v, "transform") ? GS_ORDER_TRANSFORM_FIRST
                  : !strcmp(v, "aggregate") ? GS_ORDER_AGGREGATE_FIRST : GS_ORDER_AUTO;
    else return fprintf(stderr, "step_dump: unknown option %s\n", a), usage(stderr), 2;
    if (takes) i++;
  }
  if (!data || !out || steps < 1) return usage(stderr), 2;

  gs_error err;
  gs_error_clear(&err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_model *m = NULL;
  double *losses = NULL, *evals = NULL;
  int rc = 1;
  GS_TRY(gs_runtime_init(threads, &err));
  gs_dataset_options dopt = gs_dataset_options_default();
  dopt.split = split;
  GS_TRY(gs_dataset_load(&ds, data, &dopt, &err));
  gs_featprep prep;
  if (!gs_featprep_parse(prep_name, &prep)) {
    fprintf(stderr, "step_dump: --features '%s' is not auto, rownorm, raw or binary\n", prep_name);
    goto fail;
  }
  prep = gs_dataset_prepare_features(ds, prep);
  GS_TRY(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines,
                      gs_model_family_norm(cfg.family, GS_NORM_SYM), &err));
  GS_TRY(gs_model_new(&m, &cfg, g, &ds->x, ds->num_classes, &err));
  const gs_model_layout *L = gs_model_layout_of(m);
  const int64_t P = L->params;
  if (params_in && read_floats(params_in, gs_model_params(m), P)) goto fail;
  mkdir(out, 0777);
  if (write_layout(out, L, ds, &topt, gs_featprep_name(prep)) ||
      write_floats(out, "params0.f32", gs_model_params(m), P) || write_smoothed(out, m))
    goto fail;
  losses = calloc((size_t)steps, sizeof *losses);
  evals = calloc(3 * (size_t)steps, sizeof *evals);
  if (!losses || !evals) goto fail;
  const int64_t n = L->shape.nodes, c = L->shape.classes;
  for (int32_t epoch = 1; epoch <= steps; epoch++) {
    GS_TRY(gs_train_step(m, ds, &topt, epoch, &losses[epoch - 1], &err));
    const float *logits = NULL;
    GS_TRY(gs_model_forward(m, false, epoch, &logits, &err));
    double *e = evals + 3 * (epoch - 1);
    e[0] = gs_softmax_xent(NULL, logits, ds->labels, ds->valid, ds->num_valid, n, c);
    e[1] = gs_accuracy(logits, ds->labels, ds->valid, ds->num_valid, c);
    e[2] = ds->num_test > 0 ? gs_accuracy(logits, ds->labels, ds->test, ds->num_test, c) : 0.0;
    if (epoch == 1) {
      if (write_floats(out, "grads1.f32", gs_model_grads(m), P) ||
          write_floats(out, "params1.f32", gs_model_params(m), P))
        goto fail;
    }
  }
  if (write_floats(out, "paramsN.f32", gs_model_params(m), P)) goto fail;
  char path[4200];
  snprintf(path, sizeof path, "%s/losses.json", out);
  FILE *f = fopen(path, "w");
  if (!f) goto fail;
  fputs("[", f);
  for (int s = 0; s < steps; s++) fprintf(f, "%s%.17g", s ? "," : "", losses[s]);
  fputs("]\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/evals.json", out);
  if (!(f = fopen(path, "w"))) goto fail;
  fputs("[", f);
  for (int s = 0; s < steps; s++)
    fprintf(f, "%s[%.17g,%.17g,%.17g]", s ? "," : "", evals[3 * s], evals[3 * s + 1],
            evals[3 * s + 2]);
  fputs("]\n", f);
  fclose(f);
  rc = 0;
fail:
  if (st != GS_OK) fprintf(stderr, "step_dump: %s\n", err.msg);
  free(losses);
  free(evals);
  gs_model_free(&m);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return rc;
}

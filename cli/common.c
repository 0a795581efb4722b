/* Shared steps of the subcommands: dataset + graph loading, error exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "core/mem.h"
#include "core/memlimit.h"
#include "core/runtime.h"
#include "datasets/colrank.h"
#include "datasets/permute.h"
#include "datasets/store.h"
#include "gnn/model.h"
#include "scaling/cost.h"

int gs_cli_fail(const char *command, const gs_error *err) {
  fprintf(stderr, "gnnscale %s: %s\n", command, err->msg[0] ? err->msg : gs_status_message(err->code));
  /* Out of memory inside a library call: say which allocation failed and what the limits
   * left, unless the message already gave the figures. */
  const char *tag = NULL;
  const int64_t bytes = gs_mem_last_failure(&tag);
  if (err->code == GS_ERR_NOMEM && bytes >= 0 && !strstr(err->msg, "this process can have")) {
    gs_memlimit lim;
    gs_memlimit_query(&lim);
    char need[32], room[512];
    gs_memlimit_describe(&lim, room, sizeof room);
    fprintf(stderr, "gnnscale %s: the allocation that failed: %s for %s; %s\n", command,
            gs_memlimit_format(bytes, need, sizeof need), tag ? tag : "(untagged)", room);
  }
  return 1;
}

gs_status gs_cli_check_trainable(const gs_dataset *ds, const char *path, bool need_features,
                                 gs_error *err) {
  return gs_cli_check_trainable_counts(path, need_features && ds->x.kind == GS_FEATURES_NONE,
                                       ds->labels != NULL, ds->split_name, ds->num_train,
                                       ds->num_classes, err);
}

gs_status gs_cli_check_trainable_counts(const char *path, bool missing_features, bool has_labels,
                                        const char *split_name, int64_t num_train,
                                        int32_t num_classes, gs_error *err) {
  if (missing_features)
    return gs_error_set(err, GS_ERR_INVALID, "%s has no features (raw/node-feat.csv.gz or "
                        "raw/node-feat-sparse.csv.gz): training needs them", path);
  if (!has_labels)
    return gs_error_set(err, GS_ERR_INVALID, "%s has no labels (raw/node-label.csv.gz): training "
                        "needs them", path);
  if (!split_name[0])
    return gs_error_set(err, GS_ERR_INVALID, "%s has no split (split/NAME/train.csv.gz, "
                        "valid.csv.gz, test.csv.gz): training needs one", path);
  if (num_train == 0)
    return gs_error_set(err, GS_ERR_INVALID, "%s: split '%s' has an empty train set "
                        "(split/%s/train.csv.gz lists no node): training needs at least one",
                        path, split_name, split_name);
  if (num_classes < 1)
    return gs_error_set(err, GS_ERR_INVALID, "%s: no node has a label: training needs classes",
                        path);
  return GS_OK;
}


gs_status gs_cli_load(gs_dataset **ds_out, gs_graph **g_out, const char *path, const char *split,
                      gs_featprep prep, gs_norm norm, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0)
    return gs_error_set(err, GS_ERR_IO, "%s: no such file or folder", path);
  if (S_ISDIR(sb.st_mode)) {
    gs_dataset_options opts = gs_dataset_options_default();
    opts.split = split;
    st = gs_dataset_load(&ds, path, &opts, err);
  } else {
    st = gs_dataset_load_edgelist(&ds, path, err);
  }
  if (st != GS_OK) goto fail;
  gs_dataset_prepare_features(ds, prep);
  st = gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, norm, err);
  if (st != GS_OK) {
    gs_error_prefix(err, "%s: ", path);
    goto fail;
  }
  *ds_out = ds;
  *g_out = g;
  return GS_OK;
fail:
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

/* Loads the dataset folder dir through its binary store (gs_store_open: a read, not a parse;
 * built on first use, rebuilt from the text when stale or damaged, with a note on stderr that
 * says why; the text itself when the folder cannot hold a store), applies the preprocessing
 * and builds Â (from the stored adjacency). */
static gs_status load_through_store(gs_dataset **ds_out, gs_graph **g_out, const char *dir,
                                    const char *split, gs_featprep prep, gs_norm norm,
                                    gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  char note[1200];
  GS_TRY(gs_store_open(&ds, dir, split, false, NULL, note, sizeof note, err));
  if (note[0]) fprintf(stderr, "gnnscale: %s\n", note);
  gs_dataset_prepare_features(ds, prep);
  st = gs_dataset_graph_new(&g, ds, norm, err);
  if (st != GS_OK) {
    gs_error_prefix(err, "%s: ", dir);
    goto fail;
  }
  *ds_out = ds;
  *g_out = g;
  return GS_OK;
fail:
  gs_dataset_free(&ds);
  return st;
}

gs_status gs_cli_load_columns(gs_dataset **ds_out, gs_graph **g_out, const char *dir,
                             const char *split, int64_t features, int64_t f0, gs_featprep prep,
                             gs_norm norm, gs_error *err) {
  struct stat sb;
  if (features >= f0 && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
    return load_through_store(ds_out, g_out, dir, split, prep, norm, err);
  if (features >= f0) return gs_cli_load(ds_out, g_out, dir, split, prep, norm, err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  gs_dataset_options o = gs_dataset_options_default();
  o.split = split;
  GS_TRY(gs_dataset_load_resolution(&ds, dir, &o, (double)features / (double)f0, GS_COLRANK_DF,
                                    NULL, err));
  if (ds->x.cols != features) {
    st = gs_error_set(err, GS_ERR_INTERNAL, "%s: loaded %lld columns, expected %lld", dir,
                      (long long)ds->x.cols, (long long)features);
    goto fail;
  }
  gs_dataset_prepare_features(ds, prep);
  GS_TRY(gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, norm, err));
  *ds_out = ds;
  *g_out = g;
  return GS_OK;
fail:
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

gs_status gs_cli_reorder_rcm(gs_dataset *ds, gs_graph **g, gs_norm norm, gs_error *err) {
  if (ds->adj_rowptr)
    return gs_error_set(err, GS_ERR_INVALID, "%s: --reorder rcm renumbers the text's edge lines, "
                        "and this dataset was loaded from its binary store", ds->name);
  int64_t *order = NULL;
  gs_status st = gs_dataset_order_rcm(&order, ds, err);
  if (st == GS_OK) st = gs_dataset_permute(ds, order, err);
  gs_mem_free(order);
  if (st != GS_OK) return st;
  gs_graph_free(g);
  return gs_graph_new(g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, norm, err);
}

bool gs_cli_parse_base(const char *s, gs_scaling_rule *rule) {
  char *end = NULL;
  long long d = strtoll(s, &end, 10);
  if (end == s || *end != ',' || d < 1 || d > GS_MAX_LAYERS) return false;
  const char *p = end + 1;
  long long w = strtoll(p, &end, 10);
  if (end == p || w < 1 || w > (1 << 20)) return false;
  double r = 1.0;
  if (*end == ',') {
    p = end + 1;
    r = strtod(p, &end);
    if (end == p || !(r > 0.0 && r <= 1.0)) return false;
  }
  if (*end != '\0') return false;
  rule->base_depth = (int32_t)d;
  rule->base_width = w;
  rule->base_resolution = r;
  return true;
}

int gs_cli_scaling_rule(const gs_cli *cli, const char *from_search, gs_scaling_rule *rule,
                        gs_search_result *searched) {
  const int constants = gs_cli_given(cli, "alpha") + gs_cli_given(cli, "beta") +
                        gs_cli_given(cli, "gamma");
  if (constants != 0 && constants != 3)
    return gs_cli_reject(cli,
                         "give --alpha, --beta and --gamma together (or none for EfficientNet's)");
  if (constants && rule->strategy != GS_SCALE_DWR)
    return gs_cli_reject(cli, "--alpha, --beta and --gamma are the constants of --strategy dwr");
  if (constants) rule->constants_default = false;
  if (gs_cli_given(cli, "a") && rule->strategy != GS_SCALE_FAST)
    return gs_cli_reject(cli, "--a is the width emphasis of --strategy dWr");
  if (!from_search) return GS_CLI_CONTINUE;
  if (gs_cli_given(cli, "strategy") && rule->strategy != GS_SCALE_DWR)
    return gs_cli_reject(cli, "--from-search gives the constants of --strategy dwr, not %s",
                         gs_scaling_strategy_name(rule->strategy));
  if (constants)
    return gs_cli_reject(cli, "--from-search and --alpha/--beta/--gamma exclude each other");
  if (gs_cli_given(cli, "base") || gs_cli_given(cli, "width-multiple"))
    return gs_cli_reject(cli, "--from-search sets the base and width multiple the constants were "
                              "searched for: drop --base and --width-multiple");
  gs_error err;
  if (gs_search_result_load(searched, from_search, &err) != GS_OK)
    return gs_cli_fail(cli->command, &err);
  gs_search_result_rule(searched, rule);
  return GS_CLI_CONTINUE;
}

gs_status gs_cli_cost_data(gs_cost_data *out, int64_t **prefix, char *name, size_t name_cap,
                           const char *path, const char *split, gs_norm norm, gs_error *err) {
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  int64_t *column_nnz = NULL;
  char store[4352], note[1200];
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    gs_store_outcome oc;
    gs_store_info info;
    GS_TRY(gs_store_ensure(store, sizeof store, path, split, false, &oc, note, sizeof note, err));
    if (note[0]) fprintf(stderr, "gnnscale: %s\n", note);
    if (oc != GS_STORE_TEXT_ONLY) {
      GS_TRY(gs_store_read_info(&info, store, err));
      GS_TRY(gs_store_read_section((void **)&column_nnz, NULL, store, GS_STORE_COLUMN_NNZ,
                                   "store-io", err));
      if (!column_nnz || info.num_train == 0) {
        st = gs_error_set(err, GS_ERR_INVALID,
                          "%s has no features, labels or split: planning a GCN needs all three",
                          path);
        goto fail;
      }
      GS_TRY(gs_cost_data_of_store(out, prefix, &info, column_nnz, norm, err));
      snprintf(name, name_cap, "%s", info.name);
      goto done;
    }
  }
  GS_TRY(gs_cli_load(&ds, &g, path, split, GS_FEATPREP_RAW, norm, err));
  if (ds->x.kind == GS_FEATURES_NONE || !ds->labels || ds->num_train == 0) {
    st = gs_error_set(err, GS_ERR_INVALID,
                      "%s has no features, labels or split: planning a GCN needs all three", path);
    goto fail;
  }
  GS_TRY(gs_cost_data_of(out, prefix, ds, g, err));
  snprintf(name, name_cap, "%s", ds->name);
done:
fail:
  gs_mem_free(column_nnz);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  return st;
}

gs_status gs_cli_sgc_count_attach(gs_sgc_counter *counter, gs_cost_data *data,
                                  const gs_model_config *cfg, const gs_graph *g,
                                  const gs_features *x, gs_error *err) {
  memset(counter, 0, sizeof *counter);
  if (cfg->family != GS_MODEL_SGC || cfg->sgc_input == GS_SGC_INPUT_DENSE) return GS_OK;
  gs_status st = gs_sgc_counter_init(counter, g, x, cfg->sgc_input == GS_SGC_INPUT_CSR, err);
  if (st != GS_OK) return st;
  data->smoothed_count = gs_sgc_counter_count;
  data->smoothed_ctx = counter;
  return GS_OK;
}

void gs_cli_sgc_count_note(const gs_sgc_counter *c, const char *command) {
  if (c->passes == 0) return;
  fprintf(stderr,
          "gnnscale %s: note: SGC priced with A_hat^K X's non-zeros counted for K <= %d over "
          "%lld columns (%d pass%s, %lld propagation steps, %.3g GFLOPs, %.1f s), as train "
          "stores it (CSR below %.0f%%)",
          command, (int)c->hops, (long long)c->x->cols, (int)c->passes, c->passes > 1 ? "es" : "",
          (long long)c->steps, c->flops * 1e-9, c->seconds, 100.0 * GS_SGC_SPARSE_BELOW);
  if (c->dense_from > 0)
    fprintf(stderr, "; dense for every column count from K = %d, so for every larger K "
            "(non-negative features)", (int)c->dense_from);
  fputc('\n', stderr);
}

int gs_cli_family_norm(const gs_cli *cli, gs_model_family family, gs_norm *norm) {
  if (family != GS_MODEL_GIN && gs_cli_given(cli, "gin-norm"))
    return gs_cli_reject(cli, "--gin-norm is GIN's MLP normalisation: it needs --model gin, "
                              "not --model %s", gs_model_family_name(family));
  const gs_norm need = gs_model_family_norm(family, *norm);
  if (need != *norm && gs_cli_given(cli, "norm"))
    return gs_cli_reject(cli, "--model %s propagates over %s: --norm %s does not apply",
                         gs_model_family_name(family),
                         need == GS_NORM_ROW ? "a row-normalised A_hat (a mean), --norm row"
                                             : "A + I unnormalised (a sum), --norm none",
                         *norm == GS_NORM_SYM ? "sym" : *norm == GS_NORM_ROW ? "row" : "none");
  *norm = need;
  return GS_CLI_CONTINUE;
}

int gs_cli_model_stack(const gs_cli *cli, bool plain, bool scaled, gs_model_config *cfg) {
  const bool chosen = gs_cli_given(cli, "residual") || gs_cli_given(cli, "layernorm") ||
                      gs_cli_given(cli, "identity-map");
  if (plain && chosen)
    return gs_cli_reject(cli, "--plain is the stack without residual connections and "
                              "LayerNorm: it cannot go with --residual, --layernorm or "
                              "--identity-map");
  if (cfg->rezero && !cfg->residual && gs_cli_given(cli, "rezero"))
    return gs_cli_reject(cli, "--rezero scales the residual branches: it needs --residual");
  if (cfg->identity_map && !cfg->residual)
    return gs_cli_reject(cli, "--identity-map maps the residual layers: it needs --residual");
  if (cfg->identity_map && cfg->family != GS_MODEL_GCN)
    return gs_cli_reject(cli, "--identity-map is for GCN layers, not --model %s",
                         gs_model_family_name(cfg->family));
  if (plain) cfg->residual = cfg->norm = cfg->rezero = cfg->identity_map = false;
  cfg->stack = scaled && !plain && !chosen ? GS_STACK_AUTO : GS_STACK_AS_SET;
  return GS_CLI_CONTINUE;
}

void gs_cli_stack_text(char *out, size_t cap, const gs_model_config *asked, int32_t depth) {
  gs_model_config c = *asked;
  c.depth = depth;
  const gs_model_config r = gs_model_config_resolve(&c);
  const bool residual = r.residual && depth >= 3;
  char what[64];
  snprintf(what, sizeof what, "%s%s%s%s%s", residual ? "residual" : "",
           residual && r.rezero ? " + rezero" : "", residual && r.identity_map ? " + identity map" : "",
           residual && r.norm ? " + " : "", r.norm ? "layernorm" : "");
  if (!what[0]) snprintf(what, sizeof what, "plain");
  if (asked->stack != GS_STACK_AUTO) {
    if (!residual && !r.norm && gs_model_stack_is_deep(c.family, depth))
      snprintf(out, cap, "%s (as asked; hint: a plain GCN collapses from depth %d, bench/"
               "RESULTS.md section 11: --residual --rezero --identity-map trains deep GCNs)", what,
               GS_MODEL_DEEP_DEPTH);
    else
      snprintf(out, cap, "%s (as asked)", what);
    return;
  }
  if (gs_model_stack_is_deep(c.family, depth))
    snprintf(out, cap, "%s (auto: depth %d >= %d, from which a plain GCN collapses; --plain "
             "for the plain stack)", what, (int)depth, GS_MODEL_DEEP_DEPTH);
  else if (c.family == GS_MODEL_SGC || c.family == GS_MODEL_APPNP)
    snprintf(out, cap, "%s (auto: %s has no hidden stack)", what, gs_model_family_name(c.family));
  else
    snprintf(out, cap, "%s (auto: depth %d < %d, the depth from which a plain GCN collapses)",
             what, (int)depth, GS_MODEL_DEEP_DEPTH);
}

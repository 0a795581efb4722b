/* plan --batching auto|cluster: for each phi, full-batch when it fits the memory budget, else
 * the Cluster-GCN (P, Q) with the fewest parts that fits (and, for those parts, the most parts
 * per batch), priced by scaling/cluster_cost.h: its peak, and its epoch time from the same
 * profile as the full-batch rows (P/Q batches of a step, an evaluation, and building each). */
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "scaling/cluster_cost.h"

/* Part counts tried, ascending. */
static const int32_t part_counts[] = {2,   4,   5,    8,    10,   16,   20,   32,   40,   50,
                                      64,  100, 128,  200,  256,  400,  512,  1000, 1024, 2048,
                                      4096, 8192, 16384};

/* The partition step into out->parts parts under the same budget. */
static void price_partition(gs_cli_batching *out, const gs_store_info *info, double limit,
                            double resident) {
  out->partition_entries = gs_store_partition_entries_for(
      info, out->parts, (int64_t)(limit - resident), resident == 0.0);
  gs_store_partition_cost_of(&out->partition, info, out->parts,
                             out->partition_entries > 0 ? out->partition_entries
                                                        : info->graph.nodes);
}

gs_status gs_cli_choose_batching(gs_cli_batching *out, const gs_model_config *cfg,
                                 const gs_store_info *info, gs_norm norm, int32_t epochs,
                                 double limit, double resident, bool allow_full, bool eval_full,
                                 int64_t full_peak, gs_error *err) {
  memset(out, 0, sizeof *out);
  out->full_peak = full_peak;
  if (allow_full && (double)full_peak + resident <= limit) {
    out->parts = 1;
    out->clusters_per_batch = 1;
    out->peak = full_peak;
    out->fits = true;
    return GS_OK;
  }
  if (eval_full) { /* a model the whole-graph evaluation does not cover is refused here */
    const gs_cluster_capacity cap = gs_cluster_cost_capacity_estimate(info, 2, 1);
    const gs_model_shape shape =
        gs_cluster_shape_of(&cap, info->file_features, info->feature_kind == GS_FEATURES_SPARSE,
                            info->num_classes, norm);
    gs_model_layout L;
    gs_status st = gs_model_layout_make(&L, cfg, &shape, err);
    if (st == GS_OK) st = gs_cluster_full_eval_check(&L, norm, err);
    if (st != GS_OK) return st;
  }
  /* Whole-graph evaluation: two layers resident when they fit, else one spilled to disk. */
  const gs_cluster_eval modes[2] = {eval_full ? GS_CLUSTER_EVAL_FULL : GS_CLUSTER_EVAL_BATCHES,
                                    GS_CLUSTER_EVAL_SPILL};
  const int nmodes = eval_full ? 2 : 1;
  const int32_t count = (int32_t)(sizeof part_counts / sizeof part_counts[0]);
  for (int32_t k = 0; k < count; k++) {
    const int32_t p = part_counts[k];
    if ((int64_t)p * 2 > info->graph.nodes) break;
    for (int32_t q = p / 2 > 1 ? p / 2 : 1; q >= 1; q--) {
      gs_cluster_capacity cap = gs_cluster_cost_capacity_estimate(info, p, q);
      for (int e = 0; e < nmodes; e++) {
        gs_cluster_cost c;
        gs_status st = gs_cluster_cost_estimate(&c, cfg, info, &cap, norm, modes[e], epochs, err);
        if (st != GS_OK) return st;
        if (!out->parts || c.peak_bytes < out->peak) { /* the smallest seen, for the message */
          out->parts = p;
          out->clusters_per_batch = q;
          out->peak = c.peak_bytes;
          out->eval = modes[e];
          out->eval_bytes = c.eval_bytes;
        }
        if ((double)c.peak_bytes + resident <= limit) {
          out->parts = p;
          out->clusters_per_batch = q;
          out->peak = c.peak_bytes;
          out->eval = modes[e];
          out->eval_bytes = c.eval_bytes;
          out->fits = true;
          out->cluster = true;
          price_partition(out, info, limit, resident);
          return GS_OK;
        }
      }
    }
  }
  out->cluster = out->parts > 1;
  if (out->cluster) price_partition(out, info, limit, resident);
  return GS_OK;
}

/* The evaluation's name in plan's table and JSON. */
static const char *eval_name(const gs_cli_batching *b) {
  if (!b->cluster) return "full-batch";
  return b->eval == GS_CLUSTER_EVAL_SPILL ? "spill" : b->eval == GS_CLUSTER_EVAL_FULL ? "full"
                                                                                        : "batches";
}

int gs_cli_plan_batching(const gs_plan *plan, const gs_plan_options *o, const gs_store_info *info,
                         const gs_profile *profile, const char *name, gs_norm norm,
                         bool allow_full, bool eval_full, bool json, gs_error *err) {
  const double limit = o->limit[GS_PLAN_MEMORY], resident = o->resident_bytes;
  const double time_limit = o->limit[GS_PLAN_TIME];
  gs_cli_batching *b = gs_mem_calloc((size_t)(plan->count > 0 ? plan->count : 1), sizeof *b,
                                     "plan");
  double *epoch = gs_mem_calloc((size_t)(plan->count > 0 ? plan->count : 1), sizeof *epoch,
                                "plan");
  if (!b || !epoch) {
    gs_mem_free(b);
    gs_mem_free(epoch);
    return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
  }
  int32_t best = -1;
  gs_status st = GS_OK;
  for (int32_t i = 0; i < plan->count; i++) {
    const gs_plan_row *r = &plan->rows[i];
    if (r->status != GS_OK) continue;
    gs_model_config cfg = o->cost.model;
    cfg.depth = r->spec.depth;
    cfg.width = r->spec.width;
    st = gs_cli_choose_batching(&b[i], &cfg, info, norm, o->cost.epochs, limit, resident,
                                allow_full, eval_full, r->cost.peak_bytes, err);
    if (st == GS_ERR_INVALID && eval_full) { /* a stack the whole-graph evaluation does not
                                                cover (residual, norm): the row does not fit */
      if (!json) fprintf(stderr, "gnnscale plan: phi %.2f: %s\n", r->phi, err->msg);
      gs_error_clear(err);
      st = GS_OK;
      memset(&b[i], 0, sizeof b[i]);
      b[i].full_peak = r->cost.peak_bytes;
      continue;
    }
    if (st != GS_OK) goto done;
    /* Cluster-GCN trains every feature column: a model of fewer columns runs full-batch only. */
    if (b[i].cluster && r->spec.features < info->file_features) b[i].fits = false;
    /* The other budgets as the plan judged them (memory judged here), but a Cluster-GCN
     * row's time is its own. */
    bool others_fit = r->fits;
    epoch[i] = r->cost.seconds_per_epoch;
    if (b[i].cluster) {
      gs_cluster_time t;
      st = gs_cluster_cost_time(&t, cfg.depth, cfg.width, &o->cost, info, norm,
                                GS_FEATPREP_AUTO, b[i].parts, b[i].clusters_per_batch, -1,
                                profile, err);
      if (st == GS_OK && b[i].eval != GS_CLUSTER_EVAL_BATCHES)
        st = gs_cluster_cost_time_eval_full(&t, cfg.depth, cfg.width, &o->cost, info, norm,
                                            GS_FEATPREP_AUTO, profile, err);
      if (st == GS_OK && b[i].eval == GS_CLUSTER_EVAL_SPILL)
        st = gs_cluster_cost_time_eval_spill(&t, cfg.depth, cfg.width, info->graph.nodes, profile,
                                             err);
      if (st != GS_OK) goto done;
      epoch[i] = t.seconds_per_epoch;
      others_fit = !(o->limit[GS_PLAN_FLOPS] > 0 && r->ratio[GS_PLAN_FLOPS] > 1.0) &&
                   !(time_limit > 0 && epoch[i] * (1.0 + o->time_headroom) > time_limit);
    }
    b[i].fits = b[i].fits && others_fit;
    if (b[i].fits) best = i;
  }
  char b1[32], b2[32], b3[32];
  if (json) {
    printf("{\"command\":\"plan\",\"batching\":\"%s\",\"dataset\":", allow_full ? "auto" : "cluster");
    gs_json_string(stdout, name);
    printf(",\"nodes\":%lld,\"budget\":{\"memory_bytes\":%.0f,\"resident_bytes\":%.0f},\"rows\":[",
           (long long)info->graph.nodes, limit, resident);
    for (int32_t i = 0, first = 1; i < plan->count; i++) {
      const gs_plan_row *r = &plan->rows[i];
      if (r->status != GS_OK) continue;
      printf("%s{\"phi\":%.4f,\"depth\":%d,\"width\":%lld,\"features\":%lld,"
             "\"full_peak_bytes\":%lld,\"batching\":\"%s\",\"parts\":%d,\"clusters_per_batch\":%d,"
             "\"peak_bytes\":%lld,\"peak_rss_bytes\":%.0f,\"epoch_seconds\":%.6f,\"eval\":\"%s\","
             "\"eval_bytes\":%lld,\"fits\":%s}",
             first ? "" : ",", r->phi, (int)r->spec.depth, (long long)r->spec.width,
             (long long)r->spec.features, (long long)b[i].full_peak,
             b[i].cluster ? "cluster" : "full", b[i].parts, b[i].clusters_per_batch,
             (long long)b[i].peak, (double)b[i].peak + resident, epoch[i], eval_name(&b[i]),
             (long long)b[i].eval_bytes, b[i].fits ? "true" : "false");
      first = 0;
    }
    printf("],\"best\":");
    if (best >= 0)
      printf("{\"phi\":%.4f,\"depth\":%d,\"width\":%lld,\"features\":%lld,\"parts\":%d,"
             "\"clusters_per_batch\":%d,\"peak_bytes\":%lld,\"epoch_seconds\":%.6f,"
             "\"eval\":\"%s\",\"partition\":{\"metis_max_entries\":%lld,\"sampled\":%s,\"peak_bytes\":%lld,"
             "\"peak_rss_bytes\":%.0f,\"metis_bytes\":%lld,\"fits\":%s}}}\n",
             plan->rows[best].phi, (int)plan->rows[best].spec.depth,
             (long long)plan->rows[best].spec.width, (long long)plan->rows[best].spec.features,
             b[best].parts, b[best].clusters_per_batch, (long long)b[best].peak, epoch[best],
             eval_name(&b[best]), (long long)b[best].partition_entries, b[best].partition.sampled ? "true" : "false",
             (long long)b[best].partition.peak_bytes,
             (double)b[best].partition.peak_bytes + resident,
             (long long)b[best].partition.metis_bytes,
             b[best].cluster && b[best].partition_entries > 0 ? "true" : "false");
    else
      printf("null}\n");
  } else {
    printf("dataset %s: %lld nodes, %lld adjacency entries, %lld features; memory budget %s of "
           "peak RSS (%s resident besides the counted bytes)\n",
           name, (long long)info->graph.nodes, (long long)info->graph.symmetric_entries,
           (long long)info->file_features, gs_format_bytes((int64_t)limit, b1, sizeof b1),
           gs_format_bytes((int64_t)resident, b2, sizeof b2));
    printf("batching %s: full-batch where it fits, else Cluster-GCN with the fewest parts P (and "
           "then the most parts Q per batch) that fits; batch sizes estimated from METIS's 1.03 "
           "balance\n", allow_full ? "auto" : "cluster");
    if (eval_full)
      printf("evaluation over the whole graph, priced: two layers of n x width floats resident "
             "(eval full) where they fit, else one resident and one spilled to a temporary file "
             "part by part (eval spill)\n");
    printf("   phi  depth  width  features   full peak  batching      P     Q   batch peak  "
           "epoch (pred.)  eval        fits\n");
    for (int32_t i = 0; i < plan->count; i++) {
      const gs_plan_row *r = &plan->rows[i];
      if (r->status != GS_OK || r->same_as_previous) continue;
      printf("%6.2f  %5d  %5lld  %8lld  %10s  %-8s  %5d  %4d  %11s  %10.2f ms  %-10s  %s\n", r->phi,
             (int)r->spec.depth, (long long)r->spec.width, (long long)r->spec.features,
             gs_format_bytes(b[i].full_peak, b1, sizeof b1), b[i].cluster ? "cluster" : "full",
             b[i].parts, b[i].clusters_per_batch, gs_format_bytes(b[i].peak, b2, sizeof b2),
             1e3 * epoch[i], eval_name(&b[i]), b[i].fits ? "yes" : "no");
    }
    if (best >= 0)
      printf("phi* = %.2f: depth %d, width %lld, %s P = %d, Q = %d; predicted peak %s counted "
             "(+ resident: %s of %s)\n",
             plan->rows[best].phi, (int)plan->rows[best].spec.depth,
             (long long)plan->rows[best].spec.width, b[best].cluster ? "Cluster-GCN" : "full-batch",
             b[best].parts, b[best].clusters_per_batch, gs_format_bytes(b[best].peak, b1, sizeof b1),
             gs_format_bytes((int64_t)((double)b[best].peak + resident), b2, sizeof b2),
             gs_format_bytes((int64_t)limit, b3, sizeof b3));
    if (best >= 0 && b[best].cluster) {
      const gs_store_partition_cost *pc = &b[best].partition;
      if (b[best].partition_entries > 0)
        printf("partition step (train partitions first when the %d parts are not stored): METIS "
               "on %s%lld of %lld adjacency entries, predicted peak %s (+ resident: %s; METIS's "
               "own %s modelled%s)\n",
               b[best].parts, pc->sampled ? "a sample of " : "", (long long)pc->metis_entries,
               (long long)info->graph.symmetric_entries,
               gs_format_bytes(resident > 0 ? pc->peak_bytes : pc->counted_peak_bytes, b1, sizeof b1),
               gs_format_bytes((int64_t)((double)pc->peak_bytes + resident), b2, sizeof b2),
               gs_format_bytes(pc->metis_bytes, b3, sizeof b3),
               resident > 0 ? ", in the peak" : ", not counted");
      else
        printf("partition step: does not fit %s (even METIS on a sample of an edge per node is "
               "priced at %s): partition under a larger budget first\n",
               gs_format_bytes((int64_t)limit, b1, sizeof b1),
               gs_format_bytes(pc->peak_bytes, b2, sizeof b2));
    }
  }
  if (best < 0) st = gs_error_set(err, GS_ERR_BUDGET, "nothing fits the budget (see above)");
done:
  gs_mem_free(b);
  gs_mem_free(epoch);
  return st;
}

gs_status gs_cli_train_batching(gs_cli_batching *out, gs_model_config *cfg, const char *data,
                                const char *split, gs_norm norm, const gs_scaling_rule *rule,
                                bool have_rule, double phi, const gs_train_options *topt,
                                double limit, bool mem_counted, bool eval_full, gs_error *err) {
  gs_status st = GS_OK;
  int64_t *prefix = NULL;
  char name[256], store[4352];
  gs_cost_data cdata;
  gs_store_info info;
  GS_TRY(gs_cli_cost_data(&cdata, &prefix, name, sizeof name, data, split, norm, err));
  GS_TRY(gs_store_path(store, sizeof store, data, err));
  GS_TRY(gs_store_read_info(&info, store, err));
  gs_cost_options copt = gs_cost_options_default();
  copt.model = *cfg;
  copt.decay_scope = topt->decay_scope;
  copt.weight_decay = topt->weight_decay;
  copt.epochs = topt->epochs;
  int64_t features = cdata.file_features;
  if (have_rule) {
    gs_scaling_spec spec;
    GS_TRY(gs_scaling_apply(&spec, rule, phi, &copt, &cdata, err));
    cfg->depth = spec.depth;
    cfg->width = spec.width;
    features = spec.features;
  }
  gs_cost full;
  GS_TRY(gs_cost_estimate(&full, cfg->depth, cfg->width, features, &copt, &cdata, NULL, err));
  /* What is resident besides the counted bytes now, as plan measures it. */
  const int64_t rss = gs_mem_current_rss();
  const double resident =
      !mem_counted && rss > gs_mem_current() ? (double)(rss - gs_mem_current()) : 0.0;
  GS_TRY(gs_cli_choose_batching(out, cfg, &info, norm, topt->epochs, limit, resident, true,
                                eval_full, full.peak_bytes, err));
  if (out->cluster && features < info.file_features) {
    st = gs_error_set(err, GS_ERR_BUDGET,
                      "%s: this model keeps %lld of %lld feature columns and fits only as "
                      "Cluster-GCN, which trains every column: use --base D,W,1",
                      data, (long long)features, (long long)info.file_features);
    goto fail;
  }
  if (!out->fits && eval_full) {
    /* Would batched evaluation fit? Then it is the whole-graph evaluation that does not. */
    gs_cli_batching batched;
    GS_TRY(gs_cli_choose_batching(&batched, cfg, &info, norm, topt->epochs, limit, resident, true,
                                  false, full.peak_bytes, err));
    if (batched.fits) {
      char b1[32], b2[32], b3[32], b4[32];
      st = gs_error_set(err, GS_ERR_BUDGET,
                        "%s: whole-graph evaluation (--eval full) does not fit the %s budget: "
                        "even with one layer of %lld x %lld floats resident and the other spilled "
                        "to disk it needs %s beside training's %s (%s resident); use --eval "
                        "batches or a larger budget",
                        data, gs_format_bytes((int64_t)limit, b1, sizeof b1),
                        (long long)info.graph.nodes, (long long)cfg->width,
                        gs_format_bytes(out->eval_bytes, b2, sizeof b2),
                        gs_format_bytes(batched.peak, b3, sizeof b3),
                        gs_format_bytes((int64_t)resident, b4, sizeof b4));
      goto fail;
    }
  }
  if (!out->fits)
    st = gs_error_set(err, GS_ERR_BUDGET,
                      "%s: depth %d, width %lld fits neither full-batch (%lld bytes predicted) nor "
                      "as Cluster-GCN up to %d parts (%lld bytes) within the budget",
                      data, (int)cfg->depth, (long long)cfg->width, (long long)out->full_peak,
                      out->parts, (long long)out->peak);
fail:
  gs_mem_free(prefix);
  return st;
}
